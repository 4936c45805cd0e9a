//! Payment gateway adapters behind the domain's [`PaymentGateway`] port.
//!
//! [`MockGateway`] behaves like a real card gateway without talking to one: it issues charge ids
//! (`pay_…`) and refund ids (`re_…`), understands the test payment methods (`tok_success`,
//! `tok_declined`, `tok_insufficient_funds`, `tok_delayed`), answers after a configurable delay,
//! can be made to fail a share of the calls, and remembers its charges so that it never refunds
//! more than it charged. Its ledger is a [`LedgerStore`]: in PostgreSQL for the server
//! ([`PgLedger`], tables `mock_gateway_*`, so that a refund after a restart finds its charge),
//! in memory for unit tests ([`MemoryLedger`]). A real gateway adapter would implement the same
//! port. See `docs/decisions/0007-payment-gateway-adapter-crate.md`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_domain::payment::{
    ChargeRequest, GatewayOutcome, PaymentGateway, RefundOutcome, RefundRequest,
};
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::Db;
use uuid::Uuid;

mod ledger;
mod postgres;

pub use ledger::{Charge, ChargeStep, LedgerStore, MemoryLedger, RefundStep, StoredRefund};
pub use postgres::PgLedger;

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

/// The mock gateway. Cheap to share (`Arc<MockGateway>`); what it remembers lives in its
/// [`LedgerStore`].
pub struct MockGateway {
    settings: MockGatewaySettings,
    calls: AtomicU64,
    ledger: Arc<dyn LedgerStore>,
}

impl std::fmt::Debug for MockGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockGateway")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl MockGateway {
    /// A gateway whose ledger lives in memory, as long as the value (unit tests).
    pub fn new(settings: MockGatewaySettings) -> Self {
        Self::with_ledger(settings, Arc::new(MemoryLedger::default()))
    }

    /// A gateway whose ledger is kept in PostgreSQL (the server): it survives restarts.
    pub fn in_postgres(settings: MockGatewaySettings, db: Db) -> Self {
        Self::with_ledger(settings, Arc::new(PgLedger::new(db)))
    }

    pub fn with_ledger(settings: MockGatewaySettings, ledger: Arc<dyn LedgerStore>) -> Self {
        Self {
            settings,
            calls: AtomicU64::new(0),
            ledger,
        }
    }

    pub fn settings(&self) -> MockGatewaySettings {
        self.settings
    }

    /// What can still be refunded of the charge `gateway_ref`, or `None` for an unknown charge.
    pub async fn refundable(&self, gateway_ref: &str) -> Result<Option<i64>, DomainError> {
        Ok(self
            .ledger
            .charge_by_ref(gateway_ref)
            .await?
            .map(|c| c.captured - c.refunded))
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

pub(crate) fn new_ref(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::new_v4().simple())
}

#[async_trait]
impl PaymentGateway for MockGateway {
    /// Charges per the test token. A charge repeated with the same `payment_id` (a retry) gets
    /// the first answer and charges nothing more; repeated with a different amount, currency or
    /// method it is a `Conflict { code: "gateway_idempotency_mismatch" }`. A non-positive amount
    /// is a `Validation` error on `amount`. ([`ledger::decide_charge`] decides.)
    async fn charge(&self, request: ChargeRequest) -> Result<GatewayOutcome, DomainError> {
        self.answer_or_fail("charge").await?;
        if request.amount <= 0 {
            return Err(DomainError::invalid(
                "amount",
                "the gateway charges positive amounts only",
            ));
        }
        let (payment_id, amount, currency, method) = (
            request.payment_id,
            request.amount,
            request.currency,
            request.method,
        );
        let outcome = self.ledger.charge(request).await?;
        tracing::info!(
            payment_id = %payment_id,
            gateway_ref = outcome.gateway_ref(),
            amount,
            currency = %currency,
            method = %method,
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
    /// `Conflict { code: "gateway_idempotency_mismatch" }`. ([`ledger::decide_refund`] decides.)
    async fn refund(&self, request: RefundRequest) -> Result<RefundOutcome, DomainError> {
        self.answer_or_fail("refund").await?;
        let (refund_id, charge, amount) = (
            request.refund_id,
            request.gateway_ref.clone(),
            request.amount,
        );
        let outcome = self.ledger.refund(request).await?;
        match &outcome {
            RefundOutcome::Succeeded { gateway_ref } => tracing::info!(
                refund_id = %refund_id,
                charge,
                amount,
                gateway_ref,
                "mock payment gateway: refund"
            ),
            RefundOutcome::Failed { code } => tracing::info!(
                refund_id = %refund_id,
                charge,
                amount,
                code,
                "mock payment gateway: refund refused"
            ),
        }
        Ok(outcome)
    }
}
#[cfg(test)]
mod tests;
