//! `engine::expire::expire_due`: the sweep of holds past due.

use chrono::Duration;

use super::fake::Fake;
use super::world::*;
use crate::booking::{BookingStatus, Places, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED};
use crate::engine::expire::expire_due;

/// The seated show and the general-admission show in one store.
fn both() -> Fake {
    let mut f = seated();
    f.general_show(GA, GA_EVENT, Some(GA_PRICE), GA_CAPACITY, starts());
    f
}

fn expired_row(at: chrono::DateTime<chrono::Utc>) -> Row {
    hist(
        "booking",
        Some("held"),
        "expired",
        HISTORY_ACTOR_SYSTEM,
        Some(REASON_HOLD_EXPIRED),
        at,
    )
}

#[test]
fn holds_past_due_are_written_down_at_their_deadline_and_their_places_freed() {
    let mut f = both();
    let now = t0() + minutes(1);
    let seated_hold = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Held,
        Some(t0()),
    );
    // Past due at exactly `now`.
    let ga_hold = f.put_booking(GA, &Places::Quantity(3), BookingStatus::Held, Some(now));
    let running = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 2)]),
        BookingStatus::Held,
        Some(now + Duration::microseconds(1)),
    );
    let confirmed = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 3)]),
        BookingStatus::Confirmed,
        None,
    );
    assert_eq!(f.free_places(GA), Some(7));

    assert_eq!(expire_due(&mut f, now, 100), Ok(2));

    assert_eq!(f.bookings[&seated_hold].status, BookingStatus::Expired);
    assert_eq!(f.bookings[&seated_hold].updated_at, now);
    assert_eq!(rows(&f, seated_hold)[1], expired_row(t0()));
    assert_eq!(holder(&f, seat(STALLS, 1)), None);
    assert_eq!(f.bookings[&ga_hold].status, BookingStatus::Expired);
    assert_eq!(rows(&f, ga_hold)[1], expired_row(now));
    assert_eq!(f.free_places(GA), Some(GA_CAPACITY));
    assert_eq!(f.bookings[&running].status, BookingStatus::Held);
    assert_eq!(holder(&f, seat(STALLS, 2)), Some(running));
    assert_eq!(f.bookings[&confirmed].status, BookingStatus::Confirmed);
    assert_eq!(rows(&f, running).len(), 1);
    // Nothing left to do.
    assert_eq!(expire_due(&mut f, now, 100), Ok(0));
}

#[test]
fn at_most_limit_holds_earliest_deadline_first() {
    let mut f = seated();
    let due = |f: &mut Fake, k: i64, ago: i64| {
        f.put_booking(
            SHOW,
            &ids(&[seat(STALLS, k)]),
            BookingStatus::Held,
            Some(t0() - minutes(ago)),
        )
    };
    let (one, three, two) = (due(&mut f, 1, 1), due(&mut f, 2, 3), due(&mut f, 3, 2));
    assert_eq!(expire_due(&mut f, t0(), 2), Ok(2));
    let status = |f: &Fake, id| f.bookings[&id].status;
    assert_eq!(status(&f, three), BookingStatus::Expired);
    assert_eq!(status(&f, two), BookingStatus::Expired);
    assert_eq!(status(&f, one), BookingStatus::Held);
    assert_eq!(expire_due(&mut f, t0(), 2), Ok(1));
    assert_eq!(status(&f, one), BookingStatus::Expired);
}

#[test]
fn a_hold_another_transaction_holds_is_left_for_the_next_sweep() {
    let mut f = seated();
    let busy = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 1)]),
        BookingStatus::Held,
        Some(t0() - minutes(2)),
    );
    let free = f.put_booking(
        SHOW,
        &ids(&[seat(STALLS, 2)]),
        BookingStatus::Held,
        Some(t0() - minutes(1)),
    );
    f.locked.insert(busy);
    // The earliest is skipped, not waited for.
    assert_eq!(expire_due(&mut f, t0(), 1), Ok(0));
    assert_eq!(expire_due(&mut f, t0(), 10), Ok(1));
    assert_eq!(f.bookings[&busy].status, BookingStatus::Held);
    assert_eq!(f.bookings[&free].status, BookingStatus::Expired);
    assert!(!f.calls.contains(&"lock_booking"));
    f.locked.clear();
    assert_eq!(expire_due(&mut f, t0(), 10), Ok(1));
    assert_eq!(f.bookings[&busy].status, BookingStatus::Expired);
}

#[test]
fn a_paid_booking_is_never_expired_though_its_deadline_passed() {
    let mut f = seated();
    let x = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    pay(&mut f, x, t0() + minutes(1));
    let later = t0() + minutes(HOLD_MINUTES) + minutes(5);
    assert_eq!(
        f.bookings[&x].expires_at,
        Some(t0() + minutes(HOLD_MINUTES))
    );
    assert_eq!(expire_due(&mut f, later, 100), Ok(0));
    assert_eq!(f.bookings[&x].status, BookingStatus::Confirmed);
    assert_eq!(holder(&f, seat(STALLS, 1)), Some(x));
}
