//! `BookingService::change_seats`.

use super::*;

#[test]
fn change_seats_replaces_the_seats_of_a_running_hold() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let changed = Booking {
            quantity: 1,
            total_amount: 2_500,
            ..b.clone()
        };
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let answer = changed.clone();
        repo.expect_change_seats()
            .with(
                eq(id),
                eq(Places::SeatIds(vec![5])),
                eq(t0()),
                eq(customer.history_label()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(answer));
        let got = booking_service(repo, t0())
            .change_seats(&customer, id, None, Some(vec![5]), None)
            .await
            .unwrap();
        assert_eq!(got, changed);
    })
}

#[test]
fn change_seats_by_labels_passes_them_parsed() {
    block_on(async {
        let b = running_hold(None);
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let answer = b.clone();
        repo.expect_change_seats()
            .with(
                eq(id),
                eq(Places::SeatLabels(vec![
                    SeatLabel::parse("B1").unwrap(),
                    SeatLabel::parse("B2").unwrap(),
                ])),
                eq(t0()),
                eq("guest".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(answer));
        let got = booking_service(repo, t0())
            .change_seats(
                &Actor::Anonymous,
                id,
                Some(GUEST_TOKEN),
                None,
                Some(vec![" B1".into(), "B2 ".into()]),
            )
            .await
            .unwrap();
        assert_eq!(got.id, id);
    })
}

/// seat_ids, seat_labels, and the field the error names.
type SeatChangeCase = (Option<Vec<i64>>, Option<Vec<String>>, &'static str);

#[test]
fn change_seats_validates_the_request() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().returning(move |_| Ok(b.clone()));
        repo.expect_change_seats().never();
        let svc = booking_service(repo, t0());
        let eleven: Vec<i64> = (1..=11).collect();
        let eleven_labels: Vec<String> = (1..=11).map(|n| format!("A{n}")).collect();
        let cases: Vec<SeatChangeCase> = vec![
            (None, None, "seat_ids"),
            (Some(vec![1]), Some(vec!["A1".into()]), "seat_ids"),
            (Some(vec![]), None, "seat_ids"),
            (Some(vec![1, 2, 1]), None, "seat_ids"),
            (Some(eleven), None, "seat_ids"),
            (Some(vec![0]), None, "seat_ids"),
            (Some(vec![3, -1]), None, "seat_ids"),
            (None, Some(vec![]), "seat_labels"),
            (None, Some(vec!["A1".into(), "A1".into()]), "seat_labels"),
            (None, Some(eleven_labels), "seat_labels"),
            (None, Some(vec!["A 1".into()]), "seat_labels"),
            (None, Some(vec!["".into()]), "seat_labels"),
        ];
        for (ids, labels, field) in cases {
            let what = format!("{ids:?} {labels:?}");
            assert_eq!(
                failing_fields(svc.change_seats(&customer, id, None, ids, labels).await),
                [field],
                "{what}"
            );
        }
    })
}

#[test]
fn change_seats_accepts_the_most_seats_allowed() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let ten: Vec<i64> = (1..=10).collect();
        repo.expect_change_seats()
            .with(
                eq(id),
                eq(Places::SeatIds(ten.clone())),
                eq(t0()),
                eq(customer.history_label()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(b));
        assert!(booking_service(repo, t0())
            .change_seats(&customer, id, None, Some(ten), None)
            .await
            .is_ok());
    })
}

#[test]
fn change_seats_of_a_booking_that_is_not_held_is_booking_not_held() {
    block_on(async {
        let customer = actor(Role::Customer);
        let owner = customer.user_id();
        let not_held = [
            past_due_hold(owner),
            booking(
                BookingStatus::Confirmed,
                owner,
                Some(t0() + Duration::minutes(5)),
            ),
            booking(BookingStatus::Cancelled, owner, None),
            booking(
                BookingStatus::Expired,
                owner,
                Some(t0() - Duration::hours(1)),
            ),
        ];
        let mut repo = MockBookingRepository::new();
        for b in &not_held {
            let b = b.clone();
            repo.expect_get_booking()
                .with(eq(b.id))
                .returning(move |_| Ok(b.clone()));
        }
        repo.expect_change_seats().never();
        let svc = booking_service(repo, t0());
        for b in &not_held {
            assert_eq!(
                conflict_code(
                    svc.change_seats(&customer, b.id, None, Some(vec![1]), None)
                        .await
                ),
                "booking_not_held",
                "{}",
                b.status
            );
        }
    })
}

#[test]
fn change_seats_by_a_stranger_is_not_found() {
    block_on(async {
        let b = running_hold(Some(Uuid::new_v4()));
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().returning(move |_| Ok(b.clone()));
        repo.expect_change_seats().never();
        let svc = booking_service(repo, t0());
        assert_eq!(
            svc.change_seats(&actor(Role::Customer), id, None, Some(vec![1]), None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", id)
        );
        assert_eq!(
            svc.change_seats(
                &Actor::Anonymous,
                id,
                Some(GUEST_TOKEN),
                Some(vec![1]),
                None
            )
            .await
            .unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}

#[test]
fn change_seats_reads_the_answer_as_of_now() {
    block_on(async {
        // The repository answers with a hold whose deadline is now (the change took the last
        // moment): the caller sees it as it stands.
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let answer = Booking {
            expires_at: Some(t0()),
            ..b
        };
        repo.expect_change_seats()
            .times(1)
            .return_once(move |_, _, _, _| Ok(answer));
        let got = booking_service(repo, t0())
            .change_seats(&customer, id, None, Some(vec![2]), None)
            .await
            .unwrap();
        assert_eq!(got.status, BookingStatus::Expired);
    })
}
