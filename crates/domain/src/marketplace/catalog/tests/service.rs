//! The use cases over mocks of their ports: each refusal happens before storage is asked, and
//! what is stored is what the rules made of the input.

use std::sync::Arc;

use futures_executor::block_on;
use mockall::predicate::eq;

use super::*;
use crate::catalog::{Page, Paged};
use crate::marketplace::availability::AvailabilityPatch;
use crate::ports::{MockAccountRepository, MockClock};

struct Mocks {
    categories: MockCategoryRepository,
    services: MockServiceRepository,
    accounts: MockAccountRepository,
}

impl Mocks {
    /// Mocks that refuse every call not expected by the test.
    fn new() -> Self {
        Self {
            categories: MockCategoryRepository::new(),
            services: MockServiceRepository::new(),
            accounts: MockAccountRepository::new(),
        }
    }

    fn catalog(mut self) -> MarketplaceCatalog {
        // No appointment unless a test says otherwise.
        self.services
            .expect_upcoming_appointments()
            .returning(|_, _| Ok(vec![]));
        let mut clock = MockClock::new();
        clock.expect_now().return_const(t0());
        MarketplaceCatalog::new(
            Arc::new(self.categories),
            Arc::new(self.services),
            Arc::new(self.accounts),
            Arc::new(clock),
            eur(),
        )
    }

    fn category(mut self, c: Category) -> Self {
        self.categories
            .expect_get()
            .with(eq(c.id))
            .returning(move |_| Ok(c.clone()));
        self
    }

    fn stored(mut self, s: Service) -> Self {
        self.services
            .expect_get()
            .with(eq(s.id))
            .returning(move |_| Ok(s.clone()));
        self
    }
}

fn page<T>(items: Vec<T>) -> Paged<T> {
    Paged {
        total: items.len() as i64,
        items,
        page: Page::default(),
    }
}

#[test]
fn admins_write_categories_and_anyone_reads_the_active_ones() {
    let mut m = Mocks::new();
    m.categories
        .expect_create()
        .withf(|c, now| c.name == "Hair" && c.active && *now == t0())
        .times(1)
        .returning(|c, now| {
            Ok(Category {
                id: 1,
                name: c.name,
                description: c.description,
                active: c.active,
                created_at: now,
            })
        });
    m.categories
        .expect_list()
        .with(eq(false), eq(Page::default()))
        .times(2)
        .returning(|_, _| Ok(page(vec![category(1, true)])));
    let catalog = m.catalog();
    let input = CategoryInput {
        name: " Hair ".into(),
        ..CategoryInput::default()
    };
    let created = block_on(catalog.create_category(&actor(Role::Admin), input.clone())).unwrap();
    assert_eq!(created.name, "Hair");
    for who in [actor(Role::Provider), actor(Role::Customer)] {
        assert!(is_forbidden(&block_on(
            catalog.create_category(&who, input.clone())
        )));
    }
    assert!(is_unauthenticated(&block_on(
        catalog.create_category(&Actor::Anonymous, input)
    )));
    for who in [Actor::Anonymous, actor(Role::Customer)] {
        let listed = block_on(catalog.list_categories(&who, false, Page::default())).unwrap();
        assert_eq!(listed.total, 1);
    }
    assert!(is_forbidden(&block_on(catalog.list_categories(
        &actor(Role::Provider),
        true,
        Page::default()
    ))));
}

#[test]
fn a_category_is_patched_whole_by_an_admin() {
    let mut m = Mocks::new().category(category(4, true));
    m.categories
        .expect_update()
        .withf(|id, c| *id == 4 && c.name == "category 4" && !c.active)
        .times(1)
        .returning(|id, c| {
            Ok(Category {
                active: c.active,
                ..category(id, true)
            })
        });
    let catalog = m.catalog();
    let off = CategoryPatch {
        active: Some(false),
        ..CategoryPatch::default()
    };
    let updated = block_on(catalog.update_category(&actor(Role::Admin), 4, off.clone())).unwrap();
    assert!(!updated.active);
    assert!(is_forbidden(&block_on(catalog.update_category(
        &actor(Role::Provider),
        4,
        off
    ))));
}

#[test]
fn a_provider_offers_a_service_in_an_active_category() {
    let provider = actor(Role::Provider);
    let me = provider.user_id().unwrap();
    let mut m = Mocks::new()
        .category(category(1, true))
        .category(category(2, false));
    m.services
        .expect_create()
        .withf(move |owner, s, now| {
            *owner == me && s.title == "Haircut" && s.currency == eur() && *now == t0()
        })
        .times(1)
        .returning(|owner, fields, now| {
            Ok(Service {
                id: 9,
                provider_id: owner,
                fields,
                deleted_at: None,
                created_at: now,
                updated_at: now,
            })
        });
    let catalog = m.catalog();
    let created = block_on(catalog.create_service(&provider, input())).unwrap();
    assert_eq!((created.id, created.provider_id), (9, me));
    let closed = ServiceInput {
        category_id: 2,
        ..input()
    };
    assert_eq!(
        fields(block_on(catalog.create_service(&provider, closed))),
        ["category_id"]
    );
}

#[test]
fn refusals_come_before_storage() {
    // No expectation: any storage call fails the test.
    let catalog = Mocks::new().catalog();
    let customer = actor(Role::Customer);
    assert!(is_forbidden(&block_on(
        catalog.create_service(&customer, input())
    )));
    assert!(is_unauthenticated(&block_on(
        catalog.create_service(&Actor::Anonymous, input())
    )));
    let provider = actor(Role::Provider);
    let for_another = ServiceInput {
        provider_id: Some(Uuid::new_v4()),
        ..input()
    };
    assert!(is_forbidden(&block_on(
        catalog.create_service(&provider, for_another)
    )));
    let bad = ServiceInput {
        title: String::new(),
        ..input()
    };
    assert_eq!(
        fields(block_on(catalog.create_service(&provider, bad))),
        ["title"]
    );
    let filter = ServiceFilter {
        max_price: Some(-1),
        ..ServiceFilter::default()
    };
    assert_eq!(
        fields(block_on(catalog.list_services(
            &Actor::Anonymous,
            filter,
            Page::default()
        ))),
        ["max_price"]
    );
    let inactive = ServiceFilter {
        include_inactive: true,
        ..ServiceFilter::default()
    };
    assert!(is_forbidden(&block_on(catalog.list_services(
        &customer,
        inactive,
        Page::default()
    ))));
}

#[test]
fn an_admin_offers_a_service_for_a_named_provider() {
    let admin = actor(Role::Admin);
    let provider = user(Role::Provider);
    let named = provider.id;
    let customer = user(Role::Customer);
    let customer_id = customer.id;
    let mut m = Mocks::new().category(category(1, true));
    m.accounts
        .expect_get_user()
        .with(eq(named))
        .returning(move |_| Ok(provider.clone()));
    m.accounts
        .expect_get_user()
        .with(eq(customer_id))
        .returning(move |_| Ok(customer.clone()));
    let unknown = Uuid::new_v4();
    m.accounts
        .expect_get_user()
        .with(eq(unknown))
        .returning(|id| Err(DomainError::not_found("user", id)));
    m.services
        .expect_create()
        .withf(move |owner, _, _| *owner == named)
        .times(1)
        .returning(|owner, fields, now| {
            Ok(Service {
                id: 1,
                provider_id: owner,
                fields,
                deleted_at: None,
                created_at: now,
                updated_at: now,
            })
        });
    let catalog = m.catalog();
    let made = block_on(catalog.create_service(
        &admin,
        ServiceInput {
            provider_id: Some(named),
            ..input()
        },
    ))
    .unwrap();
    assert_eq!(made.provider_id, named);
    let r = block_on(catalog.create_service(
        &admin,
        ServiceInput {
            provider_id: Some(customer_id),
            ..input()
        },
    ));
    assert_eq!(fields(r), ["provider_id"]);
    let r = block_on(catalog.create_service(
        &admin,
        ServiceInput {
            provider_id: Some(unknown),
            ..input()
        },
    ));
    assert!(is_not_found(&r, "user"));
}

#[test]
fn the_search_passes_the_checked_filter_on() {
    let provider = actor(Role::Provider);
    let me = provider.user_id();
    let mut m = Mocks::new();
    m.services
        .expect_list()
        .withf(move |f, p| {
            f.text.as_deref() == Some("cut")
                && f.include_inactive
                && f.provider_id == me
                && f.sort == ServiceSort::PriceAsc
                && *p == Page::default()
        })
        .times(1)
        .returning(|_, _| Ok(page(vec![])));
    let catalog = m.catalog();
    let filter = ServiceFilter {
        text: Some(" cut ".into()),
        include_inactive: true,
        provider_id: me,
        sort: ServiceSort::PriceAsc,
        ..ServiceFilter::default()
    };
    let found = block_on(catalog.list_services(&provider, filter, Page::default())).unwrap();
    assert_eq!(found.total, 0);
}

#[test]
fn a_deleted_service_is_unknown_to_all_but_its_provider_and_admins() {
    let owner = actor(Role::Provider);
    let mut gone = service(5, owner.user_id().unwrap());
    gone.deleted_at = Some(t0());
    let catalog = Mocks::new().stored(gone).catalog();
    for anyone in [
        Actor::Anonymous,
        actor(Role::Customer),
        actor(Role::Provider),
    ] {
        assert!(is_not_found(
            &block_on(catalog.get_service(&anyone, 5)),
            "service"
        ));
    }
    assert!(block_on(catalog.get_service(&owner, 5)).is_ok());
    assert!(block_on(catalog.get_service(&actor(Role::Admin), 5)).is_ok());
    // Nobody changes it; deleting it again changes nothing (no storage call).
    let patch = ServicePatch {
        price: Some(1),
        ..ServicePatch::default()
    };
    assert!(is_not_found(
        &block_on(catalog.update_service(&owner, 5, patch.clone(), false)),
        "service"
    ));
    assert!(is_not_found(
        &block_on(catalog.update_service(&actor(Role::Provider), 5, patch, false)),
        "service"
    ));
    assert!(block_on(catalog.delete_service(&owner, 5))
        .unwrap()
        .is_deleted());
    assert!(is_not_found(
        &block_on(catalog.delete_service(&actor(Role::Customer), 5)),
        "service"
    ));
}

#[test]
fn the_provider_or_an_admin_patches_a_service_and_a_new_category_must_be_open() {
    let owner = actor(Role::Provider);
    let mut m = Mocks::new()
        .stored(service(5, owner.user_id().unwrap()))
        .category(category(2, true))
        .category(category(3, false));
    m.services
        .expect_update()
        .withf(|id, s, now| *id == 5 && s.price == 3_000 && *now == t0())
        .times(2)
        .returning(|id, fields, now| {
            Ok(Service {
                fields,
                updated_at: now,
                ..service(id, Uuid::nil())
            })
        });
    let catalog = m.catalog();
    let dearer = ServicePatch {
        price: Some(3_000),
        ..ServicePatch::default()
    };
    assert_eq!(
        block_on(catalog.update_service(&owner, 5, dearer.clone(), false))
            .unwrap()
            .service
            .fields
            .price,
        3_000
    );
    let moved = ServicePatch {
        category_id: Some(2),
        ..dearer.clone()
    };
    assert!(block_on(catalog.update_service(&actor(Role::Admin), 5, moved, false)).is_ok());
    let closed = ServicePatch {
        category_id: Some(3),
        ..dearer.clone()
    };
    assert_eq!(
        fields(block_on(catalog.update_service(&owner, 5, closed, false))),
        ["category_id"]
    );
    for other in [actor(Role::Provider), actor(Role::Customer)] {
        assert!(is_forbidden(&block_on(catalog.update_service(
            &other,
            5,
            dearer.clone(),
            false
        ))));
        assert!(is_forbidden(&block_on(catalog.delete_service(&other, 5))));
    }
    let bad = ServicePatch {
        availability: AvailabilityPatch {
            weekly: Some(vec![]),
            duration_minutes: Some(1),
            ..AvailabilityPatch::default()
        },
        ..ServicePatch::default()
    };
    assert_eq!(
        fields(block_on(catalog.update_service(&owner, 5, bad, false))),
        ["availability.duration_minutes"]
    );
    assert!(is_unauthenticated(&block_on(catalog.update_service(
        &Actor::Anonymous,
        5,
        dearer,
        false
    ))));
}

#[test]
fn deleting_marks_the_service_at_now() {
    let owner = actor(Role::Provider);
    let mut m = Mocks::new().stored(service(5, owner.user_id().unwrap()));
    m.services
        .expect_delete()
        .with(eq(5), eq(t0()))
        .times(1)
        .returning(|id, now| {
            Ok(Service {
                deleted_at: Some(now),
                ..service(id, Uuid::nil())
            })
        });
    let catalog = m.catalog();
    assert_eq!(
        block_on(catalog.delete_service(&owner, 5))
            .unwrap()
            .deleted_at,
        Some(t0())
    );
}
