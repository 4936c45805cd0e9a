//! Payment gateway adapters behind the domain's [`PaymentGateway`] port.
//!
//! [`MockGateway`] behaves like a real card gateway without talking to one: it issues charge ids
//! (`pay_…`) and refund ids (`re_…`), understands the test payment methods (`tok_success`,
//! `tok_declined`, `tok_insufficient_funds`, `tok_delayed`), answers after a configurable delay,
//! can be made to fail a share of the calls, and remembers its charges (in memory) so that it never
//! refunds more than it charged. A real gateway adapter would implement the same port.
//! See `docs/decisions/0007-payment-gateway-adapter-crate.md`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_domain::payment::{
    ChargeRequest, DeclineCode, GatewayOutcome, PaymentGateway, PaymentMethod, RefundOutcome,
    RefundRequest,
};
use boxoffice_domain::values::Currency;
use boxoffice_domain::DomainError;
use uuid::Uuid;

/// How the mock gateway behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MockGatewaySettings {
    /// Every call (charge or refund) answers after this many milliseconds.
    pub delay_ms: u64,
    /// This share of the calls (0..=100; larger values count as 100) fails with
    /// `DomainError::Unavailable`, as a gateway that is down or times out would. The failures
    /// are spread evenly and deterministically over consecutive calls: exactly
    /// `fail_rate_percent` of every 100 calls fail (100 = always, 50 = every second call,
    /// 0 = never).
    pub fail_rate_percent: u32,
}

/// The error message of a simulated outage.
pub const UNAVAILABLE: &str = "payment gateway unavailable";

/// A charge as the mock gateway remembers it.
#[derive(Debug, Clone)]
struct Charge {
    payment_id: Uuid,
    amount: i64,
    currency: Currency,
    method: PaymentMethod,
    outcome: GatewayOutcome,
    /// What may be refunded in total: the amount for a succeeded or delayed charge (the mock's
    /// delayed charges settle successfully), zero for a declined one.
    captured: i64,
    refunded: i64,
}

#[derive(Debug, Default)]
struct Ledger {
    /// By gateway ref (`pay_…`).
    charges: HashMap<String, Charge>,
    /// Our payment id → gateway ref, so that a retried charge is the same charge.
    by_payment: HashMap<Uuid, String>,
    /// Our refund id → the request and its answer, so that a retried refund is the same refund.
    refunds: HashMap<Uuid, (RefundRequest, RefundOutcome)>,
}

/// An in-memory gateway for development and tests. Cheap to share (`Arc<MockGateway>`); state
/// lives as long as the value.
#[derive(Debug)]
pub struct MockGateway {
    settings: MockGatewaySettings,
    calls: AtomicU64,
    ledger: Mutex<Ledger>,
}

impl MockGateway {
    pub fn new(settings: MockGatewaySettings) -> Self {
        Self {
            settings,
            calls: AtomicU64::new(0),
            ledger: Mutex::new(Ledger::default()),
        }
    }

    pub fn settings(&self) -> MockGatewaySettings {
        self.settings
    }

    /// What can still be refunded of the charge `gateway_ref`, or `None` for an unknown charge.
    pub fn refundable(&self, gateway_ref: &str) -> Option<i64> {
        self.ledger()
            .charges
            .get(gateway_ref)
            .map(|c| c.captured - c.refunded)
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // The ledger is only mutated in short critical sections that cannot panic half-way.
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits the configured delay, then decides whether this call is one of the failing share.
    async fn answer_or_fail(&self, operation: &'static str) -> Result<(), DomainError> {
        if self.settings.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.settings.delay_ms)).await;
        }
        let rate = u64::from(self.settings.fail_rate_percent.min(100));
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        // Call n fails when the count of failures due by call n+1 grows: `rate` per 100 calls.
        let fails = (n % 100 + 1) * rate / 100 > (n % 100) * rate / 100;
        if fails {
            tracing::warn!(
                operation,
                call = n,
                "mock payment gateway: simulated outage"
            );
            return Err(DomainError::Unavailable(UNAVAILABLE.into()));
        }
        Ok(())
    }
}

impl Default for MockGateway {
    fn default() -> Self {
        Self::new(MockGatewaySettings::default())
    }
}

fn new_ref(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::new_v4().simple())
}

fn outcome_for(method: PaymentMethod, gateway_ref: String) -> GatewayOutcome {
    match method {
        PaymentMethod::Success => GatewayOutcome::Succeeded { gateway_ref },
        PaymentMethod::Declined => GatewayOutcome::Declined {
            code: DeclineCode::CardDeclined,
            gateway_ref,
        },
        PaymentMethod::InsufficientFunds => GatewayOutcome::Declined {
            code: DeclineCode::InsufficientFunds,
            gateway_ref,
        },
        PaymentMethod::Delayed => GatewayOutcome::Pending { gateway_ref },
    }
}

fn refund_failed(code: &str) -> RefundOutcome {
    RefundOutcome::Failed { code: code.into() }
}

#[async_trait]
impl PaymentGateway for MockGateway {
    /// Charges per the test token. A charge repeated with the same `payment_id` (a retry) gets
    /// the first answer and charges nothing more; repeated with a different amount, currency or
    /// method it is a `Conflict { code: "gateway_idempotency_mismatch" }`. A non-positive amount
    /// is a `Validation` error on `amount`.
    async fn charge(&self, request: ChargeRequest) -> Result<GatewayOutcome, DomainError> {
        self.answer_or_fail("charge").await?;
        if request.amount <= 0 {
            return Err(DomainError::invalid(
                "amount",
                "the gateway charges positive amounts only",
            ));
        }
        let mut ledger = self.ledger();
        if let Some(existing) = ledger
            .by_payment
            .get(&request.payment_id)
            .and_then(|r| ledger.charges.get(r))
        {
            if existing.amount != request.amount
                || existing.currency != request.currency
                || existing.method != request.method
            {
                return Err(DomainError::Conflict {
                    code: "gateway_idempotency_mismatch",
                    message: format!(
                        "payment {} was charged before with other parameters",
                        request.payment_id
                    ),
                });
            }
            return Ok(existing.outcome.clone());
        }
        let gateway_ref = new_ref("pay");
        let outcome = outcome_for(request.method, gateway_ref.clone());
        let captured = match outcome {
            GatewayOutcome::Declined { .. } => 0,
            GatewayOutcome::Succeeded { .. } | GatewayOutcome::Pending { .. } => request.amount,
        };
        ledger.charges.insert(
            gateway_ref.clone(),
            Charge {
                payment_id: request.payment_id,
                amount: request.amount,
                currency: request.currency,
                method: request.method,
                outcome: outcome.clone(),
                captured,
                refunded: 0,
            },
        );
        ledger
            .by_payment
            .insert(request.payment_id, gateway_ref.clone());
        tracing::info!(
            payment_id = %request.payment_id,
            gateway_ref,
            amount = request.amount,
            currency = %request.currency,
            method = %request.method,
            status = %outcome.payment_status(),
            "mock payment gateway: charge"
        );
        Ok(outcome)
    }

    /// Refunds (part of) a charge. Fails (`Ok(Failed { code })`) with `invalid_amount` for a
    /// non-positive amount, `unknown_charge` for a gateway ref it never issued,
    /// `currency_mismatch`, and `amount_exceeds_charge` when the charge's earlier refunds plus
    /// this one would exceed what was taken (a declined charge took nothing). A refund repeated
    /// with the same `refund_id` gets the first answer; with other parameters it is a
    /// `Conflict { code: "gateway_idempotency_mismatch" }`.
    async fn refund(&self, request: RefundRequest) -> Result<RefundOutcome, DomainError> {
        self.answer_or_fail("refund").await?;
        let mut ledger = self.ledger();
        if let Some((earlier, outcome)) = ledger.refunds.get(&request.refund_id) {
            if *earlier != request {
                return Err(DomainError::Conflict {
                    code: "gateway_idempotency_mismatch",
                    message: format!(
                        "refund {} was asked for before with other parameters",
                        request.refund_id
                    ),
                });
            }
            return Ok(outcome.clone());
        }
        let outcome = match ledger.charges.get_mut(&request.gateway_ref) {
            _ if request.amount <= 0 => refund_failed("invalid_amount"),
            None => refund_failed("unknown_charge"),
            Some(charge) if charge.currency != request.currency => {
                refund_failed("currency_mismatch")
            }
            Some(charge) if request.amount > charge.captured - charge.refunded => {
                refund_failed("amount_exceeds_charge")
            }
            Some(charge) => {
                charge.refunded += request.amount;
                tracing::info!(
                    payment_id = %charge.payment_id,
                    charge = request.gateway_ref,
                    amount = request.amount,
                    refunded_total = charge.refunded,
                    "mock payment gateway: refund"
                );
                RefundOutcome::Succeeded {
                    gateway_ref: new_ref("re"),
                }
            }
        };
        if let RefundOutcome::Failed { code } = &outcome {
            tracing::info!(
                refund_id = %request.refund_id,
                charge = request.gateway_ref,
                amount = request.amount,
                code,
                "mock payment gateway: refund refused"
            );
        }
        ledger
            .refunds
            .insert(request.refund_id, (request, outcome.clone()));
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests;
