//! A service's working time, as its provider states it: in local wall-clock time of the
//! provider's IANA time zone. The types here are shared by the slot rule ([`super::slots`]),
//! the catalogue ([`super::catalog`]), storage and the API.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, Violations};
use crate::time_zone::TimeZone;
use crate::values::InvalidValue;

/// One working interval of a weekday, in local time: `start < end`, both on that day (an
/// interval never crosses midnight; split it in two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyInterval {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A change to the weekly pattern on one local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AvailabilityException {
    /// No work that day (a day off, a holiday): the weekly intervals of that date do not apply.
    Closed { date: NaiveDate },
    /// Extra hours that day, in addition to the weekly intervals (`start < end`, same day).
    Extra {
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
    },
}

/// Everything that decides when a service can be booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// The provider's zone: every local time above is read in it.
    pub time_zone: TimeZone,
    pub weekly: Vec<WeeklyInterval>,
    pub exceptions: Vec<AvailabilityException>,
    /// Length of an appointment (minutes, > 0).
    pub duration_minutes: u32,
    /// Time kept free before and after each appointment (minutes): two appointments of one
    /// provider are at least `buffer_after` of the first + `buffer_before` of the second apart.
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    /// Customers per slot: 1 for one-to-one, more for a class.
    pub capacity: u32,
    /// Earliest booking: at least this many minutes before the start.
    pub min_notice_minutes: u32,
    /// Latest booking: at most this many days ahead.
    pub max_advance_days: u32,
}

// ---------- limits ----------

/// Shortest and longest appointment, in minutes.
pub const MIN_DURATION_MINUTES: u32 = 5;
pub const MAX_DURATION_MINUTES: u32 = 1_440;
/// Longest buffer before or after an appointment, in minutes.
pub const MAX_BUFFER_MINUTES: u32 = 240;
/// Most customers in one slot.
pub const MAX_CAPACITY: u32 = 1_000;
/// Longest notice a service may ask for, in minutes (30 days).
pub const MAX_MIN_NOTICE_MINUTES: u32 = 43_200;
/// Shortest and longest booking window, in days.
pub const MIN_ADVANCE_DAYS: u32 = 1;
pub const MAX_ADVANCE_DAYS: u32 = 730;
/// Most working intervals on one weekday (and most extra intervals on one date).
pub const MAX_INTERVALS_PER_DAY: usize = 12;
/// Most exceptions a service may have.
pub const MAX_EXCEPTIONS: usize = 366;

/// The defaults of the optional parts of a new service's availability.
pub const DEFAULT_CAPACITY: u32 = 1;
pub const DEFAULT_MAX_ADVANCE_DAYS: u32 = 90;

// ---------- the wire form: weekdays, clock times, exception kinds ----------

/// The weekdays as the API and storage spell them, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `mon` … `sun`.
pub fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAY_NAMES[day.num_days_from_monday() as usize]
}

/// A weekday as spelt by [`weekday_name`] (exactly: lower case, three letters).
pub fn parse_weekday(raw: &str) -> Result<Weekday, InvalidValue> {
    const DAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    WEEKDAY_NAMES
        .iter()
        .position(|n| *n == raw)
        .map(|i| DAYS[i])
        .ok_or_else(|| {
            InvalidValue::new(format!(
                "'{raw}' is not a weekday ({})",
                WEEKDAY_NAMES.join(", ")
            ))
        })
}

/// A local clock time as the API and storage write it: `HH:MM`, 24-hour, `00:00` to `23:59`.
pub fn parse_clock_time(raw: &str) -> Result<NaiveTime, InvalidValue> {
    let bad = || {
        InvalidValue::new(format!(
            "'{raw}' is not a time of day (HH:MM, 00:00 to 23:59)"
        ))
    };
    let b = raw.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return Err(bad());
    }
    let digits = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    match (digits(&b[..2]), digits(&b[3..])) {
        (Some(h), Some(m)) => NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// `HH:MM` ([`parse_clock_time`]'s form; seconds are never kept).
pub fn clock_time(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// The kinds of [`AvailabilityException`] on the wire (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionKind {
    Closed,
    Extra,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 2] = [ExceptionKind::Closed, ExceptionKind::Extra];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::Closed => "closed",
            ExceptionKind::Extra => "extra",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                InvalidValue::new(format!("'{raw}' is not an exception kind (closed, extra)"))
            })
    }
}

impl AvailabilityException {
    pub fn kind(&self) -> ExceptionKind {
        match self {
            AvailabilityException::Closed { .. } => ExceptionKind::Closed,
            AvailabilityException::Extra { .. } => ExceptionKind::Extra,
        }
    }

    pub fn date(&self) -> NaiveDate {
        match self {
            AvailabilityException::Closed { date } | AvailabilityException::Extra { date, .. } => {
                *date
            }
        }
    }
}

// ---------- the rules ----------

/// `errors` with each field put under `parent` (`weekly[0].end` → `availability.weekly[0].end`).
pub fn under(parent: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(format!("{parent}.{}", e.field), e.message))
        .collect()
}

fn check_range(v: &mut Violations, field: &str, value: u32, min: u32, max: u32, unit: &str) {
    if !(min..=max).contains(&value) {
        v.add(field, format!("{field} must be {min} to {max} {unit}"));
    }
}

/// Intervals `(start, end)` of one day, each named by its field: every `start < end`, in whole
/// minutes, at most [`MAX_INTERVALS_PER_DAY`], none overlapping another (touching is fine: the
/// intervals are half-open, `[start, end)`). `day` names the day in messages.
fn check_day(v: &mut Violations, day: &str, intervals: &[(String, NaiveTime, NaiveTime)]) {
    for (field, start, end) in intervals {
        for (part, t) in [("start", start), ("end", end)] {
            if t.second() != 0 || t.nanosecond() != 0 {
                v.add(format!("{field}.{part}"), "times are whole minutes (HH:MM)");
            }
        }
        if start >= end {
            v.add(
                format!("{field}.end"),
                "end must be after start (an interval never crosses midnight: split it in two)",
            );
        }
    }
    if intervals.len() > MAX_INTERVALS_PER_DAY {
        let (field, _, _) = &intervals[MAX_INTERVALS_PER_DAY];
        v.add(
            field.clone(),
            format!("at most {MAX_INTERVALS_PER_DAY} intervals on {day}"),
        );
    }
    let mut sorted: Vec<&(String, NaiveTime, NaiveTime)> =
        intervals.iter().filter(|(_, s, e)| s < e).collect();
    sorted.sort_by_key(|(_, s, e)| (*s, *e));
    for pair in sorted.windows(2) {
        let (_, first_start, first_end) = pair[0];
        let (field, second_start, _) = pair[1];
        if second_start < first_end {
            v.add(
                field.clone(),
                format!(
                    "overlaps the interval {}–{} on {day}",
                    clock_time(*first_start),
                    clock_time(*first_end)
                ),
            );
        }
    }
}

impl Availability {
    /// Every rule of a service's working time, each failure naming its field (`weekly[2].end`,
    /// `exceptions[0]`, `duration_minutes`; the caller puts them under its own field with
    /// [`under`]):
    ///
    /// - weekly intervals: `start < end` on one day, whole minutes, at most
    ///   [`MAX_INTERVALS_PER_DAY`] per weekday, none overlapping another of its weekday;
    /// - exceptions: at most [`MAX_EXCEPTIONS`]; dates within the years
    ///   [`crate::limits::MIN_YEAR`] to [`crate::limits::MAX_YEAR`]; a date closed at most
    ///   once; extra hours as the weekly intervals, per date;
    /// - `duration_minutes` [`MIN_DURATION_MINUTES`]..=[`MAX_DURATION_MINUTES`], each buffer
    ///   0..=[`MAX_BUFFER_MINUTES`], `capacity` 1..=[`MAX_CAPACITY`], `min_notice_minutes`
    ///   0..=[`MAX_MIN_NOTICE_MINUTES`], `max_advance_days`
    ///   [`MIN_ADVANCE_DAYS`]..=[`MAX_ADVANCE_DAYS`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut v = Violations::new();
        for (i, day) in WEEKDAY_NAMES.iter().enumerate() {
            let of_day: Vec<(String, NaiveTime, NaiveTime)> = self
                .weekly
                .iter()
                .enumerate()
                .filter(|(_, w)| w.weekday.num_days_from_monday() as usize == i)
                .map(|(n, w)| (format!("weekly[{n}]"), w.start, w.end))
                .collect();
            check_day(&mut v, day, &of_day);
        }
        self.check_exceptions(&mut v);
        check_range(
            &mut v,
            "duration_minutes",
            self.duration_minutes,
            MIN_DURATION_MINUTES,
            MAX_DURATION_MINUTES,
            "minutes",
        );
        for (field, value) in [
            ("buffer_before_minutes", self.buffer_before_minutes),
            ("buffer_after_minutes", self.buffer_after_minutes),
        ] {
            check_range(&mut v, field, value, 0, MAX_BUFFER_MINUTES, "minutes");
        }
        check_range(
            &mut v,
            "capacity",
            self.capacity,
            1,
            MAX_CAPACITY,
            "customers",
        );
        check_range(
            &mut v,
            "min_notice_minutes",
            self.min_notice_minutes,
            0,
            MAX_MIN_NOTICE_MINUTES,
            "minutes",
        );
        check_range(
            &mut v,
            "max_advance_days",
            self.max_advance_days,
            MIN_ADVANCE_DAYS,
            MAX_ADVANCE_DAYS,
            "days",
        );
        let fields = fields_of(v);
        if fields.is_empty() {
            Ok(())
        } else {
            Err(fields)
        }
    }

    fn check_exceptions(&self, v: &mut Violations) {
        use crate::limits::{MAX_YEAR, MIN_YEAR};
        if self.exceptions.len() > MAX_EXCEPTIONS {
            v.add("exceptions", format!("at most {MAX_EXCEPTIONS} exceptions"));
        }
        let mut closed = std::collections::BTreeMap::new();
        let mut extra: std::collections::BTreeMap<NaiveDate, Vec<(String, NaiveTime, NaiveTime)>> =
            std::collections::BTreeMap::new();
        for (n, e) in self.exceptions.iter().enumerate() {
            let field = format!("exceptions[{n}]");
            let date = e.date();
            if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
                v.add(
                    format!("{field}.date"),
                    format!("the date must be within the years {MIN_YEAR} to {MAX_YEAR}"),
                );
            }
            match *e {
                AvailabilityException::Closed { date } => {
                    if let Some(first) = closed.insert(date, n) {
                        v.add(
                            format!("{field}.date"),
                            format!("{date} is closed already by exceptions[{first}]"),
                        );
                    }
                }
                AvailabilityException::Extra { date, start, end } => {
                    extra.entry(date).or_default().push((field, start, end));
                }
            }
        }
        for (date, intervals) in &extra {
            check_day(v, &date.to_string(), intervals);
        }
    }
}

// ---------- availability as it comes in ----------

/// One weekly interval as it comes in: `weekday` (`mon` … `sun`), `start` and `end` (`HH:MM`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyIntervalInput {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// One exception as it comes in: `kind` `closed` (a `date`) or `extra` (a `date`, `start`,
/// `end`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionInput {
    pub kind: String,
    pub date: NaiveDate,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// A whole availability as it comes in (a new service); absent optional parts take their
/// defaults (no exceptions, no buffers, [`DEFAULT_CAPACITY`], no notice,
/// [`DEFAULT_MAX_ADVANCE_DAYS`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvailabilityInput {
    pub time_zone: String,
    pub weekly: Vec<WeeklyIntervalInput>,
    pub exceptions: Option<Vec<ExceptionInput>>,
    pub duration_minutes: i64,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub capacity: Option<i64>,
    pub min_notice_minutes: Option<i64>,
    pub max_advance_days: Option<i64>,
}

/// A change to an availability (`PATCH`): each part given replaces the stored one (a list
/// wholly), the others stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvailabilityPatch {
    pub time_zone: Option<String>,
    pub weekly: Option<Vec<WeeklyIntervalInput>>,
    pub exceptions: Option<Vec<ExceptionInput>>,
    pub duration_minutes: Option<i64>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub capacity: Option<i64>,
    pub min_notice_minutes: Option<i64>,
    pub max_advance_days: Option<i64>,
}

/// A count of minutes or days as it comes in: out of `u32` it is kept as a value the range
/// check refuses (its message then names the range).
fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(if v < 0 { u32::MAX } else { u32::MAX - 1 })
}

fn parse_weekly(v: &mut Violations, raw: &[WeeklyIntervalInput]) -> Vec<WeeklyInterval> {
    let mut out = Vec::with_capacity(raw.len());
    for (n, w) in raw.iter().enumerate() {
        let field = format!("weekly[{n}]");
        let weekday = v.check(&format!("{field}.weekday"), parse_weekday(&w.weekday));
        let start = v.check(&format!("{field}.start"), parse_clock_time(&w.start));
        let end = v.check(&format!("{field}.end"), parse_clock_time(&w.end));
        if let (Some(weekday), Some(start), Some(end)) = (weekday, start, end) {
            out.push(WeeklyInterval {
                weekday,
                start,
                end,
            });
        }
    }
    out
}

fn parse_exceptions(v: &mut Violations, raw: &[ExceptionInput]) -> Vec<AvailabilityException> {
    let mut out = Vec::with_capacity(raw.len());
    for (n, e) in raw.iter().enumerate() {
        let field = format!("exceptions[{n}]");
        let Some(kind) = v.check(&format!("{field}.kind"), ExceptionKind::parse(&e.kind)) else {
            continue;
        };
        match kind {
            ExceptionKind::Closed => {
                for (part, given) in [("start", &e.start), ("end", &e.end)] {
                    if given.is_some() {
                        v.add(
                            format!("{field}.{part}"),
                            "a closed date has no start or end (give kind extra for hours)",
                        );
                    }
                }
                out.push(AvailabilityException::Closed { date: e.date });
            }
            ExceptionKind::Extra => {
                let mut time = |part: &str, given: &Option<String>| match given {
                    None => {
                        v.add(
                            format!("{field}.{part}"),
                            format!("extra hours need a {part}"),
                        );
                        None
                    }
                    Some(raw) => v.check(&format!("{field}.{part}"), parse_clock_time(raw)),
                };
                let start = time("start", &e.start);
                let end = time("end", &e.end);
                if let (Some(start), Some(end)) = (start, end) {
                    out.push(AvailabilityException::Extra {
                        date: e.date,
                        start,
                        end,
                    });
                }
            }
        }
    }
    out
}

/// The fields `v` collected.
fn fields_of(v: Violations) -> Vec<FieldError> {
    match v.finish() {
        Ok(()) => Vec::new(),
        Err(crate::DomainError::Validation(fields)) => fields,
        Err(other) => vec![FieldError::new("availability", other.to_string())],
    }
}

/// `a` when the wire form had no failures (`v`) and it passes [`Availability::validate`];
/// otherwise every failure: the wire form's, and those of the counts (the lists are checked
/// only once they parsed, so that the indices in the fields are the request's).
fn finish(v: Violations, a: Availability) -> Result<Availability, Vec<FieldError>> {
    let mut fields = fields_of(v);
    if fields.is_empty() {
        a.validate()?;
        return Ok(a);
    }
    let counts = Availability {
        weekly: Vec::new(),
        exceptions: Vec::new(),
        ..a
    };
    if let Err(more) = counts.validate() {
        fields.extend(more);
    }
    Err(fields)
}

impl AvailabilityInput {
    /// The availability, or every failing field (relative to the availability: `time_zone`,
    /// `weekly[1].start`, …): the wire form ([`parse_weekday`], [`parse_clock_time`],
    /// [`ExceptionKind::parse`], [`TimeZone::parse`]) and then [`Availability::validate`].
    pub fn parse(&self) -> Result<Availability, Vec<FieldError>> {
        let mut v = Violations::new();
        let time_zone = v.check("time_zone", TimeZone::parse(&self.time_zone));
        let weekly = parse_weekly(&mut v, &self.weekly);
        let exceptions = parse_exceptions(&mut v, self.exceptions.as_deref().unwrap_or(&[]));
        let availability = Availability {
            time_zone: time_zone.unwrap_or_default(),
            weekly,
            exceptions,
            duration_minutes: count(self.duration_minutes),
            buffer_before_minutes: self.buffer_before_minutes.map_or(0, count),
            buffer_after_minutes: self.buffer_after_minutes.map_or(0, count),
            capacity: self.capacity.map_or(DEFAULT_CAPACITY, count),
            min_notice_minutes: self.min_notice_minutes.map_or(0, count),
            max_advance_days: self
                .max_advance_days
                .map_or(DEFAULT_MAX_ADVANCE_DAYS, count),
        };
        finish(v, availability)
    }
}

impl AvailabilityPatch {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `current` with the parts given replaced, checked as a whole (failing fields as in
    /// [`AvailabilityInput::parse`]).
    pub fn apply(&self, current: &Availability) -> Result<Availability, Vec<FieldError>> {
        let mut v = Violations::new();
        let time_zone = match &self.time_zone {
            Some(raw) => v.check("time_zone", TimeZone::parse(raw)),
            None => Some(current.time_zone),
        };
        let weekly = match &self.weekly {
            Some(raw) => parse_weekly(&mut v, raw),
            None => current.weekly.clone(),
        };
        let exceptions = match &self.exceptions {
            Some(raw) => parse_exceptions(&mut v, raw),
            None => current.exceptions.clone(),
        };
        let or = |given: Option<i64>, kept: u32| given.map_or(kept, count);
        let availability = Availability {
            time_zone: time_zone.unwrap_or_default(),
            weekly,
            exceptions,
            duration_minutes: or(self.duration_minutes, current.duration_minutes),
            buffer_before_minutes: or(self.buffer_before_minutes, current.buffer_before_minutes),
            buffer_after_minutes: or(self.buffer_after_minutes, current.buffer_after_minutes),
            capacity: or(self.capacity, current.capacity),
            min_notice_minutes: or(self.min_notice_minutes, current.min_notice_minutes),
            max_advance_days: or(self.max_advance_days, current.max_advance_days),
        };
        finish(v, availability)
    }
}

#[cfg(test)]
mod tests;
