//! The rules of a service's working time: `Availability::validate`, the wire form (weekdays,
//! `HH:MM` times, exception kinds) and the new and patched availability built from it.

use chrono::{NaiveDate, NaiveTime, Weekday};

use super::*;
use crate::time_zone::TimeZone;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn on(weekday: Weekday, start: NaiveTime, end: NaiveTime) -> WeeklyInterval {
    WeeklyInterval {
        weekday,
        start,
        end,
    }
}

/// Mondays 09:00–12:00 and 13:00–17:00, one-hour appointments, one customer.
fn base() -> Availability {
    Availability {
        time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
        weekly: vec![
            on(Weekday::Mon, t(9, 0), t(12, 0)),
            on(Weekday::Mon, t(13, 0), t(17, 0)),
        ],
        exceptions: vec![],
        duration_minutes: 60,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        capacity: 1,
        min_notice_minutes: 0,
        max_advance_days: 90,
    }
}

fn failing(a: &Availability) -> Vec<String> {
    match a.validate() {
        Ok(()) => panic!("expected failures: {a:?}"),
        Err(fields) => fields.into_iter().map(|f| f.field).collect(),
    }
}

#[test]
fn a_plain_week_passes_and_so_does_an_empty_one() {
    assert_eq!(base().validate(), Ok(()));
    let empty = Availability {
        weekly: vec![],
        ..base()
    };
    assert_eq!(empty.validate(), Ok(()));
}

#[test]
fn an_interval_ends_after_it_starts_on_whole_minutes() {
    let mut a = base();
    a.weekly.push(on(Weekday::Tue, t(10, 0), t(10, 0)));
    a.weekly.push(on(Weekday::Wed, t(18, 0), t(9, 0)));
    a.weekly.push(on(
        Weekday::Thu,
        NaiveTime::from_hms_opt(9, 0, 30).unwrap(),
        t(10, 0),
    ));
    assert_eq!(
        failing(&a),
        ["weekly[2].end", "weekly[3].end", "weekly[4].start"]
    );
}

#[test]
fn intervals_of_one_weekday_may_touch_but_not_overlap() {
    let mut a = base();
    // Touching the morning: fine.
    a.weekly.push(on(Weekday::Mon, t(12, 0), t(13, 0)));
    assert_eq!(a.validate(), Ok(()));
    // Inside the afternoon: refused, naming the later one.
    a.weekly.push(on(Weekday::Mon, t(16, 0), t(18, 0)));
    assert_eq!(failing(&a), ["weekly[3]"]);
    // The same hours on another day are no overlap.
    let mut b = base();
    b.weekly.push(on(Weekday::Sun, t(9, 0), t(12, 0)));
    assert_eq!(b.validate(), Ok(()));
    // A duplicate is an overlap.
    let mut c = base();
    c.weekly.push(on(Weekday::Mon, t(9, 0), t(12, 0)));
    assert_eq!(failing(&c).len(), 1);
}

#[test]
fn at_most_twelve_intervals_a_weekday() {
    let twelve: Vec<WeeklyInterval> = (0..12)
        .map(|h| on(Weekday::Fri, t(h, 0), t(h, 30)))
        .collect();
    let mut a = Availability {
        weekly: twelve,
        ..base()
    };
    assert_eq!(a.validate(), Ok(()));
    a.weekly.push(on(Weekday::Fri, t(20, 0), t(21, 0)));
    assert_eq!(failing(&a), ["weekly[12]"]);
}

#[test]
fn exceptions_close_a_date_once_and_add_hours_like_the_week() {
    let mut a = base();
    a.exceptions = vec![
        AvailabilityException::Closed {
            date: d(2026, 12, 24),
        },
        AvailabilityException::Extra {
            date: d(2026, 12, 27),
            start: t(10, 0),
            end: t(14, 0),
        },
        // Closing the date and opening other hours on it: allowed.
        AvailabilityException::Extra {
            date: d(2026, 12, 24),
            start: t(10, 0),
            end: t(12, 0),
        },
    ];
    assert_eq!(a.validate(), Ok(()));
    a.exceptions.push(AvailabilityException::Closed {
        date: d(2026, 12, 24),
    });
    a.exceptions.push(AvailabilityException::Extra {
        date: d(2026, 12, 27),
        start: t(13, 0),
        end: t(15, 0),
    });
    a.exceptions.push(AvailabilityException::Extra {
        date: d(2026, 12, 28),
        start: t(15, 0),
        end: t(13, 0),
    });
    assert_eq!(
        failing(&a),
        ["exceptions[3].date", "exceptions[4]", "exceptions[5].end"]
    );
}

#[test]
fn at_most_366_exceptions_within_the_timestamp_years() {
    let start = d(2027, 1, 1);
    let mut a = base();
    a.exceptions = (0..366)
        .map(|n| AvailabilityException::Closed {
            date: start + chrono::Days::new(n),
        })
        .collect();
    assert_eq!(a.validate(), Ok(()));
    a.exceptions.push(AvailabilityException::Closed {
        date: d(2030, 1, 1),
    });
    assert_eq!(failing(&a), ["exceptions"]);
    let far = Availability {
        exceptions: vec![AvailabilityException::Closed {
            date: d(9999, 1, 1),
        }],
        ..base()
    };
    assert_eq!(failing(&far), ["exceptions[0].date"]);
}

#[test]
fn the_counts_are_within_their_ranges() {
    let ok = [(5, 0, 0, 1, 0, 1), (1_440, 240, 240, 1_000, 43_200, 730)];
    for (duration, before, after, capacity, notice, advance) in ok {
        let a = Availability {
            duration_minutes: duration,
            buffer_before_minutes: before,
            buffer_after_minutes: after,
            capacity,
            min_notice_minutes: notice,
            max_advance_days: advance,
            ..base()
        };
        assert_eq!(a.validate(), Ok(()), "{a:?}");
    }
    let too_small = Availability {
        duration_minutes: 4,
        capacity: 0,
        max_advance_days: 0,
        ..base()
    };
    assert_eq!(
        failing(&too_small),
        ["duration_minutes", "capacity", "max_advance_days"]
    );
    let too_big = Availability {
        duration_minutes: 1_441,
        buffer_before_minutes: 241,
        buffer_after_minutes: 241,
        capacity: 1_001,
        min_notice_minutes: 43_201,
        max_advance_days: 731,
        ..base()
    };
    assert_eq!(
        failing(&too_big),
        [
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "capacity",
            "min_notice_minutes",
            "max_advance_days"
        ]
    );
}

#[test]
fn the_wire_form_of_weekdays_and_times() {
    for (n, name) in WEEKDAY_NAMES.iter().enumerate() {
        let day = parse_weekday(name).unwrap();
        assert_eq!(day.num_days_from_monday() as usize, n);
        assert_eq!(weekday_name(day), *name);
    }
    for bad in ["Mon", "monday", "", "mo"] {
        assert!(parse_weekday(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_clock_time("09:05").unwrap(), t(9, 5));
    assert_eq!(parse_clock_time("00:00").unwrap(), t(0, 0));
    assert_eq!(parse_clock_time("23:59").unwrap(), t(23, 59));
    for bad in [
        "24:00", "9:00", "09:60", "09:00:00", "0900", "ab:cd", " 09:00", "+9:00", "",
    ] {
        assert!(parse_clock_time(bad).is_err(), "{bad}");
    }
    assert_eq!(clock_time(t(7, 30)), "07:30");
    for k in ExceptionKind::ALL {
        assert_eq!(ExceptionKind::parse(k.as_str()).unwrap(), k);
    }
    assert!(ExceptionKind::parse("Closed").is_err());
}

fn interval(day: &str, start: &str, end: &str) -> WeeklyIntervalInput {
    WeeklyIntervalInput {
        weekday: day.into(),
        start: start.into(),
        end: end.into(),
    }
}

fn input() -> AvailabilityInput {
    AvailabilityInput {
        time_zone: "Europe/Berlin".into(),
        weekly: vec![
            interval("mon", "09:00", "12:00"),
            interval("mon", "13:00", "17:00"),
        ],
        exceptions: None,
        duration_minutes: 60,
        ..AvailabilityInput::default()
    }
}

fn fields(r: Result<Availability, Vec<FieldError>>) -> Vec<String> {
    r.expect_err("failures")
        .into_iter()
        .map(|f| f.field)
        .collect()
}

#[test]
fn a_new_availability_takes_the_defaults_of_what_is_absent() {
    let a = input().parse().unwrap();
    assert_eq!(a, base());
    assert_eq!(a.capacity, DEFAULT_CAPACITY);
    assert_eq!(a.max_advance_days, DEFAULT_MAX_ADVANCE_DAYS);
    let with_exceptions = AvailabilityInput {
        exceptions: Some(vec![
            ExceptionInput {
                kind: "closed".into(),
                date: d(2026, 12, 24),
                start: None,
                end: None,
            },
            ExceptionInput {
                kind: "extra".into(),
                date: d(2026, 12, 27),
                start: Some("10:00".into()),
                end: Some("14:00".into()),
            },
        ]),
        ..input()
    };
    assert_eq!(
        with_exceptions.parse().unwrap().exceptions,
        vec![
            AvailabilityException::Closed {
                date: d(2026, 12, 24)
            },
            AvailabilityException::Extra {
                date: d(2026, 12, 27),
                start: t(10, 0),
                end: t(14, 0)
            }
        ]
    );
}

#[test]
fn every_failure_of_a_new_availability_is_named_at_once() {
    let bad = AvailabilityInput {
        time_zone: "Mars/Olympus".into(),
        weekly: vec![
            interval("mon", "09:00", "12:00"),
            interval("Monday", "9", "25:00"),
        ],
        exceptions: Some(vec![
            ExceptionInput {
                kind: "closed".into(),
                date: d(2026, 12, 24),
                start: Some("10:00".into()),
                end: None,
            },
            ExceptionInput {
                kind: "extra".into(),
                date: d(2026, 12, 27),
                start: None,
                end: Some("14:00".into()),
            },
            ExceptionInput {
                kind: "holiday".into(),
                ..ExceptionInput::default()
            },
        ]),
        duration_minutes: -5,
        capacity: Some(5_000_000_000),
        ..AvailabilityInput::default()
    };
    assert_eq!(
        fields(bad.parse()),
        [
            "time_zone",
            "weekly[1].weekday",
            "weekly[1].start",
            "weekly[1].end",
            "exceptions[0].start",
            "exceptions[1].start",
            "exceptions[2].kind",
            "duration_minutes",
            "capacity"
        ]
    );
    // Once the lists parse, their rules name the request's indices.
    let overlapping = AvailabilityInput {
        weekly: vec![
            interval("tue", "09:00", "12:00"),
            interval("mon", "09:00", "12:00"),
            interval("tue", "11:00", "13:00"),
        ],
        ..input()
    };
    assert_eq!(fields(overlapping.parse()), ["weekly[2]"]);
}

#[test]
fn a_patch_replaces_the_parts_it_gives_and_checks_the_whole() {
    let current = base();
    assert_eq!(
        AvailabilityPatch::default().apply(&current).unwrap(),
        current
    );
    assert!(AvailabilityPatch::default().is_empty());
    let patch = AvailabilityPatch {
        weekly: Some(vec![interval("sat", "10:00", "14:00")]),
        capacity: Some(8),
        ..AvailabilityPatch::default()
    };
    assert!(!patch.is_empty());
    let next = patch.apply(&current).unwrap();
    assert_eq!(next.weekly, vec![on(Weekday::Sat, t(10, 0), t(14, 0))]);
    assert_eq!(next.capacity, 8);
    assert_eq!(next.time_zone, current.time_zone);
    assert_eq!(next.duration_minutes, 60);
    // A part that breaks a rule with the kept parts fails.
    let long = AvailabilityPatch {
        duration_minutes: Some(2_000),
        time_zone: Some("UTC ".into()),
        ..AvailabilityPatch::default()
    };
    assert_eq!(
        fields(long.apply(&current)),
        ["time_zone", "duration_minutes"]
    );
}

#[test]
fn failures_go_under_their_parent_field() {
    let fields = under(
        "availability",
        vec![
            FieldError::new("weekly[0].end", "x"),
            FieldError::new("capacity", "y"),
        ],
    );
    assert_eq!(fields[0].field, "availability.weekly[0].end");
    assert_eq!(fields[1].field, "availability.capacity");
    assert_eq!(fields[1].message, "y");
}
