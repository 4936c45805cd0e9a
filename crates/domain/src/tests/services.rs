//! The use-case services against mockall mocks of the ports.

use futures_executor::block_on;
use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;

use crate::account::Actor;
use crate::booking::{Booking, BookingRequest, BookingStatus, Places};
use crate::catalog::{
    Event, EventDetail, EventFilter, EventType, Layout, NewEvent, NewSeat, NewSeatClass, NewShow,
    Page, Paged, Show, ShowDetail, ShowKind,
};
use crate::error::DomainError;
use crate::import::ImportSummary;
use crate::ports::{
    BookingFilter, Cancelled, ContactQuery, MockBookingRepository, MockCatalogRepository,
    MockClock, MockTokenGenerator,
};
use crate::pricing::TierPrices;
use crate::service::{BookingRules, BookingService, CatalogService};
use crate::values::SeatLabel;

use super::support::{admin, failing_fields, t0, usd};

// --- fixtures -----------------------------------------------------------------------------------

fn clock_at_t0() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(t0);
    clock
}

fn booking(id: Uuid, status: BookingStatus) -> Booking {
    Booking {
        id,
        reference: "BX-00000000".into(),
        show_id: 7,
        event_id: 1,
        status,
        customer_name: "Ada".into(),
        phone: None,
        email: Some("ada@example.com".into()),
        quantity: 2,
        total_amount: 4_000,
        currency: usd(),
        items: vec![],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id: None,
        guest_token_hash: None,
        expires_at: None,
        payments: vec![],
    }
}

/// The guest token every guest booking of these tests gets.
const GUEST_TOKEN: &str = "guest-token-0123456789";

fn tokens() -> MockTokenGenerator {
    let mut tokens = MockTokenGenerator::new();
    tokens.expect_token().returning(|| GUEST_TOKEN.to_owned());
    tokens
}

fn booking_service(repo: MockBookingRepository, clock: MockClock) -> BookingService {
    BookingService::new(
        Arc::new(repo),
        Arc::new(clock),
        Arc::new(tokens()),
        BookingRules::default(),
    )
}

fn valid_request() -> BookingRequest {
    BookingRequest {
        show_id: 7,
        seat_ids: Some(vec![3, 4]),
        name: " Ada ".into(),
        email: Some("ADA@Example.com".into()),
        ..Default::default()
    }
}

fn event() -> Event {
    Event {
        id: 1,
        title: "Gig".into(),
        description: String::new(),
        event_type: EventType::Concert,
        city_id: 1,
        venue_id: None,
        organizer_id: None,
        created_at: t0(),
    }
}

fn general_show(capacity: u32) -> NewShow {
    NewShow {
        venue_id: None,
        screen_name: String::new(),
        starts_at: t0() + Duration::days(1),
        ends_at: t0() + Duration::days(1) + Duration::hours(2),
        currency: usd(),
        layout: Layout::General {
            capacity,
            price: Some(1_000),
        },
    }
}

fn seated_show() -> NewShow {
    NewShow {
        layout: Layout::Seated {
            classes: vec![NewSeatClass {
                name: "A".into(),
                prices: TierPrices::default(),
            }],
            seats: vec![NewSeat {
                label: SeatLabel::parse("A1").unwrap(),
                class: "A".into(),
                external_ref: None,
            }],
        },
        ..general_show(1)
    }
}

fn show_detail(capacity: u32) -> ShowDetail {
    ShowDetail {
        show: Show {
            id: 9,
            event_id: 1,
            venue_id: None,
            screen_name: String::new(),
            starts_at: t0(),
            ends_at: t0() + Duration::hours(2),
            kind: ShowKind::General,
            currency: usd(),
            capacity: Some(capacity),
            free_places: Some(capacity),
            price: Some(1_000),
            created_at: t0(),
        },
        classes: vec![],
    }
}

fn new_event() -> NewEvent {
    NewEvent::parse("Gig", "", "concert", 1, None).unwrap()
}

// --- BookingService::book -----------------------------------------------------------------------
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

// --- CatalogService -----------------------------------------------------------------------------

#[test]
fn create_show_validates_before_calling_the_repository() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .withf(|id| *id == 1)
            .returning(|_| Ok(None));
        repo.expect_create_show().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            failing_fields(svc.create_show(&admin(), 1, general_show(0)).await),
            ["capacity"]
        );
        let mut backwards = general_show(5);
        backwards.ends_at = backwards.starts_at - Duration::hours(1);
        assert_eq!(
            failing_fields(svc.create_show(&admin(), 1, backwards).await),
            ["ends_at"]
        );
    })
}

#[test]
fn create_show_passes_a_valid_show() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .withf(|id| *id == 1)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_create_show()
            .withf(|event_id, show| *event_id == 1 && *show == seated_show())
            .times(1)
            .returning(|_, _| Ok(show_detail(5)));
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            svc.create_show(&admin(), 1, seated_show())
                .await
                .unwrap()
                .show
                .id,
            9
        );
    })
}

#[test]
fn create_event_with_a_seated_layout_is_refused() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            failing_fields(
                svc.create_event(&admin(), new_event(), Some(seated_show()))
                    .await
            ),
            ["total_seats"]
        );
    })
}

#[test]
fn create_event_validates_its_general_show() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            failing_fields(
                svc.create_event(&admin(), new_event(), Some(general_show(0)))
                    .await
            ),
            ["capacity"]
        );
    })
}

#[test]
fn create_event_with_and_without_a_show() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event()
            .withf(|e, s| e.title == "Gig" && *s == Some(general_show(5)))
            .times(1)
            .returning(|_, _| {
                Ok(EventDetail {
                    event: event(),
                    shows: vec![show_detail(5)],
                })
            });
        repo.expect_create_event()
            .withf(|_, s| s.is_none())
            .times(1)
            .returning(|_, _| {
                Ok(EventDetail {
                    event: event(),
                    shows: vec![],
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let d = svc
            .create_event(&admin(), new_event(), Some(general_show(5)))
            .await
            .unwrap();
        assert_eq!((d.total_places(), d.available_places()), (5, 5));
        let d = svc.create_event(&admin(), new_event(), None).await.unwrap();
        assert_eq!(d.total_places(), 0);
    })
}

#[test]
fn import_seats_parses_the_csv_and_passes_the_rows() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_seats()
            .withf(|show_id, rows| {
                let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
                *show_id == 9 && labels == ["A1", "A2", "B1"] && rows[2].class == "B"
            })
            .times(1)
            .returning(|_, rows| {
                Ok(ImportSummary {
                    rows: rows.len() as u64,
                    created: rows.len() as u64,
                    ..Default::default()
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let csv = b"ID,Seat_Identifier,SEAT_CLASS\r\n1,A1,A\r\n2,A2,A\r\n3,B1,B";
        let summary = svc.import_seats(&admin(), 9, csv).await.unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                rows: 3,
                created: 3,
                updated: 0,
                unchanged: 0
            }
        );
    })
}

#[test]
fn import_seats_with_a_bad_file_does_not_call_the_repository() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_seats().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        let err = svc
            .import_seats(&admin(), 9, b"id,seat_identifier\n1,A1\n")
            .await
            .unwrap_err();
        assert!(
            matches!(err, DomainError::InvalidCsv { line: 1, .. }),
            "{err:?}"
        );
    })
}

#[test]
fn import_pricing_parses_the_csv_and_passes_the_rows() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_pricing()
            .withf(|show_id, rows| {
                *show_id == 9
                    && rows.len() == 1
                    && rows[0].class == "A"
                    && rows[0].prices
                        == TierPrices {
                            min_price: Some(29_763),
                            normal_price: None,
                            max_price: Some(40_000),
                        }
            })
            .times(1)
            .returning(|_, _| {
                Ok(ImportSummary {
                    rows: 1,
                    updated: 1,
                    ..Default::default()
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let csv = b"id,seat_class,min_price,normal_price,max_price\n1,A,$297.63,,400\n";
        assert_eq!(
            svc.import_pricing(&admin(), 9, csv).await.unwrap().updated,
            1
        );
    })
}

#[test]
fn import_pricing_with_a_bad_price_does_not_call_the_repository() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_pricing().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        let err = svc
            .import_pricing(
                &admin(),
                9,
                b"id,seat_class,min_price,normal_price,max_price\n1,A,x,,\n",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, DomainError::InvalidCsv { line: 2, column: Some(c), .. } if c == "min_price"),
            "{err:?}"
        );
    })
}

#[test]
fn list_events_refuses_to_before_from() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_list_events().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        let filter = EventFilter {
            from: Some(t0()),
            to: Some(t0() - Duration::seconds(1)),
            ..Default::default()
        };
        assert_eq!(
            failing_fields(svc.list_events(filter, Page::default()).await),
            ["to"]
        );
    })
}

#[test]
fn list_events_passes_a_valid_filter() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        let filter = EventFilter {
            city_id: Some(3),
            event_type: Some(EventType::Movie),
            from: Some(t0()),
            to: Some(t0()),
        };
        let expected = filter.clone();
        repo.expect_list_events()
            .withf(move |f, p| *f == expected && *p == Page::default())
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![event()],
                    total: 1,
                    page,
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let res = svc.list_events(filter, Page::default()).await.unwrap();
        assert_eq!(res.total, 1);
        assert_eq!(res.items[0].id, 1);
    })
}
