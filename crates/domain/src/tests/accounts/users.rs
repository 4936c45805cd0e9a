//! `AccountService`: authenticate, profiles and user management.

use super::*;

#[test]
fn authenticate_an_active_user() {
    block_on(async {
        let u = known(true);
        let id = u.id;
        let mut m = Mocks::new();
        let found = u.clone();
        m.repo
            .expect_get_user()
            .withf(move |got| *got == id)
            .times(1)
            .returning(move |_| Ok(found.clone()));
        assert_eq!(m.service().authenticate(id).await, Ok(u));
    })
}

#[test]
fn authenticate_an_inactive_user_is_account_disabled() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_get_user().returning(|_| Ok(known(false)));
        assert_eq!(
            unauthorized_code(m.service().authenticate(Uuid::new_v4()).await),
            "account_disabled"
        );
    })
}

#[test]
fn authenticate_an_unknown_user_is_invalid_token() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_get_user()
            .returning(|id| Err(DomainError::not_found("user", id)));
        assert_eq!(
            unauthorized_code(m.service().authenticate(Uuid::new_v4()).await),
            "invalid_token"
        );
    })
}

#[test]
fn authenticate_passes_other_errors_through() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_get_user()
            .returning(|_| Err(DomainError::Unavailable("db".into())));
        assert_eq!(
            m.service().authenticate(Uuid::new_v4()).await,
            Err(DomainError::Unavailable("db".into()))
        );
    })
}

// --- profiles and user management ---------------------------------------------------------------

#[test]
fn update_me_with_a_role_is_forbidden() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_update_user().times(0);
        let svc = m.service();
        let me = actor(Role::Customer);
        let role = UserPatch {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert!(is_forbidden(&svc.update_me(&me, role).await));
        let active = UserPatch {
            active: Some(true),
            ..Default::default()
        };
        assert!(is_forbidden(&svc.update_me(&me, active).await));
        // Admins too: their own role goes through update_user.
        let role = UserPatch {
            role: Some(Role::Customer),
            ..Default::default()
        };
        assert!(is_forbidden(&svc.update_me(&admin(), role).await));
    })
}

#[test]
fn update_me_anonymous_is_unauthorized() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_update_user().times(0);
        assert_eq!(
            unauthorized_code(
                m.service()
                    .update_me(&Actor::Anonymous, UserPatch::default())
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn update_me_changes_the_callers_own_profile() {
    block_on(async {
        let me = user(Role::Customer);
        let my_id = me.id;
        let caller = Actor::User(me.clone());
        let patch = UserPatch {
            first_name: Some("Ada".into()),
            ..Default::default()
        };
        let expected = patch.clone();
        let mut m = Mocks::new();
        m.repo
            .expect_update_user()
            .withf(move |id, p, now| *id == my_id && *p == expected && *now == t0())
            .times(1)
            .returning(move |_, _, _| {
                let mut u = me.clone();
                u.first_name = "Ada".into();
                Ok(u)
            });
        let u = m.service().update_me(&caller, patch).await.unwrap();
        assert_eq!((u.id, u.first_name.as_str()), (my_id, "Ada"));
    })
}

#[test]
fn admin_cannot_deactivate_or_demote_themselves() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_update_user().times(0);
        let svc = m.service();
        let me = admin();
        let my_id = me.user_id().unwrap();
        let deactivate = UserPatch {
            active: Some(false),
            ..Default::default()
        };
        let err = svc.update_user(&me, my_id, deactivate).await.unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Conflict {
                    code: ConflictCode::SelfLockout,
                    ..
                }
            ),
            "{err:?}"
        );
        let demote = UserPatch {
            role: Some(Role::Provider),
            ..Default::default()
        };
        let err = svc.update_user(&me, my_id, demote).await.unwrap_err();
        assert_eq!(error_code(&err), "self_lockout");
    })
}

#[test]
fn admin_may_deactivate_someone_else_and_keep_their_own_role() {
    block_on(async {
        let me = admin();
        let my_id = me.user_id().unwrap();
        let other = Uuid::new_v4();
        let mut m = Mocks::new();
        m.repo
            .expect_update_user()
            .withf(move |id, p, _| *id == other && p.active == Some(false))
            .times(1)
            .returning(|_, _, _| Ok(known(false)));
        m.repo
            .expect_update_user()
            .withf(move |id, p, _| *id == my_id && p.role == Some(Role::Admin))
            .times(1)
            .returning(|_, _, _| Ok(user(Role::Admin)));
        let svc = m.service();
        let deactivate = UserPatch {
            active: Some(false),
            ..Default::default()
        };
        assert!(
            !svc.update_user(&me, other, deactivate)
                .await
                .unwrap()
                .active
        );
        let keep = UserPatch {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert_eq!(
            svc.update_user(&me, my_id, keep).await.unwrap().role,
            Role::Admin
        );
    })
}

#[test]
fn update_user_by_a_non_admin_is_refused() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_update_user().times(0);
        let svc = m.service();
        let me = actor(Role::Provider);
        let my_id = me.user_id().unwrap();
        let promote = UserPatch {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert!(is_forbidden(
            &svc.update_user(&me, my_id, promote.clone()).await
        ));
        assert_eq!(
            unauthorized_code(svc.update_user(&Actor::Anonymous, my_id, promote).await),
            "authentication_required"
        );
    })
}

#[test]
fn list_users_as_customer_is_forbidden() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_list_users().times(0);
        let svc = m.service();
        assert!(is_forbidden(
            &svc.list_users(&actor(Role::Customer), None, Page::default())
                .await
        ));
        assert!(is_forbidden(
            &svc.list_users(&actor(Role::Provider), None, Page::default())
                .await
        ));
        assert_eq!(
            unauthorized_code(
                svc.list_users(&Actor::Anonymous, None, Page::default())
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn list_users_as_admin_passes_the_filter() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_list_users()
            .withf(|role, page| *role == Some(Role::Provider) && *page == Page::default())
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![user(Role::Provider)],
                    total: 1,
                    page,
                })
            });
        let res = m
            .service()
            .list_users(&admin(), Some(Role::Provider), Page::default())
            .await
            .unwrap();
        assert_eq!(res.total, 1);
    })
}

#[test]
fn get_user_is_for_that_user_or_an_admin() {
    block_on(async {
        let me = actor(Role::Customer);
        let my_id = me.user_id().unwrap();
        let mut m = Mocks::new();
        m.repo
            .expect_get_user()
            .withf(move |id| *id == my_id)
            .times(2)
            .returning(|_| Ok(known(true)));
        let svc = m.service();
        assert!(svc.get_user(&me, my_id).await.is_ok());
        assert!(svc.get_user(&admin(), my_id).await.is_ok());
        assert!(is_forbidden(
            &svc.get_user(&actor(Role::Customer), my_id).await
        ));
        assert!(is_forbidden(
            &svc.get_user(&actor(Role::Provider), my_id).await
        ));
    })
}
