//! `BookingService`: book, get, list, cancel.

use super::*;

// A guest (anonymous) booking: the name and contact come from the request only, as before
// accounts existed.

#[test]
fn book_parses_then_calls_the_repository_with_the_pinned_time() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_book()
            .withf(|cmd, now| {
                cmd.show_id == 7
                    && cmd.places == Places::SeatIds(vec![3, 4])
                    && cmd.buyer.name.as_str() == "Ada"
                    && cmd.buyer.email.as_ref().map(|e| e.as_str()) == Some("ada@example.com")
                    && cmd.buyer.phone.is_none()
                    && *now == t0()
            })
            .times(1)
            .returning(move |_, _| Ok(booking(id, BookingStatus::Confirmed)));
        let svc = booking_service(repo, clock_at_t0());
        let booked = svc.book(&Actor::Anonymous, valid_request()).await.unwrap();
        assert_eq!(booked.booking.id, id);
        assert_eq!(booked.booking.status, BookingStatus::Confirmed);
        assert_eq!(
            booked.guest_token.as_ref().map(|t| t.expose()),
            Some(GUEST_TOKEN)
        );
    })
}

#[test]
fn book_general_admission_passes_the_quantity() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_book()
            .withf(|cmd, now| cmd.places == Places::Quantity(3) && *now == t0())
            .times(1)
            .returning(|_, _| Ok(booking(Uuid::nil(), BookingStatus::Confirmed)));
        let svc = booking_service(repo, clock_at_t0());
        let req = BookingRequest {
            seat_ids: None,
            quantity: Some(3),
            ..valid_request()
        };
        let booked = svc.book(&Actor::Anonymous, req).await.unwrap();
        assert_eq!(booked.booking.id, Uuid::nil());
    })
}

#[test]
fn book_does_not_call_the_repository_on_invalid_input() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_book().times(0);
        let mut clock = MockClock::new();
        clock.expect_now().times(0);
        let mut tokens = MockTokenGenerator::new();
        tokens.expect_token().times(0);
        let svc = BookingService::new(
            Arc::new(repo),
            Arc::new(clock),
            Arc::new(tokens),
            BookingRules::default(),
        );
        let bad = BookingRequest {
            name: "".into(),
            email: None,
            ..valid_request()
        };
        let fs = failing_fields(svc.book(&Actor::Anonymous, bad).await);
        assert_eq!(fs, ["name", "email"]);
    })
}

#[test]
fn book_uses_the_configured_maximum() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_book().times(0);
        let svc = BookingService::new(
            Arc::new(repo),
            Arc::new(clock_at_t0()),
            Arc::new(tokens()),
            BookingRules {
                max_seats_per_booking: 1,
                ..BookingRules::default()
            },
        );
        assert_eq!(svc.rules().max_seats_per_booking, 1);
        assert_eq!(
            failing_fields(svc.book(&Actor::Anonymous, valid_request()).await),
            ["seat_ids"]
        );
        assert_eq!(
            failing_fields(svc.book(&admin(), valid_request()).await),
            ["seat_ids"]
        );
    })
}

#[test]
fn default_rules_allow_ten_places() {
    assert_eq!(BookingRules::default().max_seats_per_booking, 10);
}

#[test]
fn book_passes_repository_errors_through() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_book().times(2).returning(|_, _| {
            Err(DomainError::SeatsUnavailable {
                seats: vec!["A1".into()],
            })
        });
        let svc = booking_service(repo, clock_at_t0());
        for actor in [Actor::Anonymous, admin()] {
            assert_eq!(
                svc.book(&actor, valid_request()).await.unwrap_err(),
                DomainError::SeatsUnavailable {
                    seats: vec!["A1".into()]
                }
            );
        }
    })
}

// --- BookingService: get, list, cancel ----------------------------------------------------------

#[test]
fn get_passes_the_id() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .withf(move |got| *got == id)
            .times(1)
            .returning(|id| Ok(booking(id, BookingStatus::Held)));
        let svc = booking_service(repo, clock_at_t0());
        assert_eq!(svc.get(&admin(), id, None).await.unwrap().id, id);
    })
}

#[test]
fn get_passes_not_found_through() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .times(1)
            .returning(|id| Err(DomainError::not_found("booking", id)));
        let svc = booking_service(repo, clock_at_t0());
        assert_eq!(
            svc.get(&admin(), id, None).await.unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}

#[test]
fn list_without_a_contact_needs_a_signed_in_caller() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings().times(0);
        let svc = booking_service(repo, clock_at_t0());
        assert_eq!(
            failing_fields(
                svc.list(&Actor::Anonymous, None, None, Page::default())
                    .await
            ),
            ["email"]
        );
        assert_eq!(
            failing_fields(
                svc.list(&Actor::Anonymous, Some("  "), Some(""), Page::default())
                    .await
            ),
            ["email"]
        );
    })
}

#[test]
fn list_by_an_admin_with_email_lower_cases_it() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(|f, page| {
                f.user_id.is_none()
                    && matches!(&f.contact, Some(ContactQuery::Email(e)) if e.as_str() == "ada@example.com")
                    && *page
                        == Page {
                            limit: 20,
                            offset: 40,
                        }
            })
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![],
                    total: 0,
                    page,
                })
            });
        let svc = booking_service(repo, clock_at_t0());
        let page = Page::parse(Some(20), Some(40)).unwrap();
        let res = svc
            .list(&admin(), Some(" Ada@EXAMPLE.com "), None, page)
            .await
            .unwrap();
        assert_eq!(res.total, 0);
        assert_eq!(res.page, page);
    })
}

#[test]
fn list_prefers_email_when_both_are_given() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(|f, _| matches!(f.contact, Some(ContactQuery::Email(_))))
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![],
                    total: 0,
                    page,
                })
            });
        let svc = booking_service(repo, clock_at_t0());
        assert!(svc
            .list(
                &admin(),
                Some("a@b.co"),
                Some("0123456789"),
                Page::default()
            )
            .await
            .is_ok());
    })
}

#[test]
fn list_with_phone_normalises_it() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(|f, _| {
                matches!(&f.contact, Some(ContactQuery::Phone(p)) if p.as_str() == "+15550109999")
            })
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![booking(Uuid::nil(), BookingStatus::Confirmed)],
                    total: 1,
                    page,
                })
            });
        let svc = booking_service(repo, clock_at_t0());
        let res = svc
            .list(&admin(), None, Some("+1 (555) 010-9999"), Page::default())
            .await
            .unwrap();
        assert_eq!(res.items.len(), 1);
    })
}

#[test]
fn list_with_malformed_contact_names_the_field() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings().times(0);
        let svc = booking_service(repo, clock_at_t0());
        assert_eq!(
            failing_fields(
                svc.list(&admin(), Some("nope"), None, Page::default())
                    .await
            ),
            ["email"]
        );
        assert_eq!(
            failing_fields(svc.list(&admin(), None, Some("12"), Page::default()).await),
            ["phone"]
        );
    })
}

#[test]
fn list_by_a_signed_in_caller_without_contact_lists_their_own() {
    block_on(async {
        let me = admin();
        let my_id = me.user_id().unwrap();
        let mut repo = MockBookingRepository::new();
        repo.expect_find_bookings()
            .withf(move |f, _| {
                *f == BookingFilter {
                    user_id: Some(my_id),
                    contact: None,
                }
            })
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![],
                    total: 0,
                    page,
                })
            });
        let svc = booking_service(repo, clock_at_t0());
        assert!(svc.list(&me, None, None, Page::default()).await.is_ok());
    })
}

#[test]
fn cancel_passes_the_clocks_now() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .times(1)
            .returning(|id| Ok(booking(id, BookingStatus::Confirmed)));
        repo.expect_cancel_booking()
            .withf(move |got, now, _, _, _| *got == id && *now == t0())
            .times(1)
            .returning(|id, now, _, _, _| {
                let mut b = booking(id, BookingStatus::Cancelled);
                b.cancelled_at = Some(now);
                Ok(Cancelled {
                    booking: b,
                    refund: None,
                })
            });
        let svc = booking_service(repo, clock_at_t0());
        let b = svc.cancel(&admin(), id, None).await.unwrap();
        assert_eq!(b.status, BookingStatus::Cancelled);
        assert_eq!(b.cancelled_at, Some(t0()));
    })
}

#[test]
fn cancel_passes_illegal_transitions_through() {
    block_on(async {
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .times(1)
            .returning(|id| Ok(booking(id, BookingStatus::Cancelled)));
        repo.expect_cancel_booking()
            .times(1)
            .returning(|_, _, _, _, _| {
                Err(DomainError::IllegalTransition {
                    from: BookingStatus::Cancelled,
                    action: "cancelled",
                })
            });
        let svc = booking_service(repo, clock_at_t0());
        assert!(matches!(
            svc.cancel(&admin(), Uuid::nil(), None).await,
            Err(DomainError::IllegalTransition {
                from: BookingStatus::Cancelled,
                ..
            })
        ));
    })
}

#[test]
fn cancel_of_an_unknown_booking_is_not_found() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .times(1)
            .returning(|id| Err(DomainError::not_found("booking", id)));
        repo.expect_cancel_booking().times(0);
        let svc = booking_service(repo, clock_at_t0());
        assert_eq!(
            svc.cancel(&admin(), id, None).await.unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}
