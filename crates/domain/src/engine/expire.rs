//! Holds past due: written down as `expired` by the sweep, and on the way by any transaction
//! that wants their places.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{change_status, BookingTx, LockedBooking};
use crate::booking::{BookingStatus, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED};
use crate::error::DomainError;

/// Writes down a locked past-due hold as `expired` — at its deadline, by the system — and frees
/// its places.
pub(crate) fn expire_locked(
    tx: &mut dyn BookingTx,
    booking: &LockedBooking,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    change_status(
        tx,
        booking,
        BookingStatus::Expired,
        HISTORY_ACTOR_SYSTEM,
        Some(REASON_HOLD_EXPIRED),
        booking.expires_at.unwrap_or(now),
        now,
    )?;
    tx.release_places(booking)
}

/// Locks the bookings `ids` that no other transaction holds and writes down those that are
/// past due once locked (one being paid right now was skipped: its settlement decides).
/// Returns how many.
pub(crate) fn expire_these(
    tx: &mut dyn BookingTx,
    ids: &mut Vec<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    if ids.is_empty() {
        return Ok(0);
    }
    ids.sort_unstable();
    ids.dedup();
    let mut n = 0;
    for booking in tx.try_lock_bookings(ids)? {
        if booking.is_past_due(now) {
            expire_locked(tx, &booking, now)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Writes down up to `limit` past-due holds of one show; returns how many.
pub(crate) fn expire_past_due_of_show(
    tx: &mut dyn BookingTx,
    show_id: i64,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<u64, DomainError> {
    let mut ids = tx.past_due_holds(Some(show_id), now, limit)?;
    expire_these(tx, &mut ids, now)
}

/// The sweep: writes down up to `limit` holds past due at `now`, oldest deadline first
/// (rows another transaction holds are left for the next sweep). Returns how many.
pub fn expire_due(
    tx: &mut dyn BookingTx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<u64, DomainError> {
    let mut ids = tx.past_due_holds(None, now, limit)?;
    expire_these(tx, &mut ids, now)
}

/// The seats among `ids` that an active booking other than `own` has, after writing down the
/// past-due holds that had some of them. A hold that was being paid while we looked (skipped)
/// is read again: confirmed, it is taken; expired by us, it is not.
pub(crate) fn taken_seats(
    tx: &mut dyn BookingTx,
    ids: &[i64],
    own: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<HashSet<i64>, DomainError> {
    let others = |tx: &mut dyn BookingTx| -> Result<Vec<_>, DomainError> {
        Ok(tx
            .seat_holders(ids)?
            .into_iter()
            .filter(|h| Some(h.booking_id) != own)
            .collect())
    };
    let found = others(tx)?;
    let mut due: Vec<Uuid> = found
        .iter()
        .filter(|h| crate::booking::hold_past_due(h.status, h.expires_at, now))
        .map(|h| h.booking_id)
        .collect();
    if due.is_empty() {
        return Ok(found.into_iter().map(|h| h.seat_id).collect());
    }
    expire_these(tx, &mut due, now)?;
    Ok(others(tx)?
        .into_iter()
        .filter(|h| !crate::booking::hold_past_due(h.status, h.expires_at, now))
        .map(|h| h.seat_id)
        .collect())
}
