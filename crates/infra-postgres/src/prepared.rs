//! The booking transaction's hand-written statements as diesel query types with a static query
//! id, so that diesel prepares each once per connection and reuses the plan. (`sql_query` is
//! never cached: PostgreSQL would parse and plan these statements on every booking.)

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
        out.push_sql(" AND b.status = 'held' AND b.expires_at <= ");
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(
            " AND bi.active AND bi.seat_class_id = sc.id))::bigint \
             FROM seat_classes sc WHERE sc.id = ANY(",
        );
        out.push_bind_param::<Array<Int8>, _>(self.ids)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for ClassSnapshotQuery<'_> {}

/// One booking written in ONE statement: the booking row, its creation row in
/// `booking_history` (from nothing to the booking's status, by `actor`), its items, and the
/// class sales counters (rows in (class, slot) order; the deltas also carry the -1s of past-due
/// holds the transaction expired on the way, so the counters are touched in one ordered pass). The FKs of the items and the history row
/// to the booking are checked at the end of the statement, when the booking row exists.
pub(crate) struct WritePlanQuery {
    pub id: Uuid,
    pub reference: String,
    pub show_id: i64,
    pub status: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub quantity: i32,
    pub total_amount: i64,
    pub currency: String,
    pub now: DateTime<Utc>,
    /// The hold's deadline (a held booking) or `None` (confirmed at once).
    pub expires_at: Option<DateTime<Utc>>,
    pub user_id: Option<Uuid>,
    pub guest_token_hash: Option<Vec<u8>>,
    /// The history actor of the creation (`user:<uuid>`, `guest`, `operator`).
    pub actor: String,
    pub seat_ids: Vec<Option<i64>>,
    pub class_ids: Vec<Option<i64>>,
    pub labels: Vec<Option<String>>,
    pub quantities: Vec<i32>,
    pub prices: Vec<i64>,
    pub tiers: Vec<Option<String>>,
    pub counter_classes: Vec<i64>,
    pub counter_slots: Vec<i16>,
    pub counter_sold: Vec<i32>,
}

impl QueryId for WritePlanQuery {
    type QueryId = WritePlanQuery;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for WritePlanQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH b AS (INSERT INTO bookings (id, reference, show_id, status, customer_name, \
             phone, email, quantity, total_amount, currency, created_at, updated_at, user_id, \
             guest_token_hash, expires_at) VALUES (",
        );
        out.push_bind_param::<SqlUuid, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.reference)?;
        out.push_sql(", ");
        out.push_bind_param::<Int8, _>(&self.show_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.status)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.name)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.phone)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.email)?;
        out.push_sql(", ");
        out.push_bind_param::<Int4, _>(&self.quantity)?;
        out.push_sql(", ");
        out.push_bind_param::<Int8, _>(&self.total_amount)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.currency)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SqlUuid>, _>(&self.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Bytea>, _>(&self.guest_token_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamptz>, _>(&self.expires_at)?;
        out.push_sql(
            ") RETURNING id, show_id, status, created_at), \
             h AS (INSERT INTO booking_history (booking_id, entity, entity_id, from_status, \
             to_status, actor, reason, at) \
             SELECT b.id, 'booking', b.id::text, NULL, b.status, ",
        );
        out.push_bind_param::<Text, _>(&self.actor)?;
        out.push_sql(
            ", NULL, b.created_at FROM b), \
             i AS (INSERT INTO booking_items (booking_id, show_id, seat_id, seat_class_id, label, \
             quantity, price, tier) \
             SELECT b.id, b.show_id, u.seat_id, u.class_id, u.label, u.quantity, u.price, u.tier \
             FROM b, unnest(",
        );
        out.push_bind_param::<Array<Nullable<Int8>>, _>(&self.seat_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Int8>>, _>(&self.class_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.labels)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int4>, _>(&self.quantities)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.prices)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.tiers)?;
        out.push_sql(
            ") AS u(seat_id, class_id, label, quantity, price, tier)) \
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

impl<Conn> RunQueryDsl<Conn> for WritePlanQuery {}
