//! Payments and refunds of a booking: starting a payment, recording the gateway's answer (and
//! what a success does to the booking), writing and finishing refunds.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::change::not_held;
use super::expire::{expire_locked, expire_past_due_of_show, taken_seats};
use super::{
    change_status, history, payment_history, record, BookingTx, Lock, LockedBooking, LockedPayment,
    NewPaymentRow, NewRefundRow, PaymentChange, PendingRefund, RefundChange, Settled,
};
use crate::booking::BookingStatus;
use crate::codes::ConflictCode;
use crate::error::DomainError;
use crate::marketplace::appointment::status_after_payment;
use crate::payment::{
    refund_amount, settlement_for, GatewayOutcome, HistoryEntity, Payment, PaymentOutcome,
    PaymentStatus, Refund, RefundOutcome, RefundPolicy, RefundStatus, Settlement,
};
use crate::ports::{NewPayment, RefundAsk};

/// The history reason of a confirmation by payment.
pub const REASON_PAID: &str = "paid";
/// The history reason of a revival.
pub const REASON_REVIVED: &str = "paid after the hold expired; the same places were still free";

/// Writes a payment `initiated` for the booking's total, locking the booking: only while the
/// booking is held and its hold runs; `expected_amount`, when given, must equal the total.
pub fn create_payment(
    tx: &mut dyn BookingTx,
    new: &NewPayment,
    now: DateTime<Utc>,
) -> Result<Payment, DomainError> {
    let booking = tx.lock_booking(new.booking_id)?;
    let status = booking.status_at(now);
    if status != BookingStatus::Held {
        return Err(not_held(booking.id, status));
    }
    if let Some(expected) = new.expected_amount {
        if expected != booking.total_amount {
            return Err(DomainError::invalid(
                "amount",
                format!(
                    "the amount must equal the booking's total of {}",
                    booking.total_amount
                ),
            ));
        }
    }
    tx.insert_payment(&NewPaymentRow {
        id: new.id,
        booking_id: new.booking_id,
        amount: booking.total_amount,
        currency: booking.currency,
        method: new.method.as_str().to_owned(),
        now,
    })?;
    record(
        tx,
        &payment_history(
            new.booking_id,
            new.id,
            None,
            PaymentStatus::Initiated,
            &new.actor,
            Some(new.method.as_str()),
            now,
        ),
    )?;
    tx.load_payment(new.id)
}

/// How [`settle`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleStep {
    Done(Box<Settled>),
    /// A success after the hold ended, while the show has not started: [`revive`] it in a
    /// transaction of its own, which locks the booking's seats first (the lock order).
    Revive {
        gateway_ref: String,
    },
}

fn unchanged(tx: &mut dyn BookingTx, id: Uuid) -> Result<Settled, DomainError> {
    Ok(Settled {
        payment: tx.load_payment(id)?,
        refund: None,
    })
}

/// Writes the gateway's final answer to an `initiated` payment and its history row
/// (`initiated` → the new status, the reason given).
fn finish_payment(
    tx: &mut dyn BookingTx,
    booking_id: Uuid,
    change: &PaymentChange,
    reason: &str,
    actor: &str,
) -> Result<(), DomainError> {
    tx.update_payment(change)?;
    record(
        tx,
        &payment_history(
            booking_id,
            change.id,
            Some(PaymentStatus::Initiated),
            change.status,
            actor,
            Some(reason),
            change.now,
        ),
    )
}

fn succeed(
    tx: &mut dyn BookingTx,
    booking_id: Uuid,
    id: Uuid,
    gateway_ref: &str,
    outcome: PaymentOutcome,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let change = PaymentChange {
        id,
        status: PaymentStatus::Succeeded,
        gateway_ref: gateway_ref.to_owned(),
        failure_code: None,
        outcome: Some(outcome),
        now,
    };
    finish_payment(tx, booking_id, &change, outcome.as_str(), actor)
}

/// Writes a `pending` refund of `amount` of a succeeded payment (charge `charge_ref`) with its
/// history row, and returns it with what the gateway needs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_refund(
    tx: &mut dyn BookingTx,
    payment: &LockedPayment,
    refund_id: Uuid,
    amount: i64,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PendingRefund, DomainError> {
    let charge_ref = payment.gateway_ref.clone().ok_or_else(|| {
        DomainError::internal(format!(
            "succeeded payment {} has no gateway ref",
            payment.id
        ))
    })?;
    tx.insert_refund(&NewRefundRow {
        id: refund_id,
        payment_id: payment.id,
        amount,
        status: RefundStatus::Pending,
        reason: reason.to_owned(),
        now,
    })?;
    record(
        tx,
        &history(
            payment.booking_id,
            HistoryEntity::Refund,
            refund_id.to_string(),
            None,
            RefundStatus::Pending.as_str(),
            actor,
            Some(reason),
            now,
        ),
    )?;
    Ok(PendingRefund {
        refund: Refund {
            id: refund_id,
            payment_id: payment.id,
            amount,
            status: RefundStatus::Pending,
            reason: reason.to_owned(),
            gateway_ref: None,
            failure_code: None,
            created_at: now,
            updated_at: now,
        },
        charge_ref,
        currency: payment.currency,
    })
}

/// The payment succeeded but its booking cannot have it: it is refunded in full (a past-due
/// hold is written down as expired first).
#[allow(clippy::too_many_arguments)]
fn succeed_and_refund(
    tx: &mut dyn BookingTx,
    booking: &LockedBooking,
    payment: &LockedPayment,
    gateway_ref: &str,
    outcome: PaymentOutcome,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Settled, DomainError> {
    if booking.is_past_due(now) {
        expire_locked(tx, booking, now)?;
    }
    succeed(tx, booking.id, payment.id, gateway_ref, outcome, actor, now)?;
    let reason = outcome.refund_reason().unwrap_or("automatic full refund");
    let paid = LockedPayment {
        gateway_ref: Some(gateway_ref.to_owned()),
        ..payment.clone()
    };
    let refund_id = tx.fresh_id();
    let pending = write_refund(
        tx,
        &paid,
        refund_id,
        payment.amount - payment.refunded,
        reason,
        actor,
        now,
    )?;
    Ok(Settled {
        payment: tx.load_payment(payment.id)?,
        refund: Some(pending),
    })
}

/// Records the gateway's answer to an `initiated` payment, locking its booking and it.
/// `Pending` keeps it initiated (with the gateway ref); `Declined` fails it (the booking stays
/// held until it expires); `Succeeded` succeeds it and applies [`settlement_for`] to the
/// booking: confirm, [`SettleStep::Revive`], or a full refund. A payment that is final already
/// is answered unchanged (a repeated confirmation or webhook).
pub fn settle(
    tx: &mut dyn BookingTx,
    id: Uuid,
    outcome: &GatewayOutcome,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<SettleStep, DomainError> {
    let booking_id = tx.booking_of_payment(id)?;
    let booking = tx.lock_booking(booking_id)?;
    let payment = tx.lock_payment(id)?;
    let done = |s: Settled| Ok(SettleStep::Done(Box::new(s)));
    if payment.status.is_final() {
        return done(unchanged(tx, id)?);
    }
    match outcome {
        GatewayOutcome::Pending { gateway_ref } => {
            tx.update_payment(&PaymentChange {
                id,
                status: PaymentStatus::Initiated,
                gateway_ref: gateway_ref.clone(),
                failure_code: None,
                outcome: None,
                now,
            })?;
            done(unchanged(tx, id)?)
        }
        GatewayOutcome::Declined { code, gateway_ref } => {
            let change = PaymentChange {
                id,
                status: PaymentStatus::Failed,
                gateway_ref: gateway_ref.clone(),
                failure_code: Some(code.as_str().to_owned()),
                outcome: None,
                now,
            };
            finish_payment(tx, booking_id, &change, code.as_str(), actor)?;
            done(unchanged(tx, id)?)
        }
        GatewayOutcome::Succeeded { gateway_ref } => {
            let terms = tx.terms(&booking)?;
            match settlement_for(booking.status, booking.expires_at, terms.starts_at, now) {
                Settlement::Confirm => {
                    let outcome = PaymentOutcome::BookingConfirmed;
                    succeed(tx, booking_id, id, gateway_ref, outcome, actor, now)?;
                    change_status(
                        tx,
                        &booking,
                        status_after_payment(terms.requires_acceptance),
                        actor,
                        Some(REASON_PAID),
                        now,
                        now,
                    )?;
                    done(unchanged(tx, id)?)
                }
                Settlement::TryRevive => Ok(SettleStep::Revive {
                    gateway_ref: gateway_ref.clone(),
                }),
                Settlement::Refund(outcome) => done(succeed_and_refund(
                    tx,
                    &booking,
                    &payment,
                    gateway_ref,
                    outcome,
                    actor,
                    now,
                )?),
            }
        }
    }
}

/// A payment that succeeded after its hold ended: the booking's own seats are locked first,
/// then the booking and the payment. If every seat (or enough places) is still free the
/// booking is revived and confirmed; otherwise it stays expired and the payment is refunded in
/// full.
pub fn revive(
    tx: &mut dyn BookingTx,
    id: Uuid,
    gateway_ref: &str,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Settled, DomainError> {
    let booking_id = tx.booking_of_payment(id)?;
    let seat_ids = tx.item_seats(booking_id)?;
    tx.seats(&seat_ids, Lock::ForUpdate)?;
    let mut booking = tx.lock_booking(booking_id)?;
    let payment = tx.lock_payment(id)?;
    if payment.status.is_final() {
        return unchanged(tx, id);
    }
    let terms = tx.terms(&booking)?;
    if let Settlement::Refund(outcome) =
        settlement_for(booking.status, booking.expires_at, terms.starts_at, now)
    {
        return succeed_and_refund(tx, &booking, &payment, gateway_ref, outcome, actor, now);
    }
    if booking.status == BookingStatus::Held {
        expire_locked(tx, &booking, now)?;
        booking.status = BookingStatus::Expired;
    }
    if !places_still_free(tx, &booking, &seat_ids, now)? {
        return succeed_and_refund(
            tx,
            &booking,
            &payment,
            gateway_ref,
            PaymentOutcome::RefundedBookingExpired,
            actor,
            now,
        );
    }
    tx.reactivate_items(booking.id)?;
    change_status(
        tx,
        &booking,
        status_after_payment(terms.requires_acceptance),
        actor,
        Some(REASON_REVIVED),
        now,
        now,
    )?;
    let outcome = PaymentOutcome::BookingRevived;
    succeed(tx, booking_id, id, gateway_ref, outcome, actor, now)?;
    unchanged(tx, id)
}

/// Whether an expired booking can have its places back: seated, none of its seats (locked) is
/// in another active booking (past-due holds written down on the way); general admission, the
/// guarded take of its quantity succeeds (past-due holds of the show written down once when it
/// does not).
fn places_still_free(
    tx: &mut dyn BookingTx,
    booking: &LockedBooking,
    seat_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    if !seat_ids.is_empty() {
        return Ok(taken_seats(tx, seat_ids, Some(booking.id), now)?.is_empty());
    }
    let Some(show) = booking.show_id else {
        // An appointment: its time, if the database lets it have it back (past-due holds
        // around it written down first).
        let time = tx.appointment_time(booking.id)?;
        super::appoint::booked_around(tx, &time, Some(booking.id), now)?;
        return tx.try_reactivate_appointment(booking.id);
    };
    let q = booking.quantity;
    Ok(tx.take_places(show, q)?
        || (expire_past_due_of_show(tx, show, now, super::book::EXPIRE_ON_THE_WAY)? > 0
            && tx.take_places(show, q)?))
}

/// Writes a `pending` refund of a succeeded payment, locking it: the amount asked
/// (`1..=remaining`) or, without one, all that remains.
pub fn create_refund(
    tx: &mut dyn BookingTx,
    ask: &RefundAsk,
    now: DateTime<Utc>,
) -> Result<PendingRefund, DomainError> {
    let payment = tx.lock_payment(ask.payment_id)?;
    if payment.status != PaymentStatus::Succeeded {
        return Err(DomainError::Conflict {
            code: ConflictCode::PaymentNotSucceeded,
            message: format!(
                "payment {} is {}: only a succeeded payment can be refunded",
                ask.payment_id, payment.status
            ),
        });
    }
    let remaining = payment.amount - payment.refunded;
    if remaining <= 0 {
        return Err(DomainError::Conflict {
            code: ConflictCode::NothingToRefund,
            message: format!("payment {} has been refunded in full", ask.payment_id),
        });
    }
    let amount = match ask.amount {
        // The override branch of the policy checks 1..=remaining; the times do not matter.
        Some(a) => refund_amount(
            &RefundPolicy::default(),
            payment.amount,
            payment.refunded,
            now,
            now,
            Some(a),
            true,
        )?,
        None => remaining,
    };
    write_refund(tx, &payment, ask.id, amount, &ask.reason, &ask.actor, now)
}

/// Records the gateway's answer to a pending refund (locking it); a refund that is final
/// already is returned unchanged.
pub fn finish_refund(
    tx: &mut dyn BookingTx,
    refund_id: Uuid,
    outcome: &RefundOutcome,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Refund, DomainError> {
    let refund = tx.lock_refund(refund_id)?;
    if refund.status.is_final() {
        return Ok(refund);
    }
    let booking_id = tx.booking_of_payment(refund.payment_id)?;
    let (status, gateway_ref, code) = match outcome {
        RefundOutcome::Succeeded { gateway_ref } => {
            (RefundStatus::Succeeded, Some(gateway_ref.clone()), None)
        }
        RefundOutcome::Failed { code } => (RefundStatus::Failed, None, Some(code.clone())),
    };
    tx.update_refund(&RefundChange {
        id: refund_id,
        status,
        gateway_ref: gateway_ref.clone(),
        failure_code: code.clone(),
        now,
    })?;
    record(
        tx,
        &history(
            booking_id,
            HistoryEntity::Refund,
            refund_id.to_string(),
            Some(RefundStatus::Pending.as_str()),
            status.as_str(),
            actor,
            code.as_deref(),
            now,
        ),
    )?;
    Ok(Refund {
        status,
        gateway_ref,
        failure_code: code,
        updated_at: now,
        ..refund
    })
}
