//! `AccountService`: signup, creating an admin, login.

use super::*;

#[test]
fn signup_stores_the_hashed_password_and_a_hashed_refresh_token() {
    block_on(async {
        let family = Uuid::new_v4();
        let created: Arc<Mutex<Option<User>>> = Arc::default();
        let stored: Arc<Mutex<Option<NewRefreshToken>>> = Arc::default();
        let mut m = Mocks::new();
        m.hasher
            .expect_hash()
            .withf(|p| p == "correct horse")
            .times(1)
            .returning(|_| Ok(HASH.to_owned()));
        let c = created.clone();
        m.repo
            .expect_create_user()
            .withf(|new, now| {
                new.password_hash == HASH
                    && new.account.email.as_str() == "ada@example.com"
                    && new.account.role == Role::Provider
                    && *now == t0()
            })
            .times(1)
            .returning(move |new, _| {
                let u = stored_user(&new);
                *c.lock().unwrap() = Some(u.clone());
                Ok(u)
            });
        m.tokens.expect_uuid().times(1).return_const(family);
        m.tokens
            .expect_token()
            .times(1)
            .returning(|| NEW_TOKEN.to_owned());
        let s = stored.clone();
        m.repo
            .expect_store_refresh_token()
            .withf(|_, now| *now == t0())
            .times(1)
            .returning(move |t, _| {
                *s.lock().unwrap() = Some(t);
                Ok(())
            });
        let svc = m.service();
        let session = svc
            .signup(signup("Ada@Example.com", "correct horse", Some("provider")))
            .await
            .unwrap();

        let user = created.lock().unwrap().clone().unwrap();
        assert_eq!(session.user, user);
        assert_eq!(session.refresh_token.expose(), NEW_TOKEN);
        assert_eq!(session.refresh_expires_at, t0() + Duration::days(30));
        let token = stored.lock().unwrap().clone().unwrap();
        assert_eq!(token.hash, TokenHash::of(session.refresh_token.expose()));
        assert_ne!(token.hash.as_bytes(), NEW_TOKEN.as_bytes());
        assert_eq!(token.user_id, user.id);
        assert_eq!(token.family_id, family);
        assert_eq!(token.expires_at, t0() + Duration::days(30));
    })
}

#[test]
fn signup_with_invalid_input_touches_nothing() {
    block_on(async {
        let svc = Mocks::new().service();
        assert_eq!(
            failing_fields(svc.signup(signup("nope", "short", None)).await),
            ["email", "password"]
        );
    })
}

#[test]
fn signup_with_a_taken_email_is_a_conflict() {
    block_on(async {
        let mut m = Mocks::new();
        m.hasher.expect_hash().returning(|_| Ok(HASH.to_owned()));
        m.repo.expect_create_user().times(1).returning(|_, _| {
            Err(DomainError::Conflict {
                code: ConflictCode::EmailTaken,
                message: "taken".into(),
            })
        });
        m.repo.expect_store_refresh_token().times(0);
        let svc = m.service();
        let err = svc
            .signup(signup("a@example.com", "correct horse", None))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Conflict {
                    code: ConflictCode::EmailTaken,
                    ..
                }
            ),
            "{err:?}"
        );
    })
}

#[test]
fn create_admin_makes_an_admin() {
    block_on(async {
        let mut m = Mocks::new();
        m.hasher.expect_hash().returning(|_| Ok(HASH.to_owned()));
        m.repo
            .expect_create_user()
            .withf(|new, _| new.account.role == Role::Admin && new.password_hash == HASH)
            .times(1)
            .returning(|new, _| Ok(stored_user(&new)));
        let svc = m.service();
        let u = svc
            .create_admin("root@example.com", "correct horse", ProfileInput::default())
            .await
            .unwrap();
        assert_eq!(u.role, Role::Admin);
    })
}

// --- login --------------------------------------------------------------------------------------

#[test]
fn login_with_an_unknown_email_still_verifies_and_is_invalid_credentials() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .withf(|e| e.as_str() == "ghost@example.com")
            .times(1)
            .returning(|_| Ok(None));
        m.hasher
            .expect_verify()
            .withf(|p, h| p == "correct horse" && h.is_none())
            .times(1)
            .returning(|_, _| Ok(false));
        m.repo.expect_store_refresh_token().times(0);
        let svc = m.service();
        assert_eq!(
            unauthorized_code(svc.login("Ghost@Example.com", "correct horse").await),
            "invalid_credentials"
        );
    })
}

#[test]
fn login_with_a_malformed_email_still_verifies_and_is_invalid_credentials() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_find_credentials().times(0);
        m.hasher
            .expect_verify()
            .withf(|_, h| h.is_none())
            .times(1)
            .returning(|_, _| Ok(false));
        let svc = m.service();
        assert_eq!(
            unauthorized_code(svc.login("not-an-email", "correct horse").await),
            "invalid_credentials"
        );
    })
}

#[test]
fn login_with_a_wrong_password_is_invalid_credentials() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .returning(|_| Ok(Some((known(true), HASH.to_owned()))));
        m.hasher
            .expect_verify()
            .withf(|p, h| p == "wrong password" && h.as_deref() == Some(HASH))
            .times(1)
            .returning(|_, _| Ok(false));
        m.repo.expect_store_refresh_token().times(0);
        let svc = m.service();
        assert_eq!(
            unauthorized_code(svc.login("a@example.com", "wrong password").await),
            "invalid_credentials"
        );
    })
}

#[test]
fn login_of_a_deactivated_user_with_the_right_password_is_account_disabled() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .returning(|_| Ok(Some((known(false), HASH.to_owned()))));
        m.hasher
            .expect_verify()
            .withf(|_, h| h.as_deref() == Some(HASH))
            .times(1)
            .returning(|_, _| Ok(true));
        m.repo.expect_store_refresh_token().times(0);
        let svc = m.service();
        assert_eq!(
            unauthorized_code(svc.login("a@example.com", "correct horse").await),
            "account_disabled"
        );
    })
}

#[test]
fn login_of_a_deactivated_user_with_a_wrong_password_does_not_reveal_the_state() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .returning(|_| Ok(Some((known(false), HASH.to_owned()))));
        m.hasher.expect_verify().returning(|_, _| Ok(false));
        let svc = m.service();
        assert_eq!(
            unauthorized_code(svc.login("a@example.com", "wrong password").await),
            "invalid_credentials"
        );
    })
}

#[test]
fn login_with_the_right_password_opens_a_session() {
    block_on(async {
        let u = known(true);
        let uid = u.id;
        let family = Uuid::new_v4();
        let mut m = Mocks::new();
        let found = u.clone();
        m.repo
            .expect_find_credentials()
            .returning(move |_| Ok(Some((found.clone(), HASH.to_owned()))));
        m.hasher.expect_verify().returning(|_, _| Ok(true));
        m.tokens.expect_uuid().return_const(family);
        m.tokens.expect_token().returning(|| NEW_TOKEN.to_owned());
        m.repo
            .expect_store_refresh_token()
            .withf(move |t, _| {
                t.user_id == uid
                    && t.family_id == family
                    && t.hash == TokenHash::of(NEW_TOKEN)
                    && t.expires_at == t0() + Duration::days(30)
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let svc = m.service();
        let session = svc.login("a@example.com", "correct horse").await.unwrap();
        assert_eq!(session.user, u);
        assert_eq!(session.refresh_token.expose(), NEW_TOKEN);
    })
}
