//! Every timestamp in a response: RFC 3339 in UTC with exactly microsecond precision
//! (`2026-12-06T10:00:00.000000Z`), the precision PostgreSQL stores, so that a value reads the
//! same in a 201 answer and in a later GET. Each DTO field of type `DateTime<Utc>` (or its
//! `Option`) is serialised by this module (`#[serde(serialize_with = ...)]`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// `2026-12-06T10:00:00.000000Z` (digits past the sixth decimal are cut, as stored).
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(t))
}

pub fn serialize_option<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&format(t)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn always_six_decimals_in_utc() {
        let whole = Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap();
        assert_eq!(super::format(&whole), "2026-12-06T10:00:00.000000Z");
        let nanos = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
        assert_eq!(super::format(&nanos), "2027-01-15T08:00:00.123456Z");
        let first = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(super::format(&first), "0001-01-01T00:00:00.000000Z");
        let last = Utc.with_ymd_and_hms(9999, 1, 1, 1, 30, 0).unwrap();
        assert_eq!(super::format(&last), "9999-01-01T01:30:00.000000Z");
    }
}
