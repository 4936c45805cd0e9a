//! Who may offer, read, change and list which services.

use super::*;

#[test]
fn providers_offer_their_own_services_and_admins_anyone_s() {
    let provider = actor(Role::Provider);
    let me = provider.user_id().unwrap();
    assert_eq!(service_owner_for(&provider, None), Ok(me));
    assert_eq!(service_owner_for(&provider, Some(me)), Ok(me));
    assert!(is_forbidden(&service_owner_for(
        &provider,
        Some(Uuid::new_v4())
    )));
    let admin = actor(Role::Admin);
    let other = Uuid::new_v4();
    assert_eq!(
        service_owner_for(&admin, None),
        Ok(admin.user_id().unwrap())
    );
    assert_eq!(service_owner_for(&admin, Some(other)), Ok(other));
    assert!(is_forbidden(&service_owner_for(
        &actor(Role::Customer),
        None
    )));
    assert!(is_unauthenticated(&service_owner_for(
        &Actor::Anonymous,
        None
    )));
}

#[test]
fn an_admin_names_an_active_provider_or_themself() {
    let admin = user(Role::Admin);
    assert_eq!(check_named_provider(&admin, &user(Role::Provider)), Ok(()));
    assert_eq!(check_named_provider(&admin, &admin), Ok(()));
    let retired = User {
        active: false,
        ..user(Role::Provider)
    };
    for named in [user(Role::Customer), user(Role::Admin), retired] {
        assert_eq!(
            fields(check_named_provider(&admin, &named)),
            ["provider_id"]
        );
    }
}

#[test]
fn the_provider_and_admins_manage_a_service_and_nobody_else() {
    let owner = actor(Role::Provider);
    let s = service(1, owner.user_id().unwrap());
    assert!(may_manage_service(&owner, &s));
    assert!(may_manage_service(&actor(Role::Admin), &s));
    assert!(require_service_manager(&owner, &s).is_ok());
    for other in [actor(Role::Provider), actor(Role::Customer)] {
        assert!(!may_manage_service(&other, &s));
        assert!(is_forbidden(&require_service_manager(&other, &s)));
    }
    assert!(is_unauthenticated(&require_service_manager(
        &Actor::Anonymous,
        &s
    )));
    // A provider demoted to customer no longer manages their service.
    let demoted = match owner {
        Actor::User(u) => Actor::User(User {
            role: Role::Customer,
            ..u
        }),
        Actor::Anonymous => unreachable!(),
    };
    assert!(!may_manage_service(&demoted, &s));
}

#[test]
fn a_deleted_service_reads_only_for_its_provider_and_admins() {
    let owner = actor(Role::Provider);
    let mut s = service(1, owner.user_id().unwrap());
    for anyone in [
        Actor::Anonymous,
        actor(Role::Customer),
        actor(Role::Provider),
    ] {
        assert!(may_read_service(&anyone, &s));
    }
    s.deleted_at = Some(t0());
    for anyone in [
        Actor::Anonymous,
        actor(Role::Customer),
        actor(Role::Provider),
    ] {
        assert!(!may_read_service(&anyone, &s));
    }
    assert!(may_read_service(&owner, &s));
    assert!(may_read_service(&actor(Role::Admin), &s));
    // Inactive is not hidden by id.
    let mut paused = service(2, Uuid::new_v4());
    paused.fields.active = false;
    assert!(may_read_service(&Actor::Anonymous, &paused));
}

#[test]
fn inactive_services_are_listed_to_admins_and_to_a_provider_for_their_own() {
    let provider = actor(Role::Provider);
    let me = provider.user_id();
    assert_eq!(may_list_inactive(&provider, me), Ok(()));
    assert!(is_forbidden(&may_list_inactive(&provider, None)));
    assert!(is_forbidden(&may_list_inactive(
        &provider,
        Some(Uuid::new_v4())
    )));
    assert_eq!(may_list_inactive(&actor(Role::Admin), None), Ok(()));
    assert!(is_forbidden(&may_list_inactive(
        &actor(Role::Customer),
        None
    )));
    assert!(is_unauthenticated(&may_list_inactive(
        &Actor::Anonymous,
        None
    )));
}
