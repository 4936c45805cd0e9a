//! A service's working time, as its provider states it: in local wall-clock time of the
//! provider's IANA time zone. The types here are shared by the slot rule ([`super::slots`]),
//! the catalogue ([`super::catalog`]), storage and the API.

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::time_zone::TimeZone;

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
