//! `engine::settle::{create_payment, create_refund, finish_refund}`.

use uuid::Uuid;

use super::fake::Fake;
use super::world::*;
use crate::booking::BookingStatus;
use crate::engine::cancel::cancel;
use crate::engine::settle::{create_payment, create_refund, finish_refund, settle};
use crate::error::DomainError;
use crate::payment::{
    DeclineCode, GatewayOutcome, Payment, PaymentMethod, PaymentStatus, RefundOutcome,
    RefundPolicy, RefundStatus,
};
use crate::ports::{NewPayment, RefundAsk};
use crate::tests::support::failing_fields;

fn new_payment(booking_id: Uuid, expected_amount: Option<i64>) -> NewPayment {
    NewPayment {
        id: Uuid::from_u128(0xAB),
        booking_id,
        method: PaymentMethod::Delayed,
        expected_amount,
        actor: "user:u".into(),
    }
}

fn held(f: &mut Fake) -> Uuid {
    book_ok(f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id
}

/// A confirmed booking of A1 (1000), paid through `pay_1`; the payment's id.
fn paid() -> (Fake, Uuid, Uuid) {
    let mut f = seated();
    let b = held(&mut f);
    let p = pay(&mut f, b, t0() + minutes(1));
    (f, b, p)
}

fn ask(payment_id: Uuid, n: u128, amount: Option<i64>) -> RefundAsk {
    RefundAsk {
        id: Uuid::from_u128(0xE0 + n),
        payment_id,
        amount,
        reason: "goodwill".into(),
        actor: "admin".into(),
    }
}

#[test]
fn a_payment_is_written_initiated_for_the_bookings_total_with_history() {
    let mut f = seated();
    let b = held(&mut f);
    let now = t0() + minutes(1);
    let p = create_payment(&mut f, &new_payment(b, Some(1_000)), now).unwrap();
    assert_eq!(
        p,
        Payment {
            id: Uuid::from_u128(0xAB),
            booking_id: b,
            amount: 1_000,
            currency: usd(),
            status: PaymentStatus::Initiated,
            method: PaymentMethod::Delayed,
            gateway_ref: None,
            failure_code: None,
            outcome: None,
            refunds: vec![],
            created_at: now,
            updated_at: now,
        }
    );
    assert_eq!(
        rows(&f, b)[1],
        hist(
            "payment",
            None,
            "initiated",
            "user:u",
            Some("tok_delayed"),
            now
        )
    );
    assert_eq!(f.history[1].entity_id, p.id.to_string());
}

#[test]
fn an_expected_amount_other_than_the_total_is_refused() {
    let mut f = seated();
    let b = held(&mut f);
    let r = create_payment(&mut f, &new_payment(b, Some(999)), t0());
    assert_eq!(failing_fields(r), ["amount"]);
    assert!(f.payments.is_empty());
    assert_eq!(f.history.len(), 1);
}

#[test]
fn only_a_held_booking_whose_hold_runs_can_be_paid() {
    let mut f = seated();
    let b = held(&mut f);
    let deadline = t0() + minutes(HOLD_MINUTES);
    assert_eq!(
        conflict_code(create_payment(&mut f, &new_payment(b, None), deadline)),
        "booking_not_held"
    );
    cancel(&mut f, b, t0(), "guest", "no", &RefundPolicy::default()).unwrap();
    assert_eq!(
        conflict_code(create_payment(&mut f, &new_payment(b, None), t0())),
        "booking_not_held"
    );
    let (mut f, b, _) = paid();
    assert_eq!(f.bookings[&b].status, BookingStatus::Confirmed);
    assert_eq!(
        conflict_code(create_payment(&mut f, &new_payment(b, None), t0())),
        "booking_not_held"
    );
    let unknown = Uuid::from_u128(1);
    assert_eq!(
        create_payment(&mut f, &new_payment(unknown, None), t0()),
        Err(DomainError::not_found("booking", unknown))
    );
}

#[test]
fn a_second_live_payment_is_refused_and_one_after_a_failure_is_not() {
    let mut f = seated();
    let b = held(&mut f);
    let first = start_payment(&mut f, b, t0());
    let mut second = new_payment(b, None);
    second.id = Uuid::from_u128(0xAC);
    assert_eq!(
        conflict_code(create_payment(&mut f, &second, t0())),
        "payment_pending"
    );
    let declined = GatewayOutcome::Declined {
        code: DeclineCode::CardDeclined,
        gateway_ref: "pay_d".into(),
    };
    settle(&mut f, first, &declined, t0(), "gateway").unwrap();
    let p = create_payment(&mut f, &second, t0()).unwrap();
    assert_eq!(p.status, PaymentStatus::Initiated);
    assert_eq!(f.payments.len(), 2);
}

#[test]
fn a_refund_is_what_was_asked_or_all_that_remains() {
    let (mut f, b, p) = paid();
    let now = t0() + minutes(5);
    let part = create_refund(&mut f, &ask(p, 1, Some(300)), now).unwrap();
    assert_eq!((part.charge_ref.as_str(), part.currency), ("pay_1", usd()));
    let r = &part.refund;
    assert_eq!(
        (r.id, r.payment_id, r.amount),
        (Uuid::from_u128(0xE1), p, 300)
    );
    assert_eq!(
        (r.status, r.reason.as_str(), r.created_at),
        (RefundStatus::Pending, "goodwill", now)
    );
    assert_eq!(
        rows(&f, b).last().unwrap(),
        &hist("refund", None, "pending", "admin", Some("goodwill"), now)
    );
    let rest = create_refund(&mut f, &ask(p, 2, None), now).unwrap();
    assert_eq!(rest.refund.amount, 700);
    assert_eq!(
        conflict_code(create_refund(&mut f, &ask(p, 3, None), now)),
        "nothing_to_refund"
    );
}

#[test]
fn an_amount_outside_one_to_what_remains_is_refused() {
    let (mut f, _, p) = paid();
    assert_eq!(
        failing_fields(create_refund(&mut f, &ask(p, 1, Some(0)), t0())),
        ["amount"]
    );
    assert_eq!(
        failing_fields(create_refund(&mut f, &ask(p, 2, Some(1_001)), t0())),
        ["amount"]
    );
    assert_eq!(
        create_refund(&mut f, &ask(p, 3, Some(1_000)), t0())
            .unwrap()
            .refund
            .amount,
        1_000
    );
    assert_eq!(f.refunds.len(), 1);
}

#[test]
fn only_a_succeeded_payment_can_be_refunded() {
    let mut f = seated();
    let b = held(&mut f);
    let p = start_payment(&mut f, b, t0());
    assert_eq!(
        conflict_code(create_refund(&mut f, &ask(p, 1, None), t0())),
        "payment_not_succeeded"
    );
    let unknown = Uuid::from_u128(2);
    assert_eq!(
        create_refund(&mut f, &ask(unknown, 1, None), t0()),
        Err(DomainError::not_found("payment", unknown))
    );
}

#[test]
fn a_refund_finishes_as_the_gateway_answered() {
    let (mut f, b, p) = paid();
    let r = create_refund(&mut f, &ask(p, 1, Some(400)), t0())
        .unwrap()
        .refund;
    let now = t0() + minutes(9);
    let ok = RefundOutcome::Succeeded {
        gateway_ref: "re_1".into(),
    };
    let done = finish_refund(&mut f, r.id, &ok, now, "gateway").unwrap();
    assert_eq!(done.status, RefundStatus::Succeeded);
    assert_eq!(
        (done.gateway_ref.as_deref(), done.failure_code.clone()),
        (Some("re_1"), None)
    );
    assert_eq!(
        (done.updated_at, done.created_at, done.amount),
        (now, t0(), 400)
    );
    assert_eq!(f.refunds[0], done);
    assert_eq!(
        rows(&f, b).last().unwrap(),
        &hist("refund", Some("pending"), "succeeded", "gateway", None, now)
    );
    // Final: answered unchanged, nothing recorded.
    let history = f.history.len();
    let failed = RefundOutcome::Failed {
        code: "unknown_charge".into(),
    };
    assert_eq!(
        finish_refund(&mut f, r.id, &failed, now, "gateway"),
        Ok(done)
    );
    assert_eq!(f.history.len(), history);
    assert_eq!(f.refunded(p), 400);
}

#[test]
fn a_failed_refund_gives_its_amount_back_to_what_can_be_refunded() {
    let (mut f, b, p) = paid();
    let r = create_refund(&mut f, &ask(p, 1, None), t0())
        .unwrap()
        .refund;
    let failed = RefundOutcome::Failed {
        code: "amount_exceeds_charge".into(),
    };
    let done = finish_refund(&mut f, r.id, &failed, t0(), "gateway").unwrap();
    assert_eq!(done.status, RefundStatus::Failed);
    assert_eq!(
        (done.failure_code.as_deref(), done.gateway_ref.clone()),
        (Some("amount_exceeds_charge"), None)
    );
    assert_eq!(
        rows(&f, b).last().unwrap(),
        &hist(
            "refund",
            Some("pending"),
            "failed",
            "gateway",
            Some("amount_exceeds_charge"),
            t0()
        )
    );
    assert_eq!(
        create_refund(&mut f, &ask(p, 2, None), t0())
            .unwrap()
            .refund
            .amount,
        1_000
    );
    let unknown = Uuid::from_u128(3);
    assert_eq!(
        finish_refund(&mut f, unknown, &failed, t0(), "gateway"),
        Err(DomainError::not_found("refund", unknown))
    );
}
