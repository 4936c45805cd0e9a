//! The booking transaction's hand-written statements as diesel query types with a static query
//! id, so that diesel prepares each once per connection and reuses the plan. (`sql_query` is
//! never cached: PostgreSQL would parse and plan these statements on every booking.)

use boxoffice_domain::engine::NewBooking;

use crate::models::i32_of;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, BigInt, Bytea, Int2, Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel::{QueryResult, RunQueryDsl};
use uuid::Uuid;

/// A row of [`ClassSnapshotQuery`]: id, name, min, normal and max price, seats, sold seats.
pub(crate) type ClassSnapshotRow = (i64, String, Option<i64>, Option<i64>, Option<i64>, i64, i64);

/// Prices and occupancy of the classes `ids`: the seat count kept on the class and the sum of
/// its striped sales counters, less the seats of past-due holds at `now` (free already, though
/// not yet written down). Those are found from the held bookings of the show
/// (`ix_bookings_held_due`), which are few: a hold lives minutes.
pub(crate) struct ClassSnapshotQuery<'a> {
    pub ids: &'a [i64],
    pub show_id: i64,
    pub now: DateTime<Utc>,
}

impl QueryId for ClassSnapshotQuery<'_> {
    type QueryId = ClassSnapshotQuery<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for ClassSnapshotQuery<'_> {
    type SqlType = (
        Int8,
        Text,
        Nullable<Int8>,
        Nullable<Int8>,
        Nullable<Int8>,
        BigInt,
        BigInt,
    );
}

impl QueryFragment<Pg> for ClassSnapshotQuery<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "SELECT sc.id, sc.name, sc.min_price, sc.normal_price, sc.max_price, \
             sc.seat_count::bigint, \
             (COALESCE((SELECT sum(ss.sold) FROM seat_class_sales ss \
                       WHERE ss.seat_class_id = sc.id), 0) \
              - (SELECT count(*) FROM bookings b \
                 JOIN booking_items bi ON bi.booking_id = b.id \
                 WHERE b.show_id = ",
        );
        out.push_bind_param::<Int8, _>(&self.show_id)?;
        out.push_sql(" AND ");
        out.push_sql(&crate::rules::past_due_prefix("b"));
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(
            ") AND bi.active AND bi.seat_class_id = sc.id))::bigint \
             FROM seat_classes sc WHERE sc.id = ANY(",
        );
        out.push_bind_param::<Array<Int8>, _>(self.ids)?;
        out.push_sql(") AND sc.show_id = ");
        out.push_bind_param::<Int8, _>(&self.show_id)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for ClassSnapshotQuery<'_> {}

/// Bookings written in ONE statement: the booking rows (each with its own show and creation
/// instant), their creation rows in `booking_history` (from nothing to the booking's status, by
/// its actor, at its creation), their creation messages in `outbox` (due at once), their items, and the class sales counters (rows in (class, slot)
/// order, so the counters are touched in one ordered pass). The FKs of the items and the history rows to the bookings are checked
/// at the end of the statement, when the booking rows exist.
pub(crate) struct WriteBookingsQuery {
    pub show_ids: Vec<Option<i64>>,
    pub created: Vec<DateTime<Utc>>,
    pub ids: Vec<Uuid>,
    pub references: Vec<String>,
    pub statuses: Vec<String>,
    pub names: Vec<String>,
    pub phones: Vec<Option<String>>,
    pub emails: Vec<Option<String>>,
    pub quantities: Vec<i32>,
    pub totals: Vec<i64>,
    pub currencies: Vec<String>,
    pub expires_at: Vec<Option<DateTime<Utc>>>,
    pub user_ids: Vec<Option<Uuid>>,
    pub guest_token_hashes: Vec<Option<Vec<u8>>>,
    pub actors: Vec<String>,
    pub item_bookings: Vec<Uuid>,
    pub seat_ids: Vec<Option<i64>>,
    pub class_ids: Vec<Option<i64>>,
    pub labels: Vec<Option<String>>,
    pub item_quantities: Vec<i32>,
    pub prices: Vec<i64>,
    pub tiers: Vec<Option<String>>,
    pub counter_classes: Vec<i64>,
    pub counter_slots: Vec<i16>,
    pub counter_sold: Vec<i32>,
    pub notice_ids: Vec<Uuid>,
    pub notice_topics: Vec<&'static str>,
}

impl WriteBookingsQuery {
    /// The statement for `rows` and the counter rows `counters` (class, slot, delta ≥ 0).
    pub fn new(rows: &[NewBooking], counters: &[(i64, i16, i32)]) -> Self {
        let items = || {
            rows.iter()
                .flat_map(|b| b.items.iter().map(move |i| (b.id, i)))
        };
        Self {
            show_ids: rows.iter().map(|b| b.show_id).collect(),
            created: rows.iter().map(|b| b.created_at).collect(),
            ids: rows.iter().map(|b| b.id).collect(),
            references: rows.iter().map(|b| b.reference.clone()).collect(),
            statuses: rows.iter().map(|b| b.status.as_str().to_owned()).collect(),
            names: rows.iter().map(|b| b.customer_name.clone()).collect(),
            phones: rows.iter().map(|b| b.phone.clone()).collect(),
            emails: rows.iter().map(|b| b.email.clone()).collect(),
            quantities: rows.iter().map(|b| i32_of(b.quantity)).collect(),
            totals: rows.iter().map(|b| b.total_amount).collect(),
            currencies: rows
                .iter()
                .map(|b| b.currency.as_str().to_owned())
                .collect(),
            expires_at: rows.iter().map(|b| b.expires_at).collect(),
            user_ids: rows.iter().map(|b| b.user_id).collect(),
            guest_token_hashes: rows
                .iter()
                .map(|b| b.guest_token_hash.map(|h| h.as_bytes().to_vec()))
                .collect(),
            actors: rows.iter().map(|b| b.actor.clone()).collect(),
            item_bookings: items().map(|(b, _)| b).collect(),
            seat_ids: items().map(|(_, i)| i.seat_id).collect(),
            class_ids: items().map(|(_, i)| i.class_id).collect(),
            labels: items().map(|(_, i)| i.label.clone()).collect(),
            item_quantities: items().map(|(_, i)| i32_of(i.quantity)).collect(),
            prices: items().map(|(_, i)| i.price).collect(),
            tiers: items()
                .map(|(_, i)| i.tier.map(|t| t.as_str().to_owned()))
                .collect(),
            counter_classes: counters.iter().map(|r| r.0).collect(),
            counter_slots: counters.iter().map(|r| r.1).collect(),
            counter_sold: counters.iter().map(|r| r.2).collect(),
            notice_ids: rows.iter().map(|b| b.notice.message_id).collect(),
            notice_topics: rows.iter().map(|b| b.notice.topic.as_str()).collect(),
        }
    }
}

impl QueryId for WriteBookingsQuery {
    type QueryId = WriteBookingsQuery;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for WriteBookingsQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH b AS (INSERT INTO bookings (id, reference, show_id, status, customer_name, \
             phone, email, quantity, total_amount, currency, created_at, updated_at, user_id, \
             guest_token_hash, expires_at) \
             SELECT u.id, u.reference, u.show_id, u.status, u.name, u.phone, u.email, \
             u.quantity, u.total, u.currency, u.created_at, u.created_at, u.user_id, \
             u.guest_token_hash, u.expires_at FROM unnest(",
        );
        out.push_bind_param::<Array<SqlUuid>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.references)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Int8>>, _>(&self.show_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.created)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.statuses)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.names)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.phones)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.emails)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int4>, _>(&self.quantities)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.totals)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.currencies)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamptz>>, _>(&self.expires_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(&self.user_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Bytea>>, _>(&self.guest_token_hashes)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.actors)?;
        out.push_sql(
            ") AS u(id, reference, show_id, created_at, status, name, phone, email, quantity, \
             total, currency, expires_at, user_id, guest_token_hash, actor) \
             RETURNING id, show_id, status, created_at), \
             h AS (INSERT INTO booking_history (booking_id, entity, entity_id, from_status, \
             to_status, actor, reason, at) \
             SELECT b.id, 'booking', b.id::text, NULL, b.status, a.actor, NULL, b.created_at \
             FROM b JOIN unnest(",
        );
        out.push_bind_param::<Array<SqlUuid>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.actors)?;
        out.push_sql(
            ") AS a(id, actor) ON a.id = b.id), \
             o AS (INSERT INTO outbox (message_id, topic, booking_id, at, next_attempt_at) \
             SELECT n.message_id, n.topic, b.id, b.created_at, b.created_at \
             FROM b JOIN unnest(",
        );
        out.push_bind_param::<Array<SqlUuid>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<SqlUuid>, _>(&self.notice_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.notice_topics)?;
        out.push_sql(
            ") AS n(id, message_id, topic) ON n.id = b.id), \
             i AS (INSERT INTO booking_items (booking_id, show_id, seat_id, seat_class_id, label, \
             quantity, price, tier) \
             SELECT u.booking_id, b.show_id, u.seat_id, u.class_id, u.label, u.quantity, \
             u.price, u.tier FROM unnest(",
        );
        out.push_bind_param::<Array<SqlUuid>, _>(&self.item_bookings)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Int8>>, _>(&self.seat_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Int8>>, _>(&self.class_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.labels)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int4>, _>(&self.item_quantities)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.prices)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.tiers)?;
        out.push_sql(
            ") AS u(booking_id, seat_id, class_id, label, quantity, price, tier) \
             JOIN b ON b.id = u.booking_id) \
             INSERT INTO seat_class_sales (seat_class_id, slot, sold) \
             SELECT c.class_id, c.slot, c.sold FROM unnest(",
        );
        out.push_bind_param::<Array<Int8>, _>(&self.counter_classes)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int2>, _>(&self.counter_slots)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int4>, _>(&self.counter_sold)?;
        out.push_sql(
            ") WITH ORDINALITY AS c(class_id, slot, sold, n) ORDER BY c.n \
             ON CONFLICT (seat_class_id, slot) \
             DO UPDATE SET sold = seat_class_sales.sold + EXCLUDED.sold",
        );
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for WriteBookingsQuery {}
