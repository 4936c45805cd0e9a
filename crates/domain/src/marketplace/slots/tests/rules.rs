//! Buffers, conflicts with booked time, classes, exceptions and the working intervals (all in
//! UTC or a zone without DST, so that only the rule under test moves the instants).

use chrono::Weekday;

use super::super::{
    check_slot, occupied_range, ranges_overlap, working_intervals, BookedTime, SlotRefusal,
};
use super::*;
use crate::marketplace::availability::AvailabilityException;

/// Monday 8 March 2027, a whole day in UTC.
fn monday() -> (DateTime<Utc>, DateTime<Utc>) {
    (utc(2027, 3, 8, 0, 0), utc(2027, 3, 9, 0, 0))
}

fn booked(service_id: i64, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> BookedTime {
    BookedTime {
        service_id,
        starts_at,
        ends_at,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        places: 1,
    }
}

// --- buffers -----------------------------------------------------------------------------------

#[test]
fn back_to_back_slots_are_buffer_before_plus_duration_plus_buffer_after_apart() {
    let mut av = service(TimeZone::UTC, every_day(hm(9, 0), hm(11, 0)), 30);
    av.buffer_before_minutes = 10;
    av.buffer_after_minutes = 5;
    let (from, to) = monday();
    let slots = open_slots(&av, from, to);
    // Step 45: 09:00, 09:45, 10:30 (ends 11:00, the end; its buffers stick out).
    assert_eq!(
        starts(&slots),
        vec![
            utc(2027, 3, 8, 9, 0),
            utc(2027, 3, 8, 9, 45),
            utc(2027, 3, 8, 10, 30)
        ]
    );
    assert_eq!(slots[2].ends_at, utc(2027, 3, 8, 11, 0));
}

/// 60 minutes with 15 before and 15 after, 09:00–17:00: 09:00, 10:30, 12:00, 13:30, 15:00
/// (16:30 would end at 17:30).
fn buffered() -> Availability {
    let mut av = service(TimeZone::UTC, every_day(hm(9, 0), hm(17, 0)), 60);
    av.buffer_before_minutes = 15;
    av.buffer_after_minutes = 15;
    av
}

#[test]
fn the_buffered_grid() {
    let (from, to) = monday();
    let hours = [(9, 0), (10, 30), (12, 0), (13, 30), (15, 0)];
    let expected: Vec<_> = hours.iter().map(|&(h, m)| utc(2027, 3, 8, h, m)).collect();
    assert_eq!(starts(&open_slots(&buffered(), from, to)), expected);
}

#[test]
fn the_slots_buffer_before_runs_into_another_services_appointment() {
    // Another service of the provider, 14:45–15:00, no buffers: 15:00's buffer (14:45) hits
    // it; 13:30 ends at 14:30 and its buffer at 14:45, touching only.
    let (from, to) = monday();
    let b = [booked(
        OTHER_SERVICE,
        utc(2027, 3, 8, 14, 45),
        utc(2027, 3, 8, 15, 0),
    )];
    let slots = free_slots(SERVICE, &buffered(), &b, from, to, early_now());
    let hours = [(9, 0), (10, 30), (12, 0), (13, 30)];
    let expected: Vec<_> = hours.iter().map(|&(h, m)| utc(2027, 3, 8, h, m)).collect();
    assert_eq!(starts(&slots), expected);
    assert_eq!(
        check_slot(
            SERVICE,
            &buffered(),
            &b,
            utc(2027, 3, 8, 15, 0),
            early_now()
        ),
        Err(SlotRefusal::Taken)
    );
}

#[test]
fn the_booked_appointments_buffer_after_runs_into_the_slot() {
    let (from, to) = monday();
    // 08:00–08:30 + 30 min after: busy until 09:00; 09:00's own buffer starts 08:45.
    let mut b = booked(OTHER_SERVICE, utc(2027, 3, 8, 8, 0), utc(2027, 3, 8, 8, 30));
    b.buffer_after_minutes = 30;
    let slots = free_slots(SERVICE, &buffered(), &[b], from, to, early_now());
    assert_eq!(slots[0].starts_at, utc(2027, 3, 8, 10, 30));
    // + 15 min after: busy until 08:45, touching 09:00's buffer: free.
    b.buffer_after_minutes = 15;
    let slots = free_slots(SERVICE, &buffered(), &[b], from, to, early_now());
    assert_eq!(slots[0].starts_at, utc(2027, 3, 8, 9, 0));
}

#[test]
fn occupied_range_adds_the_buffers() {
    assert_eq!(
        occupied_range(utc(2027, 3, 8, 10, 0), utc(2027, 3, 8, 11, 0), 15, 30),
        (utc(2027, 3, 8, 9, 45), utc(2027, 3, 8, 11, 30))
    );
    assert_eq!(
        occupied_range(utc(2027, 3, 8, 10, 0), utc(2027, 3, 8, 11, 0), 0, 0),
        (utc(2027, 3, 8, 10, 0), utc(2027, 3, 8, 11, 0))
    );
    // Saturates instead of overflowing.
    let (lo, hi) = occupied_range(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, 1, 1);
    assert_eq!(
        (lo, hi),
        (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
    );
}

#[test]
fn ranges_overlap_is_half_open() {
    let r = |a: u32, b: u32| (utc(2027, 3, 8, a, 0), utc(2027, 3, 8, b, 0));
    assert!(ranges_overlap(r(9, 11), r(10, 12)));
    assert!(ranges_overlap(r(10, 12), r(9, 11)));
    assert!(ranges_overlap(r(9, 12), r(10, 11)));
    assert!(!ranges_overlap(r(9, 10), r(10, 11)));
    assert!(!ranges_overlap(r(10, 11), r(9, 10)));
    // An empty range overlaps nothing, as in PostgreSQL.
    assert!(!ranges_overlap(r(10, 10), r(9, 11)));
}

// --- one-to-one and classes --------------------------------------------------------------------

fn hourly() -> Availability {
    service(TimeZone::UTC, every_day(hm(9, 0), hm(12, 0)), 60)
}

#[test]
fn a_booked_one_to_one_slot_is_gone() {
    let (from, to) = monday();
    let b = [booked(
        SERVICE,
        utc(2027, 3, 8, 10, 0),
        utc(2027, 3, 8, 11, 0),
    )];
    let slots = free_slots(SERVICE, &hourly(), &b, from, to, early_now());
    assert_eq!(
        starts(&slots),
        vec![utc(2027, 3, 8, 9, 0), utc(2027, 3, 8, 11, 0)]
    );
    assert_eq!(
        check_slot(SERVICE, &hourly(), &b, utc(2027, 3, 8, 10, 0), early_now()),
        Err(SlotRefusal::Taken)
    );
    assert_eq!(
        check_slot(SERVICE, &hourly(), &b, utc(2027, 3, 8, 11, 0), early_now())
            .map(|s| s.remaining),
        Ok(1)
    );
}

fn class() -> Availability {
    let mut av = hourly();
    av.capacity = 5;
    av
}

fn places(n: u32, at: DateTime<Utc>) -> BookedTime {
    BookedTime {
        places: n,
        ..booked(SERVICE, at, at + chrono::Duration::hours(1))
    }
}

#[test]
fn a_class_counts_places_of_the_same_start() {
    let (from, to) = monday();
    let ten = utc(2027, 3, 8, 10, 0);
    let b = [places(2, ten), places(1, ten)];
    let slots = free_slots(SERVICE, &class(), &b, from, to, early_now());
    let remaining: Vec<_> = slots.iter().map(|s| (s.starts_at, s.remaining)).collect();
    assert_eq!(
        remaining,
        vec![
            (utc(2027, 3, 8, 9, 0), 5),
            (ten, 2),
            (utc(2027, 3, 8, 11, 0), 5)
        ]
    );
    assert_eq!(
        check_slot(SERVICE, &class(), &b, ten, early_now()).map(|s| s.remaining),
        Ok(2)
    );
}

#[test]
fn a_full_class_is_gone() {
    let (from, to) = monday();
    let ten = utc(2027, 3, 8, 10, 0);
    for b in [vec![places(3, ten), places(2, ten)], vec![places(7, ten)]] {
        let slots = free_slots(SERVICE, &class(), &b, from, to, early_now());
        assert_eq!(
            starts(&slots),
            vec![utc(2027, 3, 8, 9, 0), utc(2027, 3, 8, 11, 0)]
        );
        assert_eq!(
            check_slot(SERVICE, &class(), &b, ten, early_now()),
            Err(SlotRefusal::Taken)
        );
    }
}

#[test]
fn a_class_is_blocked_by_other_time_of_the_provider() {
    let (from, to) = monday();
    // Another service 10:30–11:30, and the same class at an overlapping other start (an older
    // grid): both block like any appointment.
    for b in [
        booked(
            OTHER_SERVICE,
            utc(2027, 3, 8, 10, 30),
            utc(2027, 3, 8, 11, 30),
        ),
        places(1, utc(2027, 3, 8, 10, 30)),
    ] {
        let slots = free_slots(SERVICE, &class(), &[b], from, to, early_now());
        assert_eq!(starts(&slots), vec![utc(2027, 3, 8, 9, 0)], "{b:?}");
    }
}

#[test]
fn booked_time_of_another_service_at_the_same_start_blocks_a_class() {
    let (from, to) = monday();
    let ten = utc(2027, 3, 8, 10, 0);
    let b = [booked(OTHER_SERVICE, ten, ten + chrono::Duration::hours(1))];
    assert_eq!(
        check_slot(SERVICE, &class(), &b, ten, early_now()),
        Err(SlotRefusal::Taken)
    );
    assert_eq!(
        free_slots(SERVICE, &class(), &b, from, to, early_now()).len(),
        2
    );
}

// --- exceptions --------------------------------------------------------------------------------

#[test]
fn working_intervals_of_a_date() {
    let mut av = service(
        TimeZone::UTC,
        vec![interval(Weekday::Mon, hm(9, 0), hm(11, 0))],
        60,
    );
    av.exceptions = vec![
        AvailabilityException::Closed {
            date: date(2027, 3, 8),
        },
        AvailabilityException::Extra {
            date: date(2027, 3, 8),
            start: hm(17, 0),
            end: hm(18, 0),
        },
        AvailabilityException::Extra {
            date: date(2027, 3, 9),
            start: hm(14, 0),
            end: hm(16, 0),
        },
        AvailabilityException::Extra {
            date: date(2027, 3, 9),
            start: hm(8, 0),
            end: hm(9, 0),
        },
    ];
    assert_eq!(
        working_intervals(&av, date(2027, 3, 8)),
        vec![(hm(17, 0), hm(18, 0))]
    );
    assert_eq!(
        working_intervals(&av, date(2027, 3, 9)),
        vec![(hm(8, 0), hm(9, 0)), (hm(14, 0), hm(16, 0))]
    );
    assert_eq!(
        working_intervals(&av, date(2027, 3, 15)),
        vec![(hm(9, 0), hm(11, 0))]
    );
    assert_eq!(working_intervals(&av, date(2027, 3, 16)), vec![]);
}

#[test]
fn closed_and_extra_exceptions() {
    let mut av = service(
        TimeZone::UTC,
        vec![interval(Weekday::Mon, hm(9, 0), hm(11, 0))],
        60,
    );
    av.exceptions = vec![
        // Monday 8: closed. Tuesday 9: extra 14:00–16:00. Monday 15: closed but extra 17–18.
        // Monday 22: extra 10:00–12:00 overlapping the weekly 09:00–11:00.
        AvailabilityException::Closed {
            date: date(2027, 3, 8),
        },
        AvailabilityException::Extra {
            date: date(2027, 3, 9),
            start: hm(14, 0),
            end: hm(16, 0),
        },
        AvailabilityException::Closed {
            date: date(2027, 3, 15),
        },
        AvailabilityException::Extra {
            date: date(2027, 3, 15),
            start: hm(17, 0),
            end: hm(18, 0),
        },
        AvailabilityException::Extra {
            date: date(2027, 3, 22),
            start: hm(10, 0),
            end: hm(12, 0),
        },
    ];
    let slots = open_slots(&av, utc(2027, 3, 8, 0, 0), utc(2027, 3, 30, 0, 0));
    assert_eq!(
        starts(&slots),
        vec![
            utc(2027, 3, 9, 14, 0),
            utc(2027, 3, 9, 15, 0),
            utc(2027, 3, 15, 17, 0),
            // Once each, though both intervals give 10:00.
            utc(2027, 3, 22, 9, 0),
            utc(2027, 3, 22, 10, 0),
            utc(2027, 3, 22, 11, 0),
            utc(2027, 3, 29, 9, 0),
            utc(2027, 3, 29, 10, 0),
        ]
    );
}

#[test]
fn exceptions_name_local_dates() {
    // Tokyo (+09:00): Tuesday 9 March 08:00–09:00 local is Monday 8 March 23:00 UTC.
    let mut av = service(zone("Asia/Tokyo"), vec![], 60);
    av.exceptions = vec![AvailabilityException::Extra {
        date: date(2027, 3, 9),
        start: hm(8, 0),
        end: hm(9, 0),
    }];
    let slots = open_slots(&av, utc(2027, 3, 8, 0, 0), utc(2027, 3, 9, 0, 0));
    assert_eq!(starts(&slots), vec![utc(2027, 3, 8, 23, 0)]);
    assert_eq!(slots[0].local_start, local(2027, 3, 9, 8, 0));
}

// --- not a slot --------------------------------------------------------------------------------

#[test]
fn check_slot_refuses_starts_off_the_grid() {
    let mut av = hourly();
    av.weekly = every_day(hm(9, 0), hm(11, 30));
    let now = early_now();
    for at in [
        utc(2027, 3, 8, 9, 30), // between two starts
        utc(2027, 3, 8, 8, 0),  // before the interval
        utc(2027, 3, 8, 11, 0), // would end at 12:00, after 11:30
        utc(2027, 3, 8, 13, 0), // after the interval
        utc(2027, 3, 8, 9, 0) + chrono::Duration::seconds(1),
    ] {
        assert_eq!(
            check_slot(SERVICE, &av, &[], at, now),
            Err(SlotRefusal::NotASlot),
            "{at}"
        );
    }
    let slot = check_slot(SERVICE, &av, &[], utc(2027, 3, 8, 10, 0), now).unwrap();
    assert_eq!(slot.ends_at, utc(2027, 3, 8, 11, 0));
    assert_eq!(slot.local_start, local(2027, 3, 8, 10, 0));
}

#[test]
fn an_empty_or_reversed_interval_gives_nothing() {
    let av = service(TimeZone::UTC, every_day(hm(11, 0), hm(9, 0)), 60);
    let (from, to) = monday();
    assert_eq!(open_slots(&av, from, to), vec![]);
    let av = service(TimeZone::UTC, every_day(hm(9, 0), hm(9, 30)), 60);
    assert_eq!(open_slots(&av, from, to), vec![]);
}
