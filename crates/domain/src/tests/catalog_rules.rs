//! Catalogue rules: cities, venues, events, pages, shows, seat maps and capacity counts.

use chrono::Duration;

use crate::catalog::{
    generate_seats, tier_in_force, Event, EventDetail, EventType, Layout, NewCity, NewEvent,
    NewSeat, NewSeatClass, NewShow, NewVenue, Page, SeatClassAvailability, Show, ShowDetail,
    ShowKind,
};
use crate::pricing::{Tier, TierPrices};
use crate::values::SeatLabel;

use super::support::{failing_fields, has_field, t0, usd};

// --- cities, venues, events ---------------------------------------------------------------------

#[test]
fn city_parses_and_trims() {
    let c = NewCity::parse("  Lisbon ", " Portugal ", 38.72, -9.14).unwrap();
    assert_eq!(c.name.as_str(), "Lisbon");
    assert_eq!(c.country, "Portugal");
    assert_eq!((c.latitude, c.longitude), (38.72, -9.14));
}

#[test]
fn city_coordinates_at_the_limits_are_accepted() {
    for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)] {
        assert!(NewCity::parse("X", "Y", lat, lon).is_ok(), "{lat},{lon}");
    }
}

#[test]
fn city_coordinates_out_of_range() {
    assert_eq!(
        failing_fields(NewCity::parse("X", "Y", 90.01, 0.0)),
        ["latitude"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("X", "Y", -91.0, 0.0)),
        ["latitude"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("X", "Y", 0.0, 180.5)),
        ["longitude"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("X", "Y", 0.0, -181.0)),
        ["longitude"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("X", "Y", f64::NAN, f64::NAN)),
        ["latitude", "longitude"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("X", "Y", f64::INFINITY, 0.0)),
        ["latitude"]
    );
}

#[test]
fn city_empty_names() {
    assert_eq!(
        failing_fields(NewCity::parse("", "Portugal", 0.0, 0.0)),
        ["name"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("Lisbon", "  ", 0.0, 0.0)),
        ["country"]
    );
    assert_eq!(
        failing_fields(NewCity::parse(" ", "", 100.0, 200.0)),
        ["name", "country", "latitude", "longitude"]
    );
    assert_eq!(
        failing_fields(NewCity::parse("L", &"c".repeat(101), 0.0, 0.0)),
        ["country"]
    );
}

#[test]
fn venue_parses() {
    let v = NewVenue::parse(3, " Coliseu ", " Rua das Portas ", 38.7, -9.1).unwrap();
    assert_eq!(v.city_id, 3);
    assert_eq!(v.name.as_str(), "Coliseu");
    assert_eq!(v.address, "Rua das Portas");
    // an empty address is allowed
    assert_eq!(
        NewVenue::parse(3, "Hall", "", 0.0, 0.0).unwrap().address,
        ""
    );
}

#[test]
fn venue_field_errors() {
    assert_eq!(
        failing_fields(NewVenue::parse(1, "", "addr", 0.0, 0.0)),
        ["name"]
    );
    assert_eq!(
        failing_fields(NewVenue::parse(1, "V", &"a".repeat(501), 0.0, 0.0)),
        ["address"]
    );
    assert_eq!(
        failing_fields(NewVenue::parse(1, "V", "a", 95.0, 0.0)),
        ["latitude"]
    );
    assert_eq!(
        failing_fields(NewVenue::parse(1, "V", "a", 0.0, 190.0)),
        ["longitude"]
    );
    assert_eq!(
        failing_fields(NewVenue::parse(1, "  ", "a", -95.0, -190.0)),
        ["name", "latitude", "longitude"]
    );
}

#[test]
fn event_types_parse_case_insensitively() {
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.as_str()).unwrap(), t);
        assert_eq!(EventType::parse(&t.as_str().to_uppercase()).unwrap(), t);
        assert_eq!(t.to_string(), t.as_str());
    }
    assert_eq!(EventType::parse(" Concert ").unwrap(), EventType::Concert);
    assert_eq!(failing_fields(EventType::parse("opera")), ["event_type"]);
    assert_eq!(failing_fields(EventType::parse("")), ["event_type"]);
}

#[test]
fn event_parses() {
    let e = NewEvent::parse(" Hamlet ", " A play ", "THEATRE", 2, Some(5)).unwrap();
    assert_eq!(e.title, "Hamlet");
    assert_eq!(e.description, "A play");
    assert_eq!(e.event_type, EventType::Theatre);
    assert_eq!((e.city_id, e.venue_id), (2, Some(5)));
    assert_eq!(
        NewEvent::parse("T", "", "movie", 1, None)
            .unwrap()
            .description,
        ""
    );
}

#[test]
fn event_field_errors() {
    assert_eq!(
        failing_fields(NewEvent::parse("", "", "movie", 1, None)),
        ["title"]
    );
    assert_eq!(
        failing_fields(NewEvent::parse(&"t".repeat(201), "", "movie", 1, None)),
        ["title"]
    );
    assert_eq!(
        failing_fields(NewEvent::parse("T", &"d".repeat(10_001), "movie", 1, None)),
        ["description"]
    );
    assert_eq!(
        failing_fields(NewEvent::parse("T", "", "circus", 1, None)),
        ["event_type"]
    );
    assert_eq!(
        failing_fields(NewEvent::parse(" ", "", "circus", 1, None)),
        ["title", "event_type"]
    );
}

// --- pages --------------------------------------------------------------------------------------

#[test]
fn page_defaults_and_bounds() {
    assert_eq!(
        Page::parse(None, None).unwrap(),
        Page {
            limit: 50,
            offset: 0
        }
    );
    assert_eq!(Page::parse(None, None).unwrap(), Page::default());
    assert_eq!(
        Page::parse(Some(1), Some(0)).unwrap(),
        Page {
            limit: 1,
            offset: 0
        }
    );
    assert_eq!(
        Page::parse(Some(500), Some(1_000)).unwrap(),
        Page {
            limit: 500,
            offset: 1_000
        }
    );
    assert_eq!(failing_fields(Page::parse(Some(0), None)), ["limit"]);
    assert_eq!(failing_fields(Page::parse(Some(-5), None)), ["limit"]);
    assert_eq!(failing_fields(Page::parse(Some(501), None)), ["limit"]);
    assert_eq!(failing_fields(Page::parse(None, Some(-1))), ["offset"]);
    assert_eq!(
        failing_fields(Page::parse(Some(0), Some(-1))),
        ["limit", "offset"]
    );
}

#[test]
fn show_kind_names_round_trip() {
    for k in [ShowKind::Seated, ShowKind::General] {
        assert_eq!(ShowKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(ShowKind::parse("Seated"), None);
}

// --- new shows ----------------------------------------------------------------------------------

fn prices(min: i64, normal: i64, max: i64) -> TierPrices {
    TierPrices {
        min_price: Some(min),
        normal_price: Some(normal),
        max_price: Some(max),
    }
}

fn new_seat(label: &str, class: &str) -> NewSeat {
    NewSeat {
        label: SeatLabel::parse(label).unwrap(),
        class: class.into(),
        external_ref: None,
    }
}

fn seated(classes: &[&str], seats: &[(&str, &str)]) -> NewShow {
    NewShow {
        venue_id: Some(1),
        screen_name: "Hall 1".into(),
        starts_at: t0(),
        ends_at: t0() + Duration::hours(2),
        currency: usd(),
        layout: Layout::Seated {
            classes: classes
                .iter()
                .map(|c| NewSeatClass {
                    name: (*c).into(),
                    prices: prices(100, 200, 300),
                })
                .collect(),
            seats: seats.iter().map(|(l, c)| new_seat(l, c)).collect(),
        },
    }
}

fn general(capacity: u32, price: Option<i64>) -> NewShow {
    NewShow {
        layout: Layout::General { capacity, price },
        ..seated(&[], &[])
    }
}

#[test]
fn valid_shows_pass() {
    assert_eq!(
        seated(&["A", "B"], &[("A1", "A"), ("A2", "A"), ("B1", "B")]).validate(),
        Ok(())
    );
    assert_eq!(general(5, Some(1_000)).validate(), Ok(()));
    assert_eq!(general(5, None).validate(), Ok(()));
    assert_eq!(general(100_000, Some(0)).validate(), Ok(()));
}

#[test]
fn show_must_end_after_it_starts() {
    let mut s = general(5, None);
    s.ends_at = s.starts_at - Duration::minutes(1);
    assert_eq!(failing_fields(s.validate()), ["ends_at"]);
    s.ends_at = s.starts_at;
    assert_eq!(failing_fields(s.validate()), ["ends_at"]);
}

#[test]
fn screen_name_is_bounded() {
    let mut s = general(5, None);
    s.screen_name = "s".repeat(201);
    assert_eq!(failing_fields(s.validate()), ["screen_name"]);
    s.screen_name = "s".repeat(200);
    assert!(s.validate().is_ok());
}

#[test]
fn general_capacity_rules() {
    assert_eq!(failing_fields(general(0, None).validate()), ["capacity"]);
    assert_eq!(
        failing_fields(general(100_001, None).validate()),
        ["capacity"]
    );
    assert_eq!(failing_fields(general(5, Some(-1)).validate()), ["price"]);
}

#[test]
fn duplicate_class_is_refused() {
    let s = seated(&["A", "B", "A"], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[2].name"]);
}

#[test]
fn empty_class_name_is_refused() {
    let s = seated(&["A", " "], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[1].name"]);
    let s = seated(&["A", &"x".repeat(51)], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[1].name"]);
}

#[test]
fn a_seat_without_a_declared_class_is_refused() {
    let s = seated(&[], &[("A1", "A")]);
    let fs = failing_fields(s.validate());
    assert!(!has_field(&fs, "seat_classes"), "{fs:?}");
    assert!(has_field(&fs, "seats"), "{fs:?}");
}

#[test]
fn duplicate_seat_label_is_refused() {
    let s = seated(&["A"], &[("A1", "A"), ("A2", "A"), ("A1", "A")]);
    let err = s.validate().unwrap_err();
    assert_eq!(super::support::fields(&err), ["seats"]);
    assert!(err.to_string().contains("'A1' is used twice"), "{err}");
}

#[test]
fn seat_naming_an_unknown_class_is_refused() {
    let s = seated(&["A"], &[("A1", "A"), ("C1", "C")]);
    let err = s.validate().unwrap_err();
    assert_eq!(super::support::fields(&err), ["seats"]);
    assert!(err.to_string().contains("unknown class 'C'"), "{err}");
}

#[test]
fn negative_class_price_is_refused_per_field() {
    let mut s = seated(&["A", "B"], &[("A1", "A")]);
    if let Layout::Seated { classes, .. } = &mut s.layout {
        classes[1].prices = TierPrices {
            min_price: Some(-1),
            normal_price: None,
            max_price: Some(-5),
        };
    }
    assert_eq!(
        failing_fields(s.validate()),
        ["seat_classes[1].min_price", "seat_classes[1].max_price"]
    );
}

#[test]
fn class_with_no_price_is_allowed_at_creation() {
    let mut s = seated(&["A"], &[("A1", "A")]);
    if let Layout::Seated { classes, .. } = &mut s.layout {
        classes[0].prices = TierPrices::default();
    }
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn an_empty_seat_map_is_allowed() {
    // Filled later by a seats CSV import.
    assert_eq!(seated(&[], &[]).validate(), Ok(()));
    assert_eq!(seated(&["A"], &[]).validate(), Ok(()));
}

// --- generate_seats -----------------------------------------------------------------------------

#[test]
fn generate_seats_labels_rows_then_numbers() {
    let seats = generate_seats("A", &["A".into(), "B".into()], 3).unwrap();
    let labels: Vec<&str> = seats.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["A1", "A2", "A3", "B1", "B2", "B3"]);
    assert!(seats
        .iter()
        .all(|s| s.class == "A" && s.external_ref.is_none()));
    assert_eq!(seats[5].label.row(), "B");
    assert_eq!(seats[5].label.number(), 3);
}

#[test]
fn generate_seats_trims_rows_and_allows_multi_letter_rows() {
    let seats = generate_seats("VIP", &[" AA ".into()], 2).unwrap();
    let labels: Vec<&str> = seats.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["AA1", "AA2"]);
}

#[test]
fn generate_seats_refuses_bad_input() {
    for rows in [
        vec![],
        vec!["A1".to_string()],
        vec!["".into()],
        vec!["A".into(), "B C".into()],
        vec!["-".into()],
    ] {
        let res = generate_seats("A", &rows, 3);
        assert_eq!(failing_fields(res), ["seat_classes"], "{rows:?}");
    }
    assert_eq!(
        failing_fields(generate_seats("A", &["A".into()], 0)),
        ["seat_classes"]
    );
    // too many seats
    let rows: Vec<String> = (0..26).map(|i| ((b'A' + i) as char).to_string()).collect();
    assert_eq!(
        failing_fields(generate_seats("A", &rows, 4_000)),
        ["seat_classes"]
    );
}

#[test]
fn generated_seats_make_a_valid_show() {
    let mut seats = generate_seats("A", &["A".into()], 3).unwrap();
    seats.extend(generate_seats("B", &["B".into()], 3).unwrap());
    let s = NewShow {
        layout: Layout::Seated {
            classes: vec![
                NewSeatClass {
                    name: "A".into(),
                    prices: prices(1, 2, 3),
                },
                NewSeatClass {
                    name: "B".into(),
                    prices: prices(1, 2, 3),
                },
            ],
            seats,
        },
        ..general(1, None)
    };
    assert_eq!(s.validate(), Ok(()));
}

// --- capacity counts ----------------------------------------------------------------------------

fn show_row(id: i64, kind: ShowKind, capacity: Option<u32>, free: Option<u32>) -> Show {
    Show {
        id,
        event_id: 1,
        venue_id: None,
        screen_name: String::new(),
        starts_at: t0(),
        ends_at: t0() + Duration::hours(2),
        kind,
        currency: usd(),
        capacity,
        free_places: free,
        price: None,
        created_at: t0(),
    }
}

fn class_counts(id: i64, total: u64, held: u64, booked: u64) -> SeatClassAvailability {
    SeatClassAvailability {
        id,
        name: format!("C{id}"),
        prices: prices(100, 200, 300),
        total_seats: total,
        held_seats: held,
        booked_seats: booked,
    }
}

fn event() -> Event {
    Event {
        id: 1,
        title: "E".into(),
        description: String::new(),
        event_type: EventType::Concert,
        city_id: 1,
        venue_id: None,
        organizer_id: None,
        created_at: t0(),
    }
}

#[test]
fn general_show_of_five_places() {
    let fresh = ShowDetail {
        show: show_row(1, ShowKind::General, Some(5), Some(5)),
        classes: vec![],
    };
    assert_eq!((fresh.total_places(), fresh.available_places()), (5, 5));
    let two_sold = ShowDetail {
        show: show_row(1, ShowKind::General, Some(5), Some(3)),
        classes: vec![],
    };
    assert_eq!(
        (two_sold.total_places(), two_sold.available_places()),
        (5, 3)
    );
    let sold_out = ShowDetail {
        show: show_row(1, ShowKind::General, Some(5), Some(0)),
        classes: vec![],
    };
    assert_eq!(
        (sold_out.total_places(), sold_out.available_places()),
        (5, 0)
    );
    let unknown = ShowDetail {
        show: show_row(1, ShowKind::General, None, None),
        classes: vec![],
    };
    assert_eq!((unknown.total_places(), unknown.available_places()), (0, 0));
}

#[test]
fn seated_show_of_five_places() {
    // class 1: 3 seats (1 held), class 2: 2 seats (1 booked) → 5 total, 3 available
    let d = ShowDetail {
        show: show_row(2, ShowKind::Seated, None, None),
        classes: vec![class_counts(1, 3, 1, 0), class_counts(2, 2, 0, 1)],
    };
    assert_eq!(d.total_places(), 5);
    assert_eq!(d.available_places(), 3);
    // a seated show ignores capacity/free_places columns even if set
    let odd = ShowDetail {
        show: show_row(2, ShowKind::Seated, Some(99), Some(99)),
        classes: vec![class_counts(1, 5, 5, 0)],
    };
    assert_eq!((odd.total_places(), odd.available_places()), (5, 0));
    // a general show ignores classes
    let odd = ShowDetail {
        show: show_row(2, ShowKind::General, Some(5), Some(4)),
        classes: vec![class_counts(1, 100, 0, 0)],
    };
    assert_eq!((odd.total_places(), odd.available_places()), (5, 4));
}

#[test]
fn event_sums_its_shows() {
    let d = EventDetail {
        event: event(),
        shows: vec![
            ShowDetail {
                show: show_row(1, ShowKind::General, Some(5), Some(2)),
                classes: vec![],
            },
            ShowDetail {
                show: show_row(2, ShowKind::Seated, None, None),
                classes: vec![class_counts(1, 3, 1, 1), class_counts(2, 2, 0, 0)],
            },
        ],
    };
    assert_eq!(d.total_places(), 10);
    assert_eq!(d.available_places(), 2 + 1 + 2);
    let empty = EventDetail {
        event: event(),
        shows: vec![],
    };
    assert_eq!((empty.total_places(), empty.available_places()), (0, 0));
}

#[test]
fn event_with_one_general_show_of_five_places() {
    let d = EventDetail {
        event: event(),
        shows: vec![ShowDetail {
            show: show_row(1, ShowKind::General, Some(5), Some(5)),
            classes: vec![],
        }],
    };
    assert_eq!((d.total_places(), d.available_places()), (5, 5));
}

#[test]
fn class_counts_and_current_price() {
    let c = class_counts(1, 10, 2, 3);
    assert_eq!(c.sold(), 5);
    assert_eq!(c.available(), 5);
    assert!((c.occupancy_percent() - 50.0).abs() < 1e-9);
    assert_eq!(tier_in_force(&c), Some((Tier::Normal, 200)));
    let c = class_counts(1, 10, 0, 3);
    assert_eq!(tier_in_force(&c), Some((Tier::Min, 100)));
    let c = class_counts(1, 10, 4, 3);
    assert_eq!(tier_in_force(&c), Some((Tier::Max, 300)));
    // over-sold never goes negative
    let c = class_counts(1, 2, 2, 1);
    assert_eq!(c.available(), 0);
    // no seats at all
    let c = class_counts(1, 0, 0, 0);
    assert_eq!(c.occupancy_percent(), 0.0);
    let mut c = class_counts(1, 10, 0, 0);
    c.prices = TierPrices::default();
    assert_eq!(tier_in_force(&c), None);
}

#[test]
fn class_names_that_differ_only_by_surrounding_spaces_are_duplicates() {
    let s = seated(&["A", "A "], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[1].name"]);
}

#[test]
fn seat_class_reference_is_trimmed_like_the_class_name() {
    let s = seated(&["A"], &[("A1", " A ")]);
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn address_and_description_limits_apply_to_the_trimmed_text() {
    let address = format!("{}   ", "a".repeat(500));
    assert_eq!(
        NewVenue::parse(1, "V", &address, 0.0, 0.0)
            .unwrap()
            .address
            .len(),
        500
    );
    let description = format!("  {}", "d".repeat(10_000));
    assert_eq!(
        NewEvent::parse("T", &description, "movie", 1, None)
            .unwrap()
            .description
            .len(),
        10_000
    );
}
