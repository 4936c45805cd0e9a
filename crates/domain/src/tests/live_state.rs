//! What a live seat-map stream says changed between two states of a show.

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::seat_map_order::{chart, class, placed, show_detail};
use crate::catalog::{SeatStatus, ShowKind};
use crate::live::{Changes, ShowState};
use crate::seat_map::{SeatChart, SeatMap, SeatState};
use crate::status::BookingStatus;

fn seated(taken: &[(i64, BookingStatus)]) -> ShowState {
    let until = Utc.with_ymd_and_hms(2030, 1, 1, 19, 0, 0).unwrap();
    ShowState::Seated(
        SeatMap::assemble(
            show_detail(vec![class(10, "Balcony"), class(20, "Stalls")]),
            chart(),
            taken
                .iter()
                .map(|(seat, status)| (*seat, SeatState::taken_by(*status, Some(until)))),
        )
        .unwrap(),
    )
}

#[test]
fn the_same_state_has_the_same_digest_and_nothing_changed() {
    let a = seated(&[(1, BookingStatus::Held)]);
    let b = seated(&[(1, BookingStatus::Held)]);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(b.changes_since(&a), Changes::None);
}

#[test]
fn a_hold_then_a_payment_change_one_seat_and_its_class() {
    let free = seated(&[]);
    let held = seated(&[(4, BookingStatus::Held)]);
    let booked = seated(&[(4, BookingStatus::Confirmed)]);
    assert_ne!(free.digest(), held.digest());
    assert_ne!(held.digest(), booked.digest());
    match held.changes_since(&free) {
        Changes::Some {
            seats,
            classes,
            available,
        } => {
            assert_eq!(seats.len(), 1);
            assert_eq!((seats[0].id, seats[0].status), (4, SeatStatus::Held));
            assert_eq!(seats[0].label, "A1");
            assert!(seats[0].held_until.is_some());
            let counts: Vec<_> = classes
                .iter()
                .map(|c| (c.id, c.total_seats, c.held_seats, c.booked_seats))
                .collect();
            assert_eq!(counts, [(20, 2, 1, 0)], "only the seat's class");
            assert_eq!(available, 3);
        }
        other => panic!("{other:?}"),
    }
    match booked.changes_since(&held) {
        Changes::Some { seats, .. } => {
            assert_eq!(
                (seats[0].status, seats[0].held_until),
                (SeatStatus::Booked, None)
            )
        }
        other => panic!("{other:?}"),
    }
    match free.changes_since(&booked) {
        Changes::Some {
            seats, available, ..
        } => {
            assert_eq!((seats[0].id, seats[0].status), (4, SeatStatus::Available));
            assert_eq!(available, 4);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_seats_or_classes_need_a_new_snapshot() {
    let before = seated(&[]);
    let reimported = ShowState::Seated(
        SeatMap::assemble(
            show_detail(vec![class(10, "Balcony"), class(20, "Stalls")]),
            Arc::new(SeatChart::new(43, vec![placed(1, 10, "Balcony", "B1")])),
            [],
        )
        .unwrap(),
    );
    assert_eq!(reimported.changes_since(&before), Changes::Chart);
    let general = ShowState::General(show_detail(vec![]));
    assert_eq!(general.changes_since(&before), Changes::Chart);
}

#[test]
fn general_admission_changes_are_its_places() {
    let ga = |free: u32| {
        let mut show = show_detail(vec![]);
        show.show.kind = ShowKind::General;
        show.show.capacity = Some(100);
        show.show.free_places = Some(free);
        ShowState::General(show)
    };
    assert_eq!(ga(90).changes_since(&ga(90)), Changes::None);
    assert_ne!(ga(90).digest(), ga(88).digest());
    assert_eq!(
        ga(88).changes_since(&ga(90)),
        Changes::Some {
            seats: vec![],
            classes: vec![],
            available: 88
        }
    );
}
