//! Cancelling a booking, with the refund its policy gives.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::settle::write_refund;
use super::{change_status, BookingTx, Cancelled};
use crate::booking::BookingStatus;
use crate::cancellation::{cancellation_refund, Paid};
use crate::error::DomainError;
use crate::payment::{PaymentStatus, RefundPolicy};

/// Writes a `pending` refund of `due` against the locked `payment` when there is one and `due`
/// is above 0 (a cancellation's, a decline's).
pub(crate) fn refund_due(
    tx: &mut dyn BookingTx,
    payment: Option<&crate::engine::LockedPayment>,
    due: i64,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<crate::ports::PendingRefund>, DomainError> {
    match payment {
        Some(paid) if due > 0 => {
            let refund_id = tx.fresh_id();
            write_refund(tx, paid, refund_id, due, reason, actor, now).map(Some)
        }
        _ => Ok(None),
    }
}

/// The refund reason of a cancellation.
pub fn cancellation_refund_reason(reason: &str) -> String {
    format!("{reason}: refund per the cancellation policy")
}

/// Cancels a booking (locking it and its succeeded payment) as
/// [`crate::cancellation::cancellation_refund`] decides — a past-due hold is expired, and an
/// expired booking cannot be cancelled — freeing its places at once. A paid booking gets the
/// refund that decision gives under `policy` (an appointment: under its service's own terms),
/// written `pending` for the gateway.
pub fn cancel(
    tx: &mut dyn BookingTx,
    id: Uuid,
    now: DateTime<Utc>,
    actor: &str,
    reason: &str,
    policy: &RefundPolicy,
) -> Result<Cancelled, DomainError> {
    let booking = tx.lock_booking(id)?;
    let payment = tx.lock_payment_of_booking(id, PaymentStatus::Succeeded)?;
    let terms = tx.terms(&booking)?;
    let paid = payment.as_ref().map(|p| Paid {
        amount: p.amount,
        refunded: p.refunded,
        show_starts_at: terms.starts_at,
    });
    let policy = terms.refund_policy.as_ref().unwrap_or(policy);
    let due = cancellation_refund(booking.status, booking.expires_at, paid, now, policy)?;
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
    let refund = refund_due(
        tx,
        payment.as_ref(),
        due,
        &cancellation_refund_reason(reason),
        actor,
        now,
    )?;
    Ok(Cancelled {
        booking: tx.load_booking(id)?,
        refund,
    })
}
