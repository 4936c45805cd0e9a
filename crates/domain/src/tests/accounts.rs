//! Accounts: the credential value objects, signup and profile parsing, token hashing, and the
//! account use cases against mockall mocks of the ports.

use crate::codes::*;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use futures_executor::block_on;
use uuid::Uuid;

use crate::account::{
    Actor, AuthRules, NewRefreshToken, NewUser, Password, ProfileInput, Role, Rotation,
    SecretToken, SignupRequest, TokenHash, User, UserPatch, PASSWORD_MAX_BYTES, PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
};
use crate::accounts::AccountService;
use crate::catalog::{Page, Paged};
use crate::error::DomainError;
use crate::ports::{
    EmailMessage, MockAccountRepository, MockClock, MockNotifier, MockPasswordHasher,
    MockTokenGenerator,
};

use super::support::{actor, admin, failing_fields, is_forbidden, t0, unauthorized_code, user};

// --- Password -----------------------------------------------------------------------------------

#[test]
fn password_limits_are_eight_to_128_characters() {
    assert_eq!(
        (PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MAX_BYTES),
        (8, 128, 72)
    );
}

#[test]
fn password_of_seven_characters_is_rejected() {
    assert_eq!(failing_fields(Password::parse("abcdefg")), ["password"]);
}

#[test]
fn password_of_eight_characters_is_accepted() {
    assert_eq!(Password::parse("abcdefgh").unwrap().expose(), "abcdefgh");
}

#[test]
fn password_of_128_characters_is_accepted_whatever_its_bytes() {
    let p = "🎟".repeat(128);
    assert_eq!(p.len(), 512);
    assert_eq!(Password::parse(&p).unwrap().expose(), p);
}

#[test]
fn password_of_129_characters_is_rejected_with_the_reason() {
    let p = "x".repeat(129);
    let Err(DomainError::Validation(errors)) = Password::parse(&p) else {
        panic!("129 characters accepted");
    };
    assert_eq!(errors[0].field, "password");
    assert!(
        errors[0].message.contains("at most 128 characters"),
        "{}",
        errors[0].message
    );
    assert_eq!(
        failing_fields(Password::parse_field(&p, "new_password")),
        ["new_password"]
    );
}

#[test]
fn password_length_counts_characters_not_bytes() {
    // 8 characters, 16 bytes.
    let eight = "é".repeat(8);
    assert_eq!(eight.len(), 16);
    assert!(Password::parse(&eight).is_ok());
    // 7 characters, 14 bytes: too short although it has more than 8 bytes.
    assert_eq!(
        failing_fields(Password::parse(&"é".repeat(7))),
        ["password"]
    );
}

#[test]
fn password_of_only_spaces_is_rejected() {
    assert_eq!(
        failing_fields(Password::parse(&" ".repeat(10))),
        ["password"]
    );
    assert_eq!(failing_fields(Password::parse(" \t  \n   ")), ["password"]);
}

#[test]
fn password_with_inner_and_surrounding_spaces_is_kept_verbatim() {
    let p = Password::parse("  a b c d  ").unwrap();
    assert_eq!(p.expose(), "  a b c d  ");
}

#[test]
fn password_parse_field_names_the_given_field() {
    assert_eq!(
        failing_fields(Password::parse_field("short", "new_password")),
        ["new_password"]
    );
    assert!(Password::parse_field("long enough", "new_password").is_ok());
}

#[test]
fn debug_of_password_never_shows_it() {
    let p = Password::parse("hunter2-hunter2").unwrap();
    let shown = format!("{p:?} {p:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("Password"), "{shown}");
}

#[test]
fn debug_of_secret_token_never_shows_it() {
    let t = SecretToken::new("s3cr3t-t0ken-value".into());
    let shown = format!("{t:?} {t:#?} {:?}", Some(t.clone()));
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert_eq!(t.expose(), "s3cr3t-t0ken-value");
}

// --- SignupRequest ------------------------------------------------------------------------------

fn signup(email: &str, password: &str, role: Option<&str>) -> SignupRequest {
    SignupRequest {
        email: email.into(),
        password: password.into(),
        role: role.map(str::to_owned),
        profile: ProfileInput::default(),
    }
}

#[test]
fn signup_defaults_to_customer() {
    for role in [None, Some(""), Some("  ")] {
        let (account, password) = signup(" Ada@Example.COM ", "correct horse", role)
            .parse()
            .unwrap();
        assert_eq!(account.role, Role::Customer, "{role:?}");
        assert_eq!(account.email.as_str(), "ada@example.com");
        assert_eq!(password.expose(), "correct horse");
    }
}

#[test]
fn signup_as_provider_is_allowed() {
    let (account, _) = signup("p@example.com", "correct horse", Some(" Provider "))
        .parse()
        .unwrap();
    assert_eq!(account.role, Role::Provider);
}

#[test]
fn signup_as_admin_is_refused_on_role() {
    for role in ["admin", "ADMIN", " Admin "] {
        assert_eq!(
            failing_fields(signup("a@example.com", "correct horse", Some(role)).parse()),
            ["role"],
            "{role}"
        );
    }
}

#[test]
fn signup_with_an_unknown_role_is_refused_on_role() {
    assert_eq!(
        failing_fields(signup("a@example.com", "correct horse", Some("root")).parse()),
        ["role"]
    );
}

#[test]
fn signup_with_a_bad_email_is_refused_on_email() {
    for email in ["", "nope", "a@b", "a b@example.com"] {
        assert_eq!(
            failing_fields(signup(email, "correct horse", None).parse()),
            ["email"],
            "{email}"
        );
    }
}

#[test]
fn signup_reports_all_violations_together() {
    let mut req = signup("nope", "short", Some("admin"));
    req.profile.phone = Some("12".into());
    let fs = failing_fields(req.parse());
    assert_eq!(fs, ["email", "password", "role", "phone"]);
}

#[test]
fn signup_with_a_blank_phone_has_no_phone() {
    let mut req = signup("a@example.com", "correct horse", None);
    req.profile.phone = Some("   ".into());
    let (account, _) = req.parse().unwrap();
    assert_eq!(account.phone, None);
}

#[test]
fn signup_normalises_the_profile() {
    let req = SignupRequest {
        profile: ProfileInput {
            phone: Some("+1 (555) 010-9999".into()),
            first_name: Some("  Ada ".into()),
            last_name: None,
            address: Some("".into()),
        },
        ..signup("a@example.com", "correct horse", None)
    };
    let (account, _) = req.parse().unwrap();
    assert_eq!(
        account.phone.as_ref().map(|p| p.as_str()),
        Some("+15550109999")
    );
    assert_eq!(account.first_name, "Ada");
    assert_eq!(account.last_name, "");
    assert_eq!(account.address, "");
}

// --- Role, UserPatch ----------------------------------------------------------------------------

#[test]
fn role_parse_accepts_the_three_roles_in_any_case() {
    assert_eq!(Role::parse("customer").unwrap(), Role::Customer);
    assert_eq!(Role::parse(" PROVIDER ").unwrap(), Role::Provider);
    assert_eq!(Role::parse("Admin").unwrap(), Role::Admin);
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        assert_eq!(r.to_string(), r.as_str());
    }
}

#[test]
fn role_parse_rejects_anything_else_on_role() {
    for bad in ["", "root", "admins", "provider,admin"] {
        assert_eq!(failing_fields(Role::parse(bad)), ["role"], "{bad}");
    }
}

#[test]
fn user_patch_parse_keeps_what_is_given() {
    let profile = ProfileInput {
        phone: Some("".into()),
        first_name: Some(" Grace ".into()),
        last_name: None,
        address: Some("".into()),
    };
    let patch = UserPatch::parse(&profile, Some("provider"), Some(false)).unwrap();
    assert_eq!(
        patch,
        UserPatch {
            phone: Some(None),
            first_name: Some("Grace".into()),
            last_name: None,
            address: Some(String::new()),
            role: Some(Role::Provider),
            active: Some(false),
        }
    );
}

#[test]
fn user_patch_parse_with_a_bad_role_names_role() {
    assert_eq!(
        failing_fields(UserPatch::parse(
            &ProfileInput::default(),
            Some("wizard"),
            None
        )),
        ["role"]
    );
}

#[test]
fn user_patch_parse_reports_profile_and_role_together() {
    let profile = ProfileInput {
        phone: Some("abc".into()),
        ..Default::default()
    };
    assert_eq!(
        failing_fields(UserPatch::parse(&profile, Some("wizard"), None)),
        ["phone", "role"]
    );
}

#[test]
fn touches_privileges_only_for_role_or_active() {
    let profile_only = UserPatch {
        first_name: Some("Ada".into()),
        phone: Some(None),
        ..Default::default()
    };
    assert!(!profile_only.touches_privileges());
    assert!(!UserPatch::default().touches_privileges());
    let role = UserPatch {
        role: Some(Role::Customer),
        ..Default::default()
    };
    assert!(role.touches_privileges());
    let active = UserPatch {
        active: Some(true),
        ..Default::default()
    };
    assert!(active.touches_privileges());
}

#[test]
fn display_name_is_the_full_name_else_the_email_local_part() {
    let mut u = user(Role::Customer);
    u.email = "ada.l@example.com".into();
    assert_eq!(u.display_name(), "ada.l");
    u.first_name = " Ada ".into();
    assert_eq!(u.display_name(), "Ada");
    u.last_name = "Lovelace".into();
    assert_eq!(u.display_name(), "Ada Lovelace");
    u.first_name = String::new();
    assert_eq!(u.display_name(), "Lovelace");
}

// --- TokenHash ----------------------------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn token_hash_is_sha256() {
    assert_eq!(
        hex(TokenHash::of("abc").as_bytes()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(TokenHash::of("").as_bytes()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(SecretToken::new("abc".into()).hash(), TokenHash::of("abc"));
}

#[test]
fn token_hash_matches_only_the_same_token() {
    let h = TokenHash::of("abc");
    assert!(h.matches(&TokenHash::of("abc")));
    assert!(!h.matches(&TokenHash::of("abd")));
    assert!(!h.matches(&TokenHash::of("ABC")));
    // Differing only in the last byte.
    let mut last = h;
    last.0[31] ^= 1;
    assert!(!h.matches(&last));
}

#[test]
fn token_hash_from_slice_needs_32_bytes() {
    let h = TokenHash::of("abc");
    assert_eq!(TokenHash::from_slice(h.as_bytes()), Some(h));
    assert_eq!(TokenHash::from_slice(&[0; 31]), None);
    assert_eq!(TokenHash::from_slice(&[0; 33]), None);
}

#[test]
fn auth_rules_default_to_30_days_and_one_hour() {
    let rules = AuthRules::default();
    assert_eq!(rules.refresh_ttl, Duration::days(30));
    assert_eq!(rules.reset_ttl, Duration::hours(1));
}

// --- AccountService fixtures --------------------------------------------------------------------

const NEW_TOKEN: &str = "fresh-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const HASH: &str = "$2b$12$hashhashhash";

struct Mocks {
    repo: MockAccountRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenGenerator,
    notifier: MockNotifier,
}

impl Mocks {
    /// Mocks with no expectations: any call to them fails the test.
    fn new() -> Self {
        Self {
            repo: MockAccountRepository::new(),
            hasher: MockPasswordHasher::new(),
            tokens: MockTokenGenerator::new(),
            notifier: MockNotifier::new(),
        }
    }

    fn service(self) -> AccountService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(t0);
        AccountService::new(
            Arc::new(self.repo),
            Arc::new(self.hasher),
            Arc::new(self.tokens),
            Arc::new(self.notifier),
            Arc::new(clock),
            AuthRules::default(),
        )
    }
}

fn stored_user(new: &NewUser) -> User {
    User {
        id: Uuid::new_v4(),
        email: new.account.email.as_str().to_owned(),
        phone: None,
        first_name: new.account.first_name.clone(),
        last_name: new.account.last_name.clone(),
        address: new.account.address.clone(),
        role: new.account.role,
        active: true,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn error_code(err: &DomainError) -> &'static str {
    match err {
        DomainError::Unauthorized { code, .. } => code.as_str(),
        DomainError::Forbidden { code, .. } => code.as_str(),
        DomainError::Conflict { code, .. } => code.as_str(),
        other => panic!("expected an error with a code, got {other:?}"),
    }
}

// --- signup -------------------------------------------------------------------------------------

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

fn known(active: bool) -> User {
    let mut u = user(Role::Customer);
    u.active = active;
    u
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

// --- refresh, logout ----------------------------------------------------------------------------

fn refresh_with(rotation: Rotation) -> Result<crate::account::Session, DomainError> {
    let mut m = Mocks::new();
    m.tokens.expect_token().returning(|| NEW_TOKEN.to_owned());
    m.repo
        .expect_rotate_refresh_token()
        .withf(|presented, replacement, expires, now| {
            *presented == TokenHash::of("old-token")
                && *replacement == TokenHash::of(NEW_TOKEN)
                && *expires == t0() + Duration::days(30)
                && *now == t0()
        })
        .times(1)
        .return_const(Ok(rotation));
    block_on(m.service().refresh("old-token"))
}

#[test]
fn refresh_of_a_current_token_gives_a_new_one() {
    let u = user(Role::Customer);
    let session = refresh_with(Rotation::Rotated { user: u.clone() }).unwrap();
    assert_eq!(session.user, u);
    assert_eq!(session.refresh_token.expose(), NEW_TOKEN);
    assert_ne!(session.refresh_token.expose(), "old-token");
    assert_eq!(session.refresh_expires_at, t0() + Duration::days(30));
}

#[test]
fn refresh_of_a_reused_token_is_token_reused() {
    assert_eq!(
        unauthorized_code(refresh_with(Rotation::Reused)),
        "token_reused"
    );
}

#[test]
fn refresh_of_an_invalid_token_is_invalid_token() {
    assert_eq!(
        unauthorized_code(refresh_with(Rotation::Invalid)),
        "invalid_token"
    );
}

#[test]
fn logout_revokes_the_family_of_the_hashed_token() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_revoke_refresh_family()
            .withf(|h, now| *h == TokenHash::of("my-token") && *now == t0())
            .times(1)
            .returning(|_, _| Ok(()));
        assert_eq!(m.service().logout("my-token").await, Ok(()));
    })
}

// --- password reset -----------------------------------------------------------------------------

#[test]
fn password_reset_for_an_unknown_email_sends_nothing() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .times(1)
            .returning(|_| Ok(None));
        m.repo.expect_store_reset_token().times(0);
        m.notifier.expect_send_email().times(0);
        m.tokens.expect_token().times(0);
        let res = m
            .service()
            .request_password_reset("ghost@example.com")
            .await
            .unwrap();
        assert_eq!(res.delivery_error, None);
    })
}

#[test]
fn password_reset_for_a_malformed_email_sends_nothing() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_find_credentials().times(0);
        m.notifier.expect_send_email().times(0);
        let res = m.service().request_password_reset("nope").await.unwrap();
        assert_eq!(res.delivery_error, None);
    })
}

#[test]
fn password_reset_for_a_deactivated_user_sends_nothing() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .returning(|_| Ok(Some((known(false), HASH.to_owned()))));
        m.repo.expect_store_reset_token().times(0);
        m.notifier.expect_send_email().times(0);
        let res = m
            .service()
            .request_password_reset("a@example.com")
            .await
            .unwrap();
        assert_eq!(res.delivery_error, None);
    })
}

#[test]
fn password_reset_stores_the_token_hash_and_emails_the_token() {
    block_on(async {
        let u = known(true);
        let uid = u.id;
        let stored: Arc<Mutex<Option<TokenHash>>> = Arc::default();
        let sent: Arc<Mutex<Option<EmailMessage>>> = Arc::default();
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .withf(|e| e.as_str() == "ada@example.com")
            .times(1)
            .returning(move |_| Ok(Some((u.clone(), HASH.to_owned()))));
        m.tokens
            .expect_token()
            .times(1)
            .returning(|| NEW_TOKEN.to_owned());
        let s = stored.clone();
        m.repo
            .expect_store_reset_token()
            .withf(move |id, _, expires, now| {
                *id == uid && *expires == t0() + Duration::hours(1) && *now == t0()
            })
            .times(1)
            .returning(move |_, hash, _, _| {
                *s.lock().unwrap() = Some(hash);
                Ok(())
            });
        let e = sent.clone();
        m.notifier
            .expect_send_email()
            .times(1)
            .returning(move |msg| {
                *e.lock().unwrap() = Some(msg);
                Ok(())
            });
        let res = m
            .service()
            .request_password_reset(" Ada@Example.com ")
            .await
            .unwrap();
        assert_eq!(res.delivery_error, None);

        let msg = sent.lock().unwrap().clone().unwrap();
        assert_eq!(msg.to.as_str(), "ada@example.com");
        assert!(msg.text_body.contains(NEW_TOKEN), "{}", msg.text_body);
        let stored = stored.lock().unwrap().unwrap();
        // The token as it appears in the email (a line of its own) hashes to what was stored.
        let in_email: Vec<&str> = msg
            .text_body
            .lines()
            .map(str::trim)
            .filter(|l| TokenHash::of(l) == stored)
            .collect();
        assert_eq!(in_email, [NEW_TOKEN]);
        assert_ne!(stored, TokenHash::of(""));
    })
}

#[test]
fn password_reset_reports_a_delivery_failure_without_failing() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo
            .expect_find_credentials()
            .returning(|_| Ok(Some((known(true), HASH.to_owned()))));
        m.tokens.expect_token().returning(|| NEW_TOKEN.to_owned());
        m.repo
            .expect_store_reset_token()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        m.notifier
            .expect_send_email()
            .times(1)
            .returning(|_| Err(DomainError::Unavailable("smtp down".into())));
        let res = m
            .service()
            .request_password_reset("a@example.com")
            .await
            .unwrap();
        assert_eq!(
            res.delivery_error,
            Some(DomainError::Unavailable("smtp down".into()))
        );
    })
}

#[test]
fn confirm_reset_with_a_short_password_names_new_password() {
    block_on(async {
        let mut m = Mocks::new();
        m.hasher.expect_hash().times(0);
        m.repo.expect_reset_password().times(0);
        assert_eq!(
            failing_fields(m.service().confirm_password_reset("tok", "short").await),
            ["new_password"]
        );
    })
}

#[test]
fn confirm_reset_with_an_unusable_token_is_invalid_reset_token() {
    block_on(async {
        let mut m = Mocks::new();
        m.hasher.expect_hash().returning(|_| Ok(HASH.to_owned()));
        m.repo
            .expect_reset_password()
            .times(1)
            .returning(|_, _, _| Ok(None));
        assert_eq!(
            unauthorized_code(
                m.service()
                    .confirm_password_reset("tok", "new password!")
                    .await
            ),
            "invalid_reset_token"
        );
    })
}

#[test]
fn confirm_reset_passes_the_token_hash_and_the_new_password_hash() {
    block_on(async {
        let mut m = Mocks::new();
        m.hasher
            .expect_hash()
            .withf(|p| p == "new password!")
            .times(1)
            .returning(|_| Ok(HASH.to_owned()));
        m.repo
            .expect_reset_password()
            .withf(|t, h, now| *t == TokenHash::of("tok") && h == HASH && *now == t0())
            .times(1)
            .returning(|_, _, _| Ok(Some(Uuid::new_v4())));
        assert_eq!(
            m.service()
                .confirm_password_reset("tok", "new password!")
                .await,
            Ok(())
        );
    })
}

// --- authenticate -------------------------------------------------------------------------------

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
