//! The mock gateway's ledger: what it decides about a charge or a refund (pure functions, one
//! home for each rule) and where it keeps the answers ([`LedgerStore`]: in memory or in
//! PostgreSQL). A store loads and locks, calls the decision, and writes what it says.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use boxoffice_domain::payment::{
    ChargeRequest, DeclineCode, GatewayOutcome, PaymentMethod, RefundOutcome, RefundRequest,
};
use boxoffice_domain::values::Currency;
use boxoffice_domain::{ConflictCode, DomainError};
use uuid::Uuid;

use crate::new_ref;

/// A charge as the mock gateway remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub payment_id: Uuid,
    pub amount: i64,
    pub currency: Currency,
    pub method: PaymentMethod,
    pub outcome: GatewayOutcome,
    /// What may be refunded in total: the amount for a succeeded or delayed charge (the mock's
    /// delayed charges settle successfully), zero for a declined one.
    pub captured: i64,
    pub refunded: i64,
}

/// A refund as the mock gateway remembers it: the request and the answer it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefund {
    pub request: RefundRequest,
    pub outcome: RefundOutcome,
}

/// What to do with a charge request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeStep {
    /// The payment was charged before with the same parameters: the first answer again.
    Repeat(GatewayOutcome),
    /// A new charge to record; its answer is `charge.outcome`.
    Record(Charge),
}

/// What to do with a refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStep {
    /// Asked for before with the same parameters: the first answer again.
    Repeat(RefundOutcome),
    /// A new answer to record; a succeeded one adds `request.amount` to the charge's refunds.
    Record(StoredRefund),
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

/// Decides a charge of `request` given the charge of the same payment, if any.
pub fn decide_charge(
    existing: Option<&Charge>,
    request: &ChargeRequest,
) -> Result<ChargeStep, DomainError> {
    if let Some(existing) = existing {
        if existing.amount != request.amount
            || existing.currency != request.currency
            || existing.method != request.method
        {
            return Err(DomainError::Conflict {
                code: ConflictCode::GatewayIdempotencyMismatch,
                message: format!(
                    "payment {} was charged before with other parameters",
                    request.payment_id
                ),
            });
        }
        return Ok(ChargeStep::Repeat(existing.outcome.clone()));
    }
    let outcome = outcome_for(request.method, new_ref("pay"));
    let captured = match outcome {
        GatewayOutcome::Declined { .. } => 0,
        GatewayOutcome::Succeeded { .. } | GatewayOutcome::Pending { .. } => request.amount,
    };
    Ok(ChargeStep::Record(Charge {
        payment_id: request.payment_id,
        amount: request.amount,
        currency: request.currency,
        method: request.method,
        outcome,
        captured,
        refunded: 0,
    }))
}

fn refund_failed(code: &str) -> RefundOutcome {
    RefundOutcome::Failed { code: code.into() }
}

/// Decides a refund of `request` given the earlier answer to the same refund id and the charge
/// it names, if any.
pub fn decide_refund(
    earlier: Option<&StoredRefund>,
    charge: Option<&Charge>,
    request: &RefundRequest,
) -> Result<RefundStep, DomainError> {
    if let Some(earlier) = earlier {
        if earlier.request != *request {
            return Err(DomainError::Conflict {
                code: ConflictCode::GatewayIdempotencyMismatch,
                message: format!(
                    "refund {} was asked for before with other parameters",
                    request.refund_id
                ),
            });
        }
        return Ok(RefundStep::Repeat(earlier.outcome.clone()));
    }
    let outcome = match charge {
        _ if request.amount <= 0 => refund_failed("invalid_amount"),
        None => refund_failed("unknown_charge"),
        Some(c) if c.currency != request.currency => refund_failed("currency_mismatch"),
        Some(c) if request.amount > c.captured - c.refunded => {
            refund_failed("amount_exceeds_charge")
        }
        Some(_) => RefundOutcome::Succeeded {
            gateway_ref: new_ref("re"),
        },
    };
    Ok(RefundStep::Record(StoredRefund {
        request: request.clone(),
        outcome,
    }))
}

/// Where the mock gateway keeps its charges and refunds. Each call is atomic: of two
/// concurrent first charges of one payment (or refunds with one id), one records and the other
/// gets its answer.
#[async_trait]
pub trait LedgerStore: Send + Sync + 'static {
    /// Applies [`decide_charge`] to the charge of `request.payment_id` and records a new one.
    async fn charge(&self, request: ChargeRequest) -> Result<GatewayOutcome, DomainError>;
    /// Applies [`decide_refund`] (the charge locked) and records the answer; a succeeded
    /// refund adds its amount to the charge's refunds.
    async fn refund(&self, request: RefundRequest) -> Result<RefundOutcome, DomainError>;
    /// The charge with this gateway ref.
    async fn charge_by_ref(&self, gateway_ref: &str) -> Result<Option<Charge>, DomainError>;
}

#[derive(Debug, Default)]
struct Books {
    /// By gateway ref (`pay_…`).
    charges: HashMap<String, Charge>,
    /// Our payment id → gateway ref, so that a retried charge is the same charge.
    by_payment: HashMap<Uuid, String>,
    /// Our refund id → the request and its answer, so that a retried refund is the same refund.
    refunds: HashMap<Uuid, StoredRefund>,
}

/// A ledger in memory: it lives as long as the value (unit tests).
#[derive(Debug, Default)]
pub struct MemoryLedger {
    books: Mutex<Books>,
}

impl MemoryLedger {
    /// How many charges and refunds it holds.
    pub fn recorded(&self) -> (usize, usize) {
        let books = self.books();
        (books.charges.len(), books.refunds.len())
    }

    fn books(&self) -> MutexGuard<'_, Books> {
        // Only mutated in short critical sections that cannot panic half-way.
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl LedgerStore for MemoryLedger {
    async fn charge(&self, request: ChargeRequest) -> Result<GatewayOutcome, DomainError> {
        let mut books = self.books();
        let existing = books
            .by_payment
            .get(&request.payment_id)
            .and_then(|r| books.charges.get(r));
        match decide_charge(existing, &request)? {
            ChargeStep::Repeat(outcome) => Ok(outcome),
            ChargeStep::Record(charge) => {
                let outcome = charge.outcome.clone();
                let gateway_ref = outcome.gateway_ref().to_owned();
                books.charges.insert(gateway_ref.clone(), charge);
                books.by_payment.insert(request.payment_id, gateway_ref);
                Ok(outcome)
            }
        }
    }

    async fn refund(&self, request: RefundRequest) -> Result<RefundOutcome, DomainError> {
        let mut books = self.books();
        let step = decide_refund(
            books.refunds.get(&request.refund_id),
            books.charges.get(&request.gateway_ref),
            &request,
        )?;
        match step {
            RefundStep::Repeat(outcome) => Ok(outcome),
            RefundStep::Record(stored) => {
                if let (RefundOutcome::Succeeded { .. }, Some(charge)) =
                    (&stored.outcome, books.charges.get_mut(&request.gateway_ref))
                {
                    charge.refunded += request.amount;
                }
                let outcome = stored.outcome.clone();
                books.refunds.insert(request.refund_id, stored);
                Ok(outcome)
            }
        }
    }

    async fn charge_by_ref(&self, gateway_ref: &str) -> Result<Option<Charge>, DomainError> {
        Ok(self.books().charges.get(gateway_ref).cloned())
    }
}
