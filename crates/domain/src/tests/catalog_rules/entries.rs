//! Parsing cities, venues and events; pages; show kinds.

use super::*;
use crate::time_zone::TimeZone;

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
    // No zone: UTC; a zone: checked against the tz database.
    assert_eq!(v.time_zone, TimeZone::UTC);
    let berlin = NewVenue::parse_in(3, "Hall", "", 0.0, 0.0, Some("Europe/Berlin")).unwrap();
    assert_eq!(berlin.time_zone.name(), "Europe/Berlin");
}

#[test]
fn a_venue_s_unknown_time_zone_is_named_with_the_other_failing_fields() {
    assert_eq!(
        failing_fields(NewVenue::parse_in(1, "V", "a", 0.0, 0.0, Some("Mars/Base"))),
        ["time_zone"]
    );
    assert_eq!(
        failing_fields(NewVenue::parse_in(1, "", "a", 0.0, 0.0, Some(""))),
        ["name", "time_zone"]
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
