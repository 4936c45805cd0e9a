//! `AccountService`: refresh, logout, password reset.

use super::*;

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
        m.sealer.expect_seal().times(0);
        m.tokens.expect_token().times(0);
        m.service()
            .request_password_reset("ghost@example.com")
            .await
            .unwrap();
    })
}

#[test]
fn password_reset_for_a_malformed_email_sends_nothing() {
    block_on(async {
        let mut m = Mocks::new();
        m.repo.expect_find_credentials().times(0);
        m.sealer.expect_seal().times(0);
        m.service().request_password_reset("nope").await.unwrap();
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
        m.sealer.expect_seal().times(0);
        m.service()
            .request_password_reset("a@example.com")
            .await
            .unwrap();
    })
}

#[test]
fn password_reset_stores_the_token_hash_with_an_outbox_message_carrying_the_token_sealed() {
    block_on(async {
        let u = known(true);
        let uid = u.id;
        let stored: Arc<Mutex<Option<(TokenHash, ResetNotice)>>> = Arc::default();
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
        // The sealer sees the token; the repository only its seal.
        m.sealer
            .expect_seal()
            .withf(|plain| plain == NEW_TOKEN.as_bytes())
            .times(1)
            .returning(|plain| Ok(plain.iter().rev().copied().collect()));
        let s = stored.clone();
        m.repo
            .expect_store_reset_token()
            .withf(move |id, _, expires, now, _| {
                *id == uid && *expires == t0() + Duration::hours(1) && *now == t0()
            })
            .times(1)
            .returning(move |_, hash, _, _, notice| {
                *s.lock().unwrap() = Some((hash, notice));
                Ok(())
            });
        m.service()
            .request_password_reset(" Ada@Example.com ")
            .await
            .unwrap();
        let (hash, notice) = stored.lock().unwrap().clone().unwrap();
        assert_eq!(hash, TokenHash::of(NEW_TOKEN));
        let sealed: Vec<u8> = NEW_TOKEN.bytes().rev().collect();
        assert_eq!(notice.sealed_token, sealed);
        assert!(!notice
            .sealed_token
            .windows(NEW_TOKEN.len())
            .any(|w| w == NEW_TOKEN.as_bytes()));
    })
}

#[test]
fn the_reset_email_carries_the_token_on_a_line_of_its_own() {
    let to = crate::values::Email::parse("ada@example.com").unwrap();
    let id = Uuid::from_u128(3);
    let msg = reset_email(to, NEW_TOKEN, 60, id);
    assert_eq!(msg.subject, "Reset your boxoffice password");
    assert_eq!(msg.message_id, Some(id));
    assert!(
        msg.text_body.contains("valid for 60 minutes"),
        "{}",
        msg.text_body
    );
    let lines: Vec<&str> = msg
        .text_body
        .lines()
        .map(str::trim)
        .filter(|l| TokenHash::of(l) == TokenHash::of(NEW_TOKEN))
        .collect();
    assert_eq!(lines, [NEW_TOKEN]);
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
