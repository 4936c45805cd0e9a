//! The seat map of a show (`GET /shows/{id}/seats`), the hottest read, and the single seat
//! (`GET /seats/{id}`).
//!
//! The seat map is ONE prepared statement ([`SeatMapQuery`]) returning ONE row ([`MapRow`]):
//! one round trip, one snapshot, no transaction. The row holds the show with its classes (a
//! record), its seats as one array per column, and its active seat items
//! (`ix_booking_items_active_show`) with the status and deadline of their booking (found by key)
//! as arrays too — a past-due hold's items are left out, by [`past_due_sql`]. The seats and the
//! items are matched here, by seat id, rather than joined in SQL: both are read once, and no
//! plan, however wrong its estimates, can compare every seat with every item. The statement
//! sorts nothing either: the seats are put in the domain's map order ([`SeatView::map_order`])
//! here, and the class counts are derived from the same rows.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use boxoffice_domain::catalog::{
    SeatClassAvailability, SeatDetail, SeatStatus, SeatView, Show, ShowDetail,
};
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Int4, Int8, Nullable, Record, Text, Timestamptz};
use diesel::{OptionalExtension, QueryResult, QueryableByName, RunQueryDsl};

use crate::catalog::find_show;
use crate::models::{currency, u32_of, ShowRow};
use crate::rules::past_due_sql;
use crate::show_reads::class_counts;
use crate::{map_db_error, TxError};

/// A seat's status from the status of the active booking that has it (`None`: no booking, or
/// a past-due hold).
fn seat_status(booking_status: Option<&str>) -> SeatStatus {
    match booking_status {
        None => SeatStatus::Available,
        Some("held") => SeatStatus::Held,
        Some(_) => SeatStatus::Booked,
    }
}

/// The seat map of `show_id` as of `now`: the show with its classes (counts derived from the
/// seats read) and every seat in map order.
pub(crate) fn seat_map(
    conn: &mut PgConnection,
    show_id: i64,
    now: DateTime<Utc>,
) -> Result<(ShowDetail, Vec<SeatView>), DomainError> {
    let row: Option<MapRow> = SeatMapQuery { show_id, now }
        .get_result(conn)
        .optional()
        .map_err(map_db_error)?;
    let (header, ids, class_ids, numbers, labels, rows, refs, item_seats, statuses, deadlines) =
        row.ok_or_else(|| DomainError::not_found("show", show_id))?;
    let (fields, class_rows) = show_fields(show_id, header);
    let show = Show::try_from(fields)?;
    let mut classes: Vec<SeatClassAvailability> = class_rows
        .into_iter()
        .map(
            |(id, name, min_price, normal_price, max_price, _seat_count)| SeatClassAvailability {
                id,
                name,
                prices: TierPrices {
                    min_price,
                    normal_price,
                    max_price,
                },
                total_seats: 0,
                held_seats: 0,
                booked_seats: 0,
            },
        )
        .collect();
    // Seat id → status and deadline of the active booking that has the seat.
    let taken: HashMap<i64, (String, Option<DateTime<Utc>>)> = item_seats
        .unwrap_or_default()
        .into_iter()
        .zip(statuses.unwrap_or_default())
        .zip(deadlines.unwrap_or_default())
        .map(|((seat, status), deadline)| (seat, (status, deadline)))
        .collect();
    let ids = ids.unwrap_or_default();
    let n = ids.len();
    let columns_agree = [
        class_ids.as_ref().map_or(0, Vec::len),
        numbers.as_ref().map_or(0, Vec::len),
        labels.as_ref().map_or(0, Vec::len),
        rows.as_ref().map_or(0, Vec::len),
        refs.as_ref().map_or(0, Vec::len),
    ]
    .iter()
    .all(|len| *len == n);
    if !columns_agree {
        return Err(DomainError::internal(format!(
            "the seat map of show {show_id} came back with columns of different lengths"
        )));
    }
    let mut seats: Vec<SeatView> = ids
        .into_iter()
        .zip(class_ids.unwrap_or_default())
        .zip(numbers.unwrap_or_default())
        .zip(labels.unwrap_or_default())
        .zip(rows.unwrap_or_default())
        .zip(refs.unwrap_or_default())
        .map(|(((((id, class_id), number), label), row), external_ref)| {
            let (status, held_until) = match taken.get(&id) {
                None => (SeatStatus::Available, None),
                Some((status, deadline)) => {
                    let status = seat_status(Some(status));
                    (
                        status,
                        (status == SeatStatus::Held).then_some(*deadline).flatten(),
                    )
                }
            };
            SeatView {
                id,
                label,
                row,
                number: u32_of(number),
                class_id,
                class: Arc::default(),
                held_until,
                status,
                external_ref,
            }
        })
        .collect();
    // The classes in name order (as `GET /shows/{id}` lists them); counts from the seats.
    classes.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<Arc<str>> = classes.iter().map(|c| Arc::from(c.name.as_str())).collect();
    let index: HashMap<i64, usize> = classes.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let mut last = usize::MAX;
    for s in &mut seats {
        // Seats come grouped by class: most look-ups are the class of the seat before.
        if classes.get(last).is_none_or(|c| c.id != s.class_id) {
            last = *index.get(&s.class_id).ok_or_else(|| {
                DomainError::internal(format!("seat {} is not in a class of its show", s.id))
            })?;
        }
        let c = &mut classes[last];
        s.class = names[last].clone();
        c.total_seats += 1;
        match s.status {
            SeatStatus::Held => c.held_seats += 1,
            SeatStatus::Booked => c.booked_seats += 1,
            SeatStatus::Available => {}
        }
    }
    // Rows come in storage order, which is usually the map order already: the sort checks
    // that in one pass.
    seats.sort_by(SeatView::map_order);
    Ok((ShowDetail { show, classes }, seats))
}

/// The show's row, and its classes, from the header record.
fn show_fields(id: i64, f: Header) -> (ShowRow, Vec<ClassFields>) {
    let row = ShowRow {
        id,
        event_id: f.0,
        venue_id: f.1,
        screen_name: f.2,
        starts_at: f.3,
        ends_at: f.4,
        kind: f.5,
        currency: f.6,
        capacity: f.7,
        free_places: f.8,
        price: f.9,
        created_at: f.10,
    };
    (row, f.11)
}

/// A class of the show: id, name, min, normal and max price, stored seat count.
type ClassFields = (i64, String, Option<i64>, Option<i64>, Option<i64>, i32);
type ClassSql = Record<(
    Int8,
    Text,
    Nullable<Int8>,
    Nullable<Int8>,
    Nullable<Int8>,
    Int4,
)>;

/// The show's columns but its id, and its classes, as one record: event_id, venue_id,
/// screen_name, starts_at, ends_at, kind, currency, capacity, free_places, price, created_at,
/// classes.
type Header = (
    i64,
    Option<i64>,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    String,
    String,
    Option<i32>,
    Option<i32>,
    Option<i64>,
    DateTime<Utc>,
    Vec<ClassFields>,
);
type HeaderSql = Record<(
    Int8,
    Nullable<Int8>,
    Text,
    Timestamptz,
    Timestamptz,
    Text,
    Text,
    Nullable<Int4>,
    Nullable<Int4>,
    Nullable<Int8>,
    Timestamptz,
    Array<ClassSql>,
)>;

/// The row of [`SeatMapQuery`]: the header (the show with its classes, as one record), the
/// show's seats as one array per column (id, class, number, label, row, external ref; `NULL`
/// for a show without seats), and its active seat items as one array per column (seat, its
/// booking's status and deadline). One row of a few arrays instead of one row per seat: libpq
/// and diesel pay per field, and a 500-seat map is 8 fields instead of 4,000.
type MapRow = (
    Header,
    Option<Vec<i64>>,
    Option<Vec<i64>>,
    Option<Vec<i32>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<Option<String>>>,
    Option<Vec<i64>>,
    Option<Vec<String>>,
    Option<Vec<Option<DateTime<Utc>>>>,
);

/// The whole seat map of a show in one prepared statement (see the module docs and
/// [`MapRow`]). Prepared once per connection: a static query id.
struct SeatMapQuery {
    show_id: i64,
    now: DateTime<Utc>,
}

/// The SQL of [`SeatMapQuery`] in the pieces around its binds: now, show id.
static SEAT_MAP_SQL: LazyLock<[String; 2]> = LazyLock::new(|| {
    // The rule's SQL with the bind of `now` where the marker is.
    let due = past_due_sql("b", "\u{1}");
    let (due_head, due_tail) = due.split_once('\u{1}').expect("past_due_sql uses `now`");
    [
        // The show and its classes as one record; its seats, one array per column (the
        // aggregates of one scan keep one order); its active seat items with their booking's
        // status and deadline unless it is a past-due hold — the booking is looked up by its
        // key, item by item (`OFFSET 0` keeps that lookup a probe), so no plan can compare
        // every seat with every item, whatever the statistics say.
        format!(
            "SELECT ROW(sh.event_id, sh.venue_id, sh.screen_name, sh.starts_at, sh.ends_at, \
             sh.kind, sh.currency::text, sh.capacity, sh.free_places, sh.price, sh.created_at, \
             ARRAY(SELECT ROW(sc.id, sc.name, sc.min_price, sc.normal_price, sc.max_price, \
             sc.seat_count) FROM seat_classes sc WHERE sc.show_id = sh.id)), \
             sa.ids, sa.classes, sa.numbers, sa.labels, sa.rows_, sa.refs, \
             ia.seats, ia.statuses, ia.deadlines \
             FROM shows sh \
             CROSS JOIN LATERAL (SELECT array_agg(s.id) AS ids, array_agg(s.seat_class_id) AS \
             classes, array_agg(s.seat_number) AS numbers, array_agg(s.label) AS labels, \
             array_agg(s.row_label) AS rows_, array_agg(s.external_ref) AS refs \
             FROM seats s WHERE s.show_id = sh.id) sa \
             CROSS JOIN LATERAL (SELECT array_agg(bi.seat_id) AS seats, array_agg(b.status) AS \
             statuses, array_agg(b.expires_at) AS deadlines \
             FROM booking_items bi CROSS JOIN LATERAL (SELECT b.status, b.expires_at \
             FROM bookings b WHERE b.id = bi.booking_id AND NOT {due_head}"
        ),
        format!(
            "{due_tail} OFFSET 0) b \
             WHERE bi.active AND bi.seat_id IS NOT NULL AND bi.show_id = sh.id) ia \
             WHERE sh.id = "
        ),
    ]
});

impl QueryId for SeatMapQuery {
    type QueryId = SeatMapQuery;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for SeatMapQuery {
    type SqlType = (
        HeaderSql,
        Nullable<Array<Int8>>,
        Nullable<Array<Int8>>,
        Nullable<Array<Int4>>,
        Nullable<Array<Text>>,
        Nullable<Array<Text>>,
        Nullable<Array<Nullable<Text>>>,
        Nullable<Array<Int8>>,
        Nullable<Array<Text>>,
        Nullable<Array<Nullable<Timestamptz>>>,
    );
}

impl QueryFragment<Pg> for SeatMapQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let sql = &*SEAT_MAP_SQL;
        out.push_sql(&sql[0]);
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(&sql[1]);
        out.push_bind_param::<Int8, _>(&self.show_id)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for SeatMapQuery {}

// ---------- one seat ----------

#[derive(QueryableByName)]
struct SeatViewRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    row_label: String,
    #[diesel(sql_type = Int4)]
    seat_number: i32,
    #[diesel(sql_type = Int8)]
    seat_class_id: i64,
    #[diesel(sql_type = Text)]
    class_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    external_ref: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    booking_status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    held_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Int8)]
    show_id: i64,
}

impl From<SeatViewRow> for SeatView {
    fn from(r: SeatViewRow) -> Self {
        let status = seat_status(r.booking_status.as_deref());
        SeatView {
            id: r.id,
            label: r.label,
            row: r.row_label,
            number: u32_of(r.seat_number),
            class_id: r.seat_class_id,
            class: r.class_name.into(),
            held_until: if status == SeatStatus::Held {
                r.held_until
            } else {
                None
            },
            status,
            external_ref: r.external_ref,
        }
    }
}

/// A seat with its class and, when an active booking has it (a past-due hold at `$2` does
/// not), that booking's status and deadline.
static SEAT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT s.id, s.label, s.row_label, s.seat_number, s.seat_class_id, sc.name AS class_name, \
       s.external_ref, b.status AS booking_status, b.expires_at AS held_until, s.show_id \
FROM seats s \
JOIN seat_classes sc ON sc.id = s.seat_class_id \
LEFT JOIN (booking_items bi JOIN bookings b ON b.id = bi.booking_id AND NOT {}) \
       ON bi.seat_id = s.id AND bi.active \
WHERE s.id = $1",
        past_due_sql("b", "$2")
    )
});

/// One seat with its class's counts (the counts of `GET /shows/{id}`) as of `now`.
pub(crate) fn seat_detail(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<SeatDetail, DomainError> {
    let rows: Vec<SeatViewRow> = diesel::sql_query(SEAT_SQL.as_str())
        .bind::<Int8, _>(id)
        .bind::<Timestamptz, _>(now)
        .load(conn)
        .map_err(map_db_error)?;
    let row = rows
        .into_iter()
        .next()
        .ok_or_else(|| DomainError::not_found("seat", id))?;
    let show_id = row.show_id;
    let seat = SeatView::from(row);
    let show = find_show(conn, show_id).map_err(TxError::into_domain)?;
    let mut counts = class_counts(conn, &[show_id], now).map_err(TxError::into_domain)?;
    let class = counts
        .remove(&show_id)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.id == seat.class_id)
        .ok_or_else(|| DomainError::internal("seat class vanished"))?;
    Ok(SeatDetail {
        seat,
        show_id,
        currency: currency(&show.currency)?,
        class,
    })
}
