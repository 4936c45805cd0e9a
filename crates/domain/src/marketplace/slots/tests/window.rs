//! The booking window, the range filter, the query range rule and the defensive limits.

use chrono::Duration;

use super::super::{check_range, check_slot, SlotRefusal, MAX_RANGE_DAYS};
use super::*;
use crate::error::DomainError;

/// 09:00–12:00 UTC every day, hourly.
fn hourly() -> Availability {
    service(TimeZone::UTC, every_day(hm(9, 0), hm(12, 0)), 60)
}

#[test]
fn min_notice_and_max_advance_bound_the_offer_inclusively() {
    let mut av = hourly();
    av.min_notice_minutes = 60;
    av.max_advance_days = 2;
    let now = utc(2027, 3, 8, 9, 0);
    let slots = free_slots(
        SERVICE,
        &av,
        &[],
        utc(2027, 3, 8, 0, 0),
        utc(2027, 3, 12, 0, 0),
        now,
    );
    assert_eq!(
        starts(&slots),
        vec![
            // 10:00 is exactly now + 60 min; 09:00 is too soon.
            utc(2027, 3, 8, 10, 0),
            utc(2027, 3, 8, 11, 0),
            utc(2027, 3, 9, 9, 0),
            utc(2027, 3, 9, 10, 0),
            utc(2027, 3, 9, 11, 0),
            // Exactly now + 2 days; 10:00 that day is too far.
            utc(2027, 3, 10, 9, 0),
        ]
    );
}

#[test]
fn check_slot_names_the_window_refusals() {
    let mut av = hourly();
    av.min_notice_minutes = 60;
    av.max_advance_days = 2;
    let now = utc(2027, 3, 8, 9, 0);
    let check = |at| check_slot(SERVICE, &av, &[], at, now);
    assert_eq!(check(utc(2027, 3, 8, 9, 0)), Err(SlotRefusal::TooSoon));
    assert_eq!(check(utc(2027, 3, 7, 9, 0)), Err(SlotRefusal::TooSoon));
    assert!(check(utc(2027, 3, 8, 10, 0)).is_ok());
    assert!(check(utc(2027, 3, 10, 9, 0)).is_ok());
    assert_eq!(
        check(utc(2027, 3, 10, 10, 0)),
        Err(SlotRefusal::TooFarAhead)
    );
    // Off the grid comes first, whatever the window.
    assert_eq!(check(utc(2027, 3, 8, 8, 0)), Err(SlotRefusal::NotASlot));
    assert_eq!(check(utc(2027, 5, 8, 9, 30)), Err(SlotRefusal::NotASlot));
}

#[test]
fn a_taken_slot_outside_the_window_is_refused_for_the_window() {
    let mut av = hourly();
    av.min_notice_minutes = 60;
    let now = utc(2027, 3, 8, 9, 30);
    let ten = utc(2027, 3, 8, 10, 0);
    let b = [super::super::BookedTime {
        service_id: OTHER_SERVICE,
        starts_at: ten,
        ends_at: utc(2027, 3, 8, 11, 0),
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        places: 1,
    }];
    assert_eq!(
        check_slot(SERVICE, &av, &b, ten, now),
        Err(SlotRefusal::TooSoon)
    );
}

#[test]
fn slots_in_the_past_are_never_offered() {
    let now = utc(2027, 3, 8, 10, 30);
    let slots = free_slots(
        SERVICE,
        &hourly(),
        &[],
        utc(2027, 3, 1, 0, 0),
        utc(2027, 3, 9, 0, 0),
        now,
    );
    assert_eq!(starts(&slots), vec![utc(2027, 3, 8, 11, 0)]);
    // A slot starting right now is still bookable without notice.
    let now = utc(2027, 3, 8, 11, 0);
    assert!(check_slot(SERVICE, &hourly(), &[], now, now).is_ok());
}

#[test]
fn the_range_is_half_open() {
    let slots = open_slots(&hourly(), utc(2027, 3, 8, 10, 0), utc(2027, 3, 8, 11, 0));
    assert_eq!(starts(&slots), vec![utc(2027, 3, 8, 10, 0)]);
    let slots = open_slots(&hourly(), utc(2027, 3, 8, 9, 1), utc(2027, 3, 8, 11, 1));
    assert_eq!(
        starts(&slots),
        vec![utc(2027, 3, 8, 10, 0), utc(2027, 3, 8, 11, 0)]
    );
    assert_eq!(
        open_slots(&hourly(), utc(2027, 3, 8, 11, 0), utc(2027, 3, 8, 10, 0)),
        vec![]
    );
}

#[test]
fn the_query_range_rule() {
    let from = utc(2027, 3, 8, 0, 0);
    assert_eq!(
        check_range(from, from + Duration::days(MAX_RANGE_DAYS)),
        Ok(())
    );
    assert_eq!(check_range(from, from + Duration::minutes(1)), Ok(()));
    assert!(check_range(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC).is_err());
    for to in [
        from,
        from - Duration::days(1),
        from + Duration::days(MAX_RANGE_DAYS) + Duration::seconds(1),
    ] {
        match check_range(from, to) {
            Err(DomainError::Validation(fields)) => {
                assert_eq!(fields.len(), 1);
                assert_eq!(fields[0].field, "to");
            }
            other => panic!("{to}: {other:?}"),
        }
    }
}

#[test]
fn free_slots_never_looks_further_than_max_range_days() {
    let now = utc(2027, 3, 8, 0, 0);
    let slots = free_slots(SERVICE, &hourly(), &[], now, now + Duration::days(100), now);
    assert_eq!(slots.len(), 3 * MAX_RANGE_DAYS as usize);
    assert_eq!(slots.last().unwrap().starts_at, utc(2027, 4, 7, 11, 0));
    // Counted from the earliest bookable time, not from a `from` in the past.
    let slots = free_slots(
        SERVICE,
        &hourly(),
        &[],
        utc(2000, 1, 1, 0, 0),
        now + Duration::days(2),
        now,
    );
    assert_eq!(slots.len(), 6);
}

#[test]
fn no_duration_or_no_capacity_gives_nothing_and_ends() {
    let (from, to) = (utc(2027, 3, 8, 0, 0), utc(2027, 3, 9, 0, 0));
    let mut av = hourly();
    av.duration_minutes = 0;
    assert_eq!(open_slots(&av, from, to), vec![]);
    assert_eq!(
        check_slot(SERVICE, &av, &[], utc(2027, 3, 8, 9, 0), early_now()),
        Err(SlotRefusal::NotASlot)
    );
    let mut av = hourly();
    av.capacity = 0;
    assert_eq!(open_slots(&av, from, to), vec![]);
}

#[test]
fn extreme_inputs_neither_panic_nor_hang() {
    let mut av = hourly();
    av.max_advance_days = u32::MAX;
    av.buffer_before_minutes = u32::MAX;
    av.buffer_after_minutes = u32::MAX;
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    for now in [min, early_now(), max] {
        let _ = free_slots(SERVICE, &av, &[], min, max, now);
        let _ = check_slot(SERVICE, &av, &[], min, now);
        let _ = check_slot(SERVICE, &av, &[], max, now);
    }
    // A notice of 8,000 years: slots start that far ahead, or not at all near the end of time.
    av.min_notice_minutes = u32::MAX;
    let earliest = early_now() + Duration::minutes(i64::from(u32::MAX));
    let slots = free_slots(SERVICE, &av, &[], min, max, early_now());
    assert!(!slots.is_empty() && slots.iter().all(|s| s.starts_at >= earliest));
    assert_eq!(
        free_slots(SERVICE, &av, &[], min, max, max - Duration::days(1)),
        vec![]
    );
    // A huge step: one slot a day.
    let mut av = hourly();
    av.buffer_after_minutes = u32::MAX;
    let slots = open_slots(&av, utc(2027, 3, 8, 0, 0), utc(2027, 3, 10, 0, 0));
    assert_eq!(
        starts(&slots),
        vec![utc(2027, 3, 8, 9, 0), utc(2027, 3, 9, 9, 0)]
    );
}

#[test]
fn a_local_day_is_its_instants_in_the_zone_whatever_its_length() {
    use super::super::local_day;
    // A summer day in Berlin (CEST, UTC+2).
    assert_eq!(
        local_day(zone("Europe/Berlin"), date(2030, 6, 3)),
        (utc(2030, 6, 2, 22, 0), utc(2030, 6, 3, 22, 0))
    );
    // The spring-forward day: 23 hours (CET midnight to CEST midnight).
    assert_eq!(
        local_day(zone("Europe/Berlin"), date(2030, 3, 31)),
        (utc(2030, 3, 30, 23, 0), utc(2030, 3, 31, 22, 0))
    );
    // The fall-back day in New York: 25 hours (EDT midnight to EST midnight).
    assert_eq!(
        local_day(zone("America/New_York"), date(2030, 11, 3)),
        (utc(2030, 11, 3, 4, 0), utc(2030, 11, 4, 5, 0))
    );
    // São Paulo, 2018-11-04: the clock jumped from 00:00 to 01:00, so the day began at 01:00
    // (-02:00), 03:00 UTC; the next began at midnight -02:00.
    assert_eq!(
        local_day(zone("America/Sao_Paulo"), date(2018, 11, 4)),
        (utc(2018, 11, 4, 3, 0), utc(2018, 11, 5, 2, 0))
    );
}
