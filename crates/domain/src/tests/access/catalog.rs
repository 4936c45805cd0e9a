//! The checks `CatalogService` makes before it touches storage.

use super::*;

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
