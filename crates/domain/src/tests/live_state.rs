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

mod tickets {
    use std::sync::{Arc, Mutex};

    use chrono::Duration;
    use futures_executor::block_on;

    use crate::account::{Actor, Role, TokenHash};
    use crate::codes::AuthCode;
    use crate::live::StreamTickets;
    use crate::ports::{MockClock, MockLiveStore, MockTokenGenerator};
    use crate::tests::support::{actor, t0};
    use crate::DomainError;

    fn clock_at(offset: Duration) -> MockClock {
        let mut clock = MockClock::new();
        clock.expect_now().returning(move || t0() + offset);
        clock
    }

    #[test]
    fn a_signed_in_caller_gets_a_ticket_whose_hash_is_kept_until_its_deadline() {
        let ann = actor(Role::Customer);
        let ann_id = ann.user().unwrap().id;
        let mut tokens = MockTokenGenerator::new();
        tokens.expect_token().returning(|| "the-ticket".into());
        let mut store = MockLiveStore::new();
        store
            .expect_store_ticket()
            .withf(move |hash, user, expires, now| {
                hash.matches(&TokenHash::of("the-ticket"))
                    && *user == ann_id
                    && *expires == t0() + Duration::seconds(60)
                    && *now == t0()
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let tickets = StreamTickets::new(
            Arc::new(store),
            Arc::new(tokens),
            Arc::new(clock_at(Duration::zero())),
            Duration::seconds(60),
        );
        let (ticket, expires) = block_on(tickets.issue(&ann)).unwrap();
        assert_eq!(
            (ticket.as_str(), expires),
            ("the-ticket", t0() + Duration::seconds(60))
        );
        assert!(matches!(
            block_on(tickets.issue(&Actor::Anonymous)),
            Err(DomainError::Unauthorized { .. })
        ));
    }

    #[test]
    fn a_ticket_is_good_once_and_only_before_its_deadline() {
        let user = uuid::Uuid::new_v4();
        // The store hands the ticket out once, with a deadline 60 s after t0.
        let taken = Arc::new(Mutex::new(false));
        let mut store = MockLiveStore::new();
        store.expect_take_ticket().returning(move |hash| {
            let mut taken = taken.lock().unwrap();
            if hash.matches(&TokenHash::of("good")) && !*taken {
                *taken = true;
                Ok(Some((user, t0() + Duration::seconds(60))))
            } else {
                Ok(None)
            }
        });
        let store = Arc::new(store);
        let at = |offset| {
            StreamTickets::new(
                store.clone(),
                Arc::new(MockTokenGenerator::new()),
                Arc::new(clock_at(offset)),
                Duration::seconds(60),
            )
        };
        let refused = |r: Result<uuid::Uuid, DomainError>| {
            matches!(
                r,
                Err(DomainError::Unauthorized {
                    code: AuthCode::InvalidStreamTicket,
                    ..
                })
            )
        };
        assert!(refused(block_on(at(Duration::zero()).redeem("unknown"))));
        assert_eq!(
            block_on(at(Duration::seconds(59)).redeem("good")).unwrap(),
            user
        );
        assert!(
            refused(block_on(at(Duration::zero()).redeem("good"))),
            "used"
        );
    }

    #[test]
    fn an_expired_ticket_is_refused() {
        let user = uuid::Uuid::new_v4();
        let mut store = MockLiveStore::new();
        store
            .expect_take_ticket()
            .returning(move |_| Ok(Some((user, t0() + Duration::seconds(60)))));
        let tickets = StreamTickets::new(
            Arc::new(store),
            Arc::new(MockTokenGenerator::new()),
            Arc::new(clock_at(Duration::seconds(60))),
            Duration::seconds(60),
        );
        assert!(matches!(
            block_on(tickets.redeem("late")),
            Err(DomainError::Unauthorized {
                code: AuthCode::InvalidStreamTicket,
                ..
            })
        ));
    }
}
