//! The limits every entry enforces (`limits.rs`, `values.rs`): the money ceiling, the one text
//! rule (no NUL or other control characters), the timestamp range and precision, as each
//! entity's parsing applies them.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::account::{ProfileInput, SignupRequest, UserPatch};
use crate::booking::BookingRequest;
use crate::catalog::{
    default_show_end, EventFilter, Layout, NewCity, NewEvent, NewSeat, NewSeatClass, NewShow,
    NewVenue,
};
use crate::error::DomainError;
use crate::import::{parse_pricing_csv, parse_seats_csv};
use crate::limits::{MAX_AMOUNT, MAX_YEAR, MIN_YEAR};
use crate::pricing::TierPrices;
use crate::values::{
    check_amount, check_chars, parse_instant, parse_price, Email, Lines, Name, Phone, SeatLabel,
    TextRule,
};

use super::support::{failing_fields, t0, usd};

// --- money ---------------------------------------------------------------------------------------

#[test]
fn amounts_run_from_zero_to_the_ceiling() {
    assert_eq!(MAX_AMOUNT, 1_000_000_000_000);
    assert_eq!(check_amount(0), Ok(0));
    assert_eq!(check_amount(MAX_AMOUNT), Ok(MAX_AMOUNT));
    for bad in [
        -1,
        MAX_AMOUNT + 1,
        i64::MAX,
        i64::MIN,
        4_611_686_018_427_387_904,
    ] {
        assert!(check_amount(bad).is_err(), "{bad}");
    }
}

#[test]
fn csv_prices_keep_to_the_same_ceiling() {
    // 10^10 major units = 10^12 minor units: the ceiling itself.
    assert_eq!(parse_price("10000000000").unwrap(), Some(MAX_AMOUNT));
    assert!(parse_price("10000000000.01").is_err());
    assert!(parse_price("999999999999.99").is_err());
}

fn dear(price: i64) -> TierPrices {
    TierPrices {
        min_price: Some(price),
        normal_price: None,
        max_price: None,
    }
}

fn show(layout: Layout) -> NewShow {
    NewShow {
        venue_id: None,
        screen_name: String::new(),
        starts_at: t0(),
        ends_at: t0() + Duration::hours(2),
        currency: usd(),
        layout,
    }
}

fn seated(prices: TierPrices, external_ref: Option<&str>) -> NewShow {
    show(Layout::Seated {
        classes: vec![NewSeatClass {
            name: "A".into(),
            prices,
        }],
        seats: vec![NewSeat {
            label: SeatLabel::parse("A1").unwrap(),
            class: "A".into(),
            external_ref: external_ref.map(str::to_owned),
        }],
    })
}

fn general(price: Option<i64>) -> NewShow {
    show(Layout::General {
        capacity: 10,
        price,
    })
}

#[test]
fn a_show_price_above_the_ceiling_is_refused_at_creation() {
    assert_eq!(
        failing_fields(general(Some(4_611_686_018_427_387_904)).validate()),
        ["price"]
    );
    assert_eq!(general(Some(MAX_AMOUNT)).validate(), Ok(()));
    assert_eq!(failing_fields(general(Some(-1)).validate()), ["price"]);
    assert_eq!(
        failing_fields(seated(dear(i64::MAX), None).validate()),
        ["seat_classes[0].min_price"]
    );
    assert_eq!(seated(dear(MAX_AMOUNT), None).validate(), Ok(()));
}

#[test]
fn a_pricing_csv_above_the_ceiling_names_line_and_column() {
    let csv = "id,seat_class,min_price,normal_price,max_price\n1,A,1,2,10000000000.01\n";
    match parse_pricing_csv(csv.as_bytes()) {
        Err(DomainError::InvalidCsv { line, column, .. }) => {
            assert_eq!((line, column.as_deref()), (2, Some("max_price")))
        }
        other => panic!("{other:?}"),
    }
}

// --- text ----------------------------------------------------------------------------------------

#[test]
fn one_line_text_refuses_every_control_character() {
    for bad in [
        "a\u{0}b",
        "a\nb",
        "a\rb",
        "a\tb",
        "a\u{7f}b",
        "a\u{85}b",
        "\u{1b}[0m",
    ] {
        assert!(check_chars(bad, "x", Lines::One).is_err(), "{bad:?}");
    }
    assert!(check_chars("Zoë – 東京 🎟", "x", Lines::One).is_ok());
}

#[test]
fn multi_line_text_allows_line_breaks_and_tabs_but_never_nul() {
    assert!(check_chars("line 1\r\n\tline 2", "x", Lines::Many).is_ok());
    for bad in ["a\u{0}b", "a\u{7}b", "a\u{7f}b", "a\u{9b}b"] {
        assert!(check_chars(bad, "x", Lines::Many).is_err(), "{bad:?}");
    }
    let e = check_chars("a\u{0}", "reason", Lines::Many).unwrap_err();
    assert!(
        e.message.contains("reason") && e.message.contains("U+0000"),
        "{e}"
    );
}

#[test]
fn text_rules_trim_bound_and_check_characters() {
    let rule = TextRule::optional_line(5);
    assert_eq!(rule.parse("  ab  ", "f").unwrap(), "ab");
    assert_eq!(rule.parse("   ", "f").unwrap(), "");
    assert!(rule.parse("abcdef", "f").is_err());
    assert!(TextRule::line(5).parse("  ", "f").is_err());
    assert!(TextRule::lines(50).parse("a\nb", "f").is_ok());
    assert!(TextRule::lines(50).parse("a\u{0}b", "f").is_err());
}

#[test]
fn value_objects_refuse_nul() {
    assert!(Name::parse("Ada\u{0}").is_err());
    assert!(Email::parse("ada\u{0}@example.com").is_err());
    assert!(Phone::parse("+1555010\u{0}9999").is_err());
    assert!(SeatLabel::parse("A\u{0}1").is_err());
    // Surrounding whitespace (a pasted line break included) is trimmed first, as for any text.
    assert_eq!(Name::parse("Ada\n").unwrap().as_str(), "Ada");
    assert_eq!(
        Email::parse(" ada@example.com\r\n").unwrap().as_str(),
        "ada@example.com"
    );
    assert_eq!(SeatLabel::parse("A1\t").unwrap().as_str(), "A1");
}

#[test]
fn every_catalogue_text_refuses_nul_naming_its_field() {
    assert_eq!(
        failing_fields(NewCity::parse("X", "Land\u{0}", 0.0, 0.0)),
        ["country"]
    );
    assert_eq!(
        failing_fields(NewVenue::parse(1, "Hall", "1 Main St\u{0}", 0.0, 0.0)),
        ["address"]
    );
    assert_eq!(
        failing_fields(NewEvent::parse("T", "about\u{0}", "concert", 1, None)),
        ["description"]
    );
    assert_eq!(
        failing_fields(NewEvent::parse("T\u{0}", "", "concert", 1, None)),
        ["title"]
    );
    let mut s = general(None);
    s.screen_name = "Hall\u{0}1".into();
    assert_eq!(failing_fields(s.validate()), ["screen_name"]);
    assert_eq!(
        failing_fields(seated(dear(1), Some("ext\u{0}")).validate()),
        ["seats[0].external_ref"]
    );
}

#[test]
fn multi_line_catalogue_texts_keep_their_line_breaks() {
    let v = NewVenue::parse(1, "Hall", "1 Main St\nSpringfield", 0.0, 0.0).unwrap();
    assert_eq!(v.address, "1 Main St\nSpringfield");
    let e = NewEvent::parse("T", "Part 1\n\tPart 2", "concert", 1, None).unwrap();
    assert_eq!(e.description, "Part 1\n\tPart 2");
    let mut s = general(None);
    s.screen_name = "Hall\n1".into();
    assert_eq!(failing_fields(s.validate()), ["screen_name"]);
}

#[test]
fn people_texts_refuse_nul_naming_the_field() {
    let signup = |profile: ProfileInput| {
        SignupRequest {
            email: "a@example.com".into(),
            password: "correct horse".into(),
            role: None,
            profile,
        }
        .parse()
    };
    for (field, profile) in [
        (
            "first_name",
            ProfileInput {
                first_name: Some("A\u{0}".into()),
                ..ProfileInput::default()
            },
        ),
        (
            "last_name",
            ProfileInput {
                last_name: Some("B\u{1}".into()),
                ..ProfileInput::default()
            },
        ),
        (
            "address",
            ProfileInput {
                address: Some("1 Main St\u{0}".into()),
                ..ProfileInput::default()
            },
        ),
        (
            "phone",
            ProfileInput {
                phone: Some("+1555\u{0}0109999".into()),
                ..ProfileInput::default()
            },
        ),
    ] {
        assert_eq!(failing_fields(signup(profile.clone())), [field]);
        assert_eq!(
            failing_fields(UserPatch::parse(&profile, None, None)),
            [field]
        );
    }
    let two_lines = ProfileInput {
        address: Some("1 Main St\nSpringfield".into()),
        ..ProfileInput::default()
    };
    assert_eq!(
        UserPatch::parse(&two_lines, None, None).unwrap().address,
        Some("1 Main St\nSpringfield".into())
    );
    let booking = BookingRequest {
        show_id: 1,
        quantity: Some(1),
        name: "Ada\u{0}".into(),
        email: Some("ada@example.com\u{0}".into()),
        ..BookingRequest::default()
    };
    assert_eq!(failing_fields(booking.parse(10)), ["name", "email"]);
}

#[test]
fn a_nul_in_any_csv_cell_names_line_and_column() {
    let cases: [(&str, u64, Option<&str>); 4] = [
        (
            "id,seat_identifier,seat_class\nx\u{0},A1,A\n",
            2,
            Some("id"),
        ),
        (
            "id,seat_identifier,seat_class\n1,A1,A\n2,A2,A\u{0}\n",
            3,
            Some("seat_class"),
        ),
        (
            "id,seat_identifier,seat_class,note\n1,A1,A,hi\u{7}\n",
            2,
            Some("note"),
        ),
        ("id,seat_identifier,seat_class\u{0}\n1,A1,A\n", 1, None),
    ];
    for (csv, want_line, want_column) in cases {
        match parse_seats_csv(csv.as_bytes()) {
            Err(DomainError::InvalidCsv { line, column, .. }) => {
                assert_eq!(
                    (line, column.as_deref()),
                    (want_line, want_column),
                    "{csv:?}"
                )
            }
            other => panic!("{csv:?}: {other:?}"),
        }
    }
    let pricing = "id,seat_class,min_price,normal_price,max_price\n\u{0},A,1,2,3\n";
    assert!(matches!(
        parse_pricing_csv(pricing.as_bytes()),
        Err(DomainError::InvalidCsv { line: 2, .. })
    ));
    let long_id = format!("id,seat_identifier,seat_class\n{},A1,A\n", "x".repeat(201));
    assert!(matches!(
        parse_seats_csv(long_id.as_bytes()),
        Err(DomainError::InvalidCsv { line: 2, .. })
    ));
}

// --- timestamps ----------------------------------------------------------------------------------

fn year(y: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, 6, 1, 12, 0, 0).unwrap()
}

#[test]
fn timestamps_are_bounded_to_years_1_to_9998() {
    assert_eq!((MIN_YEAR, MAX_YEAR), (1, 9998));
    assert!(parse_instant(year(1), "t").is_ok());
    assert!(parse_instant(year(9998), "t").is_ok());
    for y in [0, -1, 9999, 10_000, 200_000] {
        assert!(parse_instant(year(y), "t").is_err(), "{y}");
    }
}

#[test]
fn timestamps_are_truncated_to_microseconds() {
    let t = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
    let got = parse_instant(t, "t").unwrap();
    assert_eq!(got, Utc.timestamp_opt(1_800_000_000, 123_456_000).unwrap());
}

#[test]
fn a_show_out_of_the_year_range_names_the_field() {
    let mut s = general(None);
    s.starts_at = year(9999);
    s.ends_at = year(9999) + Duration::hours(2);
    assert_eq!(failing_fields(s.validate()), ["starts_at", "ends_at"]);
    let mut s = general(None);
    s.ends_at = year(10_000);
    assert_eq!(failing_fields(s.validate()), ["ends_at"]);
    let mut s = general(None);
    s.starts_at = year(0);
    assert_eq!(failing_fields(s.validate()), ["starts_at"]);
}

#[test]
fn the_default_end_of_a_start_in_the_last_year_may_fall_in_the_next() {
    let start = Utc.with_ymd_and_hms(9998, 12, 31, 23, 30, 0).unwrap();
    let mut s = general(None);
    s.starts_at = start;
    s.ends_at = default_show_end(start);
    let v = s.validated().unwrap();
    assert_eq!(
        v.ends_at,
        Utc.with_ymd_and_hms(9999, 1, 1, 1, 30, 0).unwrap()
    );
    // Any other end in 9999 is out of range.
    let mut s = general(None);
    s.starts_at = start;
    s.ends_at = default_show_end(start) + Duration::minutes(1);
    assert_eq!(failing_fields(s.validate()), ["ends_at"]);
}

#[test]
fn a_validated_show_has_microsecond_times_and_trimmed_texts() {
    let mut s = seated(dear(1), Some("  ext-1 "));
    s.starts_at = Utc.timestamp_opt(1_800_000_000, 1_999).unwrap();
    s.ends_at = Utc.timestamp_opt(1_800_007_200, 999_999_999).unwrap();
    s.screen_name = " Hall 1 ".into();
    let v = s.validated().unwrap();
    assert_eq!(
        v.starts_at,
        Utc.timestamp_opt(1_800_000_000, 1_000).unwrap()
    );
    assert_eq!(
        v.ends_at,
        Utc.timestamp_opt(1_800_007_200, 999_999_000).unwrap()
    );
    assert_eq!(v.screen_name, "Hall 1");
    let Layout::Seated { seats, .. } = v.layout else {
        panic!("seated")
    };
    assert_eq!(seats[0].external_ref.as_deref(), Some("ext-1"));
}

#[test]
fn a_show_that_ends_within_the_same_microsecond_it_starts_is_refused() {
    let mut s = general(None);
    s.starts_at = Utc.timestamp_opt(1_800_000_000, 100).unwrap();
    s.ends_at = Utc.timestamp_opt(1_800_000_000, 900).unwrap();
    assert_eq!(failing_fields(s.validated()), ["ends_at"]);
}

#[test]
fn list_filters_are_bounded_too() {
    let f = EventFilter {
        from: Some(year(0)),
        to: Some(year(10_000)),
        ..EventFilter::default()
    };
    assert_eq!(failing_fields(f.validate()), ["from", "to"]);
    let f = EventFilter {
        from: Some(year(2030)),
        to: Some(year(2029)),
        ..EventFilter::default()
    };
    assert_eq!(failing_fields(f.validate()), ["to"]);
    assert_eq!(EventFilter::default().validate(), Ok(()));
}
