//! The slot rule's tests. Every expected instant is written out by hand (local time, offset and
//! UTC worked out from the zone's published transitions), never recomputed by the code under
//! test.
//!
//! - `dst`: spring-forward and fall-back in Europe/Berlin and America/New_York, a zone without
//!   DST, a skipped day;
//! - `rules`: buffers, conflicts, classes, the booking window, exceptions, the range filter,
//!   `check_slot`'s refusals and the defensive limits.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc, Weekday};

use super::{free_slots, Slot};
use crate::marketplace::availability::{Availability, WeeklyInterval};
use crate::time_zone::TimeZone;

mod dst;
mod rules;
mod window;

const SERVICE: i64 = 1;
const OTHER_SERVICE: i64 = 2;

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    date(y, mo, d).and_time(hm(h, mi))
}

fn interval(weekday: Weekday, start: NaiveTime, end: NaiveTime) -> WeeklyInterval {
    WeeklyInterval {
        weekday,
        start,
        end,
    }
}

/// The same interval on every day of the week.
fn every_day(start: NaiveTime, end: NaiveTime) -> Vec<WeeklyInterval> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .map(|w| interval(w, start, end))
    .collect()
}

/// A one-to-one service of `duration_minutes` without buffers, bookable any time from now to
/// a year ahead.
fn service(
    time_zone: TimeZone,
    weekly: Vec<WeeklyInterval>,
    duration_minutes: u32,
) -> Availability {
    Availability {
        time_zone,
        weekly,
        exceptions: Vec::new(),
        duration_minutes,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        capacity: 1,
        min_notice_minutes: 0,
        max_advance_days: 365,
    }
}

/// A `now` long before every slot of the tests (so the booking window lets them all through).
fn early_now() -> DateTime<Utc> {
    utc(2027, 1, 1, 0, 0)
}

/// The free slots of `SERVICE` in `[from, to)` with nothing booked, seen from [`early_now`].
fn open_slots(availability: &Availability, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Slot> {
    free_slots(SERVICE, availability, &[], from, to, early_now())
}

fn starts(slots: &[Slot]) -> Vec<DateTime<Utc>> {
    slots.iter().map(|s| s.starts_at).collect()
}

/// A slot's `(local_start, utc_offset_seconds, starts_at, ends_at, local_end)`, to compare with
/// hand-written rows.
type Row = (
    NaiveDateTime,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
    NaiveDateTime,
);

fn rows(slots: &[Slot]) -> Vec<Row> {
    slots
        .iter()
        .map(|s| {
            (
                s.local_start,
                s.utc_offset_seconds,
                s.starts_at,
                s.ends_at,
                s.local_end,
            )
        })
        .collect()
}
