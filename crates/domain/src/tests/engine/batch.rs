//! `engine::book::book_batch`: concurrent requests for one show in one transaction, planned in
//! arrival order on the occupancy that includes the requests before them.

use super::world::*;
use crate::booking::{reference_from, BookingStatus, Places, HISTORY_ACTOR_SYSTEM};
use crate::engine::book::book_batch;
use crate::error::DomainError;
use crate::pricing::Tier::{Max, Min, Normal};
use crate::tests::support::failing_fields;

fn count(f: &super::fake::Fake, call: &str) -> usize {
    f.calls.iter().filter(|c| **c == call).count()
}

#[test]
fn an_earlier_requests_seats_count_for_the_price_of_the_later_ones() {
    let mut f = seated();
    let answers = book_batch(
        &mut f,
        SHOW,
        &[
            request(SHOW, labels(&["B1", "B2"])),
            request(SHOW, labels(&["B3"])),
            request(SHOW, labels(&["B5", "B4"])),
        ],
        t0(),
    )
    .unwrap();
    let got: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    let tiers = |i: usize| -> Vec<_> { got[i].items.iter().map(|x| (x.price, x.tier)).collect() };
    assert_eq!(tiers(0), vec![(500, Some(Min)), (500, Some(Min))]);
    assert_eq!(tiers(1), vec![(800, Some(Normal))]);
    assert_eq!(tiers(2), vec![(800, Some(Normal)), (1_200, Some(Max))]);
    let totals: Vec<i64> = got.iter().map(|b| b.total_amount).collect();
    assert_eq!(totals, vec![1_000, 800, 2_000]);
    let refs: Vec<&str> = got.iter().map(|b| b.reference.as_str()).collect();
    assert_eq!(
        refs,
        vec![reference_from(1), reference_from(2), reference_from(3)]
    );
    // One lock pass, one read of the classes, one write, for all three.
    assert_eq!(count(&f, "seats(lock)"), 1);
    assert_eq!(count(&f, "classes"), 1);
    assert_eq!(count(&f, "insert_bookings"), 1);
    assert_eq!(f.bookings.len(), 3);
    for b in &got {
        assert_eq!(f.bookings[&b.id].status, BookingStatus::Held);
        assert_eq!(
            rows(&f, b.id),
            vec![hist("booking", None, "held", "guest", None, t0())]
        );
    }
}

#[test]
fn a_seat_an_earlier_request_took_is_unavailable_to_a_later_one_and_the_others_are_booked() {
    let mut f = seated();
    let answers = book_batch(
        &mut f,
        SHOW,
        &[
            request(SHOW, labels(&["B1"])),
            request(SHOW, labels(&["B2", "B1"])),
            request(SHOW, labels(&["B2"])),
        ],
        t0(),
    )
    .unwrap();
    assert_eq!(
        answers[1],
        Err(DomainError::SeatsUnavailable {
            seats: vec!["B1".into()]
        })
    );
    let first = answers[0].as_ref().unwrap();
    let third = answers[2].as_ref().unwrap();
    // The refused request takes nothing: B2 goes to the third at 1/5 sold.
    assert_eq!(third.items[0].label.as_deref(), Some("B2"));
    assert_eq!(
        (third.items[0].price, third.items[0].tier),
        (500, Some(Min))
    );
    assert_eq!(holder(&f, seat(BALCONY, 1)), Some(first.id));
    assert_eq!(holder(&f, seat(BALCONY, 2)), Some(third.id));
    assert_eq!(f.bookings.len(), 2);
}

#[test]
fn refused_requests_are_answered_on_their_own() {
    let mut f = seated();
    let answers = book_batch(
        &mut f,
        SHOW,
        &[
            request(SHOW, labels(&["Q1"])),
            request(SHOW, ids(&[seat(STALLS, 1)])),
            request(SHOW, Places::Quantity(2)),
            request(SHOW, ids(&[9_999])),
        ],
        t0(),
    )
    .unwrap();
    let mut answers = answers.into_iter();
    assert_eq!(failing_fields(answers.next().unwrap()), ["seat_labels"]);
    assert_eq!(answers.next().unwrap().unwrap().total_amount, 1_000);
    assert_eq!(failing_fields(answers.next().unwrap()), ["seat_ids"]);
    assert_eq!(
        answers.next().unwrap(),
        Err(DomainError::not_found("seat", 9_999))
    );
    assert_eq!(f.bookings.len(), 1);
}

#[test]
fn a_batch_of_an_unknown_show_answers_not_found_to_each() {
    let mut f = seated();
    let answers = book_batch(
        &mut f,
        77,
        &[request(77, ids(&[1])), request(77, Places::Quantity(1))],
        t0(),
    )
    .unwrap();
    assert_eq!(answers, vec![Err(DomainError::not_found("show", 77)); 2]);
}

#[test]
fn a_request_for_another_show_fails_the_whole_batch() {
    let mut f = seated();
    let r = book_batch(
        &mut f,
        SHOW,
        &[
            request(SHOW, ids(&[seat(STALLS, 1)])),
            request(GA, Places::Quantity(1)),
        ],
        t0(),
    );
    assert!(matches!(r, Err(DomainError::Internal(_))), "{r:?}");
    assert!(f.bookings.is_empty());
}

#[test]
fn a_past_due_hold_on_a_seat_is_written_down_once_and_the_seat_goes_to_the_first_request() {
    let mut f = seated();
    let old = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Held,
        Some(t0()),
    );
    let answers = book_batch(
        &mut f,
        SHOW,
        &[
            request(SHOW, ids(&[seat(STALLS, 1)])),
            request(SHOW, ids(&[seat(STALLS, 1)])),
        ],
        t0(),
    )
    .unwrap();
    let first = answers[0].as_ref().unwrap();
    assert_eq!(
        answers[1],
        Err(DomainError::SeatsUnavailable {
            seats: vec!["A1".into()]
        })
    );
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(first.id));
    assert_eq!(f.bookings[&old].status, BookingStatus::Expired);
    let expiries = rows(&f, old)
        .into_iter()
        .filter(|r| r.2 == "expired" && r.3 == HISTORY_ACTOR_SYSTEM)
        .count();
    assert_eq!(expiries, 1);
}

#[test]
fn general_admission_requests_take_places_in_arrival_order() {
    let mut f = general();
    let answers = book_batch(
        &mut f,
        GA,
        &[
            request(GA, Places::Quantity(4)),
            request(GA, Places::Quantity(4)),
            request(GA, Places::Quantity(4)),
            request(GA, Places::Quantity(2)),
        ],
        t0(),
    )
    .unwrap();
    assert_eq!(answers[0].as_ref().unwrap().total_amount, 4 * GA_PRICE);
    assert_eq!(answers[1].as_ref().unwrap().total_amount, 4 * GA_PRICE);
    assert_eq!(
        answers[2],
        Err(DomainError::SoldOut {
            requested: 4,
            available: 2
        })
    );
    assert_eq!(answers[3].as_ref().unwrap().quantity, 2);
    assert_eq!(f.free_places(GA), Some(0));
    assert_eq!(f.bookings.len(), 3);
}

#[test]
fn a_batch_where_every_request_is_refused_writes_nothing() {
    let mut f = seated();
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Confirmed,
        None,
    );
    let answers = book_batch(
        &mut f,
        SHOW,
        &[
            request(SHOW, ids(&[seat(STALLS, 1)])),
            request(SHOW, labels(&["nope"])),
        ],
        t0(),
    )
    .unwrap();
    assert!(answers.iter().all(Result::is_err));
    assert_eq!(count(&f, "insert_bookings"), 0);
}
