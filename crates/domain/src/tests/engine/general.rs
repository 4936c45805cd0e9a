//! General admission through `engine::book::book`: the guarded take of places, sold out, holds
//! past due giving their places back, and the expire-and-retry after a lost race.

use super::world::*;
use crate::booking::{BookingStatus, Places, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED};
use crate::engine::book::book;
use crate::error::DomainError;
use crate::tests::support::failing_fields;

fn qty(n: u32) -> Places {
    Places::Quantity(n)
}

#[test]
fn a_booking_takes_its_places_and_is_held_with_one_line() {
    let mut f = general();
    let b = book_ok(&mut f, GA, qty(3), t0());
    assert_eq!(b.status, BookingStatus::Held);
    assert_eq!(b.expires_at, Some(t0() + minutes(HOLD_MINUTES)));
    assert_eq!(
        (b.quantity, b.total_amount, b.event_id),
        (3, 3 * GA_PRICE, Some(GA_EVENT))
    );
    assert_eq!(b.items.len(), 1);
    let line = &b.items[0];
    assert_eq!(
        (
            line.seat_id,
            line.label.clone(),
            line.seat_class.clone(),
            line.tier
        ),
        (None, None, None, None)
    );
    assert_eq!((line.quantity, line.price), (3, GA_PRICE));
    assert_eq!(f.free_places(GA), Some(7));
    assert_eq!(
        rows(&f, b.id),
        vec![hist("booking", None, "held", "guest", None, t0())]
    );
}

#[test]
fn a_free_show_confirms_at_once_without_a_deadline() {
    let mut f = Fake::new();
    f.general_show(GA, GA_EVENT, None, 5, starts());
    let b = book_ok(&mut f, GA, qty(2), t0());
    assert_eq!(
        (b.status, b.total_amount, b.expires_at),
        (BookingStatus::Confirmed, 0, None)
    );
    assert_eq!(b.items[0].price, 0);
    assert_eq!(f.free_places(GA), Some(3));
}

#[test]
fn more_than_the_free_places_is_sold_out_and_writes_nothing() {
    let mut f = general();
    let r = book(&mut f, &request(GA, qty(GA_CAPACITY + 1)), t0());
    assert_eq!(
        r,
        Err(DomainError::SoldOut {
            requested: 11,
            available: 10
        })
    );
    f.put_booking(GA, &qty(8), BookingStatus::Held, Some(t0() + minutes(1)));
    let r = book(&mut f, &request(GA, qty(3)), t0());
    assert_eq!(
        r,
        Err(DomainError::SoldOut {
            requested: 3,
            available: 2
        })
    );
    assert_eq!(f.free_places(GA), Some(2));
    assert_eq!(f.bookings.len(), 1);
    // Exactly the free places is fine.
    assert_eq!(book_ok(&mut f, GA, qty(2), t0()).quantity, 2);
    assert_eq!(f.free_places(GA), Some(0));
}

#[test]
fn holds_past_due_give_their_places_back_before_the_booking_is_planned() {
    let mut f = general();
    let old = f.put_booking(GA, &qty(8), BookingStatus::Held, Some(t0()));
    assert_eq!(f.free_places(GA), Some(2));
    let b = book_ok(&mut f, GA, qty(5), t0());
    assert_eq!(b.total_amount, 5 * GA_PRICE);
    assert_eq!(f.free_places(GA), Some(5));
    assert_eq!(f.bookings[&old].status, BookingStatus::Expired);
    assert!(f.items_of(old).iter().all(|i| !i.active));
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
fn a_lost_race_for_the_places_expires_past_due_holds_and_takes_again() {
    let mut f = general();
    let old = f.put_booking(GA, &qty(6), BookingStatus::Held, Some(t0()));
    // The show reads 4 free: enough, so nothing is expired first; then another transaction
    // takes 2 before our guarded update, which fails.
    f.race_take = Some((GA, 2));
    let b = book_ok(&mut f, GA, qty(4), t0());
    assert_eq!(b.quantity, 4);
    assert_eq!(f.bookings[&old].status, BookingStatus::Expired);
    // 10 - 2 (the other transaction) - 4.
    assert_eq!(f.free_places(GA), Some(4));
    let takes = f.calls.iter().filter(|c| **c == "take_places").count();
    assert_eq!(takes, 2);
}

#[test]
fn a_lost_race_with_nothing_to_expire_is_sold_out_with_the_places_left() {
    let mut f = general();
    f.race_take = Some((GA, 9));
    let r = book(&mut f, &request(GA, qty(4)), t0());
    assert_eq!(
        r,
        Err(DomainError::SoldOut {
            requested: 4,
            available: 1
        })
    );
    assert!(f.bookings.is_empty());
    assert_eq!(f.free_places(GA), Some(1));
}

#[test]
fn a_past_due_hold_another_transaction_holds_is_not_expired() {
    let mut f = general();
    let old = f.put_booking(GA, &qty(8), BookingStatus::Held, Some(t0()));
    f.locked.insert(old);
    let r = book(&mut f, &request(GA, qty(5)), t0());
    assert_eq!(
        r,
        Err(DomainError::SoldOut {
            requested: 5,
            available: 2
        })
    );
    assert_eq!(f.bookings[&old].status, BookingStatus::Held);
}

#[test]
fn seats_are_refused_on_general_admission_and_a_started_show_is_refused() {
    let mut f = general();
    assert_eq!(
        failing_fields(book(&mut f, &request(GA, ids(&[1])), t0())),
        ["seat_ids"]
    );
    assert_eq!(
        failing_fields(book(&mut f, &request(GA, labels(&["A1"])), t0())),
        ["seat_ids"]
    );
    assert_eq!(
        book(&mut f, &request(GA, qty(1)), starts()),
        Err(DomainError::ShowStarted)
    );
    assert_eq!(f.free_places(GA), Some(GA_CAPACITY));
    assert!(f.bookings.is_empty());
}

use super::fake::Fake;
