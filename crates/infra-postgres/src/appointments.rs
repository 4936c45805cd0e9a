//! Appointments in PostgreSQL (issue 14, ADR 0016): the `appointments` rows of appointment
//! bookings, read with their bookings and written by the engine's transactions. The database
//! refuses a double booking itself (the `no_double_booking` exclusion constraint, the
//! `class_places` guard; both mapped to `Conflict { slot_taken }` by [`crate::map_db_error`]);
//! nothing here decides: the occupied range written is the domain's
//! ([`boxoffice_domain::marketplace::slots::occupied_range`], in `AppointmentTime`).

use std::collections::HashMap;
use std::ops::Bound;

use boxoffice_domain::booking::{hold_past_due, Booking, BookingStatus};
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::codes::ConflictCode;
use boxoffice_domain::engine::{BookingTerms, NewBooking, TimeHolder};
use boxoffice_domain::marketplace::appointment::{refund_policy_of, Appointment, AppointmentTime};
use boxoffice_domain::marketplace::catalog::UpcomingAppointment;
use boxoffice_domain::marketplace::slots::BookedTime;
use boxoffice_domain::ports::AppointmentFilter;
use boxoffice_domain::time_zone::TimeZone;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use uuid::Uuid;

use crate::booking_reads::bookings_from_rows;
use crate::marketplace::find_service;
use crate::models::{corrupt, i32_of, u32_of, BookingRow};
use crate::schema::*;
use crate::TxError;

/// `[from, to)` as PostgreSQL's `tstzrange(from, to, '[)')`.
fn range(r: (DateTime<Utc>, DateTime<Utc>)) -> (Bound<DateTime<Utc>>, Bound<DateTime<Utc>>) {
    (Bound::Included(r.0), Bound::Excluded(r.1))
}

/// `appointments.occupied && tstzrange(from, to, '[)')`.
fn overlaps(
    r: (DateTime<Utc>, DateTime<Utc>),
) -> diesel::expression::SqlLiteral<Bool, impl diesel::query_builder::QueryFragment<diesel::pg::Pg>>
{
    sql::<Bool>("appointments.occupied && tstzrange(")
        .bind::<Timestamptz, _>(r.0)
        .sql(", ")
        .bind::<Timestamptz, _>(r.1)
        .sql(", '[)')")
}

type TimeRow = (
    Uuid,
    String,
    Option<DateTime<Utc>>,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    i32,
    i32,
    i32,
);

fn booked_of(r: &TimeRow) -> BookedTime {
    BookedTime {
        service_id: r.3,
        starts_at: r.4,
        ends_at: r.5,
        buffer_before_minutes: u32_of(r.6),
        buffer_after_minutes: u32_of(r.7),
        places: u32_of(r.8),
    }
}

/// The provider's active appointments whose occupied range overlaps `r`, with their
/// bookings' stored status and deadline.
pub(crate) fn provider_time(
    conn: &mut PgConnection,
    provider_id: Uuid,
    r: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<TimeHolder>, DomainError> {
    let rows: Vec<TimeRow> = appointments::table
        .inner_join(bookings::table)
        .filter(appointments::provider_id.eq(provider_id))
        .filter(appointments::active.eq(true))
        .filter(overlaps(r))
        .order(appointments::booking_id)
        .select((
            appointments::booking_id,
            bookings::status,
            bookings::expires_at,
            appointments::service_id,
            appointments::starts_at,
            appointments::ends_at,
            appointments::buffer_before_minutes,
            appointments::buffer_after_minutes,
            appointments::places,
        ))
        .load(conn)
        .map_err(crate::map_db_error)?;
    rows.iter()
        .map(|row| {
            Ok(TimeHolder {
                booking_id: row.0,
                status: BookingStatus::parse(&row.1).ok_or_else(|| corrupt("status", &row.1))?,
                expires_at: row.2,
                time: booked_of(row),
            })
        })
        .collect()
}

/// The provider's booked time overlapping `r`: [`provider_time`] without the holds past due at
/// `now` ([`hold_past_due`]: their time is free already).
pub(crate) fn booked_time(
    conn: &mut PgConnection,
    provider_id: Uuid,
    r: (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<Vec<BookedTime>, DomainError> {
    Ok(provider_time(conn, provider_id, r)?
        .into_iter()
        .filter(|h| !hold_past_due(h.status, h.expires_at, now))
        .map(|h| h.time)
        .collect())
}

/// The service's active appointments starting at or after `from`, earliest first (holds past
/// due at `now` left out, [`hold_past_due`]).
pub(crate) fn upcoming(
    conn: &mut PgConnection,
    service_id: i64,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<UpcomingAppointment>, TxError> {
    type Row = (
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        String,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = appointments::table
        .inner_join(bookings::table)
        .filter(appointments::service_id.eq(service_id))
        .filter(appointments::active.eq(true))
        .filter(appointments::starts_at.ge(from))
        .order((appointments::starts_at, appointments::booking_id))
        .select((
            appointments::booking_id,
            appointments::starts_at,
            appointments::ends_at,
            bookings::status,
            bookings::expires_at,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (booking_id, starts_at, ends_at, status, expires_at) in rows {
        let status = BookingStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?;
        if !hold_past_due(status, expires_at, now) {
            out.push(UpcomingAppointment {
                booking_id,
                starts_at,
                ends_at,
            });
        }
    }
    Ok(out)
}

/// Writes the appointment rows of the new bookings that have one (active).
pub(crate) fn insert(conn: &mut PgConnection, rows: &[NewBooking]) -> QueryResult<()> {
    for b in rows {
        let Some(a) = &b.appointment else { continue };
        let t = &a.time;
        diesel::insert_into(appointments::table)
            .values((
                appointments::booking_id.eq(b.id),
                appointments::service_id.eq(t.service_id),
                appointments::provider_id.eq(t.provider_id),
                appointments::starts_at.eq(t.starts_at),
                appointments::ends_at.eq(t.ends_at),
                appointments::buffer_before_minutes.eq(i32_of(t.buffer_before_minutes)),
                appointments::buffer_after_minutes.eq(i32_of(t.buffer_after_minutes)),
                appointments::places.eq(i32_of(t.places)),
                appointments::notes.eq(&a.notes),
                appointments::occupied.eq(range(t.occupied)),
                appointments::active.eq(true),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The stored time of a booking's appointment.
pub(crate) fn time_of(
    conn: &mut PgConnection,
    booking_id: Uuid,
) -> Result<AppointmentTime, DomainError> {
    type Row = (
        i64,
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        i32,
        i32,
        i32,
        (Bound<DateTime<Utc>>, Bound<DateTime<Utc>>),
    );
    let row: Option<Row> = appointments::table
        .find(booking_id)
        .select((
            appointments::service_id,
            appointments::provider_id,
            appointments::starts_at,
            appointments::ends_at,
            appointments::buffer_before_minutes,
            appointments::buffer_after_minutes,
            appointments::places,
            appointments::occupied,
        ))
        .first(conn)
        .optional()
        .map_err(crate::map_db_error)?;
    let (service_id, provider_id, starts_at, ends_at, before, after, places, occupied) =
        row.ok_or_else(|| DomainError::not_found("appointment", booking_id))?;
    let bound = |b: Bound<DateTime<Utc>>| match b {
        Bound::Included(t) | Bound::Excluded(t) => Ok(t),
        Bound::Unbounded => Err(corrupt("occupied range", "unbounded")),
    };
    Ok(AppointmentTime {
        service_id,
        provider_id,
        starts_at,
        ends_at,
        buffer_before_minutes: u32_of(before),
        buffer_after_minutes: u32_of(after),
        occupied: (bound(occupied.0)?, bound(occupied.1)?),
        places: u32_of(places),
    })
}

/// Writes an appointment's new time (the constraint and the class guard check it).
pub(crate) fn move_to(
    conn: &mut PgConnection,
    booking_id: Uuid,
    t: &AppointmentTime,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(appointments::table.find(booking_id))
        .set((
            appointments::service_id.eq(t.service_id),
            appointments::starts_at.eq(t.starts_at),
            appointments::ends_at.eq(t.ends_at),
            appointments::buffer_before_minutes.eq(i32_of(t.buffer_before_minutes)),
            appointments::buffer_after_minutes.eq(i32_of(t.buffer_after_minutes)),
            appointments::places.eq(i32_of(t.places)),
            appointments::occupied.eq(range(t.occupied)),
            // A moved appointment is reminded again before its new time.
            appointments::reminded_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
    diesel::update(bookings::table.find(booking_id))
        .set(bookings::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Makes a booking's appointment inactive (its time free).
pub(crate) fn release(conn: &mut PgConnection, booking_id: Uuid) -> QueryResult<usize> {
    diesel::update(
        appointments::table
            .find(booking_id)
            .filter(appointments::active.eq(true)),
    )
    .set(appointments::active.eq(false))
    .execute(conn)
}

/// Makes an inactive appointment active again under a savepoint: `false`, changing nothing,
/// when the database refuses its time.
pub(crate) fn try_reactivate(
    conn: &mut PgConnection,
    booking_id: Uuid,
) -> Result<bool, DomainError> {
    let attempt = conn.transaction(|c| {
        diesel::update(appointments::table.find(booking_id))
            .set(appointments::active.eq(true))
            .execute(c)
    });
    match attempt {
        Ok(_) => Ok(true),
        Err(e) => match crate::map_db_error(e) {
            DomainError::Conflict {
                code: ConflictCode::SlotTaken,
                ..
            } => Ok(false),
            other => Err(other),
        },
    }
}

/// When a booking starts and on which terms: a show's start (the platform's terms), or an
/// appointment's start with its service's own terms.
pub(crate) fn terms(
    conn: &mut PgConnection,
    booking_id: Uuid,
    show_id: Option<i64>,
) -> Result<BookingTerms, DomainError> {
    if let Some(show_id) = show_id {
        let starts_at = shows::table
            .find(show_id)
            .select(shows::starts_at)
            .first(conn)
            .optional()
            .map_err(crate::map_db_error)?
            .ok_or_else(|| DomainError::not_found("show", show_id))?;
        return Ok(BookingTerms {
            starts_at,
            refund_policy: None,
            requires_acceptance: false,
        });
    }
    let time = time_of(conn, booking_id)?;
    let service = find_service(conn, time.service_id).map_err(TxError::into_domain)?;
    Ok(BookingTerms {
        starts_at: time.starts_at,
        refund_policy: Some(refund_policy_of(&service)),
        requires_acceptance: service.fields.requires_acceptance,
    })
}

/// The appointments of these bookings, with their services' titles and zones.
pub(crate) fn load_appointments(
    conn: &mut PgConnection,
    booking_ids: &[Uuid],
) -> Result<HashMap<Uuid, Appointment>, TxError> {
    if booking_ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (
        Uuid,
        i64,
        String,
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        String,
        i32,
        String,
    );
    let rows: Vec<Row> = appointments::table
        .inner_join(services::table)
        .filter(appointments::booking_id.eq_any(booking_ids))
        .select((
            appointments::booking_id,
            appointments::service_id,
            services::title,
            appointments::provider_id,
            appointments::starts_at,
            appointments::ends_at,
            services::time_zone,
            appointments::places,
            appointments::notes,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, service_id, title, provider_id, starts_at, ends_at, zone, places, notes)| {
                (
                    id,
                    Appointment {
                        service_id,
                        service_title: title,
                        provider_id,
                        starts_at,
                        ends_at,
                        time_zone: TimeZone::from_stored(Some(&zone)),
                        places: u32_of(places),
                        notes,
                    },
                )
            },
        )
        .collect())
}

/// A provider's appointments by the filter, earliest first, and how many there are.
pub(crate) fn find(
    conn: &mut PgConnection,
    filter: &AppointmentFilter,
    page: Page,
) -> Result<Paged<Booking>, TxError> {
    let build = || {
        let mut q = bookings::table
            .inner_join(appointments::table)
            .filter(appointments::provider_id.eq(filter.provider_id))
            .filter(appointments::starts_at.ge(filter.from))
            .filter(appointments::starts_at.lt(filter.to))
            .into_boxed();
        if let Some(status) = filter.status {
            q = q.filter(bookings::status.eq(status.as_str()));
        }
        q
    };
    let total: i64 = build().select(count_star()).first(conn)?;
    let rows: Vec<BookingRow> = build()
        .order((appointments::starts_at, bookings::id))
        .limit(page.limit)
        .offset(page.offset)
        .select(BookingRow::as_select())
        .load(conn)?;
    let rows = rows.into_iter().map(|r| (r, None)).collect();
    let items = bookings_from_rows(conn, rows)?;
    Ok(Paged { items, total, page })
}
