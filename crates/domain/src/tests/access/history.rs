//! Who a history entry names, why a booking was cancelled, and who may read a history.

use super::*;

#[test]
fn history_label_names_the_caller() {
    let me = user(Role::Customer);
    let my_id = me.id;
    assert_eq!(Actor::User(me).history_label(), format!("user:{my_id}"));
    let boss = admin();
    let boss_id = boss.user_id().unwrap();
    assert_eq!(boss.history_label(), format!("user:{boss_id}"));
    assert_eq!(Actor::Anonymous.history_label(), "guest");
    // The command line's operator is an admin with the nil id.
    let mut op = user(Role::Admin);
    op.id = Uuid::nil();
    assert_eq!(Actor::User(op).history_label(), "operator");
}

#[test]
fn cancellation_reason_says_who_cancelled() {
    let me = user(Role::Customer);
    let my_id = me.id;
    let boss = admin();
    let boss_id = boss.user_id().unwrap();
    assert_eq!(
        cancellation_reason(&Actor::User(me), Some(my_id)),
        "cancelled by the customer"
    );
    assert_eq!(
        cancellation_reason(&Actor::Anonymous, None),
        "cancelled by the customer"
    );
    assert_eq!(
        cancellation_reason(&boss, Some(my_id)),
        "cancelled by an admin"
    );
    assert_eq!(cancellation_reason(&boss, None), "cancelled by an admin");
    // An admin cancelling their own booking is a customer like any other.
    assert_eq!(
        cancellation_reason(&boss, Some(boss_id)),
        "cancelled by the customer"
    );
    let mut op = user(Role::Admin);
    op.id = Uuid::nil();
    assert_eq!(
        cancellation_reason(&Actor::User(op), Some(my_id)),
        "cancelled by the operator"
    );
}

#[test]
fn admin_cancelling_someone_elses_booking_records_the_admin_and_says_so() {
    block_on(async {
        let owner = user(Role::Customer);
        let owned = booking(Uuid::new_v4(), Some(owner.id), None);
        let id = owned.id;
        let boss = admin();
        let label = format!("user:{}", boss.user_id().unwrap());
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .returning(move |_| Ok(owned.clone()));
        repo.expect_cancel_booking()
            .withf(move |got, now, actor, reason, _| {
                *got == id && *now == t0() && *actor == label && reason == "cancelled by an admin"
            })
            .times(1)
            .returning(move |id, now, _, _, _| {
                let mut b = booking(id, Some(owner.id), None);
                b.status = BookingStatus::Cancelled;
                b.cancelled_at = Some(now);
                Ok(Cancelled {
                    booking: b,
                    refund: None,
                })
            });
        let svc = bookings(repo, no_tokens());
        let b = svc.cancel(&boss, id, None).await.unwrap();
        assert_eq!(b.status, BookingStatus::Cancelled);
    })
}

fn creation_entry(id: Uuid, actor: &str) -> HistoryEntry {
    HistoryEntry {
        at: t0(),
        entity: HistoryEntity::Booking,
        entity_id: id.to_string(),
        from: None,
        to: "confirmed".into(),
        actor: Some(actor.into()),
        reason: None,
    }
}

#[test]
fn history_is_read_by_the_owner_the_guest_token_holder_and_admins() {
    block_on(async {
        let owner = user(Role::Customer);
        let owner_id = owner.id;
        let owned = booking(Uuid::new_v4(), Some(owner_id), None);
        let guest = booking(Uuid::new_v4(), None, Some(GUEST_TOKEN));
        let (owned_id, guest_id) = (owned.id, guest.id);
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().returning(move |id| {
            Ok(if id == owned_id {
                owned.clone()
            } else {
                guest.clone()
            })
        });
        repo.expect_history().times(4).returning(move |id| {
            Ok(vec![creation_entry(
                id,
                &if id == owned_id {
                    format!("user:{owner_id}")
                } else {
                    "guest".to_owned()
                },
            )])
        });
        let svc = bookings(repo, no_tokens());
        let mine = svc
            .history(&Actor::User(owner), owned_id, None)
            .await
            .unwrap();
        assert_eq!(
            mine,
            vec![creation_entry(owned_id, &format!("user:{owner_id}"))]
        );
        assert_eq!(
            svc.history(&admin(), owned_id, None).await.unwrap().len(),
            1
        );
        let theirs = svc
            .history(&Actor::Anonymous, guest_id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(theirs, vec![creation_entry(guest_id, "guest")]);
        assert_eq!(
            svc.history(&admin(), guest_id, None).await.unwrap().len(),
            1
        );
    })
}

#[test]
fn history_for_anyone_else_or_an_unknown_booking_is_not_found_and_reads_nothing() {
    block_on(async {
        let owner = user(Role::Customer);
        let owned = booking(Uuid::new_v4(), Some(owner.id), None);
        let guest = booking(Uuid::new_v4(), None, Some(GUEST_TOKEN));
        let (owned_id, guest_id) = (owned.id, guest.id);
        let unknown = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().returning(move |id| {
            if id == owned_id {
                Ok(owned.clone())
            } else if id == guest_id {
                Ok(guest.clone())
            } else {
                Err(DomainError::not_found("booking", id))
            }
        });
        repo.expect_history().times(0);
        let svc = bookings(repo, no_tokens());
        let nf = |id| Err(DomainError::not_found("booking", id));
        // A stranger, signed in or not, with or without a (wrong) token.
        assert_eq!(
            svc.history(&actor(Role::Customer), owned_id, None).await,
            nf(owned_id)
        );
        assert_eq!(
            svc.history(&actor(Role::Provider), owned_id, None).await,
            nf(owned_id)
        );
        assert_eq!(
            svc.history(&Actor::Anonymous, owned_id, None).await,
            nf(owned_id)
        );
        assert_eq!(
            svc.history(&Actor::Anonymous, owned_id, Some(GUEST_TOKEN))
                .await,
            nf(owned_id)
        );
        assert_eq!(
            svc.history(&Actor::Anonymous, guest_id, None).await,
            nf(guest_id)
        );
        assert_eq!(
            svc.history(&Actor::Anonymous, guest_id, Some("not-the-token"))
                .await,
            nf(guest_id)
        );
        assert_eq!(
            svc.history(&actor(Role::Customer), guest_id, None).await,
            nf(guest_id)
        );
        // An unknown id: the same 404, also for an admin.
        assert_eq!(svc.history(&admin(), unknown, None).await, nf(unknown));
        assert_eq!(
            svc.history(&Actor::Anonymous, unknown, Some(GUEST_TOKEN))
                .await,
            nf(unknown)
        );
    })
}
