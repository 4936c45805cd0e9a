//! Free slots of a service (issue 14): the one rule that turns a service's [`Availability`] and
//! the provider's booked time into the slots a customer can book, correct across DST.
//!
//! [`free_slots`] lists them, [`check_slot`] judges one start (`POST /bookings`), and both go
//! through the same steps, so a start [`free_slots`] offers is exactly one [`check_slot`] takes.
//!
//! # The rules
//!
//! 1. **Working intervals of a local date** ([`working_intervals`]): the weekly intervals of its
//!    weekday, unless a [`AvailabilityException::Closed`] names that date; plus every
//!    [`AvailabilityException::Extra`] interval of that date.
//! 2. **Candidate starts**, in *local wall-clock time*: from each interval's start, stepping by
//!    `buffer_before + duration + buffer_after` minutes (at least one minute), while the local
//!    start is before the interval's local end.
//! 3. **Local → UTC** in the provider's zone:
//!    - a local start that does not exist (the spring-forward gap) gives **no slot**;
//!    - an ambiguous one (the repeated hour of a fall-back) is offered **once**, at its
//!      **earlier** instant (the first time the clock shows it); the second pass of the
//!      repeated hour is never offered;
//!    - the interval's **end** resolves the same way: an ambiguous end is its earlier instant;
//!      an end inside a gap is the instant the clock jumps over it (the transition: "work until
//!      02:30" on a day without 02:30 ends when the clock jumps from 02:00 to 03:00).
//!
//!    Days of 23 or 25 hours need nothing more: the grid is wall-clock, the fit is real time.
//! 4. **Fit**: a slot's real end is its UTC start + `duration`, and must be no later than the
//!    interval's end instant. Buffers may stick out of the interval. A slot is told in the
//!    provider's zone: `local_start`, `local_end` (the wall time at the real end, so 01:30 +
//!    60 min before a spring-forward ends at 03:30) and `utc_offset_seconds` (at the start).
//! 5. **Booking window**: `now + min_notice_minutes <= starts_at <= now + max_advance_days`
//!    (days of 24 real hours). So slots in the past are never offered.
//! 6. **Conflicts**: a slot is blocked when its [`occupied_range`] overlaps (half-open, as
//!    PostgreSQL's `&&` on `[)` ranges: [`ranges_overlap`]) the occupied range of any
//!    [`BookedTime`] of the provider — except that for a class (`capacity > 1`), booked time of
//!    the **same service at the same start** takes places instead: `remaining = capacity -
//!    places` (none left: not offered, [`SlotRefusal::Taken`]).
//! 7. **Output**: sorted by `starts_at`, one slot per instant (overlapping intervals of a date
//!    give one slot per start), only starts in `[from, to)`.
//!
//! A consequence of 2–3 worth knowing: on a spring-forward day, a slot starting just before the
//! gap may overlap the next slot of the grid in real time (45-minute steps from 01:00 in Berlin:
//! 01:45 CET runs until 03:30 CEST, 03:15 CEST starts inside it). Both are offered while free;
//! booking one blocks the other by rule 6.
//!
//! A query's range is at most [`MAX_RANGE_DAYS`] days ([`check_range`], the caller's rule);
//! [`free_slots`] also never looks further than that from the later of `from` and the earliest
//! bookable time, and a service without duration or capacity has no slots (both are validated
//! elsewhere; here it only keeps the loops finite).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime};
use chrono::{Offset, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::availability::{Availability, AvailabilityException};
use crate::error::{DomainError, Violations};

/// The longest range of one slot query (`to - from`), in days.
pub const MAX_RANGE_DAYS: i64 = 31;

/// A bookable slot of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    /// `starts_at + duration` (real time).
    pub ends_at: DateTime<Utc>,
    /// `starts_at` on the provider's wall clock.
    pub local_start: NaiveDateTime,
    /// `ends_at` on the provider's wall clock.
    pub local_end: NaiveDateTime,
    /// The provider zone's offset at `starts_at` (`+7200` for CEST).
    pub utc_offset_seconds: i32,
    /// Places left: 1 for a free one-to-one slot, `capacity - places booked` for a class.
    pub remaining: u32,
}

/// Time of the provider already taken: an active (held, pending or confirmed) appointment of
/// any of their services, with that service's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookedTime {
    pub service_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    /// Places the appointment takes (1 for one-to-one; a class booking may take more).
    pub places: u32,
}

impl BookedTime {
    /// The time it keeps the provider busy: [`occupied_range`] of it.
    pub fn occupied(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        occupied_range(
            self.starts_at,
            self.ends_at,
            self.buffer_before_minutes,
            self.buffer_after_minutes,
        )
    }
}

/// Why a start cannot be booked ([`check_slot`]), in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlotRefusal {
    /// Not a start of the service's slot grid (outside the working intervals, off the step,
    /// in a DST gap, the second pass of a repeated hour, or not fitting before the end).
    #[error("this is not a slot of the service")]
    NotASlot,
    /// Starts sooner than the service's minimum notice (or has started).
    #[error("this slot starts too soon to be booked")]
    TooSoon,
    /// Starts later than the service's booking horizon.
    #[error("this slot is too far ahead to be booked")]
    TooFarAhead,
    /// The provider is busy then (another appointment or its buffers), or the class is full.
    #[error("this slot is taken")]
    Taken,
}

/// The time an appointment occupies, buffers included: `[starts_at - buffer_before, ends_at +
/// buffer_after)`, half-open. The database's exclusion constraint on appointments uses exactly
/// this range (and [`ranges_overlap`]'s `&&`). Saturates at the ends of time.
pub fn occupied_range(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    buffer_before_minutes: u32,
    buffer_after_minutes: u32,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let before = Duration::minutes(i64::from(buffer_before_minutes));
    let after = Duration::minutes(i64::from(buffer_after_minutes));
    (
        starts_at
            .checked_sub_signed(before)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        ends_at
            .checked_add_signed(after)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// Whether two half-open ranges `[start, end)` share an instant, as PostgreSQL's `&&` on
/// `tstzrange(start, end, '[)')`: an empty range overlaps nothing; touching ranges do not
/// overlap.
pub fn ranges_overlap(
    a: (DateTime<Utc>, DateTime<Utc>),
    b: (DateTime<Utc>, DateTime<Utc>),
) -> bool {
    a.0 < a.1 && b.0 < b.1 && a.0 < b.1 && b.0 < a.1
}

/// The one rule of a slot query's range: `from < to`, at most [`MAX_RANGE_DAYS`] days apart.
/// Failing fields: `to`.
pub fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), DomainError> {
    let mut v = Violations::new();
    if to <= from {
        v.add("to", "must be after from");
    } else if to - from > Duration::days(MAX_RANGE_DAYS) {
        v.add(
            "to",
            format!("must be at most {MAX_RANGE_DAYS} days after from"),
        );
    }
    v.finish()
}

/// The working intervals of a local date, in local time (rule 1), sorted by start then end:
/// the weekday's weekly intervals unless the date is closed, plus the date's extra intervals.
pub fn working_intervals(
    availability: &Availability,
    date: NaiveDate,
) -> Vec<(NaiveTime, NaiveTime)> {
    let closed = availability
        .exceptions
        .iter()
        .any(|e| matches!(e, AvailabilityException::Closed { date: d } if *d == date));
    let weekly = availability
        .weekly
        .iter()
        .filter(|w| !closed && w.weekday == date.weekday())
        .map(|w| (w.start, w.end));
    let extra = availability.exceptions.iter().filter_map(|e| match e {
        AvailabilityException::Extra {
            date: d,
            start,
            end,
        } if *d == date => Some((*start, *end)),
        _ => None,
    });
    let mut intervals: Vec<_> = weekly.chain(extra).collect();
    intervals.sort();
    intervals
}

/// The free slots of service `service_id` starting in `[from, to)` (rules 1–7), sorted by start.
/// `booked` is the provider's booked time (any of their services; time outside the range
/// is simply never hit). Looks at most [`MAX_RANGE_DAYS`] days from the later of `from` and
/// the earliest bookable time: the caller keeps ranges within [`check_range`].
pub fn free_slots(
    service_id: i64,
    availability: &Availability,
    booked: &[BookedTime],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Slot> {
    let from = match earliest_start(availability, now) {
        Some(earliest) => from.max(earliest),
        None => return Vec::new(),
    };
    let to = match from.checked_add_signed(Duration::days(MAX_RANGE_DAYS)) {
        Some(limit) => to.min(limit),
        None => to,
    };
    grid(availability, from, to)
        .into_iter()
        .filter(|slot| window_refusal(availability, slot.starts_at, now).is_none())
        .filter_map(|slot| {
            let remaining = remaining(service_id, availability, &slot, booked);
            (remaining > 0).then_some(Slot { remaining, ..slot })
        })
        .collect()
}

/// Whether `starts_at` is a slot of service `service_id` that can be booked at `now`: the slot
/// (with its `remaining` places), or the first reason it cannot ([`SlotRefusal`], checked in
/// its order). Agrees with [`free_slots`]: `Ok` exactly for the starts it offers.
pub fn check_slot(
    service_id: i64,
    availability: &Availability,
    booked: &[BookedTime],
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Slot, SlotRefusal> {
    let slot = grid_slot(availability, starts_at).ok_or(SlotRefusal::NotASlot)?;
    if let Some(refusal) = window_refusal(availability, starts_at, now) {
        return Err(refusal);
    }
    match remaining(service_id, availability, &slot, booked) {
        0 => Err(SlotRefusal::Taken),
        remaining => Ok(Slot { remaining, ..slot }),
    }
}

/// Whether `starts_at` is a start of the service's slot grid (rules 1–4, whatever the booking
/// window and the booked time): an availability edit reports the appointments that are not.
pub fn on_grid(availability: &Availability, starts_at: DateTime<Utc>) -> bool {
    grid_slot(availability, starts_at).is_some()
}

/// The slot of the grid (rules 1–4) that starts at `starts_at`, if one does.
fn grid_slot(availability: &Availability, starts_at: DateTime<Utc>) -> Option<Slot> {
    let until = starts_at
        .checked_add_signed(Duration::nanoseconds(1))
        .unwrap_or(starts_at);
    grid(availability, starts_at, until)
        .into_iter()
        .find(|s| s.starts_at == starts_at)
}

/// The instants of a local date in `zone`: from its first instant (midnight, or the end of a
/// DST gap at midnight) to the next date's, half-open.
pub fn local_day(
    zone: crate::time_zone::TimeZone,
    date: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| -> DateTime<Utc> {
        // Midnight, or the first whole minute after a gap that swallowed it.
        (0..=24 * 60)
            .find_map(|m| {
                let t = d.and_time(NaiveTime::MIN) + Duration::minutes(m);
                zone.tz().from_local_datetime(&t).earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| d.and_time(NaiveTime::MIN).and_utc())
    };
    let next = date.succ_opt().unwrap_or(date);
    (start(date), start(next))
}

/// The range of booked time a slot query of `[from, to)` must read: every slot starting in it
/// occupies time within `[from - buffer_before, to + duration + buffer_after)`.
pub fn booked_window(
    availability: &Availability,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let last_end = to
        .checked_add_signed(Duration::minutes(i64::from(availability.duration_minutes)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    occupied_range(
        from,
        last_end,
        availability.buffer_before_minutes,
        availability.buffer_after_minutes,
    )
}

/// `now + min_notice`: the earliest bookable start (`None`: beyond the end of time).
fn earliest_start(availability: &Availability, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    now.checked_add_signed(Duration::minutes(i64::from(
        availability.min_notice_minutes,
    )))
}

/// Rule 5, the booking window: why `starts_at` cannot be booked at `now`, if it cannot.
fn window_refusal(
    availability: &Availability,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<SlotRefusal> {
    match earliest_start(availability, now) {
        Some(earliest) if starts_at >= earliest => {}
        _ => return Some(SlotRefusal::TooSoon),
    }
    let latest = Duration::try_days(i64::from(availability.max_advance_days))
        .and_then(|ahead| now.checked_add_signed(ahead));
    // No latest instant: the horizon lies beyond the end of time.
    match latest {
        Some(latest) if starts_at > latest => Some(SlotRefusal::TooFarAhead),
        _ => None,
    }
}

/// Rule 6: the places left in `slot` of service `service_id` given the provider's booked
/// time (0: taken).
fn remaining(
    service_id: i64,
    availability: &Availability,
    slot: &Slot,
    booked: &[BookedTime],
) -> u32 {
    let occupied = occupied_range(
        slot.starts_at,
        slot.ends_at,
        availability.buffer_before_minutes,
        availability.buffer_after_minutes,
    );
    let mut remaining = availability.capacity;
    for b in booked {
        if availability.capacity > 1 && b.service_id == service_id && b.starts_at == slot.starts_at
        {
            remaining = remaining.saturating_sub(b.places);
        } else if ranges_overlap(occupied, b.occupied()) {
            return 0;
        }
    }
    remaining
}

/// Rules 1–4 and 7 (no booking window, no booked time): every slot of the grid starting in
/// `[from, to)`, sorted and unique by start, `remaining = capacity`.
fn grid(availability: &Availability, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Slot> {
    if availability.duration_minutes == 0 || availability.capacity == 0 {
        return Vec::new();
    }
    // Far from the ends of time, so that every local date and wall time below exists.
    let margin = Duration::days(3);
    let (Some(lowest), Some(highest)) = (
        DateTime::<Utc>::MIN_UTC.checked_add_signed(margin),
        DateTime::<Utc>::MAX_UTC.checked_sub_signed(margin),
    ) else {
        return Vec::new();
    };
    let (from, to) = (from.max(lowest), to.min(highest));
    if from >= to {
        return Vec::new();
    }
    let tz = availability.time_zone.tz();
    let duration = Duration::minutes(i64::from(availability.duration_minutes));
    let step_minutes = i64::from(availability.buffer_before_minutes)
        + i64::from(availability.duration_minutes)
        + i64::from(availability.buffer_after_minutes);
    let step = Duration::minutes(step_minutes.max(1));

    // A day either side: local dates are not monotonic in every zone (a fall-back at midnight).
    let first = from.with_timezone(&tz).date_naive().pred_opt();
    let last = to.with_timezone(&tz).date_naive().succ_opt();
    let (Some(first), Some(last)) = (first, last) else {
        return Vec::new();
    };

    let mut slots = Vec::new();
    for date in first.iter_days().take_while(|d| *d <= last) {
        for (start, end) in working_intervals(availability, date) {
            let (start, end) = (date.and_time(start), date.and_time(end));
            if start >= end {
                continue;
            }
            let end_at = end_instant(tz, end);
            let mut local = start;
            while local < end {
                if let Some(starts_at) = start_instant(tz, local) {
                    let ends_at = starts_at + duration;
                    if ends_at <= end_at && from <= starts_at && starts_at < to {
                        slots.push(told(tz, starts_at, ends_at, availability.capacity));
                    }
                }
                match local.checked_add_signed(step) {
                    Some(next) => local = next,
                    None => break,
                }
            }
        }
    }
    slots.sort_by_key(|s| s.starts_at);
    slots.dedup_by_key(|s| s.starts_at);
    slots
}

/// The instant of a local start (rule 3): none in a gap, the earlier of an ambiguous pair.
fn start_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The instant of an interval's local end (rule 3): the earlier of an ambiguous pair; in a gap,
/// the instant the clock jumps over it.
fn end_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    start_instant(tz, local).unwrap_or_else(|| jumped_over(tz, local))
}

/// For a wall time `local` that does not exist: the first instant whose wall time is later
/// (the transition), by bisection to the nanosecond over the 52 hours around it (every zone's
/// offset lies within ±26 hours, so the wall time is earlier at the low end and later at the
/// high end).
fn jumped_over(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let naive = local.and_utc();
    let span = Duration::hours(26);
    let (Some(mut early), Some(mut late)) = (
        naive.checked_sub_signed(span),
        naive.checked_add_signed(span),
    ) else {
        return naive;
    };
    while late - early > Duration::nanoseconds(1) {
        let mid = early + (late - early) / 2;
        if mid.with_timezone(&tz).naive_local() > local {
            late = mid;
        } else {
            early = mid;
        }
    }
    late
}

/// A slot as the provider's zone tells it.
fn told(tz: Tz, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, remaining: u32) -> Slot {
    let start = starts_at.with_timezone(&tz);
    Slot {
        starts_at,
        ends_at,
        local_start: start.naive_local(),
        local_end: ends_at.with_timezone(&tz).naive_local(),
        utc_offset_seconds: start.offset().fix().local_minus_utc(),
        remaining,
    }
}

#[cfg(test)]
mod tests;
