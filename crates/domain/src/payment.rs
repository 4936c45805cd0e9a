//! Payments and refunds: their state machines, the test payment methods of the mock gateway, the
//! refund policy, the [`PaymentGateway`] port and the history entry type. The webhook signature
//! is in [`crate::webhook`] (re-exported here).
//!
//! Money is always an `i64` of minor units (cents) plus a [`Currency`]; nothing here uses
//! floating point.
//!
//! ```text
//! payment:  initiated ──▶ succeeded        refund:  pending ──▶ succeeded
//!               └───────▶ failed                       └──────▶ failed
//! ```
//! A succeeded payment carries refunds; the sum of its succeeded and pending refunds never
//! exceeds the amount paid.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::ConflictCode;
use crate::error::DomainError;
use crate::values::{Currency, TextRule};

pub use crate::codes::DeclineCode;
pub use crate::payment_model::{
    Payment, PaymentMethod, PaymentOutcome, PaymentStatus, Refund, RefundStatus,
};
pub use crate::webhook::*;

// ---------------------------------------------------------------------------------------------
// The transitions and the parse that can be refused (the types are in `payment_model.rs`)
// ---------------------------------------------------------------------------------------------

impl PaymentStatus {
    /// `to`, or `Conflict { code: "illegal_payment_transition" }` (409).
    ///
    /// A repeated transition (`succeeded --> succeeded`) is illegal here too: a use case that
    /// wants "confirming twice answers the same payment" checks the current status first.
    pub fn transition(self, to: PaymentStatus) -> Result<PaymentStatus, DomainError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(DomainError::Conflict {
                code: ConflictCode::IllegalPaymentTransition,
                message: format!("a {self} payment cannot become {to}"),
            })
        }
    }
}

impl RefundStatus {
    /// `to`, or `Conflict { code: "illegal_refund_transition" }` (409).
    pub fn transition(self, to: RefundStatus) -> Result<RefundStatus, DomainError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(DomainError::Conflict {
                code: ConflictCode::IllegalRefundTransition,
                message: format!("a {self} refund cannot become {to}"),
            })
        }
    }
}

impl PaymentMethod {
    /// One of the test tokens (surrounding blanks ignored, case-sensitive); anything else is a
    /// `Validation` error on the field `payment_method`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "payment_method",
                    "unknown payment method: use one of tok_success, tok_declined, \
                     tok_insufficient_funds, tok_delayed",
                )
            })
    }
}

/// What to do with a booking when its payment succeeds, decided from the booking as read
/// (locked) in the settling transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Held and the hold runs: confirm.
    Confirm,
    /// The hold is over (past due, or already written `expired`) and the show has not started:
    /// take the same seats back if they are all still free ([`PaymentOutcome::BookingRevived`]),
    /// else refund ([`PaymentOutcome::RefundedBookingExpired`]).
    TryRevive,
    /// Refund in full with this outcome.
    Refund(PaymentOutcome),
}

/// Decides [`Settlement`] for a succeeded payment of a booking in `status` whose hold ends at
/// `expires_at`, for a show starting at `show_starts_at`.
pub fn settlement_for(
    status: crate::status::BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    show_starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Settlement {
    use crate::status::BookingStatus as S;
    let past_due = crate::status::hold_past_due(S::Held, expires_at, now);
    match status {
        S::Held if !past_due => Settlement::Confirm,
        S::Held | S::Expired if now < show_starts_at => Settlement::TryRevive,
        S::Held | S::Expired => Settlement::Refund(PaymentOutcome::RefundedBookingExpired),
        S::Pending | S::Confirmed | S::Completed | S::Cancelled => {
            Settlement::Refund(PaymentOutcome::RefundedBookingCancelled)
        }
    }
}

/// A gateway's notification, the body of `POST /api/v1/payments/webhook` (signed with
/// [`sign_webhook`]): `{"type": "payment.succeeded"|"payment.failed", "payment_id",
/// "gateway_ref", "failure_code"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub kind: String,
    /// Our payment id (the gateway was given it with the charge).
    pub payment_id: Uuid,
    /// The gateway's id of the charge.
    pub gateway_ref: String,
    /// For `payment.failed`: `card_declined` or `insufficient_funds`.
    #[serde(default)]
    pub failure_code: Option<String>,
}

impl WebhookEvent {
    /// The event as the gateway's answer to the charge; a `Validation` error for an unknown
    /// type or failure code.
    pub fn outcome(&self) -> Result<GatewayOutcome, DomainError> {
        let gateway_ref = TextRule::line(100)
            .parse(&self.gateway_ref, "gateway_ref")
            .map_err(|e| {
                DomainError::invalid(
                    "gateway_ref",
                    format!("give the gateway's charge id: {}", e.message),
                )
            })?;
        match self.kind.as_str() {
            "payment.succeeded" => Ok(GatewayOutcome::Succeeded { gateway_ref }),
            "payment.failed" => {
                let code = match self.failure_code.as_deref() {
                    Some("card_declined") | None => DeclineCode::CardDeclined,
                    Some("insufficient_funds") => DeclineCode::InsufficientFunds,
                    Some(other) => {
                        return Err(DomainError::invalid(
                            "failure_code",
                            format!("unknown failure code '{other}'"),
                        ))
                    }
                };
                Ok(GatewayOutcome::Declined { code, gateway_ref })
            }
            other => Err(DomainError::invalid(
                "type",
                format!("unknown event type '{other}': payment.succeeded or payment.failed"),
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Refund policy
// ---------------------------------------------------------------------------------------------

/// How much of a payment goes back when a booking is cancelled (configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    /// Cancelled at least this long before the show starts: everything that remains is refunded.
    pub full_refund_before: Duration,
    /// Cancelled later, but before the start: this percentage of the amount paid.
    pub late_refund_percent: u32,
}

impl Default for RefundPolicy {
    /// 24 h, 50 %.
    fn default() -> Self {
        Self {
            full_refund_before: Duration::hours(24),
            late_refund_percent: 50,
        }
    }
}

/// `percent` % of `paid`, rounded to the nearest minor unit with halves going up (in the
/// customer's favour). Integer arithmetic only.
fn percent_half_up(paid: i64, percent: u32) -> i64 {
    let scaled = (i128::from(paid) * i128::from(percent) + 50) / 100;
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

/// The amount to refund now, in minor units, for a payment of `paid` of which `already_refunded`
/// (succeeded + pending refunds) went back before. `Ok(0)` means nothing is due.
///
/// - No `override_amount`, cancelled at least `policy.full_refund_before` before
///   `show_starts_at`: everything that remains (`paid - already_refunded`).
/// - No override, later but before the start: `policy.late_refund_percent` % of `paid`
///   (halves rounded up), capped at what remains.
/// - No override, at or after the start: 0.
/// - `override_amount` given: only by an actor allowed to choose the amount (provider/admin,
///   `actor_may_override`) — anybody else gets `Forbidden` (403): choosing an amount is a
///   question of *who* asks, not of a malformed value. An allowed override is accepted at any
///   time (also a partial refund before the start) and must be `1..=remaining`, else
///   `Validation` on the field `amount`.
///
/// The result never exceeds `paid - already_refunded`, so refunds never add up to more than
/// was paid. Negative inputs or `already_refunded > paid` are a broken invariant (`Internal`).
pub fn refund_amount(
    policy: &RefundPolicy,
    paid: i64,
    already_refunded: i64,
    show_starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    override_amount: Option<i64>,
    actor_may_override: bool,
) -> Result<i64, DomainError> {
    if paid < 0 || already_refunded < 0 || already_refunded > paid {
        return Err(DomainError::internal(format!(
            "inconsistent refund state: paid {paid}, already refunded {already_refunded}"
        )));
    }
    let remaining = paid - already_refunded;
    if let Some(requested) = override_amount {
        if !actor_may_override {
            return Err(DomainError::forbidden(
                "only the event's provider or an admin may choose the refund amount",
            ));
        }
        if remaining == 0 {
            return Err(DomainError::invalid(
                "amount",
                "the payment has been refunded in full already",
            ));
        }
        if requested < 1 || requested > remaining {
            return Err(DomainError::invalid(
                "amount",
                format!("the refund amount must be between 1 and {remaining} (minor units)"),
            ));
        }
        return Ok(requested);
    }
    if now >= show_starts_at {
        return Ok(0);
    }
    if show_starts_at - now >= policy.full_refund_before {
        return Ok(remaining);
    }
    Ok(percent_half_up(paid, policy.late_refund_percent).min(remaining))
}

// ---------------------------------------------------------------------------------------------
// The payment gateway port
// ---------------------------------------------------------------------------------------------

/// Asks the gateway to charge a payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Our payment id; a gateway treats a repeated charge with the same id as the same charge.
    pub payment_id: Uuid,
    pub amount: i64,
    pub currency: Currency,
    pub method: PaymentMethod,
}

/// The gateway's answer to a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayOutcome {
    /// Money taken.
    Succeeded { gateway_ref: String },
    /// Refused; nothing taken.
    Declined {
        code: DeclineCode,
        gateway_ref: String,
    },
    /// Accepted, result later (through the signed webhook); the payment stays `initiated`.
    Pending { gateway_ref: String },
}

impl GatewayOutcome {
    pub fn gateway_ref(&self) -> &str {
        match self {
            GatewayOutcome::Succeeded { gateway_ref }
            | GatewayOutcome::Declined { gateway_ref, .. }
            | GatewayOutcome::Pending { gateway_ref } => gateway_ref,
        }
    }

    /// The payment status this answer leads to (`Pending` leaves it `initiated`).
    pub fn payment_status(&self) -> PaymentStatus {
        match self {
            GatewayOutcome::Succeeded { .. } => PaymentStatus::Succeeded,
            GatewayOutcome::Declined { .. } => PaymentStatus::Failed,
            GatewayOutcome::Pending { .. } => PaymentStatus::Initiated,
        }
    }

    /// The failure code to store on the payment, for a declined charge.
    pub fn failure_code(&self) -> Option<&'static str> {
        match self {
            GatewayOutcome::Declined { code, .. } => Some(code.as_str()),
            _ => None,
        }
    }
}

/// Asks the gateway to give back (part of) a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// Our refund id; a gateway treats a repeated refund with the same id as the same refund.
    pub refund_id: Uuid,
    /// The charge to refund (the payment's `gateway_ref`).
    pub gateway_ref: String,
    pub amount: i64,
    pub currency: Currency,
}

/// The gateway's answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded {
        gateway_ref: String,
    },
    /// Refused, e.g. `unknown_charge`, `amount_exceeds_charge`.
    Failed {
        code: String,
    },
}

impl RefundOutcome {
    pub fn refund_status(&self) -> RefundStatus {
        match self {
            RefundOutcome::Succeeded { .. } => RefundStatus::Succeeded,
            RefundOutcome::Failed { .. } => RefundStatus::Failed,
        }
    }
}

/// A payment gateway (`infra-payments` has the mock one).
///
/// Error contract: a declined charge or a refused refund is an `Ok` outcome, not an error.
/// `Err(Unavailable)` means the gateway could not be reached or did not answer — nothing is
/// known to have happened and the call may be retried with the same ids.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    async fn charge(&self, request: ChargeRequest) -> Result<GatewayOutcome, DomainError>;
    async fn refund(&self, request: RefundRequest) -> Result<RefundOutcome, DomainError>;
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/// What a history entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEntity {
    Booking,
    Payment,
    Refund,
}

impl HistoryEntity {
    pub const ALL: [HistoryEntity; 3] = [
        HistoryEntity::Booking,
        HistoryEntity::Payment,
        HistoryEntity::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryEntity::Booking => "booking",
            HistoryEntity::Payment => "payment",
            HistoryEntity::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "booking" => Some(HistoryEntity::Booking),
            "payment" => Some(HistoryEntity::Payment),
            "refund" => Some(HistoryEntity::Refund),
            _ => None,
        }
    }
}

/// One status change of a booking, a payment or a refund, as listed (oldest first) at
/// `GET /api/v1/bookings/{id}/history`:
/// `{"at", "entity": "booking"|"payment"|"refund", "entity_id", "from", "to", "actor", "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When the change happened (UTC).
    pub at: DateTime<Utc>,
    pub entity: HistoryEntity,
    /// The id of the booking, payment or refund, as text.
    pub entity_id: String,
    /// The status before (`None` when the entity was created in status `to`).
    pub from: Option<String>,
    /// The status after, e.g. `held`, `succeeded`, `pending`.
    pub to: String,
    /// Who caused it: `user:<uuid>`, `guest` (an anonymous guest or a guest-token holder),
    /// `operator` (the command line), or a system name such as `reaper`, `gateway`, `webhook`;
    /// `None` when unknown (changes recorded before the history was kept).
    pub actor: Option<String>,
    /// Why, when there is more to say (a decline code, a refund reason, `hold expired`).
    pub reason: Option<String>,
}
