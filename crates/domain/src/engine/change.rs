//! `PUT /bookings/{id}/seats`: new seats for a held booking, all or nothing.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::book::seat_ids_of;
use super::expire::taken_seats;
use super::{change_status, classes_of, history, record, BookingTx, Lock};
use crate::booking::{plan_seat_change, Booking, BookingStatus, Places};
use crate::codes::ConflictCode;
use crate::error::DomainError;
use crate::payment::{HistoryEntity, PaymentStatus};

/// The reason recorded when a seat change leaves nothing to pay.
pub const REASON_NOTHING_TO_PAY: &str = "nothing to pay after the seat change";

pub use crate::booking::not_held;

/// Replaces the seats of a held booking whose hold still runs (lock order: the new seats, the
/// booking, past-due holds of others), re-priced by [`plan_seat_change`] on the occupancy
/// without its own old seats. Refused with `booking_not_held` for any other booking and with
/// `payment_pending` while one of its payments is `initiated`. A change that leaves nothing to
/// pay confirms the booking, as a free booking is confirmed when it is made.
pub fn change_seats(
    tx: &mut dyn BookingTx,
    id: Uuid,
    places: &Places,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Booking, DomainError> {
    let Some(show_id) = tx.show_of_booking(id)? else {
        return Err(DomainError::Conflict {
            code: crate::codes::ConflictCode::NotSeated,
            message: format!(
                "booking {id} is an appointment: move it with PUT /bookings/{id}/slot"
            ),
        });
    };
    let show = tx.show(show_id)?;
    let ids = seat_ids_of(tx, &show, places)?;
    let mut seats = tx.seats(&ids, Lock::ForUpdate)?;
    let booking = tx.lock_booking(id)?;
    let status = booking.status_at(now);
    if status != BookingStatus::Held {
        return Err(not_held(id, status));
    }
    if tx
        .lock_payment_of_booking(id, PaymentStatus::Initiated)?
        .is_some()
    {
        return Err(DomainError::Conflict {
            code: ConflictCode::PaymentPending,
            message: format!(
                "booking {id} has a payment in progress: its seats cannot change until it fails"
            ),
        });
    }
    let old = tx.active_items(id)?;
    let own: Vec<(i64, i64)> = old
        .iter()
        .filter_map(|i| Some((i.seat_id?, i.class_id?)))
        .collect();
    let classes = classes_of(tx, show_id, &seats, now)?;
    let taken = taken_seats(tx, &ids, Some(id), now)?;
    for s in &mut seats {
        s.taken = taken.contains(&s.id);
    }
    let plan = plan_seat_change(&show.snapshot, &ids, &seats, &classes, &own, now)?;
    tx.replace_items(&booking, &plan.items, plan.quantity, plan.total_amount, now)?;
    let labels = |l: Vec<&str>| l.join(", ");
    let reason = format!(
        "seats changed from {} to {}; total {} -> {}",
        labels(old.iter().filter_map(|i| i.label.as_deref()).collect()),
        labels(
            plan.items
                .iter()
                .filter_map(|i| i.label.as_deref())
                .collect()
        ),
        booking.total_amount,
        plan.total_amount
    );
    let held = BookingStatus::Held.as_str();
    record(
        tx,
        &history(
            id,
            HistoryEntity::Booking,
            id.to_string(),
            Some(held),
            held,
            actor,
            Some(&reason),
            now,
        ),
    )?;
    if plan.status == BookingStatus::Confirmed {
        change_status(
            tx,
            &booking,
            BookingStatus::Confirmed,
            actor,
            Some(REASON_NOTHING_TO_PAY),
            now,
            now,
        )?;
    }
    tx.load_booking(id)
}
