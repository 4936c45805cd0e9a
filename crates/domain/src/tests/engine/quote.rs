//! `engine::quote::quote_inputs`: what a booking would read at that moment, without locks or
//! writes; priced by `quote::quote_booking` it gives what the booking gives.

use super::world::*;
use crate::booking::{BookingStatus, Places};
use crate::engine::quote::quote_inputs;
use crate::error::DomainError;
use crate::quote::quote_booking;
use crate::tests::support::failing_fields;

const WRITES: [&str; 6] = [
    "insert_bookings",
    "set_status",
    "record",
    "release_places",
    "take_places",
    "try_lock_bookings",
];

#[test]
fn seated_inputs_mark_taken_seats_and_leave_past_due_holds_free_without_writing() {
    let mut f = seated();
    let now = t0();
    let x = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Held,
        Some(now + minutes(1)),
    );
    let due = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 2)]),
        BookingStatus::Held,
        Some(now),
    );
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 3)]),
        BookingStatus::Confirmed,
        None,
    );
    let history = f.history.len();

    let q = quote_inputs(&mut f, SHOW, &labels(&["A4", "A2", "A1"]), now).unwrap();
    assert_eq!(
        q.requested,
        vec![seat(STALLS, 4), seat(STALLS, 2), seat(STALLS, 1)]
    );
    let taken: Vec<(String, bool)> = q.seats.iter().map(|s| (s.label.clone(), s.taken)).collect();
    assert_eq!(
        taken,
        vec![
            ("A1".into(), true),
            ("A2".into(), false),
            ("A4".into(), false)
        ]
    );
    assert_eq!(q.classes.len(), 1);
    assert_eq!(
        (
            q.classes[0].id,
            q.classes[0].total_seats,
            q.classes[0].sold_seats
        ),
        (STALLS, 10, 2)
    );
    assert_eq!(q.show.id, SHOW);

    assert!(f.calls.contains(&"seats") && !f.calls.contains(&"seats(lock)"));
    assert!(!f.calls.contains(&"lock_booking"));
    for w in WRITES {
        assert!(!f.calls.contains(&w), "{w}: {:?}", f.calls);
    }
    assert_eq!(f.history.len(), history);
    assert_eq!(f.bookings[&due].status, BookingStatus::Held);
    assert_eq!(f.bookings[&x].status, BookingStatus::Held);
}

#[test]
fn a_quote_prices_exactly_as_the_booking_made_at_that_moment() {
    let mut f = seated();
    let now = t0();
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1), seat(STALLS, 2), seat(STALLS, 3)]),
        BookingStatus::Confirmed,
        None,
    );
    let places = labels(&["A5", "A4", "B1"]);
    let inputs = quote_inputs(&mut f, SHOW, &places, now).unwrap();
    let quote = quote_booking(&inputs, &places, now).unwrap();
    let booked = book_ok(&mut f, SHOW, places, now);
    assert_eq!(quote.items, booked.items);
    assert_eq!(
        (quote.total_amount, quote.quantity),
        (booked.total_amount, booked.quantity)
    );
    // A4 at 3/10 (min), A5 at 4/10 (normal), B1 at 0/5 (min).
    assert_eq!(quote.total_amount, 1_000 + 2_000 + 500);
}

#[test]
fn a_taken_seat_makes_the_quote_refuse_as_the_booking_would() {
    let mut f = seated();
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Held,
        Some(t0() + minutes(1)),
    );
    let places = ids(&[seat(STALLS, 1)]);
    let inputs = quote_inputs(&mut f, SHOW, &places, t0()).unwrap();
    assert_eq!(
        quote_booking(&inputs, &places, t0()),
        Err(DomainError::SeatsUnavailable {
            seats: vec!["A1".into()]
        })
    );
}

#[test]
fn general_admission_counts_the_places_of_past_due_holds_as_free() {
    let mut f = general();
    let due = f.put_booking(GA, &Places::Quantity(4), BookingStatus::Held, Some(t0()));
    f.put_booking(
        GA,
        &Places::Quantity(2),
        BookingStatus::Held,
        Some(t0() + minutes(1)),
    );
    assert_eq!(f.free_places(GA), Some(4));
    let places = Places::Quantity(8);
    let q = quote_inputs(&mut f, GA, &places, t0()).unwrap();
    assert_eq!(q.show.free_places, Some(8));
    assert!(q.requested.is_empty() && q.seats.is_empty() && q.classes.is_empty());
    assert_eq!(
        quote_booking(&q, &places, t0()).unwrap().total_amount,
        8 * GA_PRICE
    );
    assert_eq!(f.free_places(GA), Some(4));
    assert_eq!(f.bookings[&due].status, BookingStatus::Held);
    for w in WRITES {
        assert!(!f.calls.contains(&w), "{w}: {:?}", f.calls);
    }
}

#[test]
fn the_wrong_kind_of_places_and_unknown_shows_are_refused() {
    let mut f = seated();
    f.general_show(GA, GA_EVENT, Some(GA_PRICE), GA_CAPACITY, starts());
    // A quantity for a seated show: the inputs, and the quote refuses.
    let q = quote_inputs(&mut f, SHOW, &Places::Quantity(2), t0()).unwrap();
    assert!(q.requested.is_empty());
    assert_eq!(
        failing_fields(quote_booking(&q, &Places::Quantity(2), t0())),
        ["seat_ids"]
    );
    assert_eq!(
        failing_fields(quote_inputs(&mut f, GA, &ids(&[1]), t0())),
        ["seat_ids"]
    );
    assert_eq!(
        quote_inputs(&mut f, 42, &Places::Quantity(1), t0()),
        Err(DomainError::not_found("show", 42))
    );
}
