//! `BookingService`: the history, get and list as of now.

use super::*;

fn created_entry(b: &Booking) -> HistoryEntry {
    HistoryEntry {
        at: b.created_at,
        entity: HistoryEntity::Booking,
        entity_id: b.id.to_string(),
        from: None,
        to: "held".into(),
        actor: Some("guest".into()),
        reason: None,
    }
}

#[test]
fn the_history_of_a_past_due_hold_ends_with_its_expiry() {
    block_on(async {
        let b = past_due_hold(None);
        let id = b.id;
        let created = created_entry(&b);
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        let stored = vec![created.clone()];
        repo.expect_history()
            .with(eq(id))
            .times(1)
            .return_once(move |_| Ok(stored));
        let got = booking_service(repo, t0())
            .history(&Actor::Anonymous, id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], created);
        assert_eq!(
            got[1],
            HistoryEntry {
                at: b.expires_at.unwrap(),
                entity: HistoryEntity::Booking,
                entity_id: id.to_string(),
                from: Some("held".into()),
                to: "expired".into(),
                actor: Some("system".into()),
                reason: Some(REASON_HOLD_EXPIRED.into()),
            }
        );
    })
}

#[test]
fn the_history_of_a_running_hold_or_a_written_expiry_gets_nothing_added() {
    block_on(async {
        let running = running_hold(None);
        let written = booking(
            BookingStatus::Expired,
            None,
            Some(t0() - Duration::minutes(1)),
        );
        let paid = booking(
            BookingStatus::Confirmed,
            None,
            Some(t0() - Duration::minutes(1)),
        );
        for b in [running, written, paid] {
            let mut repo = MockBookingRepository::new();
            let read = b.clone();
            repo.expect_get_booking().return_once(move |_| Ok(read));
            let mut stored = vec![created_entry(&b)];
            if b.status == BookingStatus::Expired {
                stored.extend(b.expiry_entry());
            }
            let answer = stored.clone();
            repo.expect_history()
                .times(1)
                .return_once(move |_| Ok(answer));
            let got = booking_service(repo, t0())
                .history(&Actor::Anonymous, b.id, Some(GUEST_TOKEN))
                .await
                .unwrap();
            assert_eq!(got, stored, "{}", b.status);
        }
    })
}

#[test]
fn the_history_of_a_hold_due_exactly_now_ends_with_its_expiry() {
    block_on(async {
        let b = booking(BookingStatus::Held, None, Some(t0()));
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        repo.expect_history().return_once(|_| Ok(vec![]));
        let got = booking_service(repo, t0())
            .history(&admin(), b.id, None)
            .await
            .unwrap();
        assert_eq!(got, vec![b.expiry_entry().unwrap()]);
    })
}

#[test]
fn get_reads_a_past_due_hold_as_expired() {
    block_on(async {
        let customer = actor(Role::Customer);
        let due = past_due_hold(customer.user_id());
        let running = running_hold(customer.user_id());
        let mut repo = MockBookingRepository::new();
        for b in [due.clone(), running.clone()] {
            repo.expect_get_booking()
                .with(eq(b.id))
                .returning(move |_| Ok(b.clone()));
        }
        let svc = booking_service(repo, t0());
        let got = svc.get(&customer, due.id, None).await.unwrap();
        assert_eq!(got.status, BookingStatus::Expired);
        assert_eq!(got.expires_at, due.expires_at);
        let got = svc.get(&customer, running.id, None).await.unwrap();
        assert_eq!(got, running);
    })
}

#[test]
fn lists_read_past_due_holds_as_expired() {
    block_on(async {
        let customer = actor(Role::Customer);
        let owner = customer.user_id();
        let items = vec![
            past_due_hold(owner),
            running_hold(owner),
            booking(
                BookingStatus::Confirmed,
                owner,
                Some(t0() - Duration::hours(1)),
            ),
        ];
        let mut repo = MockBookingRepository::new();
        let answer = items.clone();
        repo.expect_find_bookings()
            .times(1)
            .return_once(move |_, page| {
                Ok(Paged {
                    items: answer,
                    total: 3,
                    page,
                })
            });
        let got = booking_service(repo, t0())
            .list_for_user(&customer, owner.unwrap(), Page::default())
            .await
            .unwrap();
        let statuses: Vec<_> = got.items.iter().map(|b| b.status).collect();
        assert_eq!(
            statuses,
            [
                BookingStatus::Expired,
                BookingStatus::Held,
                BookingStatus::Confirmed
            ]
        );
        assert_eq!(got.total, 3);
    })
}

#[test]
fn the_history_of_someone_elses_past_due_hold_is_not_found() {
    block_on(async {
        let b = past_due_hold(Some(Uuid::new_v4()));
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(b));
        repo.expect_history().never();
        assert_eq!(
            booking_service(repo, t0())
                .history(&actor(Role::Customer), id, None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}
