//! Reading bookings back: a booking with its items and payments, lists of them, and a
//! booking's history. Read-only; the booking transactions live in `booking.rs`.

use std::collections::HashMap;

use boxoffice_domain::booking::{Booking, BookingItem};
use boxoffice_domain::payment::{HistoryEntity, HistoryEntry};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::models::*;
use crate::payments::load_payments;
use crate::schema::*;
use crate::TxError;

fn load_items(
    conn: &mut PgConnection,
    booking_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<BookingItem>>, TxError> {
    let rows: Vec<ItemRow> = booking_items::table
        .left_join(seat_classes::table)
        .filter(booking_items::booking_id.eq_any(booking_ids))
        .order((booking_items::booking_id, booking_items::id))
        .select((
            booking_items::booking_id,
            booking_items::seat_id,
            booking_items::label,
            seat_classes::name.nullable(),
            booking_items::quantity,
            booking_items::price,
            booking_items::tier,
        ))
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<BookingItem>> = HashMap::new();
    for r in rows {
        out.entry(r.booking_id).or_default().push(r.into());
    }
    Ok(out)
}

pub(crate) fn bookings_from_rows(
    conn: &mut PgConnection,
    rows: Vec<(BookingRow, Option<i64>)>,
) -> Result<Vec<Booking>, TxError> {
    let ids: Vec<Uuid> = rows.iter().map(|(b, _)| b.id).collect();
    let mut items = load_items(conn, &ids)?;
    let mut payments = load_payments(conn, &ids)?;
    let appointment_ids: Vec<Uuid> = rows
        .iter()
        .filter(|(b, _)| b.show_id.is_none())
        .map(|(b, _)| b.id)
        .collect();
    let mut appointments = crate::appointments::load_appointments(conn, &appointment_ids)?;
    rows.into_iter()
        .map(|(b, event_id)| {
            let its = items.remove(&b.id).unwrap_or_default();
            let mut booking = booking_from(b, event_id, its)?;
            booking.appointment = appointments.remove(&booking.id);
            booking.payments = payments.remove(&booking.id).unwrap_or_default();
            Ok(booking)
        })
        .collect()
}

pub(crate) fn load_booking(conn: &mut PgConnection, id: Uuid) -> Result<Booking, TxError> {
    let row: Option<(BookingRow, Option<i64>)> = bookings::table
        .left_join(shows::table)
        .filter(bookings::id.eq(id))
        .select((BookingRow::as_select(), shows::event_id.nullable()))
        .first(conn)
        .optional()?;
    let row = row.ok_or_else(|| DomainError::not_found("booking", id))?;
    bookings_from_rows(conn, vec![row])?
        .pop()
        .ok_or_else(|| DomainError::Internal("booking vanished".into()).into())
}

type HistoryRow = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
);

pub(crate) fn load_history(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, TxError> {
    let rows: Vec<HistoryRow> = booking_history::table
        .filter(booking_history::booking_id.eq(id))
        // By time: an expiry is dated at the hold's deadline though written later.
        .order((booking_history::at, booking_history::id))
        .select((
            booking_history::entity,
            booking_history::entity_id,
            booking_history::from_status,
            booking_history::to_status,
            booking_history::actor,
            booking_history::reason,
            booking_history::at,
        ))
        .load(conn)?;
    if rows.is_empty() {
        let exists: i64 = bookings::table
            .filter(bookings::id.eq(id))
            .select(count_star())
            .first(conn)?;
        if exists == 0 {
            return Err(DomainError::not_found("booking", id).into());
        }
    }
    rows.into_iter()
        .map(|(entity, entity_id, from, to, actor, reason, at)| {
            let entity = HistoryEntity::parse(&entity).ok_or_else(|| {
                DomainError::internal(format!("stored history entity '{entity}'"))
            })?;
            Ok(HistoryEntry {
                at,
                entity,
                entity_id,
                from,
                to,
                actor,
                reason,
            })
        })
        .collect()
}
