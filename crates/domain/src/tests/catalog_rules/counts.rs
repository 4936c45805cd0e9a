//! Capacity counts of shows, events and seat classes.

use super::*;

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
