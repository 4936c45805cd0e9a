//! `engine::change::change_seats`: new seats for a held booking, re-priced without its own.

use super::fake::Fake;
use super::world::*;
use crate::booking::{BookingStatus, Places, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED};
use crate::engine::cancel::cancel;
use crate::engine::change::{change_seats, REASON_NOTHING_TO_PAY};
use crate::engine::settle::settle;
use crate::error::DomainError;
use crate::payment::{DeclineCode, GatewayOutcome, RefundPolicy};
use crate::pricing::Tier::{Min, Normal};
use crate::tests::support::failing_fields;

fn now() -> chrono::DateTime<chrono::Utc> {
    t0() + minutes(1)
}

/// A hold of A1, A2 made at t0 (2 × 1000).
fn held(f: &mut Fake) -> uuid::Uuid {
    book_ok(f, SHOW, ids(&[seat(STALLS, 1), seat(STALLS, 2)]), t0()).id
}

#[test]
fn a_kept_seat_stays_and_the_new_seats_are_priced_without_the_bookings_own() {
    let mut f = seated();
    let x = held(&mut f);
    let others = [seat(STALLS, 8), seat(STALLS, 9), seat(STALLS, 10)];
    f.put_booking(SHOW, &ids(&others), BookingStatus::Confirmed, None);
    let b = change_seats(&mut f, x, &labels(&["A3", "A2"]), now(), "guest").unwrap();
    // 3 of 10 sold without A1, A2: A2 at 3/10 (min), A3 at 4/10 (normal).
    assert_eq!(
        priced(&b),
        vec![
            ("A2".into(), 1_000, Some(Min)),
            ("A3".into(), 2_000, Some(Normal))
        ]
    );
    assert_eq!(
        (b.status, b.quantity, b.total_amount),
        (BookingStatus::Held, 2, 3_000)
    );
    assert_eq!(b.expires_at, Some(t0() + minutes(HOLD_MINUTES)));
    assert_eq!(b.updated_at, now());
    assert_eq!(f.items_of(x).len(), 2);
    assert_eq!(holder(&f, seat(STALLS, 1)), None);
    assert_eq!(holder(&f, seat(STALLS, 2)), Some(x));
    assert_eq!(holder(&f, seat(STALLS, 3)), Some(x));
    assert_eq!(
        rows(&f, x)[1],
        hist(
            "booking",
            Some("held"),
            "held",
            "guest",
            Some("seats changed from A1, A2 to A2, A3; total 2000 -> 3000"),
            now()
        )
    );
    assert_eq!(f.load_booking_now(x), b);
}

#[test]
fn the_same_seats_again_cost_what_they_cost_on_an_empty_class() {
    let mut f = seated();
    let all4 = ids(&[
        seat(BALCONY, 1),
        seat(BALCONY, 2),
        seat(BALCONY, 3),
        seat(BALCONY, 4),
    ]);
    let x = book_ok(&mut f, SHOW, all4.clone(), t0()).id;
    let b = change_seats(&mut f, x, &all4, now(), "guest").unwrap();
    // Counted with its own 4 seats the class would be at 80 % (max) for each.
    assert_eq!(b.total_amount, 500 + 500 + 800 + 800);
}

#[test]
fn a_change_that_leaves_nothing_to_pay_confirms_the_booking() {
    let mut f = seated();
    f.class(SHOW, 14, "free", prices(0, 0, 0), "F", 2);
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    let b = change_seats(&mut f, x, &ids(&[seat(14, 1)]), now(), "user:u").unwrap();
    assert_eq!((b.status, b.total_amount), (BookingStatus::Confirmed, 0));
    assert_eq!(
        rows(&f, x)[1..],
        [
            hist(
                "booking",
                Some("held"),
                "held",
                "user:u",
                Some("seats changed from A1 to F1; total 1000 -> 0"),
                now()
            ),
            hist(
                "booking",
                Some("held"),
                "confirmed",
                "user:u",
                Some(REASON_NOTHING_TO_PAY),
                now()
            ),
        ]
    );
}

#[test]
fn only_a_held_booking_whose_hold_runs_can_change() {
    let mut f = seated();
    f.class(SHOW, 14, "free", prices(0, 0, 0), "F", 2);
    let new = ids(&[seat(STALLS, 5)]);
    // Confirmed (a free booking).
    let free = book_ok(&mut f, SHOW, ids(&[seat(14, 1)]), t0()).id;
    assert_eq!(
        conflict_code(change_seats(&mut f, free, &new, now(), "guest")),
        "booking_not_held"
    );
    // Cancelled.
    let gone = held(&mut f);
    cancel(&mut f, gone, now(), "guest", "no", &RefundPolicy::default()).unwrap();
    assert_eq!(
        conflict_code(change_seats(&mut f, gone, &new, now(), "guest")),
        "booking_not_held"
    );
    // Past due at exactly its deadline: expired.
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 3)]), t0()).id;
    let deadline = t0() + minutes(HOLD_MINUTES);
    let r = change_seats(&mut f, x, &new, deadline, "guest");
    match &r {
        Err(DomainError::Conflict { code, message }) => {
            assert_eq!(*code, "booking_not_held");
            assert!(message.contains("is expired"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.bookings[&x].status, BookingStatus::Held);
    assert_eq!(holder(&f, seat(STALLS, 5)), None);
    assert_eq!(
        change_seats(&mut f, uuid::Uuid::from_u128(5), &new, now(), "guest"),
        Err(DomainError::not_found("booking", uuid::Uuid::from_u128(5)))
    );
}

#[test]
fn seats_cannot_change_while_a_payment_is_initiated_and_can_after_it_failed() {
    let mut f = seated();
    let x = held(&mut f);
    let pay = start_payment(&mut f, x, now());
    let new = ids(&[seat(STALLS, 5)]);
    assert_eq!(
        conflict_code(change_seats(&mut f, x, &new, now(), "guest")),
        "payment_pending"
    );
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(x));
    let declined = GatewayOutcome::Declined {
        code: DeclineCode::CardDeclined,
        gateway_ref: "pay_d".into(),
    };
    settle(&mut f, pay, &declined, now(), "gateway").unwrap();
    let b = change_seats(&mut f, x, &new, now(), "guest").unwrap();
    assert_eq!(b.total_amount, 1_000);
}

#[test]
fn a_taken_seat_refuses_the_change_and_nothing_changes() {
    let mut f = seated();
    let x = held(&mut f);
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 5)]),
        BookingStatus::Confirmed,
        None,
    );
    let history = f.history.len();
    let r = change_seats(&mut f, x, &labels(&["A5", "A1"]), now(), "guest");
    assert_eq!(
        r,
        Err(DomainError::SeatsUnavailable {
            seats: vec!["A5".into()]
        })
    );
    assert_eq!(f.history.len(), history);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(x));
    assert_eq!(f.bookings[&x].total_amount, 2_000);
}

#[test]
fn a_seat_of_a_past_due_hold_is_taken_over_by_the_change() {
    let mut f = seated();
    let x = held(&mut f);
    let old = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 6)]),
        BookingStatus::Held,
        Some(t0()),
    );
    let b = change_seats(&mut f, x, &ids(&[seat(STALLS, 6)]), now(), "guest").unwrap();
    assert_eq!(b.items[0].label.as_deref(), Some("A6"));
    assert_eq!(holder(&f, seat(STALLS, 6)), Some(x));
    assert_eq!(f.bookings[&old].status, BookingStatus::Expired);
    assert_eq!(
        rows(&f, old)[1],
        hist(
            "booking",
            Some("held"),
            "expired",
            HISTORY_ACTOR_SYSTEM,
            Some(REASON_HOLD_EXPIRED),
            t0()
        )
    );
}

#[test]
fn a_quantity_is_not_a_seat_change() {
    let mut f = seated();
    let x = held(&mut f);
    let r = change_seats(&mut f, x, &Places::Quantity(2), now(), "guest");
    assert_eq!(failing_fields(r), ["seat_ids"]);
}

#[test]
fn the_new_seats_are_locked_before_the_booking() {
    let mut f = seated();
    let x = held(&mut f);
    f.calls.clear();
    change_seats(&mut f, x, &ids(&[seat(STALLS, 4)]), now(), "guest").unwrap();
    let at = |c: &str| f.calls.iter().position(|x| *x == c).unwrap();
    assert!(at("seats(lock)") < at("lock_booking"), "{:?}", f.calls);
    assert!(
        at("lock_booking") < at("lock_payment_of_booking"),
        "{:?}",
        f.calls
    );
    assert!(at("lock_booking") < at("seat_holders"), "{:?}", f.calls);
}
