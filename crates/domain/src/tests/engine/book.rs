//! `engine::book::book`: one seated request — holds and deadlines, per-seat pricing at the tier
//! edges, occupancy, past-due holds taken over at the exact instant, and the refusals.

use chrono::Duration;
use uuid::Uuid;

use super::fake::Fake;
use super::world::*;
use crate::account::TokenHash;
use crate::booking::{
    reference_from, BookingStatus, Places, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED,
};
use crate::engine::{book::book, cancel::cancel};
use crate::error::DomainError;
use crate::payment::RefundPolicy;
use crate::pricing::Tier::{Max, Min, Normal};
use crate::tests::support::failing_fields;
use crate::values::Phone;

fn p(
    label: &str,
    price: i64,
    tier: crate::pricing::Tier,
) -> (String, i64, Option<crate::pricing::Tier>) {
    (label.to_owned(), price, Some(tier))
}

/// `n` confirmed seats of the stalls (`A<from>`..), booked by someone else.
fn sold(f: &mut Fake, from: i64, n: i64) {
    let seats: Vec<i64> = (from..from + n).map(|k| seat(STALLS, k)).collect();
    f.put_booking(SHOW, &ids(&seats), BookingStatus::Confirmed, None);
}

#[test]
fn a_seated_booking_is_held_until_now_plus_the_hold_and_written_with_its_history() {
    let mut f = seated();
    let b = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 2), seat(STALLS, 1)]), t0());
    assert_eq!(b.status, BookingStatus::Held);
    assert_eq!(b.expires_at, Some(t0() + minutes(HOLD_MINUTES)));
    assert_eq!((b.quantity, b.total_amount, b.currency), (2, 2_000, usd()));
    assert_eq!(priced(&b), vec![p("A1", 1_000, Min), p("A2", 1_000, Min)]);
    assert!(b
        .items
        .iter()
        .all(|i| i.seat_class.as_deref() == Some("stalls")));
    assert_eq!((b.show_id, b.event_id), (Some(SHOW), Some(EVENT)));
    assert_eq!(
        (b.created_at, b.updated_at, b.cancelled_at),
        (t0(), t0(), None)
    );
    assert_eq!(b.reference, reference_from(1));
    assert_eq!(b.customer_name, "Ada Lovelace");
    assert_eq!(b.email.as_deref(), Some("ada@example.com"));
    // The answer is what was written.
    assert_eq!(f.load_booking_now(b.id), b);
    assert_eq!(
        rows(&f, b.id),
        vec![hist("booking", None, "held", "guest", None, t0())]
    );
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(b.id));
    assert_eq!(holder(&f, seat(STALLS, 2)), Some(b.id));
}

#[test]
fn the_deadline_is_the_requests_own_hold_time() {
    let mut f = seated();
    let mut r = request(SHOW, ids(&[seat(STALLS, 1)]));
    r.hold_for = Duration::seconds(90);
    let b = book(&mut f, &r, t0()).unwrap();
    assert_eq!(b.expires_at, Some(t0() + Duration::seconds(90)));
}

#[test]
fn a_free_booking_is_confirmed_at_once_without_a_deadline() {
    let mut f = seated();
    f.class(SHOW, 14, "free", prices(0, 0, 0), "F", 2);
    let b = book_ok(&mut f, SHOW, ids(&[seat(14, 1)]), t0());
    assert_eq!(
        (b.status, b.total_amount, b.expires_at),
        (BookingStatus::Confirmed, 0, None)
    );
    assert_eq!(
        rows(&f, b.id),
        vec![hist("booking", None, "confirmed", "guest", None, t0())]
    );
}

#[test]
fn seats_are_priced_one_by_one_in_label_order_across_both_tier_edges() {
    // 5 seats: 0/5 and 1/5 < 40 %, 2/5 = 40 % and 3/5 = 60 % normal, 4/5 > 60 %.
    let mut f = seated();
    let b = book_ok(&mut f, SHOW, labels(&["B5", "B1", "B3", "B2", "B4"]), t0());
    assert_eq!(
        priced(&b),
        vec![
            p("B1", 500, Min),
            p("B2", 500, Min),
            p("B3", 800, Normal),
            p("B4", 800, Normal),
            p("B5", 1_200, Max),
        ]
    );
    assert_eq!(b.total_amount, 3_800);
}

#[test]
fn at_exactly_40_percent_the_normal_price_applies() {
    let mut f = seated();
    sold(&mut f, 1, 3);
    // A4 at 3/10 (min), A5 at 4/10 = 40 % (normal): the booking crosses the edge.
    let b = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 4), seat(STALLS, 5)]), t0());
    assert_eq!(
        priced(&b),
        vec![p("A4", 1_000, Min), p("A5", 2_000, Normal)]
    );
    assert_eq!(b.total_amount, 3_000);
    // Now 5/10 sold: the next seat is normal.
    let c = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 6)]), t0());
    assert_eq!(priced(&c), vec![p("A6", 2_000, Normal)]);
}

#[test]
fn at_exactly_60_percent_the_normal_price_still_applies_and_above_it_the_max() {
    let mut f = seated();
    sold(&mut f, 1, 5);
    let b = book_ok(
        &mut f,
        SHOW,
        ids(&[seat(STALLS, 8), seat(STALLS, 7), seat(STALLS, 6)]),
        t0(),
    );
    assert_eq!(
        priced(&b),
        vec![
            p("A6", 2_000, Normal),
            p("A7", 2_000, Normal),
            p("A8", 3_000, Max)
        ]
    );
    assert_eq!(b.total_amount, 7_000);
}

#[test]
fn occupancy_counts_active_bookings_but_not_holds_past_due_nor_cancelled_ones() {
    let mut f = seated();
    let now = t0();
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Confirmed,
        None,
    );
    let running = Some(now + Duration::seconds(1));
    f.put_booking(SHOW, &ids(&[seat(STALLS, 2)]), BookingStatus::Held, running);
    // Past due at exactly `now`.
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 3)]),
        BookingStatus::Held,
        Some(now),
    );
    let gone = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 4)]),
        BookingStatus::Confirmed,
        None,
    );
    cancel(
        &mut f,
        gone,
        now,
        "guest",
        "changed my mind",
        &RefundPolicy::default(),
    )
    .unwrap();
    // 2 of 10 count: A5 at 2/10, A6 at 3/10 (min), A7 at 4/10 (normal).
    let b = book_ok(
        &mut f,
        SHOW,
        ids(&[seat(STALLS, 5), seat(STALLS, 6), seat(STALLS, 7)]),
        now,
    );
    assert_eq!(
        priced(&b),
        vec![
            p("A5", 1_000, Min),
            p("A6", 1_000, Min),
            p("A7", 2_000, Normal)
        ]
    );
}

#[test]
fn a_hold_past_due_at_the_exact_instant_gives_its_seat_to_the_next_booking() {
    let mut f = seated();
    let old = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0());
    let deadline = t0() + minutes(HOLD_MINUTES);
    let new = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), deadline);
    // The old hold does not count for the price either.
    assert_eq!(priced(&new), vec![p("A1", 1_000, Min)]);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(new.id));
    let old_row = &f.bookings[&old.id];
    assert_eq!(old_row.status, BookingStatus::Expired);
    assert_eq!(old_row.updated_at, deadline);
    assert!(f.items_of(old.id).iter().all(|i| !i.active));
    assert_eq!(
        rows(&f, old.id),
        vec![
            hist("booking", None, "held", "guest", None, t0()),
            hist(
                "booking",
                Some("held"),
                "expired",
                HISTORY_ACTOR_SYSTEM,
                Some(REASON_HOLD_EXPIRED),
                deadline
            ),
        ]
    );
}

#[test]
fn an_expiry_written_later_is_dated_at_the_deadline() {
    let mut f = seated();
    let old = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0());
    let deadline = t0() + minutes(HOLD_MINUTES);
    let later = deadline + minutes(15);
    book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), later);
    assert_eq!(f.bookings[&old.id].updated_at, later);
    assert_eq!(rows(&f, old.id)[1].5, deadline);
}

#[test]
fn a_microsecond_before_the_deadline_the_seat_is_still_taken() {
    let mut f = seated();
    let old = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1), seat(STALLS, 2)]), t0());
    let just_before = t0() + minutes(HOLD_MINUTES) - Duration::microseconds(1);
    let r = book(&mut f, &request(SHOW, ids(&[seat(STALLS, 2)])), just_before);
    assert_eq!(
        r,
        Err(DomainError::SeatsUnavailable {
            seats: vec!["A2".into()]
        })
    );
    assert_eq!(f.bookings.len(), 1);
    assert_eq!(f.bookings[&old.id].status, BookingStatus::Held);
    assert_eq!(f.history.len(), 1);
}

#[test]
fn taken_seats_are_named_in_label_order_and_nothing_is_written() {
    let mut f = seated();
    f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 10), seat(STALLS, 2)]),
        BookingStatus::Confirmed,
        None,
    );
    let before = (f.bookings.len(), f.history.len(), f.items.len());
    let r = book(
        &mut f,
        &request(
            SHOW,
            ids(&[seat(STALLS, 10), seat(STALLS, 3), seat(STALLS, 2)]),
        ),
        t0(),
    );
    assert_eq!(
        r,
        Err(DomainError::SeatsUnavailable {
            seats: vec!["A2".into(), "A10".into()]
        })
    );
    assert_eq!((f.bookings.len(), f.history.len(), f.items.len()), before);
}

#[test]
fn refusals_of_a_seated_request() {
    let mut f = seated();
    f.seated_show(3, 30, starts());
    f.class(3, 31, "other", prices(1, 2, 3), "Z", 1);
    f.class(SHOW, 15, "unpriced", Default::default(), "U", 1);
    let now = t0();
    let try_book = |f: &mut Fake, show: i64, places: Places| book(f, &request(show, places), now);

    assert_eq!(
        try_book(&mut f, 99, ids(&[1])),
        Err(DomainError::not_found("show", 99))
    );
    assert_eq!(
        try_book(&mut f, SHOW, ids(&[seat(STALLS, 1), 9_999])),
        Err(DomainError::not_found("seat", 9_999))
    );
    assert_eq!(
        failing_fields(try_book(&mut f, SHOW, ids(&[seat(31, 1)]))),
        ["seat_ids"]
    );
    assert_eq!(
        failing_fields(try_book(&mut f, SHOW, labels(&["A1", "Q7"]))),
        ["seat_labels"]
    );
    assert_eq!(
        failing_fields(try_book(&mut f, SHOW, Places::Quantity(2))),
        ["seat_ids"]
    );
    assert_eq!(
        try_book(&mut f, SHOW, ids(&[seat(15, 1)])),
        Err(DomainError::NotForSale {
            seats: vec!["U1".into()]
        })
    );
    assert!(f.bookings.is_empty() && f.history.is_empty() && f.items.is_empty());
}

#[test]
fn a_show_that_has_started_cannot_be_booked() {
    let mut f = seated();
    let r = book(&mut f, &request(SHOW, ids(&[seat(STALLS, 1)])), starts());
    assert_eq!(r, Err(DomainError::ShowStarted));
    let r = book(
        &mut f,
        &request(SHOW, ids(&[seat(STALLS, 1)])),
        starts() - Duration::seconds(1),
    );
    assert!(r.is_ok());
}

#[test]
fn labels_resolve_to_the_seats_of_the_show() {
    let mut f = seated();
    let b = book_ok(&mut f, SHOW, labels(&["A3", "B1"]), t0());
    let seats: Vec<_> = b.items.iter().map(|i| i.seat_id).collect();
    assert_eq!(seats, vec![Some(seat(STALLS, 3)), Some(seat(BALCONY, 1))]);
    assert_eq!(b.total_amount, 1_500);
}

#[test]
fn the_buyer_owner_and_actor_are_written_as_given() {
    let mut f = seated();
    let user = Uuid::from_u128(7);
    let mut r = request(SHOW, ids(&[seat(STALLS, 1)]));
    r.buyer.phone = Some(Phone::parse("+15550100").unwrap());
    r.user_id = Some(user);
    r.guest_token_hash = Some(TokenHash([9; 32]));
    r.actor = format!("user:{user}");
    let b = book(&mut f, &r, t0()).unwrap();
    let row = &f.bookings[&b.id];
    assert_eq!(row.phone.as_deref(), Some("+15550100"));
    assert_eq!(row.user_id, Some(user));
    assert_eq!(row.guest_token_hash, Some(TokenHash([9; 32])));
    assert_eq!(rows(&f, b.id)[0].3, format!("user:{user}"));
}

#[test]
fn seats_are_locked_before_anything_else_is_read_or_written() {
    let mut f = seated();
    book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0());
    let first_lock = f.calls.iter().position(|c| *c == "seats(lock)").unwrap();
    let reads = ["classes", "seat_holders", "insert_bookings"];
    for r in reads {
        let at = f.calls.iter().position(|c| *c == r).unwrap();
        assert!(first_lock < at, "{r} before the seat locks: {:?}", f.calls);
    }
}

impl Fake {
    /// `load_booking` from a test (the port's method needs `&mut`).
    pub fn load_booking_now(&mut self, id: Uuid) -> crate::booking::Booking {
        crate::engine::BookingTx::load_booking(self, id).unwrap()
    }
}
