//! What cancelling a booking does, decided in one place: whether the state machine lets the
//! booking be cancelled now, and what the refund policy gives back. The cancellation itself
//! (`engine::cancel::cancel`) and its preview (`GET /bookings/{id}/cancellation`,
//! [`quote_cancellation`]) both ask [`cancellation_refund`], so they cannot disagree.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::booking::{status_at, Booking, BookingAction, BookingStatus};
use crate::error::DomainError;
use crate::payment::{refund_amount, PaymentStatus, RefundPolicy};
use crate::values::Currency;

/// A booking's succeeded payment, as its refund sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paid {
    /// What it charged, in minor units.
    pub amount: i64,
    /// What went back already (pending and succeeded refunds).
    pub refunded: i64,
    /// When the booking's show starts.
    pub show_starts_at: DateTime<Utc>,
}

/// The refund that cancelling a booking at `now` gives, in minor units (0 without a succeeded
/// payment, `paid`), or why it cannot be cancelled. `stored` and `expires_at` are the booking
/// as stored: the state machine decides on its status at `now` (a past-due hold is expired)
/// — `IllegalTransition` for an expired, cancelled or completed booking — and
/// [`refund_amount`] on the payment under `policy`.
pub fn cancellation_refund(
    stored: BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    paid: Option<Paid>,
    now: DateTime<Utc>,
    policy: &RefundPolicy,
) -> Result<i64, DomainError> {
    let status = status_at(stored, expires_at, now);
    status.apply(BookingAction::Cancel)?;
    match paid {
        None => Ok(0),
        // An appointment its provider never accepted: everything back, as a decline gives.
        Some(p) if status == BookingStatus::Pending => Ok(decline_refund(p.amount, p.refunded)),
        Some(p) => refund_amount(
            policy,
            p.amount,
            p.refunded,
            p.show_starts_at,
            now,
            None,
            false,
        ),
    }
}

/// What a provider's decline of a pending appointment refunds (and a customer's cancel of one
/// the provider has not accepted yet): everything that remains of the payment.
pub fn decline_refund(amount: i64, refunded: i64) -> i64 {
    (amount - refunded).max(0)
}

/// Why a booking in `status` cannot be cancelled, as a machine code (`booking_<status>`);
/// `None` for the statuses that can be.
pub fn refusal_reason(status: BookingStatus) -> Option<&'static str> {
    match status {
        BookingStatus::Held | BookingStatus::Pending | BookingStatus::Confirmed => None,
        BookingStatus::Expired => Some("booking_expired"),
        BookingStatus::Cancelled => Some("booking_cancelled"),
        BookingStatus::Completed => Some("booking_completed"),
    }
}

/// Every [`refusal_reason`] (the OpenAPI document lists them).
pub fn refusal_reasons() -> impl Iterator<Item = &'static str> {
    BookingStatus::ALL.into_iter().filter_map(refusal_reason)
}

/// What cancelling a booking now would do, for its holder to see before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationQuote {
    pub booking_id: Uuid,
    pub cancellable: bool,
    /// Why not ([`refusal_reason`]), when not cancellable.
    pub reason: Option<&'static str>,
    /// What a cancellation now refunds (0 when not cancellable).
    pub refund_amount: i64,
    /// What the booking's succeeded payment charged (0 when none).
    pub paid_amount: i64,
    pub currency: Currency,
    /// The policy in words ([`describe_policy`]).
    pub policy: String,
}

/// The preview of cancelling `booking` (as stored, with its payments) at `now`:
/// [`cancellation_refund`] on its status and its succeeded payment (the first, oldest first, as
/// the cancellation locks it; the database allows one).
pub fn quote_cancellation(
    booking: &Booking,
    show_starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &RefundPolicy,
) -> Result<CancellationQuote, DomainError> {
    let paid = booking
        .payments
        .iter()
        .find(|p| p.status == PaymentStatus::Succeeded)
        .map(|p| Paid {
            amount: p.amount,
            refunded: p.refunded_amount(),
            show_starts_at,
        });
    let (cancellable, reason, refund) =
        match cancellation_refund(booking.status, booking.expires_at, paid, now, policy) {
            Ok(refund) => (true, None, refund),
            Err(DomainError::IllegalTransition { from, .. }) => {
                (false, refusal_reason(from).or(Some("not_cancellable")), 0)
            }
            Err(e) => return Err(e),
        };
    Ok(CancellationQuote {
        booking_id: booking.id,
        cancellable,
        reason,
        refund_amount: refund,
        paid_amount: paid.map_or(0, |p| p.amount),
        currency: booking.currency,
        policy: describe_policy(policy),
    })
}

/// `d` in words: whole hours as hours, else minutes.
fn duration_words(d: Duration) -> String {
    let (n, unit) = if d.num_minutes() % 60 == 0 {
        (d.num_hours(), "hour")
    } else {
        (d.num_minutes(), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The refund policy as a sentence for people, e.g. "Full refund until 24 hours before the
/// show starts; 50 % of the amount paid after that; nothing once it has started." (what
/// [`refund_amount`] gives without an override).
pub fn describe_policy(policy: &RefundPolicy) -> String {
    const NOTHING_AFTER: &str = "nothing once it has started.";
    let percent = policy.late_refund_percent.min(100);
    if policy.full_refund_before <= Duration::zero() || percent == 100 {
        return format!("Full refund until the show starts; {NOTHING_AFTER}");
    }
    let until = duration_words(policy.full_refund_before);
    if percent == 0 {
        format!("Full refund until {until} before the show starts; nothing after that.")
    } else {
        format!(
            "Full refund until {until} before the show starts; {percent} % of the amount paid \
             after that; {NOTHING_AFTER}"
        )
    }
}
