//! Payment, refund and webhook bodies (re-exported by `dto`).

use boxoffice_domain::payment::{Payment, Refund};
use chrono::{DateTime, Utc};
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::timestamp;

/// Money given back against a payment.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct RefundDto {
    pub id: Uuid,
    pub payment_id: Uuid,
    /// Minor units, in the payment's currency.
    pub amount: i64,
    /// pending, succeeded or failed
    pub status: String,
    pub reason: String,
    /// The gateway's id of the refund (re_…), once it accepted it.
    pub gateway_ref: Option<String>,
    /// Why the gateway refused it, for a failed refund.
    pub failure_code: Option<String>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Refund> for RefundDto {
    fn from(r: Refund) -> Self {
        Self {
            id: r.id,
            payment_id: r.payment_id,
            amount: r.amount,
            status: r.status.as_str().to_owned(),
            reason: r.reason,
            gateway_ref: r.gateway_ref,
            failure_code: r.failure_code,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A payment of a booking's total.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct PaymentDto {
    pub id: Uuid,
    pub booking_id: Uuid,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    /// initiated, succeeded or failed
    pub status: String,
    /// The test payment method: tok_success, tok_declined, tok_insufficient_funds, tok_delayed
    pub payment_method: String,
    /// The gateway's id of the charge (pay_…), once it answered.
    pub gateway_ref: Option<String>,
    /// For a failed payment: card_declined or insufficient_funds.
    pub failure_code: Option<String>,
    /// For a succeeded payment, what it did to the booking: booking_confirmed, booking_revived
    /// (paid after the hold expired, the same seats were still free), refunded_booking_expired
    /// (paid after the hold expired, the seats were gone: refunded in full) or
    /// refunded_booking_cancelled (the booking was no longer payable: refunded in full).
    pub outcome: Option<String>,
    /// Oldest first.
    pub refunds: Vec<RefundDto>,
    /// The sum of the pending and succeeded refunds (minor units).
    pub refunded_amount: i64,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Payment> for PaymentDto {
    fn from(p: Payment) -> Self {
        Self {
            refunded_amount: p.refunded_amount(),
            id: p.id,
            booking_id: p.booking_id,
            amount: p.amount,
            currency: p.currency.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            payment_method: p.method.as_str().to_owned(),
            gateway_ref: p.gateway_ref,
            failure_code: p.failure_code,
            outcome: p.outcome.map(|o| o.as_str().to_owned()),
            refunds: p.refunds.into_iter().map(RefundDto::from).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Start paying a held booking: `payment_method` is a test token of the mock gateway;
/// `amount` (minor units), when given, must equal the booking's total.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct InitiatePayment {
    pub booking_id: Uuid,
    pub payment_method: String,
    pub amount: Option<i64>,
}

/// Confirm (charge) an initiated payment.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPayment {
    pub payment_id: Uuid,
}

/// Refund (part of) a succeeded payment: `amount` in minor units (default: all that remains),
/// and why.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct RefundPayment {
    pub amount: Option<i64>,
    pub reason: String,
}

/// The new seats of a held booking: exactly one of `seat_ids` or `seat_labels`.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSeats {
    /// The new seats by id. Give exactly one of `seat_ids` or `seat_labels`.
    pub seat_ids: Option<Vec<i64>>,
    /// The new seats by label. Give exactly one of `seat_ids` or `seat_labels`.
    pub seat_labels: Option<Vec<String>>,
}

/// A gateway's notification (`POST /payments/webhook`), signed over its raw bytes.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEventBody {
    /// payment.succeeded or payment.failed
    #[serde(rename = "type")]
    pub kind: String,
    pub payment_id: Uuid,
    /// The gateway's id of the charge.
    pub gateway_ref: String,
    /// For payment.failed: card_declined or insufficient_funds.
    pub failure_code: Option<String>,
}

/// The answer to a webhook: the payment as it stands after the event.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct WebhookAck {
    pub received: bool,
    pub payment: PaymentDto,
}
