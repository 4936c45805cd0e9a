//! The lifecycle use cases (payments, refunds, sweep) and the hold rules, with mocked ports: the
//! shared fixtures here, one file per topic.

use crate::codes::*;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_executor::block_on;
use mockall::predicate::eq;
use mockall::Sequence;
use uuid::Uuid;

use super::support::*;
use crate::account::{Actor, Role, TokenHash};
use crate::booking::{
    plan_seat_change, Booking, BookingAction, BookingStatus, ClassSnapshot, Places, SeatSnapshot,
    ShowSnapshot, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED,
};
use crate::catalog::{Page, Paged, ShowKind};
use crate::error::DomainError;
use crate::idempotency::IdempotencyScope;
use crate::lifecycle::{
    Confirmation, PaymentDeps, PaymentService, Refunds, SweepReport, Sweeper, WebhookRules,
    HISTORY_ACTOR_WEBHOOK, MAX_REASON_CHARS,
};
use crate::payment::{
    settlement_for, sign_webhook, ChargeRequest, DeclineCode, GatewayOutcome, HistoryEntity,
    HistoryEntry, MockPaymentGateway, Payment, PaymentMethod, PaymentOutcome, PaymentStatus,
    Refund, RefundOutcome, RefundPolicy, RefundRequest, RefundStatus, Settlement, WebhookEvent,
    WEBHOOK_TOLERANCE_SECS,
};
use crate::ports::{
    BookingRepository, Cancelled, Clock, MockBookingRepository, MockCatalogRepository, MockClock,
    MockPaymentRepository, MockTokenGenerator, NewPayment, PaymentRepository, PendingRefund,
    RefundAsk, Settled,
};
use crate::pricing::{Tier, TierPrices};
use crate::service::{BookingRules, BookingService};
use crate::values::SeatLabel;

mod cancel;
mod cancellation_quote;
mod change_seats;
mod confirm;
mod guest_scope;
mod history;
mod hold_rules;
mod initiate;
mod refunds;
mod seat_change_plan;
mod settlement;
mod sweep;
mod webhook;
mod webhook_event;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The guest token of every guest booking here.
const GUEST_TOKEN: &str = "lifecycle-guest-token-0123456789abcdef";
/// The webhook secret of the payment service under test.
const SECRET: &[u8] = b"whsec_lifecycle_unit_test_secret";
/// The id the mocked id source hands out (new payments and refunds).
const NEW_ID: Uuid = Uuid::from_u128(0x1111_2222_3333_4444_8555_6666_7777_8888);
/// The total of every booking here (minor units).
const TOTAL: i64 = 4_000;
const SHOW_ID: i64 = 7;

fn clock_at(at: DateTime<Utc>) -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(move || at);
    clock
}

fn id_source() -> MockTokenGenerator {
    let mut ids = MockTokenGenerator::new();
    ids.expect_uuid().returning(|| NEW_ID);
    ids.expect_token().returning(|| GUEST_TOKEN.to_owned());
    ids
}

/// A booking of show [`SHOW_ID`] in `status` owned by `owner`; a guest booking (token
/// [`GUEST_TOKEN`]) when `owner` is `None`.
fn booking(
    status: BookingStatus,
    owner: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
) -> Booking {
    Booking {
        id: Uuid::new_v4(),
        reference: "BX-LIFECYCLE".into(),
        show_id: Some(SHOW_ID),
        event_id: Some(1),
        appointment: None,
        status,
        customer_name: "Ada".into(),
        phone: None,
        email: Some("ada@example.com".into()),
        quantity: 2,
        total_amount: TOTAL,
        currency: usd(),
        items: vec![],
        created_at: t0() - Duration::minutes(2),
        updated_at: t0() - Duration::minutes(2),
        cancelled_at: None,
        user_id: owner,
        guest_token_hash: owner.is_none().then(|| TokenHash::of(GUEST_TOKEN)),
        expires_at,
        payments: vec![],
    }
}

/// A hold that runs at `t0()` (8 minutes left).
fn running_hold(owner: Option<Uuid>) -> Booking {
    booking(
        BookingStatus::Held,
        owner,
        Some(t0() + Duration::minutes(8)),
    )
}

/// A hold whose deadline passed a minute before `t0()` (nothing wrote it down yet).
fn past_due_hold(owner: Option<Uuid>) -> Booking {
    booking(
        BookingStatus::Held,
        owner,
        Some(t0() - Duration::minutes(1)),
    )
}

fn payment(booking_id: Uuid, status: PaymentStatus, method: PaymentMethod) -> Payment {
    Payment {
        id: Uuid::new_v4(),
        booking_id,
        amount: TOTAL,
        currency: usd(),
        status,
        method,
        gateway_ref: None,
        failure_code: None,
        outcome: None,
        refunds: vec![],
        created_at: t0() - Duration::minutes(1),
        updated_at: t0() - Duration::minutes(1),
    }
}

fn succeeded_payment(booking_id: Uuid) -> Payment {
    Payment {
        gateway_ref: Some("pay_1".into()),
        outcome: Some(PaymentOutcome::BookingConfirmed),
        ..payment(booking_id, PaymentStatus::Succeeded, PaymentMethod::Success)
    }
}

fn refund(payment_id: Uuid, amount: i64, status: RefundStatus) -> Refund {
    Refund {
        id: Uuid::new_v4(),
        payment_id,
        amount,
        status,
        reason: "cancelled by the customer".into(),
        gateway_ref: None,
        failure_code: None,
        created_at: t0() - Duration::minutes(5),
        updated_at: t0() - Duration::minutes(5),
    }
}

/// A pending refund of the charge `pay_1`.
fn pending(refund: Refund) -> PendingRefund {
    PendingRefund {
        refund,
        charge_ref: "pay_1".into(),
        currency: usd(),
    }
}

/// What the gateway asked to pay back `r` (of the charge `pay_1`) receives.
fn refund_request(r: &Refund) -> RefundRequest {
    RefundRequest {
        refund_id: r.id,
        gateway_ref: "pay_1".into(),
        amount: r.amount,
        currency: usd(),
    }
}

/// `r` after the gateway accepted it as `gateway_ref`.
fn refund_succeeded(r: &Refund, gateway_ref: &str) -> Refund {
    Refund {
        status: RefundStatus::Succeeded,
        gateway_ref: Some(gateway_ref.into()),
        updated_at: t0(),
        ..r.clone()
    }
}

fn unavailable() -> DomainError {
    DomainError::Unavailable("gateway down".into())
}

/// The code of a `Conflict`; panics on anything else.
fn conflict_code<T: std::fmt::Debug>(result: Result<T, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Conflict { code, .. }) => code.as_str(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The mocked ports of a [`PaymentService`] on a clock pinned at `now`.
struct Ports {
    bookings: MockBookingRepository,
    catalog: MockCatalogRepository,
    payments: MockPaymentRepository,
    gateway: MockPaymentGateway,
    now: DateTime<Utc>,
}

impl Ports {
    fn new() -> Self {
        Self {
            bookings: MockBookingRepository::new(),
            catalog: MockCatalogRepository::new(),
            payments: MockPaymentRepository::new(),
            gateway: MockPaymentGateway::new(),
            now: t0(),
        }
    }

    /// Every read of `b` answers it.
    fn serve_booking(&mut self, b: &Booking) {
        let b = b.clone();
        self.bookings
            .expect_get_booking()
            .with(eq(b.id))
            .returning(move |_| Ok(b.clone()));
    }

    /// Every read of `p` answers it.
    fn serve_payment(&mut self, p: &Payment) {
        let p = p.clone();
        self.payments
            .expect_get_payment()
            .with(eq(p.id))
            .returning(move |_| Ok(p.clone()));
    }

    fn service(self) -> PaymentService {
        PaymentService::new(PaymentDeps {
            bookings: Arc::new(self.bookings),
            catalog: Arc::new(self.catalog),
            payments: Arc::new(self.payments),
            gateway: Arc::new(self.gateway),
            clock: Arc::new(clock_at(self.now)),
            ids: Arc::new(id_source()),
            webhook: WebhookRules::new(SECRET),
        })
    }
}

fn refunds_runner(payments: MockPaymentRepository, gateway: MockPaymentGateway) -> Refunds {
    Refunds::new(
        Arc::new(payments),
        Arc::new(gateway),
        Arc::new(clock_at(t0())),
    )
}

fn booking_service(repo: MockBookingRepository, now: DateTime<Utc>) -> BookingService {
    BookingService::new(
        Arc::new(repo),
        Arc::new(clock_at(now)),
        Arc::new(id_source()),
        BookingRules::default(),
    )
}
