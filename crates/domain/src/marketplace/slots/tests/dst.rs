//! Slots across DST transitions, and in zones without DST.
//!
//! Europe/Berlin 2027: CET (+01:00) → CEST (+02:00) on Sun 28 March at 01:00 UTC (02:00 →
//! 03:00 local); back on Sun 31 October at 01:00 UTC (03:00 → 02:00 local).
//! America/New_York 2027: EST (-05:00) → EDT (-04:00) on Sun 14 March at 07:00 UTC (02:00 →
//! 03:00 local); back on Sun 7 November at 06:00 UTC (02:00 → 01:00 local).

use chrono::Weekday;

use super::super::{check_slot, SlotRefusal};
use super::*;

const CET: i32 = 3600;
const CEST: i32 = 7200;
const EST: i32 = -5 * 3600;
const EDT: i32 = -4 * 3600;

/// Sundays only, one interval.
fn sundays(tz: &str, start: NaiveTime, end: NaiveTime, duration: u32) -> Availability {
    service(zone(tz), vec![interval(Weekday::Sun, start, end)], duration)
}

// --- Europe/Berlin, spring forward (28 March 2027) ---------------------------------------------

/// The whole weekend around the transition, in UTC.
fn berlin_spring_range() -> (DateTime<Utc>, DateTime<Utc>) {
    (utc(2027, 3, 27, 0, 0), utc(2027, 3, 29, 0, 0))
}

#[test]
fn berlin_spring_forward_hourly_slots_skip_the_missing_hour() {
    let av = sundays("Europe/Berlin", hm(0, 0), hm(5, 0), 60);
    let (from, to) = berlin_spring_range();
    let slots = open_slots(&av, from, to);
    assert_eq!(
        rows(&slots),
        vec![
            (
                local(2027, 3, 28, 0, 0),
                CET,
                utc(2027, 3, 27, 23, 0),
                utc(2027, 3, 28, 0, 0),
                local(2027, 3, 28, 1, 0)
            ),
            // Ends as the clock jumps: 02:00 CET is 03:00 CEST.
            (
                local(2027, 3, 28, 1, 0),
                CET,
                utc(2027, 3, 28, 0, 0),
                utc(2027, 3, 28, 1, 0),
                local(2027, 3, 28, 3, 0)
            ),
            (
                local(2027, 3, 28, 3, 0),
                CEST,
                utc(2027, 3, 28, 1, 0),
                utc(2027, 3, 28, 2, 0),
                local(2027, 3, 28, 4, 0)
            ),
            // Ends exactly at the interval's end, 05:00 CEST.
            (
                local(2027, 3, 28, 4, 0),
                CEST,
                utc(2027, 3, 28, 2, 0),
                utc(2027, 3, 28, 3, 0),
                local(2027, 3, 28, 5, 0)
            ),
        ]
    );
    assert!(slots.iter().all(|s| s.remaining == 1));
}

#[test]
fn berlin_spring_forward_half_hour_slots_have_no_two_oclock() {
    let av = sundays("Europe/Berlin", hm(1, 0), hm(4, 0), 30);
    let (from, to) = berlin_spring_range();
    let slots = open_slots(&av, from, to);
    let local_starts: Vec<_> = slots.iter().map(|s| s.local_start).collect();
    assert_eq!(
        local_starts,
        vec![
            local(2027, 3, 28, 1, 0),
            local(2027, 3, 28, 1, 30),
            local(2027, 3, 28, 3, 0),
            local(2027, 3, 28, 3, 30),
        ]
    );
    assert_eq!(
        starts(&slots),
        vec![
            utc(2027, 3, 28, 0, 0),
            utc(2027, 3, 28, 0, 30),
            utc(2027, 3, 28, 1, 0),
            utc(2027, 3, 28, 1, 30),
        ]
    );
}

#[test]
fn berlin_an_interval_ending_in_the_gap_ends_at_the_jump() {
    // Until 02:30, which does not exist: the interval ends at 01:00 UTC (02:00 CET = 03:00
    // CEST). 01:45 CET + 45 min would end at 01:30 UTC: too late.
    let av = sundays("Europe/Berlin", hm(1, 0), hm(2, 30), 45);
    let (from, to) = berlin_spring_range();
    assert_eq!(
        starts(&open_slots(&av, from, to)),
        vec![utc(2027, 3, 28, 0, 0)]
    );

    // 30-minute slots: 01:30 CET ends exactly at the jump, and fits.
    let av = sundays("Europe/Berlin", hm(0, 0), hm(2, 30), 30);
    assert_eq!(
        starts(&open_slots(&av, from, to)),
        vec![
            utc(2027, 3, 27, 23, 0),
            utc(2027, 3, 27, 23, 30),
            utc(2027, 3, 28, 0, 0),
            utc(2027, 3, 28, 0, 30),
        ]
    );
}

#[test]
fn berlin_a_slot_before_the_gap_may_overlap_the_next_one_in_real_time() {
    // 45-minute grid from 01:00: 01:00, 01:45, (02:30 missing), 03:15 CEST.
    let av = sundays("Europe/Berlin", hm(1, 0), hm(4, 0), 45);
    let (from, to) = berlin_spring_range();
    let slots = open_slots(&av, from, to);
    assert_eq!(
        rows(&slots),
        vec![
            (
                local(2027, 3, 28, 1, 0),
                CET,
                utc(2027, 3, 28, 0, 0),
                utc(2027, 3, 28, 0, 45),
                local(2027, 3, 28, 1, 45)
            ),
            (
                local(2027, 3, 28, 1, 45),
                CET,
                utc(2027, 3, 28, 0, 45),
                utc(2027, 3, 28, 1, 30),
                local(2027, 3, 28, 3, 30)
            ),
            (
                local(2027, 3, 28, 3, 15),
                CEST,
                utc(2027, 3, 28, 1, 15),
                utc(2027, 3, 28, 2, 0),
                local(2027, 3, 28, 4, 0)
            ),
        ]
    );
    // Booking 01:45 CET blocks 03:15 CEST, which starts inside it.
    let booked = [crate::marketplace::slots::BookedTime {
        service_id: SERVICE,
        starts_at: utc(2027, 3, 28, 0, 45),
        ends_at: utc(2027, 3, 28, 1, 30),
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        places: 1,
    }];
    let now = early_now();
    assert_eq!(
        starts(&free_slots(SERVICE, &av, &booked, from, to, now)),
        vec![utc(2027, 3, 28, 0, 0)]
    );
}

// --- Europe/Berlin, fall back (31 October 2027) ------------------------------------------------

fn berlin_fall_range() -> (DateTime<Utc>, DateTime<Utc>) {
    (utc(2027, 10, 30, 0, 0), utc(2027, 11, 1, 0, 0))
}

#[test]
fn berlin_fall_back_offers_the_repeated_hour_once() {
    let av = sundays("Europe/Berlin", hm(1, 0), hm(4, 0), 60);
    let (from, to) = berlin_fall_range();
    let slots = open_slots(&av, from, to);
    assert_eq!(slots.len(), 3);
    assert_eq!(
        rows(&slots),
        vec![
            (
                local(2027, 10, 31, 1, 0),
                CEST,
                utc(2027, 10, 30, 23, 0),
                utc(2027, 10, 31, 0, 0),
                local(2027, 10, 31, 2, 0)
            ),
            // The first 02:00 (CEST); it ends at the second 02:00 (CET).
            (
                local(2027, 10, 31, 2, 0),
                CEST,
                utc(2027, 10, 31, 0, 0),
                utc(2027, 10, 31, 1, 0),
                local(2027, 10, 31, 2, 0)
            ),
            (
                local(2027, 10, 31, 3, 0),
                CET,
                utc(2027, 10, 31, 2, 0),
                utc(2027, 10, 31, 3, 0),
                local(2027, 10, 31, 4, 0)
            ),
        ]
    );
    // The second 02:00 (CET, 01:00 UTC) is no slot.
    assert_eq!(
        check_slot(SERVICE, &av, &[], utc(2027, 10, 31, 1, 0), early_now()),
        Err(SlotRefusal::NotASlot)
    );
}

#[test]
fn berlin_fall_back_half_hours_of_the_repeated_hour_come_once() {
    let av = sundays("Europe/Berlin", hm(2, 0), hm(3, 0), 30);
    let (from, to) = berlin_fall_range();
    let slots = open_slots(&av, from, to);
    assert_eq!(
        starts(&slots),
        vec![utc(2027, 10, 31, 0, 0), utc(2027, 10, 31, 0, 30)]
    );
    assert!(slots.iter().all(|s| s.utc_offset_seconds == CEST));
}

#[test]
fn berlin_an_interval_ending_in_the_repeated_hour_ends_at_its_first_pass() {
    // Until 02:30: its first pass, 00:30 UTC. 90 minutes from 01:00 CEST fit exactly.
    let (from, to) = berlin_fall_range();
    let av = sundays("Europe/Berlin", hm(1, 0), hm(2, 30), 90);
    assert_eq!(
        starts(&open_slots(&av, from, to)),
        vec![utc(2027, 10, 30, 23, 0)]
    );
    // 120 minutes would end at 01:00 UTC, after the first 02:30: no slot.
    let av = sundays("Europe/Berlin", hm(1, 0), hm(2, 30), 120);
    assert_eq!(open_slots(&av, from, to), vec![]);
}

// --- America/New_York --------------------------------------------------------------------------

#[test]
fn new_york_spring_forward_skips_two_oclock() {
    let av = sundays("America/New_York", hm(0, 0), hm(5, 0), 60);
    let slots = open_slots(&av, utc(2027, 3, 13, 0, 0), utc(2027, 3, 15, 0, 0));
    assert_eq!(
        rows(&slots),
        vec![
            (
                local(2027, 3, 14, 0, 0),
                EST,
                utc(2027, 3, 14, 5, 0),
                utc(2027, 3, 14, 6, 0),
                local(2027, 3, 14, 1, 0)
            ),
            (
                local(2027, 3, 14, 1, 0),
                EST,
                utc(2027, 3, 14, 6, 0),
                utc(2027, 3, 14, 7, 0),
                local(2027, 3, 14, 3, 0)
            ),
            (
                local(2027, 3, 14, 3, 0),
                EDT,
                utc(2027, 3, 14, 7, 0),
                utc(2027, 3, 14, 8, 0),
                local(2027, 3, 14, 4, 0)
            ),
            (
                local(2027, 3, 14, 4, 0),
                EDT,
                utc(2027, 3, 14, 8, 0),
                utc(2027, 3, 14, 9, 0),
                local(2027, 3, 14, 5, 0)
            ),
        ]
    );
}

#[test]
fn new_york_fall_back_offers_one_oclock_once() {
    let av = sundays("America/New_York", hm(0, 0), hm(3, 0), 60);
    let slots = open_slots(&av, utc(2027, 11, 6, 0, 0), utc(2027, 11, 8, 0, 0));
    assert_eq!(slots.len(), 3);
    assert_eq!(
        rows(&slots),
        vec![
            (
                local(2027, 11, 7, 0, 0),
                EDT,
                utc(2027, 11, 7, 4, 0),
                utc(2027, 11, 7, 5, 0),
                local(2027, 11, 7, 1, 0)
            ),
            // The first 01:00 (EDT); ends at the second 01:00 (EST).
            (
                local(2027, 11, 7, 1, 0),
                EDT,
                utc(2027, 11, 7, 5, 0),
                utc(2027, 11, 7, 6, 0),
                local(2027, 11, 7, 1, 0)
            ),
            (
                local(2027, 11, 7, 2, 0),
                EST,
                utc(2027, 11, 7, 7, 0),
                utc(2027, 11, 7, 8, 0),
                local(2027, 11, 7, 3, 0)
            ),
        ]
    );
    assert_eq!(
        check_slot(SERVICE, &av, &[], utc(2027, 11, 7, 6, 0), early_now()),
        Err(SlotRefusal::NotASlot)
    );
}

// --- zones without DST -------------------------------------------------------------------------

#[test]
fn tokyo_a_regular_week() {
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let weekly = weekdays
        .into_iter()
        .map(|w| interval(w, hm(9, 0), hm(12, 0)))
        .collect();
    let av = service(zone("Asia/Tokyo"), weekly, 60);
    // Mon 8 March 00:00 JST to Mon 15 March 00:00 JST.
    let slots = open_slots(&av, utc(2027, 3, 7, 15, 0), utc(2027, 3, 14, 15, 0));
    let mut expected = Vec::new();
    for day in 8..=12 {
        for hour in 0..3 {
            expected.push(utc(2027, 3, day, hour, 0)); // 09:00, 10:00, 11:00 JST
        }
    }
    assert_eq!(starts(&slots), expected);
    assert!(slots.iter().all(|s| s.utc_offset_seconds == 9 * 3600));
    assert_eq!(slots[0].local_start, local(2027, 3, 8, 9, 0));
    assert_eq!(slots[14].local_end, local(2027, 3, 12, 12, 0));
}

#[test]
fn utc_zone_every_day_and_a_25_hour_day_is_nothing_special() {
    let av = service(TimeZone::UTC, every_day(hm(22, 0), hm(23, 30)), 90);
    let slots = open_slots(&av, utc(2027, 10, 30, 0, 0), utc(2027, 11, 2, 0, 0));
    assert_eq!(
        starts(&slots),
        vec![
            utc(2027, 10, 30, 22, 0),
            utc(2027, 10, 31, 22, 0),
            utc(2027, 11, 1, 22, 0),
        ]
    );
    assert!(slots.iter().all(|s| s.utc_offset_seconds == 0));
}

#[test]
fn a_skipped_day_has_no_slots() {
    // Samoa moved across the date line: Friday 30 December 2011 never happened in
    // Pacific/Apia (Thu 29 at -10:00, then Sat 31 at +14:00).
    let av = service(zone("Pacific/Apia"), every_day(hm(9, 0), hm(10, 0)), 60);
    let now = utc(2011, 1, 1, 0, 0);
    let slots = free_slots(
        SERVICE,
        &av,
        &[],
        utc(2011, 12, 29, 0, 0),
        utc(2011, 12, 31, 0, 0),
        now,
    );
    let local_starts: Vec<_> = slots.iter().map(|s| s.local_start).collect();
    assert_eq!(
        local_starts,
        vec![local(2011, 12, 29, 9, 0), local(2011, 12, 31, 9, 0)]
    );
    assert_eq!(
        starts(&slots),
        vec![utc(2011, 12, 29, 19, 0), utc(2011, 12, 30, 19, 0)]
    );
}

#[test]
fn check_slot_agrees_with_free_slots_across_both_transitions() {
    for (tz, from) in [
        ("Europe/Berlin", utc(2027, 3, 27, 0, 0)),
        ("Europe/Berlin", utc(2027, 10, 30, 0, 0)),
        ("America/New_York", utc(2027, 3, 13, 0, 0)),
        ("America/New_York", utc(2027, 11, 6, 0, 0)),
    ] {
        for duration in [15, 30, 45, 60, 90] {
            let av = service(zone(tz), every_day(hm(0, 0), hm(23, 45)), duration);
            let to = from + chrono::Duration::days(3);
            let offered = starts(&open_slots(&av, from, to));
            let mut t = from;
            while t < to {
                let ok = check_slot(SERVICE, &av, &[], t, early_now()).is_ok();
                assert_eq!(ok, offered.contains(&t), "{tz} {duration} min at {t}");
                t += chrono::Duration::minutes(15);
            }
        }
    }
}
