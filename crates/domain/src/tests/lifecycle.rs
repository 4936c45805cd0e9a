//! The lifecycle use cases (payments, refunds, sweep) and the hold rules, with mocked ports.

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
        show_id: SHOW_ID,
        event_id: 1,
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

// ---------------------------------------------------------------------------------------------
// settlement_for
// ---------------------------------------------------------------------------------------------

#[test]
fn settlement_for_every_status_deadline_and_show_start() {
    use BookingStatus as S;
    let now = t0();
    let runs = Some(now + Duration::minutes(1));
    let due = Some(now - Duration::minutes(1));
    let ahead = now + Duration::hours(1);
    let started = now - Duration::hours(1);
    let confirm = Settlement::Confirm;
    let revive = Settlement::TryRevive;
    let expired = Settlement::Refund(PaymentOutcome::RefundedBookingExpired);
    let cancelled = Settlement::Refund(PaymentOutcome::RefundedBookingCancelled);
    let table = [
        // A running hold is confirmed (it was bookable when it was made).
        (S::Held, runs, ahead, confirm),
        (S::Held, runs, started, confirm),
        // A hold that is over: revive before the start, refund after it.
        (S::Held, due, ahead, revive),
        (S::Held, due, started, expired),
        (S::Expired, runs, ahead, revive),
        (S::Expired, runs, started, expired),
        (S::Expired, due, ahead, revive),
        (S::Expired, due, started, expired),
        // Anything else is not payable any more.
        (S::Confirmed, runs, ahead, cancelled),
        (S::Confirmed, runs, started, cancelled),
        (S::Confirmed, due, ahead, cancelled),
        (S::Confirmed, due, started, cancelled),
        (S::Completed, runs, ahead, cancelled),
        (S::Completed, runs, started, cancelled),
        (S::Completed, due, ahead, cancelled),
        (S::Completed, due, started, cancelled),
        (S::Cancelled, runs, ahead, cancelled),
        (S::Cancelled, runs, started, cancelled),
        (S::Cancelled, due, ahead, cancelled),
        (S::Cancelled, due, started, cancelled),
    ];
    assert_eq!(table.len(), S::ALL.len() * 4);
    for (status, expires_at, starts_at, want) in table {
        assert_eq!(
            settlement_for(status, expires_at, starts_at, now),
            want,
            "{status}, expires {expires_at:?}, show starts {starts_at}"
        );
    }
}

#[test]
fn settlement_for_boundaries_deadline_now_is_over_and_start_now_is_started() {
    let now = t0();
    let ahead = now + Duration::hours(1);
    // A deadline of exactly now: the hold is over.
    assert_eq!(
        settlement_for(BookingStatus::Held, Some(now), ahead, now),
        Settlement::TryRevive
    );
    // One second left: still confirmed.
    assert_eq!(
        settlement_for(
            BookingStatus::Held,
            Some(now + Duration::seconds(1)),
            ahead,
            now
        ),
        Settlement::Confirm
    );
    // A show starting exactly now has started: no revival.
    assert_eq!(
        settlement_for(
            BookingStatus::Expired,
            Some(now - Duration::minutes(1)),
            now,
            now
        ),
        Settlement::Refund(PaymentOutcome::RefundedBookingExpired)
    );
    assert_eq!(
        settlement_for(
            BookingStatus::Expired,
            Some(now - Duration::minutes(1)),
            now + Duration::seconds(1),
            now
        ),
        Settlement::TryRevive
    );
}

#[test]
fn settlement_confirms_exactly_the_bookings_that_accept_a_payment() {
    let now = t0();
    for status in BookingStatus::ALL {
        for expires_at in [now - Duration::minutes(1), now, now + Duration::minutes(1)] {
            let b = booking(status, None, Some(expires_at));
            let confirms = settlement_for(status, Some(expires_at), now + Duration::hours(1), now)
                == Settlement::Confirm;
            assert_eq!(
                confirms,
                b.accepts_payment(now).is_ok(),
                "{status} expiring at {expires_at}"
            );
        }
    }
}

#[test]
fn refund_outcomes_carry_a_reason_and_the_others_do_not() {
    assert!(PaymentOutcome::RefundedBookingExpired
        .refund_reason()
        .is_some_and(|r| r.contains("after the hold expired")));
    assert!(PaymentOutcome::RefundedBookingCancelled
        .refund_reason()
        .is_some_and(|r| r.contains("no longer payable")));
    assert_eq!(PaymentOutcome::BookingConfirmed.refund_reason(), None);
    assert_eq!(PaymentOutcome::BookingRevived.refund_reason(), None);
    for o in PaymentOutcome::ALL {
        assert_eq!(PaymentOutcome::parse(o.as_str()), Some(o));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            format!("\"{}\"", o.as_str())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// BookingStatus::initial and Revive
// ---------------------------------------------------------------------------------------------

#[test]
fn a_booking_with_something_to_pay_starts_held_a_free_one_confirmed() {
    assert_eq!(BookingStatus::initial(1), BookingStatus::Held);
    assert_eq!(BookingStatus::initial(TOTAL), BookingStatus::Held);
    assert_eq!(BookingStatus::initial(i64::MAX), BookingStatus::Held);
    assert_eq!(BookingStatus::initial(0), BookingStatus::Confirmed);
}

#[test]
fn revive_brings_only_an_expired_booking_back_as_confirmed() {
    assert_eq!(
        BookingStatus::Expired.apply(BookingAction::Revive),
        Ok(BookingStatus::Confirmed)
    );
    for from in BookingStatus::ALL {
        if from == BookingStatus::Expired {
            continue;
        }
        assert_eq!(
            from.apply(BookingAction::Revive),
            Err(DomainError::IllegalTransition {
                from,
                action: "revived"
            }),
            "{from} revived"
        );
    }
    assert_eq!(BookingAction::Revive.past_tense(), "revived");
}

#[test]
fn nothing_but_revive_leaves_an_expired_booking() {
    for action in [
        BookingAction::Pay,
        BookingAction::Expire,
        BookingAction::Cancel,
        BookingAction::Complete,
    ] {
        assert_eq!(
            BookingStatus::Expired.apply(action),
            Err(DomainError::IllegalTransition {
                from: BookingStatus::Expired,
                action: action.past_tense()
            }),
            "expired {action:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Booking: as_of, hold_is_past_due, accepts_payment, expiry_entry
// ---------------------------------------------------------------------------------------------

#[test]
fn a_hold_is_past_due_from_its_deadline_on() {
    let b = booking(BookingStatus::Held, None, Some(t0()));
    assert!(!b.hold_is_past_due(t0() - Duration::seconds(1)));
    assert!(b.hold_is_past_due(t0()));
    assert!(b.hold_is_past_due(t0() + Duration::seconds(1)));
}

#[test]
fn only_a_held_booking_with_a_deadline_can_be_past_due() {
    let long_ago = Some(t0() - Duration::days(1));
    for status in BookingStatus::ALL {
        let b = booking(status, None, long_ago);
        assert_eq!(
            b.hold_is_past_due(t0()),
            status == BookingStatus::Held,
            "{status}"
        );
    }
    assert!(!booking(BookingStatus::Held, None, None).hold_is_past_due(t0()));
}

#[test]
fn as_of_reads_a_past_due_hold_as_expired_and_changes_nothing_else() {
    let stored = past_due_hold(None);
    let seen = stored.clone().as_of(t0());
    assert_eq!(seen.status, BookingStatus::Expired);
    assert_eq!(seen.expires_at, stored.expires_at);
    assert_eq!(
        Booking {
            status: BookingStatus::Held,
            ..seen
        },
        stored
    );
    // Exactly at the deadline it is over.
    let at_deadline = booking(BookingStatus::Held, None, Some(t0()));
    assert_eq!(at_deadline.as_of(t0()).status, BookingStatus::Expired);
}

#[test]
fn as_of_keeps_a_running_hold_and_every_other_status() {
    let running = running_hold(None);
    assert_eq!(running.clone().as_of(t0()), running);
    for status in [
        BookingStatus::Confirmed,
        BookingStatus::Completed,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
    ] {
        let b = booking(status, None, Some(t0() - Duration::hours(1)));
        assert_eq!(b.clone().as_of(t0()), b, "{status}");
    }
}

#[test]
fn a_running_hold_accepts_a_payment() {
    assert_eq!(running_hold(None).accepts_payment(t0()), Ok(()));
    let last_second = booking(BookingStatus::Held, None, Some(t0() + Duration::seconds(1)));
    assert_eq!(last_second.accepts_payment(t0()), Ok(()));
}

#[test]
fn a_past_due_hold_does_not_accept_a_payment() {
    let b = past_due_hold(None);
    match b.accepts_payment(t0()) {
        Err(DomainError::Conflict { code, message }) => {
            assert_eq!(code, "booking_not_held");
            assert!(message.contains(&b.id.to_string()), "{message}");
            assert!(message.contains("expired"), "{message}");
        }
        other => panic!("expected booking_not_held, got {other:?}"),
    }
    let at_deadline = booking(BookingStatus::Held, None, Some(t0()));
    assert_eq!(
        conflict_code(at_deadline.accepts_payment(t0())),
        "booking_not_held"
    );
}

#[test]
fn no_other_status_accepts_a_payment() {
    for status in [
        BookingStatus::Confirmed,
        BookingStatus::Completed,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
    ] {
        let b = booking(status, None, Some(t0() + Duration::minutes(5)));
        match b.accepts_payment(t0()) {
            Err(DomainError::Conflict { code, message }) => {
                assert_eq!(code, "booking_not_held", "{status}");
                assert!(message.contains(status.as_str()), "{message}");
            }
            other => panic!("{status}: expected booking_not_held, got {other:?}"),
        }
    }
}

#[test]
fn expiry_entry_is_the_system_expiry_at_the_deadline() {
    let b = past_due_hold(None);
    let deadline = b.expires_at.unwrap();
    assert_eq!(
        b.expiry_entry(),
        Some(HistoryEntry {
            at: deadline,
            entity: HistoryEntity::Booking,
            entity_id: b.id.to_string(),
            from: Some("held".into()),
            to: "expired".into(),
            actor: Some("system".into()),
            reason: Some("the hold expired before it was paid".into()),
        })
    );
    assert_eq!(HISTORY_ACTOR_SYSTEM, "system");
    assert_eq!(REASON_HOLD_EXPIRED, "the hold expired before it was paid");
}

#[test]
fn expiry_entry_needs_a_deadline() {
    assert_eq!(
        booking(BookingStatus::Confirmed, None, None).expiry_entry(),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// plan_seat_change
// ---------------------------------------------------------------------------------------------

const MIN: i64 = 1_000;
const NORMAL: i64 = 2_000;
const MAX: i64 = 3_000;

fn all_prices() -> TierPrices {
    TierPrices {
        min_price: Some(MIN),
        normal_price: Some(NORMAL),
        max_price: Some(MAX),
    }
}

fn seated_show() -> ShowSnapshot {
    ShowSnapshot {
        id: SHOW_ID,
        kind: ShowKind::Seated,
        starts_at: t0() + Duration::days(2),
        currency: usd(),
        price: None,
        free_places: None,
    }
}

fn seat(id: i64, label: &str, class_id: i64, taken: bool) -> SeatSnapshot {
    let l = SeatLabel::parse(label).unwrap();
    SeatSnapshot {
        id,
        show_id: SHOW_ID,
        class_id,
        label: label.to_owned(),
        row: l.row().to_owned(),
        number: l.number(),
        taken,
    }
}

fn class(id: i64, total: u64, sold: u64) -> ClassSnapshot {
    ClassSnapshot {
        id,
        name: format!("class{id}"),
        prices: all_prices(),
        total_seats: total,
        sold_seats: sold,
    }
}

#[test]
fn own_seats_count_as_free_and_leave_the_occupancy_for_pricing() {
    // Class 1: 10 seats, 5 in active bookings, of which A1 and A2 are this booking's.
    // Without its own two, 3 are sold: A1 at 3/10 (min), A3 at 4/10 (normal).
    let seats = [seat(1, "A1", 1, true), seat(3, "A3", 1, false)];
    let plan = plan_seat_change(
        &seated_show(),
        &[3, 1],
        &seats,
        &[class(1, 10, 5)],
        &[(1, 1), (2, 1)],
        t0(),
    )
    .unwrap();
    let labels: Vec<_> = plan
        .items
        .iter()
        .map(|i| i.label.clone().unwrap())
        .collect();
    assert_eq!(labels, ["A1", "A3"]);
    let prices: Vec<_> = plan.items.iter().map(|i| i.price).collect();
    assert_eq!(prices, [MIN, NORMAL]);
    assert_eq!(plan.total_amount, MIN + NORMAL);
    assert_eq!(plan.quantity, 2);
    assert_eq!(plan.status, BookingStatus::Held);
    assert_eq!(plan.currency, usd());
}

#[test]
fn keeping_the_same_seats_is_allowed_and_priced_as_before() {
    // 10 seats, 2 sold: both are this booking's. Re-planning them prices at 0/10 and 1/10.
    let seats = [seat(1, "A1", 1, true), seat(2, "A2", 1, true)];
    let plan = plan_seat_change(
        &seated_show(),
        &[1, 2],
        &seats,
        &[class(1, 10, 2)],
        &[(1, 1), (2, 1)],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.total_amount, 2 * MIN);
    assert!(plan.items.iter().all(|i| i.tier == Some(Tier::Min)));
}

#[test]
fn a_seat_change_is_repriced_across_a_tier_boundary() {
    // 10 seats, 7 sold (B1, B2 are this booking's): 70 % would be max. Without its own two
    // the new seats are priced at 5/10 and 6/10: normal, normal.
    let seats = [seat(5, "A5", 1, false), seat(6, "A6", 1, false)];
    let plan = plan_seat_change(
        &seated_show(),
        &[5, 6],
        &seats,
        &[class(1, 10, 7)],
        &[(11, 1), (12, 1)],
        t0(),
    )
    .unwrap();
    let tiers: Vec<_> = plan.items.iter().map(|i| i.tier.unwrap()).collect();
    assert_eq!(tiers, [Tier::Normal, Tier::Normal]);
    assert_eq!(plan.total_amount, 2 * NORMAL);
    // Moving only one seat away: 6 sold without the own one → 60 % normal, then 70 % max.
    let plan = plan_seat_change(
        &seated_show(),
        &[5, 6],
        &seats,
        &[class(1, 10, 7)],
        &[(11, 1)],
        t0(),
    )
    .unwrap();
    let tiers: Vec<_> = plan.items.iter().map(|i| i.tier.unwrap()).collect();
    assert_eq!(tiers, [Tier::Normal, Tier::Max]);
    assert_eq!(plan.total_amount, NORMAL + MAX);
}

#[test]
fn own_seats_of_another_class_do_not_lower_this_class_occupancy() {
    // Class 1: 10 seats, 4 sold (none of them this booking's) → A5 at 40 % (normal).
    // Class 2 holds the booking's old seat.
    let seats = [seat(5, "A5", 1, false)];
    let plan = plan_seat_change(
        &seated_show(),
        &[5],
        &seats,
        &[class(1, 10, 4), class(2, 10, 1)],
        &[(20, 2)],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.items[0].price, NORMAL);
    assert_eq!(plan.items[0].tier, Some(Tier::Normal));
}

#[test]
fn a_seat_of_someone_else_stays_taken() {
    let seats = [
        seat(1, "A1", 1, true),
        seat(3, "A3", 1, true),
        seat(4, "A4", 1, false),
    ];
    let err = plan_seat_change(
        &seated_show(),
        &[1, 3, 4],
        &seats,
        &[class(1, 10, 5)],
        &[(1, 1)],
        t0(),
    )
    .unwrap_err();
    // A1 is the booking's own, A3 someone else's.
    assert_eq!(
        err,
        DomainError::SeatsUnavailable {
            seats: vec!["A3".into()]
        }
    );
}

#[test]
fn more_own_seats_than_sold_never_underflow() {
    let seats = [seat(1, "A1", 1, true)];
    let plan = plan_seat_change(
        &seated_show(),
        &[1],
        &seats,
        &[class(1, 10, 0)],
        &[(1, 1), (2, 1)],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.items[0].price, MIN);
}

#[test]
fn a_seat_change_keeps_the_booking_rules_of_plan_seated() {
    let seats = [seat(1, "A1", 1, true)];
    // The show started.
    let started = ShowSnapshot {
        starts_at: t0(),
        ..seated_show()
    };
    assert_eq!(
        plan_seat_change(&started, &[1], &seats, &[class(1, 10, 1)], &[(1, 1)], t0()),
        Err(DomainError::ShowStarted)
    );
    // An unknown seat.
    assert_eq!(
        plan_seat_change(
            &seated_show(),
            &[1, 99],
            &seats,
            &[class(1, 10, 1)],
            &[(1, 1)],
            t0()
        ),
        Err(DomainError::not_found("seat", 99))
    );
}

// ---------------------------------------------------------------------------------------------
// WebhookEvent::outcome
// ---------------------------------------------------------------------------------------------

fn event(kind: &str, gateway_ref: &str, failure_code: Option<&str>) -> WebhookEvent {
    WebhookEvent {
        kind: kind.into(),
        payment_id: Uuid::new_v4(),
        gateway_ref: gateway_ref.into(),
        failure_code: failure_code.map(str::to_owned),
    }
}

#[test]
fn a_succeeded_event_is_a_succeeded_charge() {
    assert_eq!(
        event("payment.succeeded", "pay_1", None).outcome(),
        Ok(GatewayOutcome::Succeeded {
            gateway_ref: "pay_1".into()
        })
    );
    // The ref is trimmed.
    assert_eq!(
        event("payment.succeeded", "  pay_2 ", None).outcome(),
        Ok(GatewayOutcome::Succeeded {
            gateway_ref: "pay_2".into()
        })
    );
}

#[test]
fn a_failed_event_is_a_declined_charge_with_its_code() {
    for (code, want) in [
        (Some("card_declined"), DeclineCode::CardDeclined),
        (Some("insufficient_funds"), DeclineCode::InsufficientFunds),
        (None, DeclineCode::CardDeclined),
    ] {
        assert_eq!(
            event("payment.failed", "pay_1", code).outcome(),
            Ok(GatewayOutcome::Declined {
                code: want,
                gateway_ref: "pay_1".into()
            }),
            "{code:?}"
        );
    }
}

#[test]
fn an_unknown_event_type_or_failure_code_is_a_validation_error() {
    assert_eq!(
        failing_fields(event("payment.refunded", "pay_1", None).outcome()),
        ["type"]
    );
    assert_eq!(failing_fields(event("", "pay_1", None).outcome()), ["type"]);
    assert_eq!(
        failing_fields(event("PAYMENT.SUCCEEDED", "pay_1", None).outcome()),
        ["type"]
    );
    assert_eq!(
        failing_fields(event("payment.failed", "pay_1", Some("stolen_card")).outcome()),
        ["failure_code"]
    );
}

#[test]
fn a_blank_or_overlong_gateway_ref_is_a_validation_error() {
    for gateway_ref in ["", "   "] {
        assert_eq!(
            failing_fields(event("payment.succeeded", gateway_ref, None).outcome()),
            ["gateway_ref"]
        );
        assert_eq!(
            failing_fields(event("payment.failed", gateway_ref, None).outcome()),
            ["gateway_ref"]
        );
    }
    let long = "p".repeat(101);
    assert_eq!(
        failing_fields(event("payment.succeeded", &long, None).outcome()),
        ["gateway_ref"]
    );
    let longest = "p".repeat(100);
    assert!(event("payment.succeeded", &longest, None).outcome().is_ok());
}

#[test]
fn a_webhook_event_reads_the_documented_json_only() {
    let id = Uuid::new_v4();
    let e: WebhookEvent = serde_json::from_value(serde_json::json!({
        "type": "payment.succeeded",
        "payment_id": id,
        "gateway_ref": "pay_1"
    }))
    .unwrap();
    assert_eq!(
        e,
        WebhookEvent {
            kind: "payment.succeeded".into(),
            payment_id: id,
            gateway_ref: "pay_1".into(),
            failure_code: None,
        }
    );
    let extra = serde_json::from_value::<WebhookEvent>(serde_json::json!({
        "type": "payment.succeeded",
        "payment_id": id,
        "gateway_ref": "pay_1",
        "amount": 1
    }));
    assert!(extra.is_err());
}

// ---------------------------------------------------------------------------------------------
// IdempotencyScope::guest_token
// ---------------------------------------------------------------------------------------------

#[test]
fn a_guest_token_scope_is_stable_and_names_only_the_hash() {
    let a = IdempotencyScope::guest_token(&TokenHash::of(GUEST_TOKEN));
    let again = IdempotencyScope::guest_token(&TokenHash::of(GUEST_TOKEN));
    assert_eq!(a, again);
    let hex: String = TokenHash::of(GUEST_TOKEN)
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(a.as_str(), format!("guest:{hex}"));
    assert_eq!(a.as_str().len(), "guest:".len() + 64);
    assert!(!a.as_str().contains(GUEST_TOKEN));
}

#[test]
fn guest_token_scopes_differ_per_token_and_from_user_scopes() {
    let a = IdempotencyScope::guest_token(&TokenHash::of(GUEST_TOKEN));
    let b = IdempotencyScope::guest_token(&TokenHash::of("another-guest-token"));
    assert_ne!(a, b);
    let id = Uuid::new_v4();
    assert_ne!(a, IdempotencyScope::user(id));
    assert_ne!(a, IdempotencyScope::guest_booking(id));
    assert_ne!(a, IdempotencyScope::user(Uuid::nil()));
    let customer = actor(Role::Customer);
    assert_ne!(Some(a), IdempotencyScope::for_actor(&customer));
}

// ---------------------------------------------------------------------------------------------
// PaymentService::initiate
// ---------------------------------------------------------------------------------------------

#[test]
fn initiate_writes_an_initiated_payment_for_the_owner() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let created = Payment {
            id: NEW_ID,
            created_at: t0(),
            updated_at: t0(),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success)
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let answer = created.clone();
        ports
            .payments
            .expect_create_payment()
            .with(
                eq(NewPayment {
                    id: NEW_ID,
                    booking_id: b.id,
                    method: PaymentMethod::Success,
                    expected_amount: None,
                    actor: customer.history_label(),
                }),
                eq(t0()),
            )
            .times(1)
            .return_once(move |_, _| Ok(answer));
        let got = ports
            .service()
            .initiate(&customer, None, b.id, "tok_success", None)
            .await
            .unwrap();
        assert_eq!(got, created);
    })
}

#[test]
fn initiate_passes_a_matching_amount_and_the_method_as_parsed() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let bid = b.id;
        ports
            .payments
            .expect_create_payment()
            .with(
                eq(NewPayment {
                    id: NEW_ID,
                    booking_id: b.id,
                    method: PaymentMethod::Delayed,
                    expected_amount: Some(TOTAL),
                    actor: customer.history_label(),
                }),
                eq(t0()),
            )
            .times(1)
            .return_once(move |_, _| {
                Ok(payment(
                    bid,
                    PaymentStatus::Initiated,
                    PaymentMethod::Delayed,
                ))
            });
        let got = ports
            .service()
            .initiate(&customer, None, b.id, " tok_delayed ", Some(TOTAL))
            .await
            .unwrap();
        assert_eq!(got.method, PaymentMethod::Delayed);
        assert_eq!(got.booking_id, bid);
    })
}

#[test]
fn initiate_by_the_guest_token_holder_is_recorded_as_guest() {
    block_on(async {
        let b = running_hold(None);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let bid = b.id;
        ports
            .payments
            .expect_create_payment()
            .withf(move |p, now| {
                p.booking_id == bid
                    && p.actor == "guest"
                    && p.method == PaymentMethod::Declined
                    && *now == t0()
            })
            .times(1)
            .return_once(move |_, _| {
                Ok(payment(
                    bid,
                    PaymentStatus::Initiated,
                    PaymentMethod::Declined,
                ))
            });
        let got = ports
            .service()
            .initiate(
                &Actor::Anonymous,
                Some(GUEST_TOKEN),
                bid,
                "tok_declined",
                None,
            )
            .await
            .unwrap();
        assert_eq!(got.status, PaymentStatus::Initiated);
    })
}

#[test]
fn initiate_by_an_admin_of_someone_elses_booking_is_allowed() {
    block_on(async {
        let boss = admin();
        let b = running_hold(Some(Uuid::new_v4()));
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let (bid, label) = (b.id, boss.history_label());
        ports
            .payments
            .expect_create_payment()
            .withf(move |p, _| p.booking_id == bid && p.actor == label)
            .times(1)
            .return_once(move |_, _| {
                Ok(payment(
                    bid,
                    PaymentStatus::Initiated,
                    PaymentMethod::Success,
                ))
            });
        let got = ports
            .service()
            .initiate(&boss, None, bid, "tok_success", None)
            .await
            .unwrap();
        assert_eq!(got.booking_id, bid);
    })
}

#[test]
fn initiate_by_a_stranger_is_not_found_even_with_a_bad_method() {
    block_on(async {
        let b = running_hold(Some(Uuid::new_v4()));
        let guest = running_hold(None);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_booking(&guest);
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        let stranger = actor(Role::Customer);
        assert_eq!(
            svc.initiate(&stranger, None, b.id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", b.id)
        );
        assert_eq!(
            svc.initiate(&stranger, None, b.id, "bogus", Some(1))
                .await
                .unwrap_err(),
            DomainError::not_found("booking", b.id)
        );
        // A provider is a stranger to a customer's booking too.
        assert_eq!(
            svc.initiate(&actor(Role::Provider), None, b.id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", b.id)
        );
        // A guest booking without its token, or with a wrong one.
        assert_eq!(
            svc.initiate(&Actor::Anonymous, None, guest.id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", guest.id)
        );
        assert_eq!(
            svc.initiate(
                &Actor::Anonymous,
                Some("not-the-token"),
                guest.id,
                "tok_success",
                None
            )
            .await
            .unwrap_err(),
            DomainError::not_found("booking", guest.id)
        );
    })
}

#[test]
fn initiate_of_an_unknown_booking_is_not_found_booking() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut ports = Ports::new();
        ports
            .bookings
            .expect_get_booking()
            .with(eq(id))
            .returning(|id| Err(DomainError::not_found("booking", id)));
        ports.payments.expect_create_payment().never();
        assert_eq!(
            ports
                .service()
                .initiate(&admin(), None, id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}

#[test]
fn initiate_with_an_unknown_method_is_a_validation_error() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        for method in ["tok_bogus", "", "TOK_SUCCESS", "card"] {
            assert_eq!(
                failing_fields(svc.initiate(&customer, None, b.id, method, None).await),
                ["payment_method"],
                "{method:?}"
            );
        }
    })
}

#[test]
fn initiate_with_another_amount_than_the_total_is_a_validation_error() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        for amount in [TOTAL - 1, TOTAL + 1, 0, -TOTAL] {
            assert_eq!(
                failing_fields(
                    svc.initiate(&customer, None, b.id, "tok_success", Some(amount))
                        .await
                ),
                ["amount"],
                "{amount}"
            );
        }
    })
}

#[test]
fn initiate_of_a_booking_that_is_not_held_is_booking_not_held() {
    block_on(async {
        let customer = actor(Role::Customer);
        let owner = customer.user_id();
        let mut ports = Ports::new();
        let not_held = [
            past_due_hold(owner),
            booking(
                BookingStatus::Confirmed,
                owner,
                Some(t0() + Duration::minutes(5)),
            ),
            booking(
                BookingStatus::Expired,
                owner,
                Some(t0() - Duration::hours(1)),
            ),
            booking(
                BookingStatus::Cancelled,
                owner,
                Some(t0() + Duration::minutes(5)),
            ),
            booking(BookingStatus::Completed, owner, None),
        ];
        for b in &not_held {
            ports.serve_booking(b);
        }
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        for b in &not_held {
            assert_eq!(
                conflict_code(
                    svc.initiate(&customer, None, b.id, "tok_success", None)
                        .await
                ),
                "booking_not_held",
                "{}",
                b.status
            );
        }
    })
}

// ---------------------------------------------------------------------------------------------
// PaymentService::get and confirm
// ---------------------------------------------------------------------------------------------

#[test]
fn get_answers_a_payment_to_those_who_may_read_its_booking_only() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        let svc = ports.service();
        assert_eq!(svc.get(&customer, None, p.id).await.unwrap(), p);
        assert_eq!(svc.get(&admin(), None, p.id).await.unwrap(), p);
        assert_eq!(
            svc.get(&actor(Role::Customer), None, p.id)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", p.id)
        );
        assert_eq!(
            svc.get(&Actor::Anonymous, Some(GUEST_TOKEN), p.id)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", p.id)
        );
    })
}

#[test]
fn confirm_by_a_stranger_is_not_found_and_charges_nothing() {
    block_on(async {
        let b = running_hold(Some(Uuid::new_v4()));
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports.gateway.expect_charge().never();
        ports.payments.expect_settle_payment().never();
        assert_eq!(
            ports
                .service()
                .confirm(&actor(Role::Customer), None, p.id)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", p.id)
        );
    })
}

#[test]
fn confirm_of_a_succeeded_payment_answers_it_without_the_gateway() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = booking(
            BookingStatus::Confirmed,
            customer.user_id(),
            Some(t0() - Duration::minutes(3)),
        );
        let p = succeeded_payment(b.id);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports.gateway.expect_charge().never();
        ports.gateway.expect_refund().never();
        ports.payments.expect_settle_payment().never();
        let got = ports
            .service()
            .confirm(&customer, None, p.id)
            .await
            .unwrap();
        assert_eq!(got, Confirmation::Succeeded(p.clone()));
        assert_eq!(got.payment(), &p);
    })
}

#[test]
fn confirm_of_a_failed_payment_is_declined_again_with_its_code_without_the_gateway() {
    block_on(async {
        let b = running_hold(None);
        for (code, want) in [
            ("card_declined", DeclineCode::CardDeclined),
            ("insufficient_funds", DeclineCode::InsufficientFunds),
        ] {
            let p = Payment {
                gateway_ref: Some("pay_x".into()),
                failure_code: Some(code.into()),
                ..payment(b.id, PaymentStatus::Failed, PaymentMethod::Declined)
            };
            let mut ports = Ports::new();
            ports.serve_booking(&b);
            ports.serve_payment(&p);
            ports.gateway.expect_charge().never();
            ports.payments.expect_settle_payment().never();
            let err = ports
                .service()
                .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), p.id)
                .await
                .unwrap_err();
            assert_eq!(
                err,
                DomainError::PaymentDeclined {
                    code: want,
                    payment: Box::new(p.clone()),
                },
                "{code}"
            );
        }
    })
}

#[test]
fn confirm_charges_the_payment_then_records_the_answer() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_1".into()),
            outcome: Some(PaymentOutcome::BookingConfirmed),
            updated_at: t0(),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        let mut seq = Sequence::new();
        ports
            .gateway
            .expect_charge()
            .with(eq(ChargeRequest {
                payment_id: pid,
                amount: TOTAL,
                currency: usd(),
                method: PaymentMethod::Success,
            }))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                })
            });
        let settled = done.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                }),
                eq(t0()),
                eq(customer.history_label()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: settled,
                    refund: None,
                })
            });
        ports.gateway.expect_refund().never();
        ports.payments.expect_finish_refund().never();
        let got = ports.service().confirm(&customer, None, pid).await.unwrap();
        assert_eq!(got, Confirmation::Succeeded(done));
        assert_eq!(
            got.payment().outcome,
            Some(PaymentOutcome::BookingConfirmed)
        );
    })
}

#[test]
fn confirm_sends_the_payments_own_amount_currency_and_method() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            amount: 12_345,
            currency: crate::values::Currency::parse("EUR").unwrap(),
            ..payment(
                b.id,
                PaymentStatus::Initiated,
                PaymentMethod::InsufficientFunds,
            )
        };
        let pid = p.id;
        let failed = Payment {
            status: PaymentStatus::Failed,
            gateway_ref: Some("pay_9".into()),
            failure_code: Some("insufficient_funds".into()),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports
            .gateway
            .expect_charge()
            .with(eq(ChargeRequest {
                payment_id: pid,
                amount: 12_345,
                currency: p.currency,
                method: PaymentMethod::InsufficientFunds,
            }))
            .times(1)
            .returning(|_| {
                Ok(GatewayOutcome::Declined {
                    code: DeclineCode::InsufficientFunds,
                    gateway_ref: "pay_9".into(),
                })
            });
        let answer = failed.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Declined {
                    code: DeclineCode::InsufficientFunds,
                    gateway_ref: "pay_9".into(),
                }),
                eq(t0()),
                eq("guest".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let err = ports
            .service()
            .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), pid)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::PaymentDeclined {
                code: DeclineCode::InsufficientFunds,
                payment: Box::new(failed),
            }
        );
    })
}

#[test]
fn confirm_with_an_automatic_refund_carries_it_out_and_rereads_the_payment() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = past_due_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let pid = p.id;
        let label = customer.history_label();
        let auto = Refund {
            reason: PaymentOutcome::RefundedBookingExpired
                .refund_reason()
                .unwrap()
                .into(),
            ..refund(pid, TOTAL, RefundStatus::Pending)
        };
        let settled = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_1".into()),
            outcome: Some(PaymentOutcome::RefundedBookingExpired),
            refunds: vec![auto.clone()],
            ..p.clone()
        };
        let auto_done = refund_succeeded(&auto, "re_1");
        let reread = Payment {
            refunds: vec![auto_done.clone()],
            ..settled.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let mut seq = Sequence::new();
        let first = p.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(first));
        ports
            .gateway
            .expect_charge()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                })
            });
        let (s, r) = (settled.clone(), auto.clone());
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: s,
                    refund: Some(pending(r)),
                })
            });
        ports
            .gateway
            .expect_refund()
            .with(eq(refund_request(&auto)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                })
            });
        let finished = auto_done.clone();
        ports
            .payments
            .expect_finish_refund()
            .with(
                eq(auto.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| Ok(finished));
        let again = reread.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(again));
        let got = ports.service().confirm(&customer, None, pid).await.unwrap();
        assert_eq!(got, Confirmation::Succeeded(reread));
        assert_eq!(got.payment().refunds, vec![auto_done]);
        assert_eq!(got.payment().refunded_amount(), TOTAL);
        assert_eq!(
            got.payment().outcome,
            Some(PaymentOutcome::RefundedBookingExpired)
        );
    })
}

#[test]
fn confirm_with_an_automatic_refund_while_the_gateway_is_down_keeps_it_pending() {
    block_on(async {
        let b = past_due_hold(None);
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let pid = p.id;
        let auto = refund(pid, TOTAL, RefundStatus::Pending);
        let settled = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_1".into()),
            outcome: Some(PaymentOutcome::RefundedBookingExpired),
            refunds: vec![auto.clone()],
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let mut seq = Sequence::new();
        let first = p.clone();
        ports
            .payments
            .expect_get_payment()
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(first));
        ports.gateway.expect_charge().times(1).returning(|_| {
            Ok(GatewayOutcome::Succeeded {
                gateway_ref: "pay_1".into(),
            })
        });
        let (s, r) = (settled.clone(), auto.clone());
        ports
            .payments
            .expect_settle_payment()
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: s,
                    refund: Some(pending(r)),
                })
            });
        ports
            .gateway
            .expect_refund()
            .times(1)
            .returning(|_| Err(unavailable()));
        ports.payments.expect_finish_refund().never();
        let again = settled.clone();
        ports
            .payments
            .expect_get_payment()
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(again));
        let got = ports
            .service()
            .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), pid)
            .await
            .unwrap();
        assert_eq!(got, Confirmation::Succeeded(settled));
        assert_eq!(got.payment().refunds[0].status, RefundStatus::Pending);
    })
}

#[test]
fn confirm_of_a_delayed_payment_is_pending() {
    block_on(async {
        let b = running_hold(None);
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed);
        let pid = p.id;
        let still = Payment {
            gateway_ref: Some("pay_d".into()),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports
            .gateway
            .expect_charge()
            .withf(move |r| r.payment_id == pid && r.method == PaymentMethod::Delayed)
            .times(1)
            .returning(|_| {
                Ok(GatewayOutcome::Pending {
                    gateway_ref: "pay_d".into(),
                })
            });
        let answer = still.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Pending {
                    gateway_ref: "pay_d".into(),
                }),
                eq(t0()),
                eq("guest".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let got = ports
            .service()
            .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), pid)
            .await
            .unwrap();
        assert_eq!(got, Confirmation::Pending(still.clone()));
        assert_eq!(got.payment(), &still);
    })
}

#[test]
fn confirm_while_the_gateway_is_down_is_unavailable_and_records_nothing() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports
            .gateway
            .expect_charge()
            .times(1)
            .returning(|_| Err(unavailable()));
        ports.payments.expect_settle_payment().never();
        assert_eq!(
            ports
                .service()
                .confirm(&customer, None, p.id)
                .await
                .unwrap_err(),
            unavailable()
        );
    })
}

// ---------------------------------------------------------------------------------------------
// PaymentService::webhook
// ---------------------------------------------------------------------------------------------

fn webhook_body(kind: &str, payment_id: Uuid, gateway_ref: &str, code: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&WebhookEvent {
        kind: kind.into(),
        payment_id,
        gateway_ref: gateway_ref.into(),
        failure_code: code.map(str::to_owned),
    })
    .unwrap()
}

#[test]
fn a_webhook_without_a_valid_fresh_signature_is_refused() {
    block_on(async {
        let pid = Uuid::new_v4();
        let body = webhook_body("payment.succeeded", pid, "pay_d", None);
        let now = t0().timestamp();
        let mut ports = Ports::new();
        ports.payments.expect_get_payment().never();
        ports.payments.expect_settle_payment().never();
        let svc = ports.service();
        // No header.
        assert_eq!(
            unauthorized_code(svc.webhook(None, &body).await),
            "invalid_signature"
        );
        // Malformed.
        assert_eq!(
            unauthorized_code(svc.webhook(Some("garbage"), &body).await),
            "invalid_signature"
        );
        // Signed with another secret.
        let wrong = sign_webhook(b"another secret", now, &body);
        assert_eq!(
            unauthorized_code(svc.webhook(Some(&wrong), &body).await),
            "invalid_signature"
        );
        // Signed over another body.
        let other = sign_webhook(
            SECRET,
            now,
            &webhook_body("payment.succeeded", pid, "pay_other", None),
        );
        assert_eq!(
            unauthorized_code(svc.webhook(Some(&other), &body).await),
            "invalid_signature"
        );
        // Stale, and too far ahead.
        for t in [
            now - WEBHOOK_TOLERANCE_SECS - 1,
            now + WEBHOOK_TOLERANCE_SECS + 1,
        ] {
            let sig = sign_webhook(SECRET, t, &body);
            assert_eq!(
                unauthorized_code(svc.webhook(Some(&sig), &body).await),
                "invalid_signature",
                "signed at {t}"
            );
        }
    })
}

#[test]
fn a_signed_success_settles_the_payment_as_the_webhook() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            outcome: Some(PaymentOutcome::BookingConfirmed),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        let answer = done.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_d".into(),
                }),
                eq(t0()),
                eq(HISTORY_ACTOR_WEBHOOK.to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        ports.gateway.expect_charge().never();
        let body = webhook_body("payment.succeeded", pid, "pay_d", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        let got = ports.service().webhook(Some(&sig), &body).await.unwrap();
        assert_eq!(got, Confirmation::Succeeded(done));
        assert_eq!(HISTORY_ACTOR_WEBHOOK, "webhook");
    })
}

#[test]
fn a_webhook_signed_at_the_edge_of_the_tolerance_is_accepted() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            outcome: Some(PaymentOutcome::BookingConfirmed),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        ports
            .payments
            .expect_settle_payment()
            .times(2)
            .returning(move |_, _, _, _| {
                Ok(Settled {
                    payment: done.clone(),
                    refund: None,
                })
            });
        let svc = ports.service();
        let body = webhook_body("payment.succeeded", pid, "pay_d", None);
        for t in [
            t0().timestamp() - WEBHOOK_TOLERANCE_SECS,
            t0().timestamp() + WEBHOOK_TOLERANCE_SECS,
        ] {
            let sig = sign_webhook(SECRET, t, &body);
            let got = svc.webhook(Some(&sig), &body).await.unwrap();
            assert_eq!(got.payment().status, PaymentStatus::Succeeded, "at {t}");
        }
    })
}

#[test]
fn a_signed_failure_records_the_decline_and_answers_it() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let pid = p.id;
        let failed = Payment {
            status: PaymentStatus::Failed,
            failure_code: Some("insufficient_funds".into()),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        let answer = failed.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Declined {
                    code: DeclineCode::InsufficientFunds,
                    gateway_ref: "pay_d".into(),
                }),
                eq(t0()),
                eq("webhook".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let body = webhook_body("payment.failed", pid, "pay_d", Some("insufficient_funds"));
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            ports
                .service()
                .webhook(Some(&sig), &body)
                .await
                .unwrap_err(),
            DomainError::PaymentDeclined {
                code: DeclineCode::InsufficientFunds,
                payment: Box::new(failed),
            }
        );
    })
}

#[test]
fn a_webhook_for_a_payment_without_a_gateway_ref_yet_is_settled() {
    block_on(async {
        let b = running_hold(None);
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed);
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_new".into()),
            outcome: Some(PaymentOutcome::BookingConfirmed),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        let answer = done.clone();
        ports
            .payments
            .expect_settle_payment()
            .withf(move |id, outcome, _, actor| {
                *id == pid && outcome.gateway_ref() == "pay_new" && actor == "webhook"
            })
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let body = webhook_body("payment.succeeded", pid, "pay_new", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            ports.service().webhook(Some(&sig), &body).await.unwrap(),
            Confirmation::Succeeded(done)
        );
    })
}

#[test]
fn a_webhook_naming_another_charge_is_a_gateway_ref_mismatch() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        ports.payments.expect_settle_payment().never();
        let body = webhook_body("payment.succeeded", p.id, "pay_other", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            conflict_code(ports.service().webhook(Some(&sig), &body).await),
            "gateway_ref_mismatch"
        );
    })
}

#[test]
fn a_repeated_webhook_for_a_final_payment_is_answered_without_settling() {
    block_on(async {
        let b = booking(
            BookingStatus::Confirmed,
            None,
            Some(t0() - Duration::minutes(1)),
        );
        let ok = Payment {
            gateway_ref: Some("pay_d".into()),
            ..succeeded_payment(b.id)
        };
        let failed = Payment {
            gateway_ref: Some("pay_f".into()),
            failure_code: Some("card_declined".into()),
            ..payment(b.id, PaymentStatus::Failed, PaymentMethod::Delayed)
        };
        let mut ports = Ports::new();
        ports.serve_payment(&ok);
        ports.serve_payment(&failed);
        ports.payments.expect_settle_payment().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        let body = webhook_body("payment.succeeded", ok.id, "pay_d", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            svc.webhook(Some(&sig), &body).await.unwrap(),
            Confirmation::Succeeded(ok.clone())
        );
        let body = webhook_body("payment.failed", failed.id, "pay_f", Some("card_declined"));
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            svc.webhook(Some(&sig), &body).await.unwrap_err(),
            DomainError::PaymentDeclined {
                code: DeclineCode::CardDeclined,
                payment: Box::new(failed.clone()),
            }
        );
    })
}

#[test]
fn a_signed_webhook_with_a_bad_body_is_a_validation_error() {
    block_on(async {
        let mut ports = Ports::new();
        ports.payments.expect_get_payment().never();
        ports.payments.expect_settle_payment().never();
        let svc = ports.service();
        let now = t0().timestamp();
        let not_json = b"{not json".to_vec();
        let sig = sign_webhook(SECRET, now, &not_json);
        assert_eq!(
            failing_fields(svc.webhook(Some(&sig), &not_json).await),
            ["body"]
        );
        let unknown = webhook_body("payment.refunded", Uuid::new_v4(), "pay_1", None);
        let sig = sign_webhook(SECRET, now, &unknown);
        assert_eq!(
            failing_fields(svc.webhook(Some(&sig), &unknown).await),
            ["type"]
        );
        let blank = webhook_body("payment.succeeded", Uuid::new_v4(), " ", None);
        let sig = sign_webhook(SECRET, now, &blank);
        assert_eq!(
            failing_fields(svc.webhook(Some(&sig), &blank).await),
            ["gateway_ref"]
        );
    })
}

#[test]
fn webhook_rules_use_the_standard_tolerance_and_hide_the_secret() {
    let rules = WebhookRules::new(SECRET);
    assert_eq!(rules.tolerance_secs, WEBHOOK_TOLERANCE_SECS);
    assert_eq!(&*rules.secret, SECRET);
    let shown = format!("{rules:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("whsec"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// PaymentService::refund
// ---------------------------------------------------------------------------------------------

/// Ports serving a succeeded payment of a confirmed booking of an event organised by
/// `organizer`.
fn refund_ports(organizer: Option<Uuid>) -> (Ports, Payment) {
    let b = booking(
        BookingStatus::Confirmed,
        Some(Uuid::new_v4()),
        Some(t0() - Duration::hours(1)),
    );
    let p = succeeded_payment(b.id);
    let mut ports = Ports::new();
    ports.serve_booking(&b);
    ports
        .catalog
        .expect_show_organizer()
        .with(eq(SHOW_ID))
        .returning(move |_| Ok(organizer));
    (ports, p)
}

#[test]
fn an_anonymous_refund_is_unauthorized_before_anything_is_read() {
    block_on(async {
        let mut ports = Ports::new();
        ports.payments.expect_get_payment().never();
        ports.payments.expect_create_refund().never();
        assert_eq!(
            unauthorized_code(
                ports
                    .service()
                    .refund(&Actor::Anonymous, Uuid::new_v4(), None, "goodwill")
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn customers_and_other_providers_may_not_refund() {
    block_on(async {
        let organiser = user(Role::Provider);
        let (mut ports, p) = refund_ports(Some(organiser.id));
        ports.serve_payment(&p);
        ports.payments.expect_create_refund().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        assert!(is_forbidden(
            &svc.refund(&actor(Role::Customer), p.id, None, "goodwill")
                .await
        ));
        assert!(is_forbidden(
            &svc.refund(&actor(Role::Provider), p.id, None, "goodwill")
                .await
        ));
    })
}

#[test]
fn the_organiser_refunds_a_payment_through_the_gateway() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let label = organiser.history_label();
        let (mut ports, p) = refund_ports(organiser.user_id());
        let pid = p.id;
        let written = Refund {
            id: NEW_ID,
            reason: "goodwill".into(),
            created_at: t0(),
            updated_at: t0(),
            ..refund(pid, 1_500, RefundStatus::Pending)
        };
        let done = refund_succeeded(&written, "re_7");
        let after = Payment {
            refunds: vec![done.clone()],
            ..p.clone()
        };
        let mut seq = Sequence::new();
        let first = p.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(first));
        let w = written.clone();
        ports
            .payments
            .expect_create_refund()
            .with(
                eq(RefundAsk {
                    id: NEW_ID,
                    payment_id: pid,
                    amount: Some(1_500),
                    reason: "goodwill".into(),
                    actor: label.clone(),
                }),
                eq(t0()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _| Ok(pending(w)));
        ports
            .gateway
            .expect_refund()
            .with(eq(RefundRequest {
                refund_id: NEW_ID,
                gateway_ref: "pay_1".into(),
                amount: 1_500,
                currency: usd(),
            }))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_7".into(),
                })
            });
        let d = done.clone();
        ports
            .payments
            .expect_finish_refund()
            .with(
                eq(NEW_ID),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_7".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| Ok(d));
        let a = after.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(a));
        let got = ports
            .service()
            .refund(&organiser, pid, Some(1_500), "  goodwill ")
            .await
            .unwrap();
        assert_eq!(got, after);
        assert_eq!(got.refunded_amount(), 1_500);
        assert_eq!(got.refundable(), TOTAL - 1_500);
    })
}

#[test]
fn an_admin_refunds_everything_that_remains_of_any_event() {
    block_on(async {
        let boss = admin();
        let label = boss.history_label();
        let (mut ports, p) = refund_ports(Some(Uuid::new_v4()));
        ports.serve_payment(&p);
        let pid = p.id;
        let written = Refund {
            id: NEW_ID,
            ..refund(pid, TOTAL, RefundStatus::Pending)
        };
        let w = written.clone();
        ports
            .payments
            .expect_create_refund()
            .withf(move |ask, now| {
                ask.id == NEW_ID
                    && ask.payment_id == pid
                    && ask.amount.is_none()
                    && ask.reason == "event moved"
                    && ask.actor == label
                    && *now == t0()
            })
            .times(1)
            .return_once(move |_, _| Ok(pending(w)));
        ports
            .gateway
            .expect_refund()
            .with(eq(refund_request(&written)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_8".into(),
                })
            });
        let done = refund_succeeded(&written, "re_8");
        ports
            .payments
            .expect_finish_refund()
            .times(1)
            .return_once(move |_, _, _, _| Ok(done));
        let got = ports
            .service()
            .refund(&boss, pid, None, "event moved")
            .await
            .unwrap();
        assert_eq!(got, p);
    })
}

#[test]
fn a_refund_needs_a_reason_of_1_to_500_characters() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let (mut ports, p) = refund_ports(organiser.user_id());
        ports.serve_payment(&p);
        ports.payments.expect_create_refund().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        let too_long = "x".repeat(MAX_REASON_CHARS + 1);
        for reason in ["", "   ", "\n\t", too_long.as_str()] {
            assert_eq!(
                failing_fields(svc.refund(&organiser, p.id, None, reason).await),
                ["reason"],
                "{} chars",
                reason.len()
            );
        }
        assert_eq!(MAX_REASON_CHARS, 500);
    })
}

#[test]
fn a_refund_reason_with_nul_or_an_amount_above_the_ceiling_is_refused_before_anything_is_written() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let (mut ports, p) = refund_ports(organiser.user_id());
        ports.serve_payment(&p);
        ports.payments.expect_create_refund().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        for reason in ["moved\u{0}", "a\u{7}b", "\u{1b}[31mred"] {
            assert_eq!(
                failing_fields(svc.refund(&organiser, p.id, None, reason).await),
                ["reason"],
                "{reason:?}"
            );
        }
        let over = crate::limits::MAX_AMOUNT + 1;
        assert_eq!(
            failing_fields(svc.refund(&organiser, p.id, Some(over), "moved").await),
            ["amount"]
        );
    })
}

#[test]
fn a_reason_of_exactly_500_characters_counts_characters_not_bytes() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let (mut ports, p) = refund_ports(organiser.user_id());
        ports.serve_payment(&p);
        let pid = p.id;
        let reason = "é".repeat(MAX_REASON_CHARS);
        let expected = reason.clone();
        let written = Refund {
            id: NEW_ID,
            reason: reason.clone(),
            ..refund(pid, 100, RefundStatus::Pending)
        };
        let w = written.clone();
        ports
            .payments
            .expect_create_refund()
            .withf(move |ask, _| ask.reason == expected)
            .times(1)
            .return_once(move |_, _| Ok(pending(w)));
        ports.gateway.expect_refund().times(1).returning(|_| {
            Ok(RefundOutcome::Succeeded {
                gateway_ref: "re_9".into(),
            })
        });
        let done = refund_succeeded(&written, "re_9");
        ports
            .payments
            .expect_finish_refund()
            .times(1)
            .return_once(move |_, _, _, _| Ok(done));
        assert!(reason.len() > MAX_REASON_CHARS);
        let got = ports
            .service()
            .refund(&organiser, pid, Some(100), &reason)
            .await
            .unwrap();
        assert_eq!(got.id, pid);
    })
}

#[test]
fn a_refund_the_repository_refuses_goes_nowhere_near_the_gateway() {
    block_on(async {
        let boss = admin();
        let (mut ports, p) = refund_ports(None);
        ports.serve_payment(&p);
        ports
            .payments
            .expect_create_refund()
            .times(1)
            .returning(|_, _| {
                Err(DomainError::Conflict {
                    code: ConflictCode::NothingToRefund,
                    message: "refunded in full".into(),
                })
            });
        ports.gateway.expect_refund().never();
        ports.payments.expect_finish_refund().never();
        assert_eq!(
            conflict_code(ports.service().refund(&boss, p.id, None, "again").await),
            "nothing_to_refund"
        );
    })
}

// ---------------------------------------------------------------------------------------------
// Refunds::carry_out
// ---------------------------------------------------------------------------------------------

#[test]
fn carry_out_asks_the_gateway_then_records_its_answer() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let done = refund_succeeded(&r, "re_1");
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        let mut seq = Sequence::new();
        gateway
            .expect_refund()
            .with(eq(refund_request(&r)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                })
            });
        let d = done.clone();
        payments
            .expect_finish_refund()
            .with(
                eq(r.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                }),
                eq(t0()),
                eq("operator".to_owned()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| Ok(d));
        let got = refunds_runner(payments, gateway)
            .carry_out(pending(r), "operator")
            .await
            .unwrap();
        assert_eq!(got, done);
    })
}

#[test]
fn carry_out_records_a_refused_refund_as_failed() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let failed = Refund {
            status: RefundStatus::Failed,
            failure_code: Some("unknown_charge".into()),
            ..r.clone()
        };
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway.expect_refund().times(1).returning(|_| {
            Ok(RefundOutcome::Failed {
                code: "unknown_charge".into(),
            })
        });
        let f = failed.clone();
        payments
            .expect_finish_refund()
            .with(
                eq(r.id),
                eq(RefundOutcome::Failed {
                    code: "unknown_charge".into(),
                }),
                eq(t0()),
                eq("system".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(f));
        let got = refunds_runner(payments, gateway)
            .carry_out(pending(r), "system")
            .await
            .unwrap();
        assert_eq!(got, failed);
    })
}

#[test]
fn carry_out_while_the_gateway_is_down_leaves_the_refund_pending() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .with(eq(refund_request(&r)))
            .times(1)
            .returning(|_| Err(unavailable()));
        payments.expect_finish_refund().never();
        let got = refunds_runner(payments, gateway)
            .carry_out(pending(r.clone()), "system")
            .await
            .unwrap();
        assert_eq!(got, r);
        assert_eq!(got.status, RefundStatus::Pending);
    })
}

#[test]
fn carry_out_passes_other_gateway_errors_on() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .times(1)
            .returning(|_| Err(DomainError::Internal("bad answer".into())));
        payments.expect_finish_refund().never();
        assert_eq!(
            refunds_runner(payments, gateway)
                .carry_out(pending(r), "system")
                .await,
            Err(DomainError::Internal("bad answer".into()))
        );
    })
}

// ---------------------------------------------------------------------------------------------
// Sweeper::run_once
// ---------------------------------------------------------------------------------------------

fn sweeper(
    bookings: MockBookingRepository,
    payments: MockPaymentRepository,
    gateway: MockPaymentGateway,
    batch: i64,
) -> Sweeper {
    let payments: Arc<dyn PaymentRepository> = Arc::new(payments);
    let clock: Arc<dyn Clock> = Arc::new(clock_at(t0()));
    let refunds = Refunds::new(payments.clone(), Arc::new(gateway), clock.clone());
    let bookings: Arc<dyn BookingRepository> = Arc::new(bookings);
    Sweeper::new(bookings, payments, refunds, clock, batch)
}

fn no_pending_refunds(payments: &mut MockPaymentRepository) {
    payments
        .expect_pending_refunds()
        .times(1)
        .returning(|_, _| Ok(vec![]));
}

#[test]
fn the_sweep_expires_batches_until_a_short_one_then_completes() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        let mut seq = Sequence::new();
        for n in [2, 2, 1] {
            bookings
                .expect_expire_due()
                .with(eq(t0()), eq(2))
                .times(1)
                .in_sequence(&mut seq)
                .returning(move |_, _| Ok(n));
        }
        for n in [2, 0] {
            bookings
                .expect_complete_ended()
                .with(eq(t0()), eq(2))
                .times(1)
                .in_sequence(&mut seq)
                .returning(move |_, _| Ok(n));
        }
        no_pending_refunds(&mut payments);
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 2)
            .run_once()
            .await
            .unwrap();
        assert_eq!(
            report,
            SweepReport {
                expired: 5,
                completed: 2,
                refunds_retried: 0,
            }
        );
    })
}

#[test]
fn a_sweep_with_nothing_due_asks_once_per_kind() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .with(eq(t0()), eq(50))
            .times(1)
            .returning(|_, _| Ok(0));
        bookings
            .expect_complete_ended()
            .with(eq(t0()), eq(50))
            .times(1)
            .returning(|_, _| Ok(0));
        payments
            .expect_pending_refunds()
            .with(eq(t0() - Duration::minutes(1)), eq(50))
            .times(1)
            .returning(|_, _| Ok(vec![]));
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 50)
            .run_once()
            .await
            .unwrap();
        assert_eq!(report, SweepReport::default());
    })
}

#[test]
fn a_sweep_stops_after_a_short_first_batch() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .times(1)
            .returning(|_, _| Ok(3));
        bookings
            .expect_complete_ended()
            .times(1)
            .returning(|_, _| Ok(9));
        no_pending_refunds(&mut payments);
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 10)
            .run_once()
            .await
            .unwrap();
        assert_eq!(report.expired, 3);
        assert_eq!(report.completed, 9);
    })
}

#[test]
fn one_sweep_does_at_most_a_hundred_full_batches_per_kind() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .times(100)
            .returning(|_, limit| Ok(limit as u64));
        bookings
            .expect_complete_ended()
            .times(100)
            .returning(|_, limit| Ok(limit as u64));
        no_pending_refunds(&mut payments);
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 3)
            .run_once()
            .await
            .unwrap();
        assert_eq!(report.expired, 300);
        assert_eq!(report.completed, 300);
    })
}

#[test]
fn a_batch_below_one_is_one() {
    let s = sweeper(
        MockBookingRepository::new(),
        MockPaymentRepository::new(),
        MockPaymentGateway::new(),
        0,
    );
    assert_eq!(s.batch, 1);
    assert_eq!(s.refund_retry_after, Duration::minutes(1));
    let s = sweeper(
        MockBookingRepository::new(),
        MockPaymentRepository::new(),
        MockPaymentGateway::new(),
        -5,
    );
    assert_eq!(s.batch, 1);
}

#[test]
fn the_sweep_retries_old_pending_refunds_and_counts_the_final_answers() {
    block_on(async {
        let pid = Uuid::new_v4();
        let ok = refund(pid, 1_000, RefundStatus::Pending);
        let down = refund(pid, 500, RefundStatus::Pending);
        let refused = refund(pid, 250, RefundStatus::Pending);
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        bookings.expect_expire_due().returning(|_, _| Ok(0));
        bookings.expect_complete_ended().returning(|_, _| Ok(0));
        let due = vec![
            pending(ok.clone()),
            pending(down.clone()),
            pending(refused.clone()),
        ];
        payments
            .expect_pending_refunds()
            .with(eq(t0() - Duration::minutes(5)), eq(10))
            .times(1)
            .return_once(move |_, _| Ok(due));
        gateway
            .expect_refund()
            .with(eq(refund_request(&ok)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_ok".into(),
                })
            });
        gateway
            .expect_refund()
            .with(eq(refund_request(&down)))
            .times(1)
            .returning(|_| Err(unavailable()));
        gateway
            .expect_refund()
            .with(eq(refund_request(&refused)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Failed {
                    code: "amount_exceeds_charge".into(),
                })
            });
        let ok_done = refund_succeeded(&ok, "re_ok");
        payments
            .expect_finish_refund()
            .with(
                eq(ok.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_ok".into(),
                }),
                eq(t0()),
                eq("system".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(ok_done));
        let refused_done = Refund {
            status: RefundStatus::Failed,
            failure_code: Some("amount_exceeds_charge".into()),
            ..refused.clone()
        };
        payments
            .expect_finish_refund()
            .with(
                eq(refused.id),
                eq(RefundOutcome::Failed {
                    code: "amount_exceeds_charge".into(),
                }),
                eq(t0()),
                eq("system".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(refused_done));
        payments
            .expect_finish_refund()
            .with(
                eq(down.id),
                mockall::predicate::always(),
                mockall::predicate::always(),
                mockall::predicate::always(),
            )
            .never();
        let mut s = sweeper(bookings, payments, gateway, 10);
        s.refund_retry_after = Duration::minutes(5);
        let report = s.run_once().await.unwrap();
        assert_eq!(
            report,
            SweepReport {
                expired: 0,
                completed: 0,
                refunds_retried: 2,
            }
        );
    })
}

#[test]
fn a_failing_expiry_stops_the_sweep() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .times(1)
            .returning(|_, _| Err(DomainError::Unavailable("db down".into())));
        bookings.expect_complete_ended().never();
        payments.expect_pending_refunds().never();
        assert_eq!(
            sweeper(bookings, payments, MockPaymentGateway::new(), 10)
                .run_once()
                .await,
            Err(DomainError::Unavailable("db down".into()))
        );
    })
}

// ---------------------------------------------------------------------------------------------
// BookingService: cancel with refunds, history, get/list as of now, change_seats
// ---------------------------------------------------------------------------------------------

/// A confirmed, paid booking of `owner`, as the cancellation returns it (cancelled, its payment
/// carrying the pending refund `r`) and as it was read before.
fn paid_and_cancelled(owner: Option<Uuid>, r: &Refund) -> (Booking, Booking) {
    let before = booking(
        BookingStatus::Confirmed,
        owner,
        Some(t0() - Duration::days(1)),
    );
    let p = Payment {
        id: r.payment_id,
        ..succeeded_payment(before.id)
    };
    let before = Booking {
        payments: vec![p.clone()],
        ..before
    };
    let after = Booking {
        status: BookingStatus::Cancelled,
        cancelled_at: Some(t0()),
        updated_at: t0(),
        payments: vec![Payment {
            refunds: vec![r.clone()],
            ..p
        }],
        ..before.clone()
    };
    (before, after)
}

#[test]
fn cancel_carries_out_the_policy_refund_and_shows_its_answer() {
    block_on(async {
        let customer = actor(Role::Customer);
        let label = customer.history_label();
        let r = refund(Uuid::new_v4(), TOTAL, RefundStatus::Pending);
        let (before, after) = paid_and_cancelled(customer.user_id(), &r);
        let id = before.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .with(eq(id))
            .return_once(move |_| Ok(before));
        let pr = r.clone();
        repo.expect_cancel_booking()
            .with(
                eq(id),
                eq(t0()),
                eq(label.clone()),
                eq("cancelled by the customer".to_owned()),
                eq(RefundPolicy::default()),
            )
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: after,
                    refund: Some(pending(pr)),
                })
            });
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .with(eq(refund_request(&r)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_c".into(),
                })
            });
        let done = refund_succeeded(&r, "re_c");
        let d = done.clone();
        payments
            .expect_finish_refund()
            .with(
                eq(r.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_c".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(d));
        let svc = booking_service(repo, t0()).with_refunds(refunds_runner(payments, gateway));
        let got = svc.cancel(&customer, id, None).await.unwrap();
        assert_eq!(got.status, BookingStatus::Cancelled);
        assert_eq!(got.payments.len(), 1);
        assert_eq!(got.payments[0].refunds, vec![done]);
        assert_eq!(got.payments[0].refunded_amount(), TOTAL);
        assert_eq!(got.payments[0].refundable(), 0);
    })
}

#[test]
fn cancel_while_the_gateway_is_down_shows_the_refund_pending() {
    block_on(async {
        let r = refund(Uuid::new_v4(), TOTAL / 2, RefundStatus::Pending);
        let (before, after) = paid_and_cancelled(None, &r);
        let id = before.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(before));
        let pr = r.clone();
        repo.expect_cancel_booking()
            .withf(|_, _, actor, _, _| actor == "guest")
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: after,
                    refund: Some(pending(pr)),
                })
            });
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .times(1)
            .returning(|_| Err(unavailable()));
        payments.expect_finish_refund().never();
        let svc = booking_service(repo, t0()).with_refunds(refunds_runner(payments, gateway));
        let got = svc
            .cancel(&Actor::Anonymous, id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(got.status, BookingStatus::Cancelled);
        assert_eq!(got.payments[0].refunds, vec![r]);
        assert_eq!(got.payments[0].refunds[0].status, RefundStatus::Pending);
    })
}

#[test]
fn cancel_without_a_refund_runner_leaves_the_refund_for_the_sweep() {
    block_on(async {
        let boss = admin();
        let r = refund(Uuid::new_v4(), TOTAL, RefundStatus::Pending);
        let (before, after) = paid_and_cancelled(Some(Uuid::new_v4()), &r);
        let id = before.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(before));
        let pr = r.clone();
        repo.expect_cancel_booking()
            .withf(|_, _, _, reason, policy| {
                reason == "cancelled by an admin" && *policy == RefundPolicy::default()
            })
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: after,
                    refund: Some(pending(pr)),
                })
            });
        let got = booking_service(repo, t0())
            .cancel(&boss, id, None)
            .await
            .unwrap();
        assert_eq!(got.payments[0].refunds, vec![r]);
    })
}

#[test]
fn cancel_uses_the_configured_refund_policy() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = booking(BookingStatus::Confirmed, customer.user_id(), None);
        let id = b.id;
        let policy = RefundPolicy {
            full_refund_before: Duration::hours(48),
            late_refund_percent: 25,
        };
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        repo.expect_cancel_booking()
            .withf(move |_, _, _, _, p| *p == policy)
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: Booking {
                        status: BookingStatus::Cancelled,
                        ..b
                    },
                    refund: None,
                })
            });
        let svc = BookingService::new(
            Arc::new(repo),
            Arc::new(clock_at(t0())),
            Arc::new(id_source()),
            BookingRules {
                refund_policy: policy,
                ..BookingRules::default()
            },
        )
        .with_refunds(refunds_runner(
            MockPaymentRepository::new(),
            MockPaymentGateway::new(),
        ));
        let got = svc.cancel(&customer, id, None).await.unwrap();
        assert_eq!(got.status, BookingStatus::Cancelled);
    })
}

fn created_entry(b: &Booking) -> HistoryEntry {
    HistoryEntry {
        at: b.created_at,
        entity: HistoryEntity::Booking,
        entity_id: b.id.to_string(),
        from: None,
        to: "held".into(),
        actor: Some("guest".into()),
        reason: None,
    }
}

#[test]
fn the_history_of_a_past_due_hold_ends_with_its_expiry() {
    block_on(async {
        let b = past_due_hold(None);
        let id = b.id;
        let created = created_entry(&b);
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let stored = vec![created.clone()];
        repo.expect_history()
            .with(eq(id))
            .times(1)
            .return_once(move |_| Ok(stored));
        let got = booking_service(repo, t0())
            .history(&Actor::Anonymous, id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], created);
        assert_eq!(
            got[1],
            HistoryEntry {
                at: b.expires_at.unwrap(),
                entity: HistoryEntity::Booking,
                entity_id: id.to_string(),
                from: Some("held".into()),
                to: "expired".into(),
                actor: Some("system".into()),
                reason: Some(REASON_HOLD_EXPIRED.into()),
            }
        );
    })
}

#[test]
fn the_history_of_a_running_hold_or_a_written_expiry_gets_nothing_added() {
    block_on(async {
        let running = running_hold(None);
        let written = booking(
            BookingStatus::Expired,
            None,
            Some(t0() - Duration::minutes(1)),
        );
        let paid = booking(
            BookingStatus::Confirmed,
            None,
            Some(t0() - Duration::minutes(1)),
        );
        for b in [running, written, paid] {
            let mut repo = MockBookingRepository::new();
            let read = b.clone();
            repo.expect_get_booking().return_once(move |_| Ok(read));
            let mut stored = vec![created_entry(&b)];
            if b.status == BookingStatus::Expired {
                stored.extend(b.expiry_entry());
            }
            let answer = stored.clone();
            repo.expect_history()
                .times(1)
                .return_once(move |_| Ok(answer));
            let got = booking_service(repo, t0())
                .history(&Actor::Anonymous, b.id, Some(GUEST_TOKEN))
                .await
                .unwrap();
            assert_eq!(got, stored, "{}", b.status);
        }
    })
}

#[test]
fn the_history_of_a_hold_due_exactly_now_ends_with_its_expiry() {
    block_on(async {
        let b = booking(BookingStatus::Held, None, Some(t0()));
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        repo.expect_history().return_once(|_| Ok(vec![]));
        let got = booking_service(repo, t0())
            .history(&admin(), b.id, None)
            .await
            .unwrap();
        assert_eq!(got, vec![b.expiry_entry().unwrap()]);
    })
}

#[test]
fn get_reads_a_past_due_hold_as_expired() {
    block_on(async {
        let customer = actor(Role::Customer);
        let due = past_due_hold(customer.user_id());
        let running = running_hold(customer.user_id());
        let mut repo = MockBookingRepository::new();
        for b in [due.clone(), running.clone()] {
            repo.expect_get_booking()
                .with(eq(b.id))
                .returning(move |_| Ok(b.clone()));
        }
        let svc = booking_service(repo, t0());
        let got = svc.get(&customer, due.id, None).await.unwrap();
        assert_eq!(got.status, BookingStatus::Expired);
        assert_eq!(got.expires_at, due.expires_at);
        let got = svc.get(&customer, running.id, None).await.unwrap();
        assert_eq!(got, running);
    })
}

#[test]
fn lists_read_past_due_holds_as_expired() {
    block_on(async {
        let customer = actor(Role::Customer);
        let owner = customer.user_id();
        let items = vec![
            past_due_hold(owner),
            running_hold(owner),
            booking(
                BookingStatus::Confirmed,
                owner,
                Some(t0() - Duration::hours(1)),
            ),
        ];
        let mut repo = MockBookingRepository::new();
        let answer = items.clone();
        repo.expect_find_bookings()
            .times(1)
            .return_once(move |_, page| {
                Ok(Paged {
                    items: answer,
                    total: 3,
                    page,
                })
            });
        let got = booking_service(repo, t0())
            .list_for_user(&customer, owner.unwrap(), Page::default())
            .await
            .unwrap();
        let statuses: Vec<_> = got.items.iter().map(|b| b.status).collect();
        assert_eq!(
            statuses,
            [
                BookingStatus::Expired,
                BookingStatus::Held,
                BookingStatus::Confirmed
            ]
        );
        assert_eq!(got.total, 3);
    })
}

#[test]
fn change_seats_replaces_the_seats_of_a_running_hold() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let changed = Booking {
            quantity: 1,
            total_amount: 2_500,
            ..b.clone()
        };
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let answer = changed.clone();
        repo.expect_change_seats()
            .with(
                eq(id),
                eq(Places::SeatIds(vec![5])),
                eq(t0()),
                eq(customer.history_label()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(answer));
        let got = booking_service(repo, t0())
            .change_seats(&customer, id, None, Some(vec![5]), None)
            .await
            .unwrap();
        assert_eq!(got, changed);
    })
}

#[test]
fn change_seats_by_labels_passes_them_parsed() {
    block_on(async {
        let b = running_hold(None);
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let answer = b.clone();
        repo.expect_change_seats()
            .with(
                eq(id),
                eq(Places::SeatLabels(vec![
                    SeatLabel::parse("B1").unwrap(),
                    SeatLabel::parse("B2").unwrap(),
                ])),
                eq(t0()),
                eq("guest".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(answer));
        let got = booking_service(repo, t0())
            .change_seats(
                &Actor::Anonymous,
                id,
                Some(GUEST_TOKEN),
                None,
                Some(vec![" B1".into(), "B2 ".into()]),
            )
            .await
            .unwrap();
        assert_eq!(got.id, id);
    })
}

/// seat_ids, seat_labels, and the field the error names.
type SeatChangeCase = (Option<Vec<i64>>, Option<Vec<String>>, &'static str);

#[test]
fn change_seats_validates_the_request() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().returning(move |_| Ok(b.clone()));
        repo.expect_change_seats().never();
        let svc = booking_service(repo, t0());
        let eleven: Vec<i64> = (1..=11).collect();
        let eleven_labels: Vec<String> = (1..=11).map(|n| format!("A{n}")).collect();
        let cases: Vec<SeatChangeCase> = vec![
            (None, None, "seat_ids"),
            (Some(vec![1]), Some(vec!["A1".into()]), "seat_ids"),
            (Some(vec![]), None, "seat_ids"),
            (Some(vec![1, 2, 1]), None, "seat_ids"),
            (Some(eleven), None, "seat_ids"),
            (Some(vec![0]), None, "seat_ids"),
            (Some(vec![3, -1]), None, "seat_ids"),
            (None, Some(vec![]), "seat_labels"),
            (None, Some(vec!["A1".into(), "A1".into()]), "seat_labels"),
            (None, Some(eleven_labels), "seat_labels"),
            (None, Some(vec!["A 1".into()]), "seat_labels"),
            (None, Some(vec!["".into()]), "seat_labels"),
        ];
        for (ids, labels, field) in cases {
            let what = format!("{ids:?} {labels:?}");
            assert_eq!(
                failing_fields(svc.change_seats(&customer, id, None, ids, labels).await),
                [field],
                "{what}"
            );
        }
    })
}

#[test]
fn change_seats_accepts_the_most_seats_allowed() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let ten: Vec<i64> = (1..=10).collect();
        repo.expect_change_seats()
            .with(
                eq(id),
                eq(Places::SeatIds(ten.clone())),
                eq(t0()),
                eq(customer.history_label()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(b));
        assert!(booking_service(repo, t0())
            .change_seats(&customer, id, None, Some(ten), None)
            .await
            .is_ok());
    })
}

#[test]
fn change_seats_of_a_booking_that_is_not_held_is_booking_not_held() {
    block_on(async {
        let customer = actor(Role::Customer);
        let owner = customer.user_id();
        let not_held = [
            past_due_hold(owner),
            booking(
                BookingStatus::Confirmed,
                owner,
                Some(t0() + Duration::minutes(5)),
            ),
            booking(BookingStatus::Cancelled, owner, None),
            booking(
                BookingStatus::Expired,
                owner,
                Some(t0() - Duration::hours(1)),
            ),
        ];
        let mut repo = MockBookingRepository::new();
        for b in &not_held {
            let b = b.clone();
            repo.expect_get_booking()
                .with(eq(b.id))
                .returning(move |_| Ok(b.clone()));
        }
        repo.expect_change_seats().never();
        let svc = booking_service(repo, t0());
        for b in &not_held {
            assert_eq!(
                conflict_code(
                    svc.change_seats(&customer, b.id, None, Some(vec![1]), None)
                        .await
                ),
                "booking_not_held",
                "{}",
                b.status
            );
        }
    })
}

#[test]
fn change_seats_by_a_stranger_is_not_found() {
    block_on(async {
        let b = running_hold(Some(Uuid::new_v4()));
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().returning(move |_| Ok(b.clone()));
        repo.expect_change_seats().never();
        let svc = booking_service(repo, t0());
        assert_eq!(
            svc.change_seats(&actor(Role::Customer), id, None, Some(vec![1]), None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", id)
        );
        assert_eq!(
            svc.change_seats(
                &Actor::Anonymous,
                id,
                Some(GUEST_TOKEN),
                Some(vec![1]),
                None
            )
            .await
            .unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}

#[test]
fn change_seats_reads_the_answer_as_of_now() {
    block_on(async {
        // The repository answers with a hold whose deadline is now (the change took the last
        // moment): the caller sees it as it stands.
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let answer = Booking {
            expires_at: Some(t0()),
            ..b
        };
        repo.expect_change_seats()
            .times(1)
            .return_once(move |_, _, _, _| Ok(answer));
        let got = booking_service(repo, t0())
            .change_seats(&customer, id, None, Some(vec![2]), None)
            .await
            .unwrap();
        assert_eq!(got.status, BookingStatus::Expired);
    })
}

#[test]
fn a_signed_webhook_for_an_unknown_payment_is_not_found() {
    block_on(async {
        let pid = Uuid::new_v4();
        let mut ports = Ports::new();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .returning(|id| Err(DomainError::not_found("payment", id)));
        ports.payments.expect_settle_payment().never();
        let body = webhook_body("payment.succeeded", pid, "pay_1", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            ports
                .service()
                .webhook(Some(&sig), &body)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", pid)
        );
    })
}

#[test]
fn cancel_of_a_past_due_hold_is_refused_by_the_repository_and_refunds_nothing() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = past_due_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(b));
        repo.expect_cancel_booking()
            .times(1)
            .returning(|_, _, _, _, _| {
                Err(DomainError::IllegalTransition {
                    from: BookingStatus::Expired,
                    action: "cancelled",
                })
            });
        let mut gateway = MockPaymentGateway::new();
        gateway.expect_refund().never();
        let svc = booking_service(repo, t0())
            .with_refunds(refunds_runner(MockPaymentRepository::new(), gateway));
        assert_eq!(
            svc.cancel(&customer, id, None).await.unwrap_err(),
            DomainError::IllegalTransition {
                from: BookingStatus::Expired,
                action: "cancelled",
            }
        );
    })
}

#[test]
fn the_history_of_someone_elses_past_due_hold_is_not_found() {
    block_on(async {
        let b = past_due_hold(Some(Uuid::new_v4()));
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(b));
        repo.expect_history().never();
        assert_eq!(
            booking_service(repo, t0())
                .history(&actor(Role::Customer), id, None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}
