//! The seat map of a show (`GET /shows/{id}/seats`), the hottest read, and the single seat
//! (`GET /seats/{id}`).
//!
//! The seat map is ONE prepared statement ([`SeatMapQuery`]) returning ONE row ([`MapRow`]):
//! one round trip, one snapshot, no transaction. The row holds the show with its classes (a
//! record), its chart version, its seats as one array per column — unless the chart this
//! instance keeps ([`ChartCache`], ADR 0012) is of that version, when the seats are not sent —
//! and its active seat items (`ix_booking_items_active_show`) with the status and deadline of
//! their booking (found by key) as arrays too; a past-due hold's items are left out, by
//! [`past_due_sql`]. The seats and the items are matched by seat id in the domain
//! ([`SeatMap::assemble`]), not joined in SQL: both are read once, and no plan, however wrong
//! its estimates, can compare every seat with every item. The statement sorts nothing either:
//! the chart is put in the domain's map order ([`SeatPlace::map_order`]) once, when it is read.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use boxoffice_domain::catalog::{SeatClassAvailability, SeatDetail, SeatView, Show, ShowDetail};
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::seat_map::{SeatChart, SeatMap, SeatPlace, SeatState};
use boxoffice_domain::status::BookingStatus;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Int4, Int8, Nullable, Record, Text, Timestamptz};
use diesel::{OptionalExtension, QueryResult, QueryableByName, RunQueryDsl};

use crate::catalog::find_show;
use crate::models::{currency, u32_of, ShowRow};
use crate::rules::past_due_sql;
use crate::seat_chart::ChartCache;
use crate::show_reads::class_counts;
use crate::{map_db_error, TxError};

/// The state of a seat taken by an active booking in `status` (as stored) with deadline
/// `expires_at`: the domain's rule, [`SeatState::taken_by`].
fn taken_state(status: &str, expires_at: Option<DateTime<Utc>>) -> Result<SeatState, DomainError> {
    let status = BookingStatus::parse(status)
        .ok_or_else(|| DomainError::internal(format!("unknown booking status {status:?}")))?;
    Ok(SeatState::taken_by(status, expires_at))
}

/// The seat map of `show_id` as of `now`: the show with its classes and every seat with its
/// state ([`SeatMap::assemble`]). The chart comes from `charts` when the show's chart version,
/// read in the same statement, is still the kept chart's; then the statement sends no seats.
pub(crate) fn seat_map(
    conn: &mut PgConnection,
    charts: &ChartCache,
    show_id: i64,
    now: DateTime<Utc>,
) -> Result<SeatMap, DomainError> {
    let kept = charts.get(show_id);
    // Versions come from a sequence starting at 1: 0 matches no show.
    let known_version = kept.as_ref().map_or(0, |c| c.version());
    let row: Option<MapRow> = SeatMapQuery {
        show_id,
        now,
        known_version,
    }
    .get_result(conn)
    .optional()
    .map_err(map_db_error)?;
    let (header, version, seat_columns, item_seats, statuses, deadlines) =
        row.ok_or_else(|| DomainError::not_found("show", show_id))?;
    let (fields, class_rows) = show_fields(show_id, header);
    let show = Show::try_from(fields)?;
    let classes: Vec<SeatClassAvailability> = class_rows
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
    let chart = match kept {
        Some(chart) if chart.version() == version => chart,
        _ => {
            let chart = Arc::new(read_chart(show_id, version, &classes, seat_columns)?);
            charts.put(show_id, chart.clone());
            chart
        }
    };
    let item_seats = item_seats.unwrap_or_default();
    let statuses = statuses.unwrap_or_default();
    let deadlines = deadlines.unwrap_or_default();
    if statuses.len() != item_seats.len() || deadlines.len() != item_seats.len() {
        return Err(DomainError::internal(format!(
            "the seat map of show {show_id} came back with item columns of different lengths"
        )));
    }
    let taken = item_seats
        .into_iter()
        .zip(statuses.iter().zip(deadlines))
        .map(|(seat, (status, deadline))| Ok((seat, taken_state(status, deadline)?)))
        .collect::<Result<Vec<_>, DomainError>>()?;
    SeatMap::assemble(ShowDetail { show, classes }, chart, taken)
}

/// The chart at `version` from the seat columns of the statement (`NULL` arrays: no seats),
/// each seat sharing its class's name.
fn read_chart(
    show_id: i64,
    version: i64,
    classes: &[SeatClassAvailability],
    columns: SeatColumns,
) -> Result<SeatChart, DomainError> {
    let (ids, class_ids, numbers, labels, rows, refs) = columns;
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
    let names: HashMap<i64, Arc<str>> = classes
        .iter()
        .map(|c| (c.id, Arc::from(c.name.as_str())))
        .collect();
    let seats = ids
        .into_iter()
        .zip(class_ids.unwrap_or_default())
        .zip(numbers.unwrap_or_default())
        .zip(labels.unwrap_or_default())
        .zip(rows.unwrap_or_default())
        .zip(refs.unwrap_or_default())
        .map(|(((((id, class_id), number), label), row), external_ref)| {
            let class = names.get(&class_id).cloned().ok_or_else(|| {
                DomainError::internal(format!("seat {id} is not in a class of its show"))
            })?;
            Ok(SeatPlace {
                id,
                label,
                row,
                number: u32_of(number),
                class_id,
                class,
                external_ref,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(SeatChart::new(version, seats))
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
/// show's chart version, its seats as one array per column ([`SeatColumns`]; all `NULL` when
/// the show has no seats or the chart kept is current), and its active seat items as one array
/// per column (seat, its booking's status and deadline). One row of a few arrays instead of one
/// row per seat: libpq and diesel pay per field, and a 500-seat map is 11 fields, not 4,000.
type MapRow = (
    Header,
    i64,
    SeatColumns,
    Option<Vec<i64>>,
    Option<Vec<String>>,
    Option<Vec<Option<DateTime<Utc>>>>,
);

/// The seats' columns: id, class, number, label, row, external ref.
type SeatColumns = (
    Option<Vec<i64>>,
    Option<Vec<i64>>,
    Option<Vec<i32>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<Option<String>>>,
);

/// The whole seat map of a show in one prepared statement (see the module docs and
/// [`MapRow`]). Prepared once per connection: a static query id.
struct SeatMapQuery {
    show_id: i64,
    now: DateTime<Utc>,
    /// The version of the chart kept in memory (0: none): the seats are not sent when it is
    /// still the show's.
    known_version: i64,
}

/// The SQL of [`SeatMapQuery`] in the pieces around its binds: known version, now, show id.
static SEAT_MAP_SQL: LazyLock<[String; 3]> = LazyLock::new(|| {
    // The rule's SQL with the bind of `now` where the marker is.
    let due = past_due_sql("b", "\u{1}");
    let (due_head, due_tail) = due.split_once('\u{1}').expect("past_due_sql uses `now`");
    [
        // The show and its classes as one record; its chart version; its seats, one array per
        // column (the aggregates of one scan keep one order), unless the version is the one
        // bound (the chart kept is current: a one-time filter, no seat is read); its active seat items with their booking's
        // status and deadline unless it is a past-due hold — the booking is looked up by its
        // key, item by item (`OFFSET 0` keeps that lookup a probe), so no plan can compare
        // every seat with every item, whatever the statistics say.
        "SELECT ROW(sh.event_id, sh.venue_id, sh.screen_name, sh.starts_at, sh.ends_at, \
             sh.kind, sh.currency::text, sh.capacity, sh.free_places, sh.price, sh.created_at, \
             ARRAY(SELECT ROW(sc.id, sc.name, sc.min_price, sc.normal_price, sc.max_price, \
             sc.seat_count) FROM seat_classes sc WHERE sc.show_id = sh.id)), \
             sh.chart_version, sa.ids, sa.classes, sa.numbers, sa.labels, sa.rows_, sa.refs, \
             ia.seats, ia.statuses, ia.deadlines \
             FROM shows sh \
             CROSS JOIN LATERAL (SELECT array_agg(s.id) AS ids, array_agg(s.seat_class_id) AS \
             classes, array_agg(s.seat_number) AS numbers, array_agg(s.label) AS labels, \
             array_agg(s.row_label) AS rows_, array_agg(s.external_ref) AS refs \
             FROM seats s WHERE s.show_id = sh.id AND sh.chart_version <> "
            .to_owned(),
        format!(
            ") sa \
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
        Int8,
        (
            Nullable<Array<Int8>>,
            Nullable<Array<Int8>>,
            Nullable<Array<Int4>>,
            Nullable<Array<Text>>,
            Nullable<Array<Text>>,
            Nullable<Array<Nullable<Text>>>,
        ),
        Nullable<Array<Int8>>,
        Nullable<Array<Text>>,
        Nullable<Array<Nullable<Timestamptz>>>,
    );
}

impl QueryFragment<Pg> for SeatMapQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let sql = &*SEAT_MAP_SQL;
        out.push_sql(&sql[0]);
        out.push_bind_param::<Int8, _>(&self.known_version)?;
        out.push_sql(&sql[1]);
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(&sql[2]);
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

impl TryFrom<SeatViewRow> for SeatView {
    type Error = DomainError;

    fn try_from(r: SeatViewRow) -> Result<Self, DomainError> {
        let state = match r.booking_status.as_deref() {
            None => SeatState::AVAILABLE,
            Some(status) => taken_state(status, r.held_until)?,
        };
        Ok(SeatView {
            id: r.id,
            label: r.label,
            row: r.row_label,
            number: u32_of(r.seat_number),
            class_id: r.seat_class_id,
            class: r.class_name.into(),
            held_until: state.held_until(),
            status: state.status(),
            external_ref: r.external_ref,
        })
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
    let seat = SeatView::try_from(row)?;
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
