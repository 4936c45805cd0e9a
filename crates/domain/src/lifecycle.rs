//! The booking lifecycle after the booking itself: payments (initiate, confirm, the gateway's
//! webhook), refunds, and the background sweep (expiry of holds, completion of bookings whose
//! show ended, refunds the gateway has not answered yet). See docs/lifecycle.md.
//!
//! The gateway is never called inside a database transaction: a payment or refund is written
//! first (`initiated` / `pending`), the gateway is asked, and its answer is recorded in a second
//! transaction. The gateway treats a repeated call with the same id as the same call, so a
//! retry (after a crash, a timeout, a doubled click) never charges or refunds twice.

use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;

use crate::account::Actor;
use crate::booking::{Booking, HISTORY_ACTOR_SYSTEM};
use crate::booking_access::readable_booking;
use crate::codes::{AuthCode, ConflictCode};
use crate::error::{DomainError, Violations};
use crate::payment::{
    verify_webhook, ChargeRequest, DeclineCode, GatewayOutcome, Payment, PaymentGateway,
    PaymentMethod, PaymentStatus, Refund, RefundRequest, WebhookEvent, WEBHOOK_TOLERANCE_SECS,
};
use crate::ports::{
    BookingRepository, CatalogRepository, Clock, NewPayment, PaymentRepository, PendingRefund,
    RefundAsk, TokenGenerator,
};
use crate::values::{check_amount, TextRule};

/// The history actor of changes reported by the gateway's webhook.
pub const HISTORY_ACTOR_WEBHOOK: &str = "webhook";

/// Carries out refunds that were written `pending`: asks the gateway and records its answer.
#[derive(Clone)]
pub struct Refunds {
    repo: Arc<dyn PaymentRepository>,
    gateway: Arc<dyn PaymentGateway>,
    clock: Arc<dyn Clock>,
}

impl Refunds {
    pub fn new(
        repo: Arc<dyn PaymentRepository>,
        gateway: Arc<dyn PaymentGateway>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            gateway,
            clock,
        }
    }

    /// Asks the gateway to pay back `pending` and records the answer (`succeeded`, or `failed`
    /// with the gateway's code). When the gateway cannot be reached the refund stays `pending`
    /// and is returned as it is: the sweep asks again later, with the same refund id.
    pub async fn carry_out(
        &self,
        pending: PendingRefund,
        actor: &str,
    ) -> Result<Refund, DomainError> {
        let request = RefundRequest {
            refund_id: pending.refund.id,
            gateway_ref: pending.charge_ref.clone(),
            amount: pending.refund.amount,
            currency: pending.currency,
        };
        match self.gateway.refund(request).await {
            Ok(outcome) => {
                self.repo
                    .finish_refund(
                        pending.refund.id,
                        outcome,
                        self.clock.now(),
                        actor.to_owned(),
                    )
                    .await
            }
            // The adapter logged the outage; the sweep retries with the same refund id.
            Err(DomainError::Unavailable(_)) => Ok(pending.refund),
            Err(e) => Err(e),
        }
    }
}

/// How a confirmation (or a webhook) ended, for the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// The payment succeeded; its `outcome` says what that did to the booking (200).
    Succeeded(Payment),
    /// The gateway accepted the charge and will report the result through the webhook (202).
    Pending(Payment),
}

impl Confirmation {
    pub fn payment(&self) -> &Payment {
        match self {
            Confirmation::Succeeded(p) | Confirmation::Pending(p) => p,
        }
    }
}

/// The secret the gateway signs its webhooks with, and how old a signature may be.
#[derive(Clone)]
pub struct WebhookRules {
    pub secret: Arc<[u8]>,
    pub tolerance_secs: i64,
}

impl WebhookRules {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: Arc::from(secret),
            tolerance_secs: WEBHOOK_TOLERANCE_SECS,
        }
    }
}

impl std::fmt::Debug for WebhookRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRules")
            .field("secret", &"<redacted>")
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

/// The longest refund reason.
pub const MAX_REASON_CHARS: usize = 500;

/// A refund's reason: required, several lines allowed, at most [`MAX_REASON_CHARS`].
pub const REASON_RULE: TextRule = TextRule::lines(MAX_REASON_CHARS);

/// Payment and refund use cases.
#[derive(Clone)]
pub struct PaymentService {
    bookings: Arc<dyn BookingRepository>,
    catalog: Arc<dyn CatalogRepository>,
    payments: Arc<dyn PaymentRepository>,
    gateway: Arc<dyn PaymentGateway>,
    refunds: Refunds,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn TokenGenerator>,
    webhook: WebhookRules,
}

/// The parts a [`PaymentService`] is made of.
pub struct PaymentDeps {
    pub bookings: Arc<dyn BookingRepository>,
    pub catalog: Arc<dyn CatalogRepository>,
    pub payments: Arc<dyn PaymentRepository>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn TokenGenerator>,
    pub webhook: WebhookRules,
}

fn declined(payment: Payment) -> DomainError {
    let code = match payment.failure_code.as_deref() {
        Some("insufficient_funds") => DeclineCode::InsufficientFunds,
        _ => DeclineCode::CardDeclined,
    };
    DomainError::PaymentDeclined {
        code,
        payment: Box::new(payment),
    }
}

impl PaymentService {
    pub fn new(deps: PaymentDeps) -> Self {
        let refunds = Refunds::new(
            deps.payments.clone(),
            deps.gateway.clone(),
            deps.clock.clone(),
        );
        Self {
            bookings: deps.bookings,
            catalog: deps.catalog,
            payments: deps.payments,
            gateway: deps.gateway,
            refunds,
            clock: deps.clock,
            ids: deps.ids,
            webhook: deps.webhook,
        }
    }

    /// The refund runner this service uses (for the booking service and the sweep).
    pub fn refunds(&self) -> Refunds {
        self.refunds.clone()
    }

    /// The booking, if the caller may read it (owner, guest-token holder, admin); else the
    /// 404 of `not_found`.
    async fn readable_booking(
        &self,
        actor: &Actor,
        booking_id: Uuid,
        guest_token: Option<&str>,
        not_found: DomainError,
    ) -> Result<Booking, DomainError> {
        readable_booking(self.bookings.as_ref(), actor, booking_id, guest_token)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => not_found,
                e => e,
            })
    }

    /// Starts paying a held booking: a payment `initiated` for its total. `amount`, when
    /// given, must equal the total (422). Only while the hold runs (409 `booking_not_held`);
    /// at most one live payment per booking (409 `payment_pending`).
    pub async fn initiate(
        &self,
        actor: &Actor,
        guest_token: Option<&str>,
        booking_id: Uuid,
        payment_method: &str,
        amount: Option<i64>,
    ) -> Result<Payment, DomainError> {
        let booking = self
            .readable_booking(
                actor,
                booking_id,
                guest_token,
                DomainError::not_found("booking", booking_id),
            )
            .await?;
        let method = PaymentMethod::parse(payment_method)?;
        if let Some(a) = amount {
            check_amount(a).map_err(|e| DomainError::invalid("amount", e.message))?;
            if a != booking.total_amount {
                return Err(DomainError::invalid(
                    "amount",
                    format!(
                        "the amount must equal the booking's total of {} (minor units of {})",
                        booking.total_amount, booking.currency
                    ),
                ));
            }
        }
        let now = self.clock.now();
        booking.accepts_payment(now)?;
        self.payments
            .create_payment(
                NewPayment {
                    id: self.ids.uuid(),
                    booking_id,
                    method,
                    expected_amount: amount,
                    actor: actor.history_label(),
                },
                now,
            )
            .await
    }

    /// One payment, to those who may read its booking (404 for anyone else).
    pub async fn get(
        &self,
        actor: &Actor,
        guest_token: Option<&str>,
        id: Uuid,
    ) -> Result<Payment, DomainError> {
        let payment = self.payments.get_payment(id).await?;
        self.readable_booking(
            actor,
            payment.booking_id,
            guest_token,
            DomainError::not_found("payment", id),
        )
        .await?;
        Ok(payment)
    }

    /// Confirms a payment: charges it at the gateway (once: the gateway knows the payment id)
    /// and records the answer. A payment that succeeded already answers the same payment; a
    /// declined one answers `PaymentDeclined` (402) again; `tok_delayed` answers `Pending`.
    pub async fn confirm(
        &self,
        actor: &Actor,
        guest_token: Option<&str>,
        id: Uuid,
    ) -> Result<Confirmation, DomainError> {
        let payment = self.get(actor, guest_token, id).await?;
        match payment.status {
            PaymentStatus::Succeeded => return Ok(Confirmation::Succeeded(payment)),
            PaymentStatus::Failed => return Err(declined(payment)),
            PaymentStatus::Initiated => {}
        }
        let outcome = self
            .gateway
            .charge(ChargeRequest {
                payment_id: payment.id,
                amount: payment.amount,
                currency: payment.currency,
                method: payment.method,
            })
            .await?;
        self.settle(id, outcome, actor.history_label()).await
    }

    async fn settle(
        &self,
        id: Uuid,
        outcome: GatewayOutcome,
        actor: String,
    ) -> Result<Confirmation, DomainError> {
        let settled = self
            .payments
            .settle_payment(id, outcome, self.clock.now(), actor.clone())
            .await?;
        let payment = match settled.refund {
            Some(pending) => {
                self.refunds.carry_out(pending, &actor).await?;
                self.payments.get_payment(id).await?
            }
            None => settled.payment,
        };
        match payment.status {
            PaymentStatus::Succeeded => Ok(Confirmation::Succeeded(payment)),
            PaymentStatus::Initiated => Ok(Confirmation::Pending(payment)),
            PaymentStatus::Failed => Err(declined(payment)),
        }
    }

    /// The gateway's signed notification (`X-Boxoffice-Signature` over the raw body): a wrong,
    /// missing or stale signature is 401 `invalid_signature`. Repeats are harmless: a payment
    /// that is final already is answered as it is.
    pub async fn webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Confirmation, DomainError> {
        let header = signature.ok_or_else(|| {
            DomainError::unauthorized(
                AuthCode::InvalidSignature,
                "webhook refused: no signature header",
            )
        })?;
        verify_webhook(
            &self.webhook.secret,
            header,
            body,
            self.clock.now().timestamp(),
            self.webhook.tolerance_secs,
        )?;
        let event: WebhookEvent = serde_json::from_slice(body)
            .map_err(|e| DomainError::invalid("body", format!("not a webhook event: {e}")))?;
        let outcome = event.outcome()?;
        let payment = self.payments.get_payment(event.payment_id).await?;
        if let Some(known) = &payment.gateway_ref {
            if known != outcome.gateway_ref() {
                return Err(DomainError::Conflict {
                    code: ConflictCode::GatewayRefMismatch,
                    message: format!(
                        "payment {} is charge {known} at the gateway, not {}",
                        payment.id,
                        outcome.gateway_ref()
                    ),
                });
            }
        }
        if payment.status.is_final() {
            return match payment.status {
                PaymentStatus::Failed => Err(declined(payment)),
                _ => Ok(Confirmation::Succeeded(payment)),
            };
        }
        self.settle(payment.id, outcome, HISTORY_ACTOR_WEBHOOK.to_owned())
            .await
    }

    /// Refunds (part of) a succeeded payment: the event's provider or an admin (a customer
    /// gets 403). Without `amount`, everything that remains. Answers the payment with its
    /// refunds.
    pub async fn refund(
        &self,
        actor: &Actor,
        payment_id: Uuid,
        amount: Option<i64>,
        reason: &str,
    ) -> Result<Payment, DomainError> {
        actor.require_user()?;
        let payment = self.payments.get_payment(payment_id).await?;
        let booking = self.bookings.get_booking(payment.booking_id).await?;
        let organizer = match (&booking.appointment, booking.show_id) {
            (Some(a), _) => Some(a.provider_id),
            (None, Some(show_id)) => self.catalog.show_organizer(show_id).await?,
            (None, None) => None,
        };
        actor.require_event_manager(organizer)?;
        let mut v = Violations::new();
        if let Some(a) = amount {
            v.check("amount", check_amount(a));
        }
        let reason = v.check("reason", REASON_RULE.parse(reason, "reason"));
        v.finish()?;
        let reason = reason.unwrap_or_default();
        let label = actor.history_label();
        let pending = self
            .payments
            .create_refund(
                RefundAsk {
                    id: self.ids.uuid(),
                    payment_id,
                    amount,
                    reason,
                    actor: label.clone(),
                },
                self.clock.now(),
            )
            .await?;
        self.refunds.carry_out(pending, &label).await?;
        self.payments.get_payment(payment_id).await
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: u64,
    pub completed: u64,
    /// Appointment reminders written to the outbox.
    pub reminded: u64,
    pub refunds_retried: u64,
}

/// The background job: writes down expired holds, completes bookings whose show (appointment)
/// ended, writes the appointment reminders that are due, and retries refunds the gateway did not
/// answer.
#[derive(Clone)]
pub struct Sweeper {
    bookings: Arc<dyn BookingRepository>,
    payments: Arc<dyn PaymentRepository>,
    refunds: Refunds,
    clock: Arc<dyn Clock>,
    /// Rows per transaction.
    pub batch: i64,
    /// A pending refund is retried once it is this old (the request that wrote it has had
    /// its chance).
    pub refund_retry_after: Duration,
    /// Whether pending refunds are retried (off for a one-shot command whose gateway is not
    /// the one that made the charges, e.g. the in-memory mock of another process).
    pub retry_refunds: bool,
}

/// Batches per kind of work in one sweep (the next sweep does the rest).
const MAX_BATCHES: usize = 100;

impl Sweeper {
    pub fn new(
        bookings: Arc<dyn BookingRepository>,
        payments: Arc<dyn PaymentRepository>,
        refunds: Refunds,
        clock: Arc<dyn Clock>,
        batch: i64,
    ) -> Self {
        Self {
            bookings,
            payments,
            refunds,
            clock,
            batch: batch.max(1),
            refund_retry_after: Duration::minutes(1),
            retry_refunds: true,
        }
    }

    /// One pass over everything that is due.
    pub async fn run_once(&self) -> Result<SweepReport, DomainError> {
        let mut report = SweepReport::default();
        for _ in 0..MAX_BATCHES {
            let n = self
                .bookings
                .expire_due(self.clock.now(), self.batch)
                .await?;
            report.expired += n;
            if n < self.batch as u64 {
                break;
            }
        }
        for _ in 0..MAX_BATCHES {
            let n = self
                .bookings
                .complete_ended(self.clock.now(), self.batch)
                .await?;
            report.completed += n;
            if n < self.batch as u64 {
                break;
            }
        }
        for _ in 0..MAX_BATCHES {
            let n = self
                .bookings
                .remind_due(self.clock.now(), self.batch)
                .await?;
            report.reminded += n;
            if n < self.batch as u64 {
                break;
            }
        }
        if !self.retry_refunds {
            return Ok(report);
        }
        let due = self
            .payments
            .pending_refunds(self.clock.now() - self.refund_retry_after, self.batch)
            .await?;
        for pending in due {
            let refund = self
                .refunds
                .carry_out(pending, HISTORY_ACTOR_SYSTEM)
                .await?;
            if refund.status.is_final() {
                report.refunds_retried += 1;
            }
        }
        Ok(report)
    }
}
