//! The seat-map order (`SeatPlace::map_order`): class name, then the natural seat order.

use crate::seat_map::SeatPlace;
use crate::values::SeatLabel;

fn seat(class: &str, label: &str) -> SeatPlace {
    let l = SeatLabel::parse(label).unwrap();
    SeatPlace {
        id: 0,
        label: label.into(),
        row: l.row().into(),
        number: l.number(),
        class_id: 0,
        class: class.into(),
        external_ref: None,
    }
}

#[test]
fn class_name_first_then_row_by_length_then_number_then_label() {
    let mut seats = vec![
        seat("Stalls", "AA1"),
        seat("Stalls", "B1"),
        seat("Balcony", "C2"),
        seat("Stalls", "A10"),
        seat("Stalls", "A2"),
        seat("Balcony", "C1"),
        seat("Stalls", "A-2"),
        seat("Stalls", "A1"),
        seat("balcony", "A1"),
    ];
    seats.sort_by(SeatPlace::map_order);
    let order: Vec<(&str, &str)> = seats.iter().map(|s| (&*s.class, &*s.label)).collect();
    assert_eq!(
        order,
        [
            ("Balcony", "C1"),
            ("Balcony", "C2"),
            ("Stalls", "A1"),
            // Same row and number: by the raw label's bytes.
            ("Stalls", "A-2"),
            ("Stalls", "A2"),
            ("Stalls", "A10"),
            ("Stalls", "B1"),
            ("Stalls", "AA1"),
            // Text compares by bytes: upper case before lower case.
            ("balcony", "A1"),
        ]
    );
}

// ---------- the chart, the seat states and the assembled map ----------

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use crate::catalog::{SeatClassAvailability, SeatStatus, Show, ShowDetail, ShowKind};
use crate::pricing::TierPrices;
use crate::seat_map::{SeatChart, SeatMap, SeatState};
use crate::status::BookingStatus;

pub(super) fn placed(id: i64, class_id: i64, class: &str, label: &str) -> SeatPlace {
    SeatPlace {
        id,
        class_id,
        ..seat(class, label)
    }
}

pub(super) fn class(id: i64, name: &str) -> SeatClassAvailability {
    SeatClassAvailability {
        id,
        name: name.into(),
        prices: TierPrices {
            min_price: Some(100),
            normal_price: Some(200),
            max_price: Some(300),
        },
        // Stale counts: assembling the map replaces them.
        total_seats: 99,
        held_seats: 7,
        booked_seats: 3,
    }
}

pub(super) fn show_detail(classes: Vec<SeatClassAvailability>) -> ShowDetail {
    let t = Utc.with_ymd_and_hms(2030, 1, 1, 20, 0, 0).unwrap();
    ShowDetail {
        show: Show {
            id: 1,
            event_id: 1,
            venue_id: None,
            screen_name: "Main".into(),
            starts_at: t,
            ends_at: t,
            kind: ShowKind::Seated,
            currency: crate::tests::support::usd(),
            capacity: None,
            free_places: None,
            price: None,
            created_at: t,
        },
        classes,
    }
}

pub(super) fn chart() -> Arc<SeatChart> {
    Arc::new(SeatChart::new(
        42,
        vec![
            placed(3, 20, "Stalls", "A2"),
            placed(1, 10, "Balcony", "B1"),
            placed(4, 20, "Stalls", "A1"),
            placed(2, 10, "Balcony", "A1"),
        ],
    ))
}

#[test]
fn a_chart_keeps_its_version_and_puts_its_seats_in_map_order() {
    let c = chart();
    assert_eq!(c.version(), 42);
    let ids: Vec<i64> = c.seats().iter().map(|s| s.id).collect();
    assert_eq!(ids, [2, 1, 4, 3]);
    assert_eq!(c.position(4), Some(2));
    assert_eq!(c.position(5), None);
    assert_eq!(c.len(), 4);
    assert!(!c.is_empty());
    assert!(SeatChart::new(1, vec![]).is_empty());
}

#[test]
fn a_hold_holds_its_seats_until_its_deadline_and_a_confirmed_booking_books_them() {
    let until = Utc.with_ymd_and_hms(2030, 1, 1, 19, 0, 0).unwrap();
    let held = SeatState::taken_by(BookingStatus::Held, Some(until));
    assert_eq!(
        (held.status(), held.held_until()),
        (SeatStatus::Held, Some(until))
    );
    for status in [BookingStatus::Confirmed, BookingStatus::Completed] {
        let s = SeatState::taken_by(status, Some(until));
        assert_eq!((s.status(), s.held_until()), (SeatStatus::Booked, None));
    }
    for status in [BookingStatus::Expired, BookingStatus::Cancelled] {
        assert_eq!(
            SeatState::taken_by(status, Some(until)),
            SeatState::AVAILABLE
        );
    }
    assert_eq!(SeatState::AVAILABLE.status(), SeatStatus::Available);
}

#[test]
fn the_map_joins_states_to_seats_and_counts_each_class_from_them() {
    let until = Utc.with_ymd_and_hms(2030, 1, 1, 19, 0, 0).unwrap();
    let earlier = Utc.with_ymd_and_hms(2030, 1, 1, 18, 0, 0).unwrap();
    let taken = [
        (1, SeatState::taken_by(BookingStatus::Held, Some(until))),
        (4, SeatState::taken_by(BookingStatus::Confirmed, None)),
        (3, SeatState::taken_by(BookingStatus::Held, Some(earlier))),
    ];
    let map = SeatMap::assemble(
        show_detail(vec![
            class(20, "Stalls"),
            class(10, "Balcony"),
            class(30, "Box"),
        ]),
        chart(),
        taken,
    )
    .unwrap();
    let seats: Vec<(i64, SeatStatus)> = map.seats().map(|(p, s)| (p.id, s.status())).collect();
    assert_eq!(
        seats,
        [
            (2, SeatStatus::Available),
            (1, SeatStatus::Held),
            (4, SeatStatus::Booked),
            (3, SeatStatus::Held),
        ]
    );
    let counts: Vec<(&str, u64, u64, u64)> = map
        .show
        .classes
        .iter()
        .map(|c| (c.name.as_str(), c.total_seats, c.held_seats, c.booked_seats))
        .collect();
    // Name order; a class without seats counts nothing.
    assert_eq!(
        counts,
        [("Balcony", 2, 1, 0), ("Box", 0, 0, 0), ("Stalls", 2, 1, 1)]
    );
    assert_eq!(map.first_hold_end(), Some(earlier));
    let (place, state) = map.seats().nth(1).unwrap();
    assert_eq!(
        (place.id, state.status(), state.held_until()),
        (1, SeatStatus::Held, Some(until))
    );
    assert_eq!(&*place.class, "Balcony");
    assert_eq!(map.chart().version(), 42);
}

#[test]
fn a_map_refuses_a_seat_of_another_show_or_of_an_unknown_class() {
    let other_show = SeatMap::assemble(
        show_detail(vec![class(10, "Balcony"), class(20, "Stalls")]),
        chart(),
        [(99, SeatState::taken_by(BookingStatus::Confirmed, None))],
    );
    assert!(other_show.is_err());
    let unknown_class = SeatMap::assemble(show_detail(vec![class(10, "Balcony")]), chart(), []);
    assert!(unknown_class.is_err());
    let empty =
        SeatMap::assemble(show_detail(vec![]), Arc::new(SeatChart::new(1, vec![])), []).unwrap();
    assert_eq!(empty.seats().len(), 0);
    assert_eq!(empty.first_hold_end(), None);
}
