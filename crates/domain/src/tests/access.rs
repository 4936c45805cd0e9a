//! Access control: the authorisation matrix of `Actor`, access to one booking, and the checks the
//! catalogue and booking use cases make before they touch storage.

use crate::codes::*;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use futures_executor::block_on;
use uuid::Uuid;

use crate::account::{cancellation_reason, may_access_booking, Actor, Role, TokenHash, User};
use crate::booking::{Booking, BookingCommand, BookingRequest, BookingStatus};
use crate::catalog::{
    City, EventDetail, Layout, NewCity, NewEvent, NewShow, NewVenue, Page, Paged, Show, ShowDetail,
    ShowKind,
};
use crate::error::DomainError;
use crate::payment::{HistoryEntity, HistoryEntry};
use crate::ports::{
    BookingFilter, Cancelled, ContactQuery, MockBookingRepository, MockCatalogRepository,
    MockClock, MockTokenGenerator,
};
use crate::service::{BookingRules, BookingService, CatalogService};
use crate::values::Email;

use super::support::{actor, admin, is_forbidden, t0, unauthorized_code, usd, user};

// --- the authorisation matrix -------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    /// 401 `authentication_required`.
    SignIn,
    /// 403 `forbidden`.
    Denied,
}
use Outcome::{Allowed, Denied, SignIn};

/// Classifies a check's result; an `Ok` must carry the caller's own user.
fn outcome(who: &Actor, result: Result<&User, DomainError>) -> Outcome {
    match result {
        Ok(u) => {
            assert_eq!(Some(u), who.user(), "Ok must return the caller");
            Allowed
        }
        Err(DomainError::Unauthorized {
            code: AuthCode::AuthenticationRequired,
            ..
        }) => SignIn,
        Err(DomainError::Forbidden {
            code: ForbiddenCode::Forbidden,
            ..
        }) => Denied,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

struct Cast {
    customer: Actor,
    organiser: Actor,
    other_provider: Actor,
    admin: Actor,
}

fn cast() -> Cast {
    Cast {
        customer: actor(Role::Customer),
        organiser: actor(Role::Provider),
        other_provider: actor(Role::Provider),
        admin: admin(),
    }
}

#[test]
fn authorisation_matrix_of_actor() {
    let c = cast();
    let org = c.organiser.user_id().unwrap();
    let customer_id = c.customer.user_id().unwrap();
    // Columns: require_admin, require_organiser, require_event_manager(Some(org)),
    // require_event_manager(None), require_self_or_admin(customer's id),
    // require_self_or_admin(own id), require_user.
    let rows: [(&str, &Actor, [Outcome; 7]); 5] = [
        (
            "anonymous",
            &Actor::Anonymous,
            [SignIn, SignIn, SignIn, SignIn, SignIn, SignIn, SignIn],
        ),
        (
            "customer",
            &c.customer,
            [Denied, Denied, Denied, Denied, Allowed, Allowed, Allowed],
        ),
        (
            "organiser",
            &c.organiser,
            [Denied, Allowed, Allowed, Denied, Denied, Allowed, Allowed],
        ),
        (
            "other provider",
            &c.other_provider,
            [Denied, Allowed, Denied, Denied, Denied, Allowed, Allowed],
        ),
        (
            "admin",
            &c.admin,
            [
                Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed,
            ],
        ),
    ];
    for (name, who, expected) in rows {
        let own = who.user_id().unwrap_or_else(Uuid::new_v4);
        let got = [
            outcome(who, who.require_admin()),
            outcome(who, who.require_organiser()),
            outcome(who, who.require_event_manager(Some(org))),
            outcome(who, who.require_event_manager(None)),
            outcome(who, who.require_self_or_admin(customer_id)),
            outcome(who, who.require_self_or_admin(own)),
            outcome(who, who.require_user()),
        ];
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn a_customer_who_organised_an_event_before_a_demotion_cannot_manage_it() {
    // The rule is on the role as loaded now, not only on the organiser id.
    let demoted = actor(Role::Customer);
    let id = demoted.user_id();
    assert_eq!(outcome(&demoted, demoted.require_event_manager(id)), Denied);
}

#[test]
fn actor_accessors() {
    assert_eq!(Actor::Anonymous.user(), None);
    assert_eq!(Actor::Anonymous.user_id(), None);
    assert_eq!(Actor::Anonymous.role(), None);
    assert!(!Actor::Anonymous.is_admin());
    let u = user(Role::Provider);
    let a = Actor::User(u.clone());
    assert_eq!(a.user_id(), Some(u.id));
    assert_eq!(a.role(), Some(Role::Provider));
    assert!(!a.is_admin());
    assert!(admin().is_admin());
}

// --- may_access_booking -------------------------------------------------------------------------

const GUEST: &str = "guest-token-abcdefghijklmnopqrstuvwxyz012345";

#[test]
fn the_owner_may_access_their_booking() {
    let owner = actor(Role::Customer);
    assert!(may_access_booking(&owner, owner.user_id(), None, None));
}

#[test]
fn another_user_may_not() {
    let owner = user(Role::Customer);
    for stranger in [actor(Role::Customer), actor(Role::Provider)] {
        assert!(!may_access_booking(&stranger, Some(owner.id), None, None));
    }
}

#[test]
fn an_admin_may_access_any_booking() {
    let owner = user(Role::Customer);
    assert!(may_access_booking(&admin(), Some(owner.id), None, None));
    let hash = TokenHash::of(GUEST);
    assert!(may_access_booking(&admin(), None, Some(&hash), None));
}

#[test]
fn a_guest_with_the_right_token_may_access() {
    let hash = TokenHash::of(GUEST);
    assert!(may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        Some(GUEST)
    ));
}

#[test]
fn a_guest_with_a_wrong_token_may_not() {
    let hash = TokenHash::of(GUEST);
    assert!(!may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        Some("guest-token-wrong")
    ));
    assert!(!may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        Some("")
    ));
}

#[test]
fn a_guest_without_a_token_may_not() {
    let hash = TokenHash::of(GUEST);
    assert!(!may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        None
    ));
    // A user's booking (no guest hash) is never reachable with a token.
    let owner = user(Role::Customer);
    assert!(!may_access_booking(
        &Actor::Anonymous,
        Some(owner.id),
        None,
        Some(GUEST)
    ));
}

#[test]
fn a_signed_in_user_presenting_the_right_guest_token_may_access() {
    let hash = TokenHash::of(GUEST);
    let someone = actor(Role::Customer);
    assert!(may_access_booking(&someone, None, Some(&hash), Some(GUEST)));
    assert!(!may_access_booking(
        &someone,
        None,
        Some(&hash),
        Some("nope")
    ));
}

// --- CatalogService -----------------------------------------------------------------------------

fn catalog(repo: MockCatalogRepository) -> CatalogService {
    CatalogService::new(Arc::new(repo))
}

fn new_city() -> NewCity {
    NewCity::parse("Lyon", "France", 45.76, 4.83).unwrap()
}

fn city() -> City {
    City {
        id: 1,
        name: "Lyon".into(),
        country: "France".into(),
        latitude: 45.76,
        longitude: 4.83,
        created_at: t0(),
    }
}

fn new_event() -> NewEvent {
    NewEvent::parse("Gig", "", "concert", 1, None).unwrap()
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

fn show_detail() -> ShowDetail {
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
            capacity: Some(5),
            free_places: Some(5),
            price: Some(1_000),
            created_at: t0(),
        },
        classes: vec![],
    }
}

fn event_detail(organizer_id: Option<Uuid>) -> EventDetail {
    EventDetail {
        event: crate::catalog::Event {
            id: 1,
            title: "Gig".into(),
            description: String::new(),
            event_type: crate::catalog::EventType::Concert,
            city_id: 1,
            venue_id: None,
            organizer_id,
            created_at: t0(),
        },
        shows: vec![],
    }
}

const SEATS_CSV: &[u8] = b"id,seat_identifier,seat_class\n1,A1,A\n";
const PRICING_CSV: &[u8] = b"id,seat_class,min_price,normal_price,max_price\n1,A,10,20,30\n";

#[test]
fn create_city_as_a_provider_is_forbidden_and_never_stored() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_city().times(0);
        let svc = catalog(repo);
        assert!(is_forbidden(
            &svc.create_city(&actor(Role::Provider), new_city()).await
        ));
        assert!(is_forbidden(
            &svc.create_city(&actor(Role::Customer), new_city()).await
        ));
        assert_eq!(
            unauthorized_code(svc.create_city(&Actor::Anonymous, new_city()).await),
            "authentication_required"
        );
    })
}

#[test]
fn create_city_as_an_admin_is_stored() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_city()
            .withf(|c| c.name.as_str() == "Lyon")
            .times(1)
            .returning(|_| Ok(city()));
        let svc = catalog(repo);
        assert_eq!(svc.create_city(&admin(), new_city()).await.unwrap().id, 1);
    })
}

#[test]
fn create_venue_as_a_provider_is_forbidden() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_venue().times(0);
        let venue = NewVenue::parse(1, "Hall", "1 rue X", 45.0, 4.0).unwrap();
        assert!(is_forbidden(
            &catalog(repo)
                .create_venue(&actor(Role::Provider), venue)
                .await
        ));
    })
}

#[test]
fn create_event_as_a_customer_is_forbidden() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event().times(0);
        let svc = catalog(repo);
        assert!(is_forbidden(
            &svc.create_event(&actor(Role::Customer), new_event(), None)
                .await
        ));
        assert_eq!(
            unauthorized_code(svc.create_event(&Actor::Anonymous, new_event(), None).await),
            "authentication_required"
        );
    })
}

#[test]
fn create_event_as_a_provider_is_organised_by_them() {
    block_on(async {
        let provider = actor(Role::Provider);
        let pid = provider.user_id().unwrap();
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event()
            .withf(move |e, s| e.organizer_id == Some(pid) && *s == Some(general_show(5)))
            .times(1)
            .returning(|e, _| Ok(event_detail(e.organizer_id)));
        // Whatever the input says, the organiser is the caller.
        let mut ev = new_event();
        ev.organizer_id = Some(Uuid::new_v4());
        let d = catalog(repo)
            .create_event(&provider, ev, Some(general_show(5)))
            .await
            .unwrap();
        assert_eq!(d.event.organizer_id, Some(pid));
    })
}

#[test]
fn create_show_by_another_provider_is_forbidden() {
    block_on(async {
        let c = cast();
        let org = c.organiser.user_id().unwrap();
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .withf(|id| *id == 1)
            .returning(move |_| Ok(Some(org)));
        repo.expect_create_show().times(0);
        let svc = catalog(repo);
        assert!(is_forbidden(
            &svc.create_show(&c.other_provider, 1, general_show(5)).await
        ));
        assert!(is_forbidden(
            &svc.create_show(&c.customer, 1, general_show(5)).await
        ));
    })
}

#[test]
fn create_show_by_the_organiser_or_an_admin_is_stored() {
    block_on(async {
        let c = cast();
        let org = c.organiser.user_id().unwrap();
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .times(2)
            .returning(move |_| Ok(Some(org)));
        repo.expect_create_show()
            .withf(|event_id, _| *event_id == 1)
            .times(2)
            .returning(|_, _| Ok(show_detail()));
        let svc = catalog(repo);
        assert!(svc
            .create_show(&c.organiser, 1, general_show(5))
            .await
            .is_ok());
        assert!(svc.create_show(&c.admin, 1, general_show(5)).await.is_ok());
    })
}

#[test]
fn an_event_without_organiser_is_admin_only() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer().returning(|_| Ok(None));
        repo.expect_create_show()
            .times(1)
            .returning(|_, _| Ok(show_detail()));
        let svc = catalog(repo);
        assert!(is_forbidden(
            &svc.create_show(&actor(Role::Provider), 1, general_show(5))
                .await
        ));
        assert!(svc.create_show(&admin(), 1, general_show(5)).await.is_ok());
    })
}

#[test]
fn create_show_anonymous_is_unauthorized_before_any_lookup() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer().times(0);
        repo.expect_create_show().times(0);
        assert_eq!(
            unauthorized_code(
                catalog(repo)
                    .create_show(&Actor::Anonymous, 1, general_show(5))
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn create_show_on_an_unknown_event_is_not_found() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .returning(|id| Err(DomainError::not_found("event", id)));
        repo.expect_create_show().times(0);
        assert_eq!(
            catalog(repo)
                .create_show(&actor(Role::Provider), 42, general_show(5))
                .await
                .unwrap_err(),
            DomainError::not_found("event", 42)
        );
    })
}

#[test]
fn import_seats_anonymous_is_unauthorized_before_any_repository_call() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer().times(0);
        repo.expect_import_seats().times(0);
        repo.expect_import_pricing().times(0);
        let svc = catalog(repo);
        assert_eq!(
            unauthorized_code(svc.import_seats(&Actor::Anonymous, 9, SEATS_CSV).await),
            "authentication_required"
        );
        assert_eq!(
            unauthorized_code(svc.import_pricing(&Actor::Anonymous, 9, PRICING_CSV).await),
            "authentication_required"
        );
    })
}

#[test]
fn import_on_an_unknown_show_is_not_found() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 404)
            .times(2)
            .returning(|id| Err(DomainError::not_found("show", id)));
        repo.expect_import_seats().times(0);
        repo.expect_import_pricing().times(0);
        let svc = catalog(repo);
        assert_eq!(
            svc.import_seats(&admin(), 404, SEATS_CSV)
                .await
                .unwrap_err(),
            DomainError::not_found("show", 404)
        );
        assert_eq!(
            svc.import_pricing(&actor(Role::Provider), 404, PRICING_CSV)
                .await
                .unwrap_err(),
            DomainError::not_found("show", 404)
        );
    })
}

#[test]
fn import_by_another_provider_is_forbidden() {
    block_on(async {
        let c = cast();
        let org = c.organiser.user_id().unwrap();
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .returning(move |_| Ok(Some(org)));
        repo.expect_import_seats().times(0);
        repo.expect_import_pricing().times(0);
        let svc = catalog(repo);
        assert!(is_forbidden(
            &svc.import_seats(&c.other_provider, 9, SEATS_CSV).await
        ));
        assert!(is_forbidden(
            &svc.import_pricing(&c.customer, 9, PRICING_CSV).await
        ));
    })
}

// --- BookingService -----------------------------------------------------------------------------

const GUEST_TOKEN: &str = "generated-guest-token-0123456789abcdef";

fn booking(id: Uuid, user_id: Option<Uuid>, guest: Option<&str>) -> Booking {
    Booking {
        id,
        reference: "BX-00000000".into(),
        show_id: 7,
        event_id: 1,
        status: BookingStatus::Confirmed,
        customer_name: "Ada".into(),
        phone: None,
        email: Some("ada@example.com".into()),
        quantity: 1,
        total_amount: 1_000,
        currency: usd(),
        items: vec![],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id,
        guest_token_hash: guest.map(TokenHash::of),
        expires_at: None,
        payments: vec![],
    }
}

fn booked_from(cmd: &BookingCommand) -> Booking {
    Booking {
        customer_name: cmd.buyer.name.as_str().to_owned(),
        email: cmd.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        phone: cmd.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        user_id: cmd.user_id,
        guest_token_hash: cmd.guest_token_hash,
        ..booking(Uuid::new_v4(), None, None)
    }
}

fn bookings(repo: MockBookingRepository, tokens: MockTokenGenerator) -> BookingService {
    let mut clock = MockClock::new();
    clock.expect_now().returning(t0);
    BookingService::new(
        Arc::new(repo),
        Arc::new(clock),
        Arc::new(tokens),
        BookingRules::default(),
    )
}

fn no_tokens() -> MockTokenGenerator {
    let mut tokens = MockTokenGenerator::new();
    tokens.expect_token().times(0);
    tokens
}

fn empty_page(_: BookingFilter, page: Page) -> Result<Paged<Booking>, DomainError> {
    Ok(Paged {
        items: vec![],
        total: 0,
        page,
    })
}

fn request(name: &str, email: Option<&str>, phone: Option<&str>) -> BookingRequest {
    BookingRequest {
        show_id: 7,
        quantity: Some(1),
        name: name.into(),
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        ..Default::default()
    }
}

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

// --- history --------------------------------------------------------------------------------------

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
