//! Cancelling a booking, with the refund its policy gives.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::settle::write_refund;
use super::{change_status, BookingTx, Cancelled};
use crate::booking::{BookingAction, BookingStatus};
use crate::error::DomainError;
use crate::payment::{refund_amount, PaymentStatus, RefundPolicy};

/// The refund reason of a cancellation.
pub fn cancellation_refund_reason(reason: &str) -> String {
    format!("{reason}: refund per the cancellation policy")
}

/// Cancels a booking (locking it) by the state machine — a past-due hold is expired, and an
/// expired booking cannot be cancelled — freeing its places at once. A paid booking gets the
/// refund [`refund_amount`] gives under `policy`, written `pending` for the gateway.
pub fn cancel(
    tx: &mut dyn BookingTx,
    id: Uuid,
    now: DateTime<Utc>,
    actor: &str,
    reason: &str,
    policy: &RefundPolicy,
) -> Result<Cancelled, DomainError> {
    let booking = tx.lock_booking(id)?;
    booking.status_at(now).apply(BookingAction::Cancel)?;
    change_status(
        tx,
        &booking,
        BookingStatus::Cancelled,
        actor,
        Some(reason),
        now,
        now,
    )?;
    tx.release_places(&booking)?;
    let mut refund = None;
    if let Some(paid) = tx.lock_payment_of_booking(id, PaymentStatus::Succeeded)? {
        let starts_at = tx.show(booking.show_id)?.snapshot.starts_at;
        let due = refund_amount(
            policy,
            paid.amount,
            paid.refunded,
            starts_at,
            now,
            None,
            false,
        )?;
        if due > 0 {
            let refund_id = tx.fresh_id();
            refund = Some(write_refund(
                tx,
                &paid,
                refund_id,
                due,
                &cancellation_refund_reason(reason),
                actor,
                now,
            )?);
        }
    }
    Ok(Cancelled {
        booking: tx.load_booking(id)?,
        refund,
    })
}
