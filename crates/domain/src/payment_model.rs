//! Payments and refunds as data: their states, the test payment methods, the payment and refund
//! entities and what a payment did to its booking. Below the errors (`PaymentDeclined` carries a
//! [`Payment`]), so nothing here answers a `DomainError`: the transitions that can be refused
//! (`PaymentStatus::transition`, `RefundStatus::transition`) and `PaymentMethod::parse` are in
//! `payment.rs`, which re-exports this module.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::Currency;

// ---------------------------------------------------------------------------------------------
// State machines
// ---------------------------------------------------------------------------------------------

/// The status of a payment: `initiated --> succeeded | failed`; both ends are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Initiated,
    Succeeded,
    Failed,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 3] = [
        PaymentStatus::Initiated,
        PaymentStatus::Succeeded,
        PaymentStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Initiated => "initiated",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Succeeded and failed payments never change status again.
    pub fn is_final(self) -> bool {
        !matches!(self, PaymentStatus::Initiated)
    }

    /// Whether `self --> to` is a legal transition.
    pub fn can_become(self, to: PaymentStatus) -> bool {
        matches!(
            (self, to),
            (
                PaymentStatus::Initiated,
                PaymentStatus::Succeeded | PaymentStatus::Failed
            )
        )
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of a refund: `pending --> succeeded | failed`; both ends are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 3] = [
        RefundStatus::Pending,
        RefundStatus::Succeeded,
        RefundStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        !matches!(self, RefundStatus::Pending)
    }

    /// Pending and succeeded refunds count against the refundable amount; failed ones do not.
    pub fn counts_against_payment(self) -> bool {
        matches!(self, RefundStatus::Pending | RefundStatus::Succeeded)
    }

    pub fn can_become(self, to: RefundStatus) -> bool {
        matches!(
            (self, to),
            (
                RefundStatus::Pending,
                RefundStatus::Succeeded | RefundStatus::Failed
            )
        )
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Payment methods (test tokens)
// ---------------------------------------------------------------------------------------------

/// The test payment methods that the (mock) gateway understands. A real gateway adapter would
/// take its own tokens; these are the only ones accepted for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// The charge succeeds.
    #[serde(rename = "tok_success")]
    Success,
    /// The charge is declined with `card_declined`.
    #[serde(rename = "tok_declined")]
    Declined,
    /// The charge is declined with `insufficient_funds`.
    #[serde(rename = "tok_insufficient_funds")]
    InsufficientFunds,
    /// The charge is accepted but its result comes later, through the signed webhook.
    #[serde(rename = "tok_delayed")]
    Delayed,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 4] = [
        PaymentMethod::Success,
        PaymentMethod::Declined,
        PaymentMethod::InsufficientFunds,
        PaymentMethod::Delayed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Success => "tok_success",
            PaymentMethod::Declined => "tok_declined",
            PaymentMethod::InsufficientFunds => "tok_insufficient_funds",
            PaymentMethod::Delayed => "tok_delayed",
        }
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Payment and refund entities
// ---------------------------------------------------------------------------------------------

/// A payment of a booking's total, with the refunds made against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub booking_id: Uuid,
    /// Amount charged, in minor units.
    pub amount: i64,
    pub currency: Currency,
    pub status: PaymentStatus,
    pub method: PaymentMethod,
    /// The gateway's id of the charge (`pay_…`), once the gateway has answered.
    pub gateway_ref: Option<String>,
    /// Why it failed (`card_declined`, `insufficient_funds`), for a failed payment.
    pub failure_code: Option<String>,
    /// What the payment's success did to its booking (`None` until it succeeded).
    pub outcome: Option<PaymentOutcome>,
    /// Oldest first.
    pub refunds: Vec<Refund>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a succeeded payment did to its booking: told to the client with the payment, so that
/// a late payment is never a silent surprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOutcome {
    /// The hold was still running: the booking is confirmed.
    BookingConfirmed,
    /// The hold had expired but the same seats (or places) were still free: the booking was
    /// taken back and confirmed.
    BookingRevived,
    /// The hold had expired and its seats were gone (or the show had started): the booking
    /// stays expired and the payment is refunded in full.
    RefundedBookingExpired,
    /// The booking was cancelled (or is otherwise not payable any more) before the money came
    /// in: the payment is refunded in full.
    RefundedBookingCancelled,
}

impl PaymentOutcome {
    pub const ALL: [PaymentOutcome; 4] = [
        PaymentOutcome::BookingConfirmed,
        PaymentOutcome::BookingRevived,
        PaymentOutcome::RefundedBookingExpired,
        PaymentOutcome::RefundedBookingCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOutcome::BookingConfirmed => "booking_confirmed",
            PaymentOutcome::BookingRevived => "booking_revived",
            PaymentOutcome::RefundedBookingExpired => "refunded_booking_expired",
            PaymentOutcome::RefundedBookingCancelled => "refunded_booking_cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The reason recorded on the automatic full refund, for the outcomes that refund.
    pub fn refund_reason(self) -> Option<&'static str> {
        match self {
            PaymentOutcome::RefundedBookingExpired => Some(
                "automatic full refund: the payment arrived after the hold expired and its seats were no longer free",
            ),
            PaymentOutcome::RefundedBookingCancelled => Some(
                "automatic full refund: the booking was no longer payable when the payment arrived",
            ),
            _ => None,
        }
    }
}

impl Payment {
    /// The sum of the succeeded and pending refunds (failed refunds gave nothing back).
    pub fn refunded_amount(&self) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r.status.counts_against_payment())
            .map(|r| r.amount)
            .sum()
    }

    /// What can still be refunded: the amount paid minus [`Self::refunded_amount`] for a
    /// succeeded payment, never below zero; zero for a payment that did not succeed.
    pub fn refundable(&self) -> i64 {
        if self.status != PaymentStatus::Succeeded {
            return 0;
        }
        (self.amount - self.refunded_amount()).max(0)
    }
}

/// Money given back against a succeeded payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    /// Amount given back, in minor units (> 0), in the payment's currency.
    pub amount: i64,
    pub status: RefundStatus,
    /// Why the money goes back: the cancellation, a payment that came after its hold expired,
    /// or the reason a provider/admin gave.
    pub reason: String,
    /// The gateway's id of the refund (`re_…`), once the gateway has accepted it.
    pub gateway_ref: Option<String>,
    /// Why the gateway refused it, for a failed refund (e.g. `amount_exceeds_charge`).
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
