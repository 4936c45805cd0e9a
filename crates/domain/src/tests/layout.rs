//! The layout rules of a new show (`crate::layout`).

use chrono::{Duration, TimeZone, Utc};

use crate::catalog::{default_show_end, Layout};
use crate::error::DomainError;
use crate::layout::{event_show, parse_capacity, ClassRequest, LayoutRequest, SeatRequest};

fn field_of(e: DomainError) -> (String, String) {
    match e {
        DomainError::Validation(fs) => (fs[0].field.clone(), fs[0].message.clone()),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn class(name: &str, rows: Option<Vec<&str>>, per_row: Option<i64>) -> ClassRequest {
    ClassRequest {
        name: name.into(),
        min_price: Some(100),
        normal_price: None,
        max_price: Some(300),
        rows: rows.map(|r| r.into_iter().map(str::to_owned).collect()),
        seats_per_row: per_row,
    }
}

#[test]
fn a_capacity_makes_a_general_admission_layout() {
    let l = LayoutRequest {
        capacity: Some(50),
        price: Some(1500),
        ..Default::default()
    };
    assert_eq!(
        l.parse().unwrap(),
        Layout::General {
            capacity: 50,
            price: Some(1500)
        }
    );
    assert_eq!(parse_capacity(1, "capacity"), Ok(1));
    for bad in [0, -1, i64::MAX] {
        assert_eq!(
            field_of(parse_capacity(bad, "capacity").unwrap_err()),
            ("capacity".into(), "capacity must be at least 1".into())
        );
    }
}

#[test]
fn exactly_one_of_capacity_and_classes() {
    let both = LayoutRequest {
        capacity: Some(1),
        seat_classes: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(field_of(both.parse().unwrap_err()).0, "capacity");
    assert_eq!(
        field_of(LayoutRequest::default().parse().unwrap_err()).0,
        "capacity"
    );
    let seats_without_classes = LayoutRequest {
        capacity: Some(5),
        seats: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        field_of(seats_without_classes.parse().unwrap_err()),
        ("seats".into(), "seats need seat_classes".into())
    );
    let priced_seat_map = LayoutRequest {
        price: Some(1),
        seat_classes: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(field_of(priced_seat_map.parse().unwrap_err()).0, "price");
}

#[test]
fn a_seat_map_from_rows_and_listed_seats() {
    let l = LayoutRequest {
        seat_classes: Some(vec![
            class(" Stalls ", Some(vec!["A", "B"]), Some(3)),
            class("Box", None, None),
        ]),
        seats: Some(vec![SeatRequest {
            label: "X1".into(),
            class: " Box ".into(),
            external_ref: Some("gate 4".into()),
        }]),
        ..Default::default()
    };
    let Layout::Seated { classes, seats } = l.parse().unwrap() else {
        panic!("seated")
    };
    assert_eq!(
        classes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Stalls", "Box"]
    );
    assert_eq!(classes[0].prices.min_price, Some(100));
    let labels: Vec<(&str, &str)> = seats
        .iter()
        .map(|s| (s.label.as_str(), s.class.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("A1", "Stalls"),
            ("A2", "Stalls"),
            ("A3", "Stalls"),
            ("B1", "Stalls"),
            ("B2", "Stalls"),
            ("B3", "Stalls"),
            ("X1", "Box")
        ]
    );
    assert_eq!(seats[6].external_ref.as_deref(), Some("gate 4"));
    // An empty seat map, to fill by CSV import.
    let empty = LayoutRequest {
        seat_classes: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        empty.parse().unwrap(),
        Layout::Seated {
            classes: vec![],
            seats: vec![]
        }
    );
}

#[test]
fn seat_map_refusals_name_their_field() {
    let half = LayoutRequest {
        seat_classes: Some(vec![class("A", Some(vec!["A"]), None)]),
        ..Default::default()
    };
    assert_eq!(field_of(half.parse().unwrap_err()).0, "seat_classes");
    for n in [0, crate::limits::SEATS_PER_ROW_MAX as i64 + 1, -3] {
        let bad = LayoutRequest {
            seat_classes: Some(vec![class("A", Some(vec!["A"]), Some(n))]),
            ..Default::default()
        };
        assert_eq!(field_of(bad.parse().unwrap_err()).0, "seats_per_row");
    }
    let bad_label = LayoutRequest {
        seat_classes: Some(vec![class("A", None, None)]),
        seats: Some(vec![
            SeatRequest {
                label: "A1".into(),
                class: "A".into(),
                external_ref: None,
            },
            SeatRequest {
                label: "no good!".into(),
                class: "A".into(),
                external_ref: None,
            },
        ]),
        ..Default::default()
    };
    assert_eq!(field_of(bad_label.parse().unwrap_err()).0, "seats[1].label");
}

#[test]
fn an_events_own_show_needs_both_seats_and_date() {
    let date = Utc.with_ymd_and_hms(2031, 5, 1, 20, 0, 0).unwrap();
    assert_eq!(event_show(None, None, None, None), Ok(None));
    let s = event_show(Some(100), Some(date), Some(900), None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.capacity, s.starts_at, s.ends_at, s.price),
        (100, date, default_show_end(date), Some(900))
    );
    let end = date + Duration::hours(4);
    assert_eq!(
        event_show(Some(1), Some(date), None, Some(end))
            .unwrap()
            .unwrap()
            .ends_at,
        end
    );
    assert_eq!(
        field_of(event_show(None, None, Some(1), None).unwrap_err()).0,
        "total_seats"
    );
    assert_eq!(
        field_of(event_show(None, None, None, Some(end)).unwrap_err()).0,
        "total_seats"
    );
    assert_eq!(
        field_of(event_show(Some(1), None, None, None).unwrap_err()).0,
        "date"
    );
    assert_eq!(
        field_of(event_show(None, Some(date), None, None).unwrap_err()).0,
        "total_seats"
    );
    assert_eq!(
        field_of(event_show(Some(0), Some(date), None, None).unwrap_err()),
        (
            "total_seats".into(),
            "total_seats must be at least 1".into()
        )
    );
    let far = Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        field_of(event_show(Some(1), Some(far), None, None).unwrap_err()).0,
        "date"
    );
}
