//! `engine::cancel::cancel`: the state machine's refusals, places freed at once, and the refund
//! the policy gives (24 h edge, half-up rounding, capped at what remains, none when nothing paid).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::fake::Fake;
use super::world::*;
use crate::booking::{BookingStatus, Places};
use crate::engine::cancel::{cancel, cancellation_refund_reason};
use crate::engine::settle::create_refund;
use crate::engine::Cancelled;
use crate::error::DomainError;
use crate::payment::{RefundPolicy, RefundStatus};
use crate::ports::RefundAsk;

const ODD: i64 = 15;

fn policy() -> RefundPolicy {
    RefundPolicy::default()
}

fn cancel_at(f: &mut Fake, id: Uuid, now: DateTime<Utc>) -> Result<Cancelled, DomainError> {
    cancel(f, id, now, "guest", "changed my mind", &policy())
}

/// A confirmed booking of one seat at `price` (paid at t0 + 1 min through `pay_1`), and its
/// payment.
fn paid(price: i64) -> (Fake, Uuid, Uuid) {
    let mut f = seated();
    f.class(SHOW, ODD, "odd", prices(price, price, price), "O", 2);
    let b = book_ok(&mut f, SHOW, ids(&[seat(ODD, 1)]), t0()).id;
    let p = pay(&mut f, b, t0() + minutes(1));
    (f, b, p)
}

fn refund_of(f: &mut Fake, id: Uuid, now: DateTime<Utc>) -> Option<i64> {
    cancel_at(f, id, now)
        .unwrap()
        .refund
        .map(|r| r.refund.amount)
}

#[test]
fn a_held_booking_is_cancelled_its_seats_freed_and_nothing_refunded() {
    let mut f = seated();
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1), seat(STALLS, 2)]), t0()).id;
    let now = t0() + minutes(1);
    let done = cancel_at(&mut f, x, now).unwrap();
    assert_eq!(done.refund, None);
    let b = &done.booking;
    assert_eq!(b.status, BookingStatus::Cancelled);
    assert_eq!((b.cancelled_at, b.updated_at), (Some(now), now));
    assert_eq!(holder(&f, seat(STALLS, 1)), None);
    assert_eq!(holder(&f, seat(STALLS, 2)), None);
    assert!(f.refunds.is_empty());
    assert_eq!(
        rows(&f, x)[1],
        hist(
            "booking",
            Some("held"),
            "cancelled",
            "guest",
            Some("changed my mind"),
            now
        )
    );
    assert_eq!(f.load_booking_now(x), done.booking);
}

#[test]
fn cancelled_at_least_24_hours_ahead_everything_is_refunded() {
    let (mut f, b, p) = paid(1_000);
    let now = starts() - Duration::hours(24);
    let done = cancel_at(&mut f, b, now).unwrap();
    let pending = done.refund.expect("a refund");
    let reason = cancellation_refund_reason("changed my mind");
    assert_eq!(
        reason,
        "changed my mind: refund per the cancellation policy"
    );
    assert_eq!(pending.charge_ref, "pay_1");
    assert_eq!(pending.currency, usd());
    let r = &pending.refund;
    assert_eq!(
        (r.payment_id, r.amount, r.status),
        (p, 1_000, RefundStatus::Pending)
    );
    assert_eq!(
        (r.reason.as_str(), r.created_at, r.gateway_ref.clone()),
        (reason.as_str(), now, None)
    );
    assert_eq!(f.refunds, vec![r.clone()]);
    assert_eq!(done.booking.payments[0].refunds, vec![r.clone()]);
    let h = rows(&f, b);
    assert_eq!(
        h[h.len() - 2..],
        [
            hist(
                "booking",
                Some("confirmed"),
                "cancelled",
                "guest",
                Some("changed my mind"),
                now
            ),
            hist("refund", None, "pending", "guest", Some(&reason), now),
        ]
    );
    assert_eq!(f.history.last().unwrap().entity_id, r.id.to_string());
}

#[test]
fn later_than_24_hours_ahead_half_is_refunded_rounded_half_up() {
    let (mut f, b, _) = paid(1_000);
    assert_eq!(
        refund_of(
            &mut f,
            b,
            starts() - Duration::hours(24) + Duration::microseconds(1)
        ),
        Some(500)
    );
    // 50 % of 1001 = 500.5 → 501, in the customer's favour.
    let (mut f, b, _) = paid(1_001);
    assert_eq!(
        refund_of(&mut f, b, starts() - Duration::hours(1)),
        Some(501)
    );
}

#[test]
fn a_policy_of_its_own_applies_with_its_rounding() {
    let (mut f, b, _) = paid(1_001);
    let quarter = RefundPolicy {
        full_refund_before: Duration::hours(48),
        late_refund_percent: 25,
    };
    // 47 h ahead: 25 % of 1001 = 250.25 → 250.
    let now = starts() - Duration::hours(47);
    let done = cancel(&mut f, b, now, "guest", "late", &quarter).unwrap();
    assert_eq!(done.refund.unwrap().refund.amount, 250);
}

#[test]
fn the_late_refund_is_capped_at_what_remains() {
    let (mut f, b, p) = paid(1_001);
    let ask = RefundAsk {
        id: Uuid::from_u128(99),
        payment_id: p,
        amount: Some(800),
        reason: "goodwill".into(),
        actor: "admin".into(),
    };
    create_refund(&mut f, &ask, t0() + minutes(2)).unwrap();
    assert_eq!(
        refund_of(&mut f, b, starts() - Duration::hours(1)),
        Some(201)
    );
    assert_eq!(f.refunded(p), 1_001);
}

#[test]
fn at_or_after_the_start_and_when_all_went_back_already_nothing_is_refunded() {
    let (mut f, b, _) = paid(1_000);
    let done = cancel_at(&mut f, b, starts()).unwrap();
    assert_eq!(done.refund, None);
    assert_eq!(done.booking.status, BookingStatus::Cancelled);
    assert!(f.refunds.is_empty());

    let (mut f, b, p) = paid(1_000);
    let all = RefundAsk {
        id: Uuid::from_u128(98),
        payment_id: p,
        amount: None,
        reason: "goodwill".into(),
        actor: "admin".into(),
    };
    create_refund(&mut f, &all, t0() + minutes(2)).unwrap();
    assert_eq!(refund_of(&mut f, b, t0() + minutes(3)), None);
    assert_eq!(f.refunds.len(), 1);
}

#[test]
fn nothing_paid_nothing_refunded() {
    // A free booking, and a held one whose payment failed.
    let mut f = seated();
    f.class(SHOW, 14, "free", prices(0, 0, 0), "F", 2);
    let free = book_ok(&mut f, SHOW, ids(&[seat(14, 1)]), t0()).id;
    assert_eq!(refund_of(&mut f, free, t0() + minutes(1)), None);
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    let p = start_payment(&mut f, x, t0());
    let declined = crate::payment::GatewayOutcome::Declined {
        code: crate::payment::DeclineCode::InsufficientFunds,
        gateway_ref: "pay_x".into(),
    };
    crate::engine::settle::settle(&mut f, p, &declined, t0(), "gateway").unwrap();
    assert_eq!(refund_of(&mut f, x, t0() + minutes(1)), None);
    assert!(f.refunds.is_empty());
}

#[test]
fn the_state_machine_refuses_what_cannot_be_cancelled() {
    let mut f = seated();
    let illegal = |from| DomainError::IllegalTransition {
        from,
        action: "cancelled",
    };
    // Cancelled already.
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    cancel_at(&mut f, x, t0()).unwrap();
    assert_eq!(
        cancel_at(&mut f, x, t0()),
        Err(illegal(BookingStatus::Cancelled))
    );
    // A hold past due at exactly its deadline is expired: nothing is written.
    let y = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 2)]), t0()).id;
    let history = f.history.len();
    let deadline = t0() + minutes(HOLD_MINUTES);
    assert_eq!(
        cancel_at(&mut f, y, deadline),
        Err(illegal(BookingStatus::Expired))
    );
    assert_eq!(f.bookings[&y].status, BookingStatus::Held);
    assert_eq!(f.history.len(), history);
    // Written expired, and completed.
    for (k, status) in [(1, BookingStatus::Expired), (2, BookingStatus::Completed)] {
        let z = f.put_booking(
            SHOW,
            &ids(&[seat(BALCONY, k)]),
            BookingStatus::Confirmed,
            None,
        );
        f.bookings.get_mut(&z).unwrap().status = status;
        assert_eq!(cancel_at(&mut f, z, t0()), Err(illegal(status)));
    }
    let unknown = Uuid::from_u128(4);
    assert_eq!(
        cancel_at(&mut f, unknown, t0()),
        Err(DomainError::not_found("booking", unknown))
    );
}

#[test]
fn a_general_admission_booking_gives_its_places_back() {
    let mut f = general();
    let x = book_ok(&mut f, GA, Places::Quantity(3), t0()).id;
    assert_eq!(f.free_places(GA), Some(7));
    cancel_at(&mut f, x, t0() + minutes(1)).unwrap();
    assert_eq!(f.free_places(GA), Some(GA_CAPACITY));
    assert!(f.items_of(x).iter().all(|i| !i.active));
}

/// The preview (`cancellation::quote_cancellation` on the booking as read) and the cancellation
/// take the same decision: at every moment, what the preview says is what the cancel refunds —
/// or refuses.
#[test]
fn the_preview_says_what_the_cancellation_then_does() {
    use crate::cancellation::quote_cancellation;
    let moments = [
        t0() + minutes(2),
        starts() - Duration::hours(24),
        starts() - Duration::hours(24) + Duration::microseconds(1),
        starts() - Duration::hours(1),
        starts(),
        starts() + Duration::hours(1),
    ];
    for now in moments {
        for price in [1_000, 1_001] {
            let (mut f, b, _) = paid(price);
            let quote = quote_cancellation(&f.load_booking_now(b), starts(), now, &policy());
            let quote = quote.unwrap();
            let done = cancel_at(&mut f, b, now).unwrap();
            let refunded = done.refund.map_or(0, |r| r.refund.amount);
            assert!(quote.cancellable, "{now}");
            assert_eq!(quote.refund_amount, refunded, "{now}, {price}");
            assert_eq!(quote.paid_amount, price);
            // Once cancelled, the preview says so, and a second cancel is refused.
            let again = quote_cancellation(&f.load_booking_now(b), starts(), now, &policy());
            let again = again.unwrap();
            assert_eq!(
                (again.cancellable, again.reason, again.refund_amount),
                (false, Some("booking_cancelled"), 0)
            );
            assert!(cancel_at(&mut f, b, now).is_err());
        }
    }
    // A hold: cancellable, nothing to refund; past its deadline, neither.
    let mut f = seated();
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    let held = f.load_booking_now(x);
    let late = t0() + minutes(HOLD_MINUTES);
    let q = quote_cancellation(&held, starts(), late, &policy()).unwrap();
    assert_eq!((q.cancellable, q.reason), (false, Some("booking_expired")));
    assert!(cancel_at(&mut f, x, late).is_err());
    let q = quote_cancellation(&held, starts(), t0() + minutes(1), &policy()).unwrap();
    assert_eq!((q.cancellable, q.refund_amount), (true, 0));
    assert_eq!(
        cancel_at(&mut f, x, t0() + minutes(1)).unwrap().refund,
        None
    );
}
