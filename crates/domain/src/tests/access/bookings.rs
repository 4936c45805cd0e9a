//! The checks `BookingService` makes: booking, reading, listing and cancelling.

use super::*;

#[test]
fn anonymous_book_gets_a_guest_token_whose_hash_is_stored() {
    block_on(async {
        let sent: Arc<Mutex<Option<BookingCommand>>> = Arc::default();
        let mut repo = MockBookingRepository::new();
        let s = sent.clone();
        repo.expect_book().times(1).returning(move |cmd, _| {
            let b = booked_from(&cmd);
            *s.lock().unwrap() = Some(cmd);
            Ok(b)
        });
        let mut tokens = MockTokenGenerator::new();
        tokens
            .expect_token()
            .times(1)
            .returning(|| GUEST_TOKEN.to_owned());
        let svc = bookings(repo, tokens);
        let booked = svc
            .book(
                &Actor::Anonymous,
                request("Ada", Some("ada@example.com"), None),
            )
            .await
            .unwrap();
        let token = booked.guest_token.expect("a guest gets a token");
        assert_eq!(token.expose(), GUEST_TOKEN);
        let cmd = sent.lock().unwrap().clone().unwrap();
        assert_eq!(cmd.user_id, None);
        assert_eq!(cmd.actor, "guest");
        assert_eq!(cmd.guest_token_hash, Some(TokenHash::of(token.expose())));
        assert_eq!(booked.booking.guest_token_hash, Some(token.hash()));
    })
}

#[test]
fn signed_in_book_is_owned_and_filled_from_the_profile() {
    block_on(async {
        let mut me = user(Role::Customer);
        me.first_name = "Ada".into();
        me.last_name = "Lovelace".into();
        me.email = "ada@example.com".into();
        let my_id = me.id;
        let sent: Arc<Mutex<Option<BookingCommand>>> = Arc::default();
        let mut repo = MockBookingRepository::new();
        let s = sent.clone();
        repo.expect_book().times(1).returning(move |cmd, _| {
            let b = booked_from(&cmd);
            *s.lock().unwrap() = Some(cmd);
            Ok(b)
        });
        let svc = bookings(repo, no_tokens());
        let booked = svc
            .book(&Actor::User(me), request("  ", None, Some("  ")))
            .await
            .unwrap();
        assert!(booked.guest_token.is_none());
        let cmd = sent.lock().unwrap().clone().unwrap();
        assert_eq!(cmd.user_id, Some(my_id));
        assert_eq!(cmd.actor, format!("user:{my_id}"));
        assert_eq!(cmd.guest_token_hash, None);
        assert_eq!(cmd.buyer.name.as_str(), "Ada Lovelace");
        assert_eq!(
            cmd.buyer.email,
            Some(Email::parse("ada@example.com").unwrap())
        );
        assert_eq!(cmd.buyer.phone, None);
        assert_eq!(booked.booking.user_id, Some(my_id));
    })
}

#[test]
fn signed_in_book_keeps_the_given_name_and_contact() {
    block_on(async {
        let me = user(Role::Customer);
        let mut repo = MockBookingRepository::new();
        repo.expect_book()
            .withf(|cmd, _| {
                cmd.buyer.name.as_str() == "Grace"
                    && cmd.buyer.email.is_none()
                    && cmd.buyer.phone.as_ref().map(|p| p.as_str()) == Some("0123456789")
            })
            .times(1)
            .returning(|cmd, _| Ok(booked_from(&cmd)));
        repo.expect_book()
            .withf(|cmd, _| {
                cmd.buyer.email.as_ref().map(|e| e.as_str()) == Some("other@example.com")
            })
            .times(1)
            .returning(|cmd, _| Ok(booked_from(&cmd)));
        let svc = bookings(repo, no_tokens());
        let who = Actor::User(me);
        // A phone alone is enough: the profile's email is not added.
        svc.book(&who, request("Grace", None, Some("0123456789")))
            .await
            .unwrap();
        svc.book(&who, request("Grace", Some("other@example.com"), None))
            .await
            .unwrap();
    })
}

#[test]
fn get_by_a_stranger_is_the_same_not_found_as_an_unknown_id() {
    block_on(async {
        let owner = user(Role::Customer);
        let owned = booking(Uuid::new_v4(), Some(owner.id), None);
        let owned_id = owned.id;
        let unknown = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .withf(move |id| *id == owned_id)
            .returning(move |_| Ok(owned.clone()));
        repo.expect_get_booking()
            .withf(move |id| *id == unknown)
            .returning(|id| Err(DomainError::not_found("booking", id)));
        let svc = bookings(repo, no_tokens());
        let stranger = actor(Role::Customer);
        let err = svc.get(&stranger, owned_id, None).await.unwrap_err();
        assert_eq!(err, DomainError::not_found("booking", owned_id));
        // Same shape as for an id that does not exist.
        let unknown_err = svc.get(&stranger, unknown, None).await.unwrap_err();
        assert!(matches!(
            (&err, &unknown_err),
            (
                DomainError::NotFound {
                    entity: "booking",
                    ..
                },
                DomainError::NotFound {
                    entity: "booking",
                    ..
                }
            )
        ));
        assert_eq!(
            svc.get(&Actor::Anonymous, owned_id, Some(GUEST_TOKEN))
                .await
                .unwrap_err(),
            DomainError::not_found("booking", owned_id)
        );
        // The owner and an admin do see it.
        assert_eq!(
            svc.get(&Actor::User(owner), owned_id, None)
                .await
                .unwrap()
                .id,
            owned_id
        );
        assert_eq!(
            svc.get(&admin(), owned_id, None).await.unwrap().id,
            owned_id
        );
    })
}

#[test]
fn get_with_the_right_guest_token_is_ok() {
    block_on(async {
        let guest = booking(Uuid::new_v4(), None, Some(GUEST_TOKEN));
        let id = guest.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .returning(move |_| Ok(guest.clone()));
        let svc = bookings(repo, no_tokens());
        assert_eq!(
            svc.get(&Actor::Anonymous, id, Some(GUEST_TOKEN))
                .await
                .unwrap()
                .id,
            id
        );
        assert_eq!(
            svc.get(&Actor::Anonymous, id, Some("wrong")).await,
            Err(DomainError::not_found("booking", id))
        );
        assert_eq!(
            svc.get(&Actor::Anonymous, id, None).await,
            Err(DomainError::not_found("booking", id))
        );
    })
}

#[test]
fn list_anonymous_with_a_contact_is_unauthorized() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings().times(0);
        let svc = bookings(repo, no_tokens());
        assert_eq!(
            unauthorized_code(
                svc.list(
                    &Actor::Anonymous,
                    Some("ada@example.com"),
                    None,
                    Page::default()
                )
                .await
            ),
            "authentication_required"
        );
        assert_eq!(
            unauthorized_code(
                svc.list(&Actor::Anonymous, None, Some("0123456789"), Page::default())
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn a_customer_listing_someone_elses_contact_is_forbidden() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings().times(0);
        let svc = bookings(repo, no_tokens());
        let mut me = user(Role::Customer);
        me.phone = Some("0123456789".into());
        let me = Actor::User(me);
        assert!(is_forbidden(
            &svc.list(&me, Some("someone@example.com"), None, Page::default())
                .await
        ));
        assert!(is_forbidden(
            &svc.list(&me, None, Some("0999999999"), Page::default())
                .await
        ));
        assert!(is_forbidden(
            &svc.list(
                &actor(Role::Provider),
                Some("someone@example.com"),
                None,
                Page::default()
            )
            .await
        ));
    })
}

#[test]
fn a_customer_listing_their_own_email_is_narrowed_to_their_bookings() {
    block_on(async {
        let me = user(Role::Customer);
        let my_id = me.id;
        let expected = BookingFilter {
            user_id: Some(my_id),
            contact: Some(ContactQuery::Email(Email::parse(&me.email).unwrap())),
        };
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(move |f, _| *f == expected)
            .times(1)
            .returning(empty_page);
        let svc = bookings(repo, no_tokens());
        let shouted = me.email.to_uppercase();
        assert!(svc
            .list(&Actor::User(me), Some(&shouted), None, Page::default())
            .await
            .is_ok());
    })
}

#[test]
fn a_customer_listing_their_own_phone_is_narrowed_to_their_bookings() {
    block_on(async {
        let mut me = user(Role::Customer);
        me.phone = Some("+15550109999".into());
        let my_id = me.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(move |f, _| {
                f.user_id == Some(my_id)
                    && matches!(&f.contact, Some(ContactQuery::Phone(p)) if p.as_str() == "+15550109999")
            })
            .times(1)
            .returning(empty_page);
        let svc = bookings(repo, no_tokens());
        assert!(svc
            .list(
                &Actor::User(me),
                None,
                Some("+1 555 010 9999"),
                Page::default()
            )
            .await
            .is_ok());
    })
}

#[test]
fn an_admin_with_an_email_lists_anyones_bookings() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(|f, _| {
                *f == BookingFilter {
                    user_id: None,
                    contact: Some(ContactQuery::Email(
                        Email::parse("someone@example.com").unwrap(),
                    )),
                }
            })
            .times(1)
            .returning(empty_page);
        let svc = bookings(repo, no_tokens());
        assert!(svc
            .list(&admin(), Some("someone@example.com"), None, Page::default())
            .await
            .is_ok());
    })
}

#[test]
fn list_for_user_by_another_customer_is_forbidden() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings().times(0);
        let svc = bookings(repo, no_tokens());
        let target = Uuid::new_v4();
        assert!(is_forbidden(
            &svc.list_for_user(&actor(Role::Customer), target, Page::default())
                .await
        ));
        assert!(is_forbidden(
            &svc.list_for_user(&actor(Role::Provider), target, Page::default())
                .await
        ));
        assert_eq!(
            unauthorized_code(
                svc.list_for_user(&Actor::Anonymous, target, Page::default())
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn list_for_user_by_that_user_or_an_admin_filters_on_the_user() {
    block_on(async {
        let me = actor(Role::Customer);
        let my_id = me.user_id().unwrap();
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(move |f, _| {
                *f == BookingFilter {
                    user_id: Some(my_id),
                    contact: None,
                }
            })
            .times(2)
            .returning(empty_page);
        let svc = bookings(repo, no_tokens());
        assert!(svc.list_for_user(&me, my_id, Page::default()).await.is_ok());
        assert!(svc
            .list_for_user(&admin(), my_id, Page::default())
            .await
            .is_ok());
    })
}

#[test]
fn cancel_by_a_stranger_is_not_found_and_cancels_nothing() {
    block_on(async {
        let owner = user(Role::Customer);
        let owned = booking(Uuid::new_v4(), Some(owner.id), None);
        let id = owned.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .returning(move |_| Ok(owned.clone()));
        repo.expect_cancel_booking().times(0);
        let svc = bookings(repo, no_tokens());
        assert_eq!(
            svc.cancel(&actor(Role::Customer), id, None).await,
            Err(DomainError::not_found("booking", id))
        );
        assert_eq!(
            svc.cancel(&Actor::Anonymous, id, Some(GUEST_TOKEN)).await,
            Err(DomainError::not_found("booking", id))
        );
    })
}

#[test]
fn cancel_with_the_guest_token_cancels() {
    block_on(async {
        let guest = booking(Uuid::new_v4(), None, Some(GUEST_TOKEN));
        let id = guest.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .returning(move |_| Ok(guest.clone()));
        repo.expect_cancel_booking()
            .withf(move |got, now, actor, reason, _| {
                *got == id
                    && *now == t0()
                    && actor == "guest"
                    && reason == "cancelled by the customer"
            })
            .times(1)
            .returning(|id, now, _, _, _| {
                let mut b = booking(id, None, Some(GUEST_TOKEN));
                b.status = BookingStatus::Cancelled;
                b.cancelled_at = Some(now);
                Ok(Cancelled {
                    booking: b,
                    refund: None,
                })
            });
        let svc = bookings(repo, no_tokens());
        let b = svc
            .cancel(&Actor::Anonymous, id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(b.status, BookingStatus::Cancelled);
    })
}
