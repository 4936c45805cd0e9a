//! The catalogue's detail reads: a show or an event with its seat classes and their counts
//! (`GET /shows/{id}`, `GET /events/{id}`, a single seat's class), and the general-admission
//! places that past-due holds free again. Seats of a past-due hold count as free: the SQL uses
//! [`past_due_sql`], the one SQL form of the domain's rule.

use std::collections::HashMap;
use std::sync::LazyLock;

use boxoffice_domain::catalog::{
    Event, EventDetail, SeatClassAvailability, Show, ShowDetail, ShowKind,
};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int8, Timestamptz};

use crate::catalog::{ensure_exists, find_show};
use crate::models::*;
use crate::rules::past_due_sql;
use crate::schema::*;
use crate::TxError;

/// Per class: seats, seats in live holds, seats in active bookings (past-due holds not counted).
static CLASS_COUNTS_SQL: LazyLock<String> = LazyLock::new(|| {
    let due = past_due_sql("b", "$2");
    format!(
        "SELECT sc.id, sc.show_id, sc.name, sc.min_price, sc.normal_price, sc.max_price, \
  (SELECT count(*) FROM seats s WHERE s.seat_class_id = sc.id) AS total_seats, \
  (SELECT count(*) FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id \
     WHERE bi.seat_class_id = sc.id AND bi.active AND b.status = 'held' AND NOT {due}) \
     AS held_seats, \
  (SELECT count(*) FROM booking_items bi WHERE bi.seat_class_id = sc.id AND bi.active) \
  - (SELECT count(*) FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id \
     WHERE bi.seat_class_id = sc.id AND bi.active AND {due}) \
     AS active_seats \
FROM seat_classes sc WHERE sc.show_id = ANY($1) ORDER BY sc.show_id, sc.name"
    )
});

/// General-admission places of past-due holds per show (free again, even before the reaper
/// writes `expired`).
static DUE_PLACES_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT b.show_id, COALESCE(sum(b.quantity), 0)::bigint AS places FROM bookings b \
WHERE {} AND b.show_id = ANY($1) GROUP BY b.show_id",
        past_due_sql("b", "$2")
    )
});

#[derive(QueryableByName)]
struct DuePlacesRow {
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Int8)]
    places: i64,
}

/// Seat classes with their counts, for several shows, grouped by show id.
/// Seats of past-due holds count as free (`now` is the clock of the caller).
pub(crate) fn class_counts(
    conn: &mut PgConnection,
    show_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<SeatClassAvailability>>, TxError> {
    let rows: Vec<ClassCountsRow> = diesel::sql_query(CLASS_COUNTS_SQL.as_str())
        .bind::<Array<Int8>, _>(show_ids)
        .bind::<Timestamptz, _>(now)
        .load(conn)?;
    let mut out: HashMap<i64, Vec<SeatClassAvailability>> = HashMap::new();
    for r in rows {
        out.entry(r.show_id).or_default().push(r.into());
    }
    Ok(out)
}

/// Adds the places of past-due general-admission holds back to `free_places`.
pub(crate) fn free_due_places(
    conn: &mut PgConnection,
    shows: &mut [Show],
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    let general: Vec<i64> = shows
        .iter()
        .filter(|s| s.kind == ShowKind::General)
        .map(|s| s.id)
        .collect();
    if general.is_empty() {
        return Ok(());
    }
    let due: Vec<DuePlacesRow> = diesel::sql_query(DUE_PLACES_SQL.as_str())
        .bind::<Array<Int8>, _>(&general)
        .bind::<Timestamptz, _>(now)
        .load(conn)?;
    for d in due {
        if let Some(show) = shows.iter_mut().find(|s| s.id == d.show_id) {
            let places = u32::try_from(d.places).unwrap_or(0);
            show.free_places = show.free_places.map(|f| {
                f.saturating_add(places)
                    .min(show.capacity.unwrap_or(u32::MAX))
            });
        }
    }
    Ok(())
}

pub(crate) fn show_details(
    conn: &mut PgConnection,
    rows: Vec<ShowRow>,
    now: DateTime<Utc>,
) -> Result<Vec<ShowDetail>, TxError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut counts = class_counts(conn, &ids, now)?;
    let mut shows = rows
        .into_iter()
        .map(Show::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    free_due_places(conn, &mut shows, now)?;
    Ok(shows
        .into_iter()
        .map(|show| {
            let classes = counts.remove(&show.id).unwrap_or_default();
            ShowDetail { show, classes }
        })
        .collect())
}

pub(crate) fn event_detail(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<EventDetail, TxError> {
    let row = events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?;
    let event = Event::try_from(ensure_exists(row, "event", id)?)?;
    let show_rows = shows::table
        .filter(shows::event_id.eq(id))
        .order((shows::starts_at, shows::id))
        .select(ShowRow::as_select())
        .load(conn)?;
    Ok(EventDetail {
        event,
        shows: show_details(conn, show_rows, now)?,
    })
}

pub(crate) fn show_detail(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ShowDetail, TxError> {
    let row = find_show(conn, id)?;
    let mut v = show_details(conn, vec![row], now)?;
    v.pop()
        .ok_or_else(|| DomainError::internal("show vanished").into())
}
