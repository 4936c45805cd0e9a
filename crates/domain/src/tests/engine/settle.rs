//! `engine::settle::{settle, revive}`: the gateway's answer to a payment and what a success does
//! to its booking — confirm, revive after the hold, or a full refund.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::fake::Fake;
use super::world::*;
use crate::booking::{BookingStatus, Places, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED};
use crate::engine::cancel::cancel;
use crate::engine::expire::expire_due;
use crate::engine::settle::{revive, settle, SettleStep, REASON_PAID, REASON_REVIVED};
use crate::engine::Settled;
use crate::error::DomainError;
use crate::payment::{
    DeclineCode, GatewayOutcome, PaymentOutcome, PaymentStatus, RefundPolicy, RefundStatus,
};

fn deadline() -> DateTime<Utc> {
    t0() + minutes(HOLD_MINUTES)
}

/// A hold of A1 (1000) made at t0 and its payment started at t0 + 1 min.
fn paying() -> (Fake, Uuid, Uuid) {
    let mut f = seated();
    let b = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    let p = start_payment(&mut f, b, t0() + minutes(1));
    (f, b, p)
}

fn done(step: Result<SettleStep, DomainError>) -> Settled {
    match step {
        Ok(SettleStep::Done(s)) => *s,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn expired_row() -> Row {
    hist(
        "booking",
        Some("held"),
        "expired",
        HISTORY_ACTOR_SYSTEM,
        Some(REASON_HOLD_EXPIRED),
        deadline(),
    )
}

#[test]
fn a_pending_answer_keeps_the_payment_initiated_with_the_gateways_ref() {
    let (mut f, b, p) = paying();
    let now = t0() + minutes(2);
    let pending = GatewayOutcome::Pending {
        gateway_ref: "pay_p".into(),
    };
    let s = done(settle(&mut f, p, &pending, now, "gateway"));
    assert_eq!(s.refund, None);
    assert_eq!(s.payment.status, PaymentStatus::Initiated);
    assert_eq!(s.payment.gateway_ref.as_deref(), Some("pay_p"));
    assert_eq!((s.payment.outcome, s.payment.updated_at), (None, now));
    assert_eq!(rows(&f, b).len(), 2);
    assert_eq!(f.bookings[&b].status, BookingStatus::Held);
}

#[test]
fn a_decline_fails_the_payment_with_history_and_the_booking_stays_held() {
    let (mut f, b, p) = paying();
    let now = t0() + minutes(2);
    let declined = GatewayOutcome::Declined {
        code: DeclineCode::InsufficientFunds,
        gateway_ref: "pay_d".into(),
    };
    let s = done(settle(&mut f, p, &declined, now, "gateway"));
    assert_eq!(s.payment.status, PaymentStatus::Failed);
    assert_eq!(
        s.payment.failure_code.as_deref(),
        Some("insufficient_funds")
    );
    assert_eq!(s.payment.gateway_ref.as_deref(), Some("pay_d"));
    assert_eq!(
        rows(&f, b)[2],
        hist(
            "payment",
            Some("initiated"),
            "failed",
            "gateway",
            Some("insufficient_funds"),
            now
        )
    );
    assert_eq!(f.bookings[&b].status, BookingStatus::Held);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(b));
}

#[test]
fn a_success_while_the_hold_runs_confirms_the_booking() {
    let (mut f, b, p) = paying();
    let now = deadline() - chrono::Duration::microseconds(1);
    let s = done(settle(&mut f, p, &succeeded("pay_1"), now, "gateway"));
    assert_eq!(s.refund, None);
    assert_eq!(s.payment.status, PaymentStatus::Succeeded);
    assert_eq!(s.payment.outcome, Some(PaymentOutcome::BookingConfirmed));
    assert_eq!(s.payment.gateway_ref.as_deref(), Some("pay_1"));
    let row = &f.bookings[&b];
    assert_eq!(
        (row.status, row.expires_at),
        (BookingStatus::Confirmed, Some(deadline()))
    );
    assert_eq!(
        rows(&f, b)[2..],
        [
            hist(
                "payment",
                Some("initiated"),
                "succeeded",
                "gateway",
                Some("booking_confirmed"),
                now
            ),
            hist(
                "booking",
                Some("held"),
                "confirmed",
                "gateway",
                Some(REASON_PAID),
                now
            ),
        ]
    );
}

#[test]
fn a_final_payment_is_answered_unchanged() {
    let (mut f, b, p) = paying();
    let first = done(settle(
        &mut f,
        p,
        &succeeded("pay_1"),
        t0() + minutes(2),
        "gateway",
    ));
    let history = f.history.len();
    let declined = GatewayOutcome::Declined {
        code: DeclineCode::CardDeclined,
        gateway_ref: "pay_2".into(),
    };
    let again = done(settle(&mut f, p, &declined, t0() + minutes(3), "webhook"));
    assert_eq!(again.payment, first.payment);
    let late = revive(&mut f, p, "pay_3", deadline() + minutes(1), "webhook").unwrap();
    assert_eq!(late.payment, first.payment);
    assert_eq!(f.history.len(), history);
    assert_eq!(f.bookings[&b].status, BookingStatus::Confirmed);
}

#[test]
fn a_success_after_the_hold_asks_for_a_revival_and_writes_nothing() {
    let (mut f, b, p) = paying();
    let history = f.history.len();
    let step = settle(&mut f, p, &succeeded("pay_1"), deadline(), "gateway").unwrap();
    assert_eq!(
        step,
        SettleStep::Revive {
            gateway_ref: "pay_1".into()
        }
    );
    assert_eq!(f.history.len(), history);
    assert_eq!(f.bookings[&b].status, BookingStatus::Held);
    assert_eq!(f.payments[0].status, PaymentStatus::Initiated);
}

#[test]
fn a_revival_with_the_seats_still_free_confirms_the_booking() {
    let (mut f, b, p) = paying();
    let now = deadline() + minutes(1);
    let s = revive(&mut f, p, "pay_1", now, "gateway").unwrap();
    assert_eq!(s.refund, None);
    assert_eq!(s.payment.status, PaymentStatus::Succeeded);
    assert_eq!(s.payment.outcome, Some(PaymentOutcome::BookingRevived));
    assert_eq!(f.bookings[&b].status, BookingStatus::Confirmed);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(b));
    assert_eq!(
        rows(&f, b)[2..],
        [
            expired_row(),
            hist(
                "booking",
                Some("expired"),
                "confirmed",
                "gateway",
                Some(REASON_REVIVED),
                now
            ),
            hist(
                "payment",
                Some("initiated"),
                "succeeded",
                "gateway",
                Some("booking_revived"),
                now
            ),
        ]
    );
}

#[test]
fn a_revival_of_a_hold_the_sweep_wrote_down_brings_its_seats_back() {
    let (mut f, b, p) = paying();
    assert_eq!(expire_due(&mut f, deadline(), 10), Ok(1));
    assert_eq!(holder(&f, seat(STALLS, 1)), None);
    let now = deadline() + minutes(1);
    revive(&mut f, p, "pay_1", now, "gateway").unwrap();
    assert_eq!(f.bookings[&b].status, BookingStatus::Confirmed);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(b));
    let expiries = rows(&f, b).iter().filter(|r| r.2 == "expired").count();
    assert_eq!(expiries, 1);
}

#[test]
fn a_revival_whose_seats_are_gone_refunds_in_full() {
    let (mut f, b, p) = paying();
    let other = book_ok(
        &mut f,
        SHOW,
        ids(&[seat(STALLS, 1)]),
        deadline() + minutes(1),
    )
    .id;
    let now = deadline() + minutes(2);
    let s = revive(&mut f, p, "pay_1", now, "gateway").unwrap();
    assert_eq!(s.payment.status, PaymentStatus::Succeeded);
    assert_eq!(
        s.payment.outcome,
        Some(PaymentOutcome::RefundedBookingExpired)
    );
    let pending = s.refund.expect("a refund");
    let reason = PaymentOutcome::RefundedBookingExpired
        .refund_reason()
        .unwrap();
    assert_eq!(pending.charge_ref, "pay_1");
    assert_eq!(
        (
            pending.refund.amount,
            pending.refund.status,
            pending.refund.reason.as_str()
        ),
        (1_000, RefundStatus::Pending, reason)
    );
    assert_eq!(s.payment.refunds, vec![pending.refund.clone()]);
    assert_eq!(f.bookings[&b].status, BookingStatus::Expired);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(other));
    let h = rows(&f, b);
    assert_eq!(
        h[h.len() - 2..],
        [
            hist(
                "payment",
                Some("initiated"),
                "succeeded",
                "gateway",
                Some("refunded_booking_expired"),
                now
            ),
            hist("refund", None, "pending", "gateway", Some(reason), now),
        ]
    );
}

#[test]
fn general_admission_is_revived_while_places_are_free_and_refunded_when_not() {
    let mut f = general();
    let b = book_ok(&mut f, GA, Places::Quantity(3), t0()).id;
    let p = start_payment(&mut f, b, t0());
    let s = revive(&mut f, p, "pay_1", deadline(), "gateway").unwrap();
    assert_eq!(s.payment.outcome, Some(PaymentOutcome::BookingRevived));
    assert_eq!(f.free_places(GA), Some(7));

    let mut f = general();
    let b = book_ok(&mut f, GA, Places::Quantity(3), t0()).id;
    let p = start_payment(&mut f, b, t0());
    // After the deadline another booking takes 8 of the 10 (expiring the hold on its way).
    book_ok(&mut f, GA, Places::Quantity(8), deadline());
    let s = revive(&mut f, p, "pay_1", deadline(), "gateway").unwrap();
    assert_eq!(
        s.payment.outcome,
        Some(PaymentOutcome::RefundedBookingExpired)
    );
    assert_eq!(s.refund.unwrap().refund.amount, 3 * GA_PRICE);
    assert_eq!(f.bookings[&b].status, BookingStatus::Expired);
    assert_eq!(f.free_places(GA), Some(2));
}

#[test]
fn a_success_for_a_cancelled_booking_is_refunded_in_full() {
    let (mut f, b, p) = paying();
    cancel(
        &mut f,
        b,
        t0() + minutes(2),
        "guest",
        "no",
        &RefundPolicy::default(),
    )
    .unwrap();
    let now = t0() + minutes(3);
    let s = done(settle(&mut f, p, &succeeded("pay_1"), now, "webhook"));
    assert_eq!(
        s.payment.outcome,
        Some(PaymentOutcome::RefundedBookingCancelled)
    );
    let r = s.refund.unwrap().refund;
    assert_eq!(r.amount, 1_000);
    assert_eq!(
        Some(r.reason.as_str()),
        PaymentOutcome::RefundedBookingCancelled.refund_reason()
    );
    assert_eq!(f.bookings[&b].status, BookingStatus::Cancelled);
}

#[test]
fn a_success_after_the_hold_once_the_show_started_is_refunded_and_the_hold_written_down() {
    let (mut f, b, p) = paying();
    let s = done(settle(&mut f, p, &succeeded("pay_1"), starts(), "gateway"));
    assert_eq!(
        s.payment.outcome,
        Some(PaymentOutcome::RefundedBookingExpired)
    );
    assert_eq!(s.refund.unwrap().refund.amount, 1_000);
    assert_eq!(f.bookings[&b].status, BookingStatus::Expired);
    assert_eq!(rows(&f, b)[2], expired_row());
    assert_eq!(holder(&f, seat(STALLS, 1)), None);
    // The same when the show starts between the settling and the reviving transaction.
    let (mut f, b, p) = paying();
    let s = revive(&mut f, p, "pay_1", starts(), "gateway").unwrap();
    assert_eq!(
        s.payment.outcome,
        Some(PaymentOutcome::RefundedBookingExpired)
    );
    assert_eq!(f.bookings[&b].status, BookingStatus::Expired);
}

#[test]
fn a_revival_locks_the_seats_before_the_booking_and_the_payment() {
    let (mut f, _, p) = paying();
    f.calls.clear();
    revive(&mut f, p, "pay_1", deadline(), "gateway").unwrap();
    let at = |c: &str| f.calls.iter().position(|x| *x == c).unwrap();
    assert!(at("seats(lock)") < at("lock_booking"), "{:?}", f.calls);
    assert!(at("lock_booking") < at("lock_payment"), "{:?}", f.calls);
}

#[test]
fn an_unknown_payment_is_not_found() {
    let mut f = seated();
    let id = Uuid::from_u128(3);
    assert_eq!(
        settle(&mut f, id, &succeeded("x"), t0(), "gateway"),
        Err(DomainError::not_found("payment", id))
    );
    assert_eq!(
        revive(&mut f, id, "x", t0(), "gateway"),
        Err(DomainError::not_found("payment", id))
    );
}
