//! The account flow end to end: signup, login, refresh-token rotation and reuse detection,
//! logout, password reset by email, profiles and the admin's user management, and the
//! `create-admin` command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

// ---------- helpers ----------

/// Decodes unpadded base64url (the JWT segment alphabet); panics on anything else.
fn b64url_decode(input: &str) -> Vec<u8> {
    fn value(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {:?}", c as char),
        }
    }
    let bytes = input.as_bytes();
    assert_ne!(bytes.len() % 4, 1, "impossible base64 length: {input}");
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c) << (18 - 6 * i);
        }
        let produced = chunk.len() * 6 / 8;
        for i in 0..produced {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// The claims (middle part) of a JWT, decoded.
fn jwt_claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWS compact token: {token}");
    let header: Value = serde_json::from_slice(&b64url_decode(parts[0])).expect("header JSON");
    assert_eq!(header["alg"], "HS256", "{header}");
    serde_json::from_slice(&b64url_decode(parts[1])).expect("claims JSON")
}

fn is_base64url_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.anon()
        .post_json(
            "/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (StatusCode, Value) {
    app.anon()
        .post_json("/auth/refresh", &json!({"refresh_token": refresh_token}))
        .await
}

/// A raw anonymous POST (to look at the headers).
async fn post_raw_response(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.anon()
        .request(reqwest::Method::POST, path)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// A 401 with `code` and a `WWW-Authenticate: Bearer realm="boxoffice"...` challenge.
async fn assert_401_challenge(res: reqwest::Response, code: &str) {
    let challenge = res
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii header").to_owned());
    let resp = decode(res).await;
    assert_error(&resp, 401, code);
    let challenge = challenge.unwrap_or_else(|| panic!("no WWW-Authenticate: {}", resp.1));
    assert!(
        challenge.starts_with(r#"Bearer realm="boxoffice""#),
        "challenge: {challenge}"
    );
}

/// Asserts a TokenDto and returns it.
#[track_caller]
fn assert_token_dto(resp: &(StatusCode, Value), status: StatusCode) -> Value {
    assert_eq!(resp.0, status, "{}", resp.1);
    let b = &resp.1;
    assert_eq!(b["token_type"], "Bearer", "{b}");
    assert_eq!(b["expires_in"], 900, "{b}");
    assert!(b["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(b["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        b["refresh_expires_in"].as_i64().is_some_and(|s| s > 0),
        "{b}"
    );
    assert!(uuid::Uuid::parse_str(b["user"]["id"].as_str().expect("user.id")).is_ok());
    b.clone()
}

fn access(b: &Value) -> &str {
    b["access_token"].as_str().expect("access_token")
}

fn refresh_of(b: &Value) -> &str {
    b["refresh_token"].as_str().expect("refresh_token")
}

/// GET /users/me with `token`: asserts 200 and returns the user.
async fn me(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.with_token(token).get("/users/me").await;
    assert_eq!(status, StatusCode::OK, "/users/me: {body}");
    body
}

/// A fresh directory for the file mail transport (removed on drop).
struct MailDir(PathBuf);

impl MailDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("boxoffice-auth-mail-{}", uuid::Uuid::new_v4())))
    }

    fn eml_count(&self) -> usize {
        match std::fs::read_dir(&self.0) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count(),
            Err(_) => 0,
        }
    }
}

impl Drop for MailDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The reset token of the newest email to `to`, waiting up to ~5 s for one that is not in
/// `seen`.
async fn wait_for_reset_token(dir: &Path, to: &str, seen: &[String]) -> String {
    for _ in 0..100 {
        if let Some(email) =
            boxoffice_infra_notify::latest_email_to(dir, to).expect("read mail dir")
        {
            let token = email
                .body
                .lines()
                .map(str::trim)
                .find(|l| is_base64url_token(l))
                .unwrap_or_else(|| panic!("no token line in the email: {}", email.body))
                .to_owned();
            if !seen.contains(&token) {
                assert!(
                    email.subject.to_lowercase().contains("reset"),
                    "subject: {}",
                    email.subject
                );
                return token;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no (new) reset email to {to} in {}", dir.display());
}

// ---------- signup ----------

#[tokio::test]
async fn signup_issues_tokens_with_customer_default_and_provider_on_request() {
    let app = spawn_app().await;

    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "ann@example.com", "password": "ann-password",
                    "first_name": "Ann", "phone": "+15550001"}),
        )
        .await;
    let ann = assert_token_dto(&r, StatusCode::CREATED);
    assert_eq!(ann["user"]["role"], "customer");
    assert_eq!(ann["user"]["active"], true);
    assert_eq!(ann["user"]["email"], "ann@example.com");
    assert_eq!(ann["user"]["first_name"], "Ann");
    assert_eq!(ann["user"]["phone"], "+15550001");
    // The signup tokens work at once.
    let who = me(&app, access(&ann)).await;
    assert_eq!(who["id"], ann["user"]["id"]);
    assert_eq!(who["role"], "customer");
    let (s, rotated) = refresh(&app, refresh_of(&ann)).await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["user"]["id"], ann["user"]["id"]);

    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "pat@example.com", "password": "pat-password", "role": "provider"}),
        )
        .await;
    let pat = assert_token_dto(&r, StatusCode::CREATED);
    assert_eq!(pat["user"]["role"], "provider");
    assert_eq!(me(&app, access(&pat)).await["role"], "provider");
    assert_eq!(jwt_claims(access(&pat))["role"], "provider");
}

#[tokio::test]
async fn signup_rejects_admin_role_taken_email_and_bad_password_lengths() {
    let app = spawn_app().await;

    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "eve@example.com", "password": "eve-password", "role": "admin"}),
        )
        .await;
    assert_invalid(&r, "role");
    // Nothing was created: the address is still free, and as a customer.
    let eve = app.signup("eve@example.com", "customer").await;
    assert_eq!(me(&app, &eve.access_token).await["role"], "customer");

    let dup = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "EVE@Example.COM", "password": "other-password"}),
        )
        .await;
    assert_error(&dup, 409, "email_taken");
    // The original password still signs in; the duplicate's does not.
    assert_eq!(
        login(&app, "eve@example.com", "correct-horse-battery")
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &login(&app, "eve@example.com", "other-password").await,
        401,
        "invalid_credentials",
    );

    for (email, password) in [
        ("short@example.com", "x".repeat(7)),
        ("long@example.com", "x".repeat(73)),
    ] {
        let r = app
            .anon()
            .post_json(
                "/auth/signup",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_invalid(&r, "password");
        assert_error(
            &login(&app, email, &password).await,
            401,
            "invalid_credentials",
        );
    }
    // The bounds themselves (8 characters, 72 bytes) are accepted and sign in.
    for (email, password) in [
        ("eight@example.com", "y".repeat(8)),
        ("max@example.com", "z".repeat(72)),
    ] {
        let r = app
            .anon()
            .post_json(
                "/auth/signup",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_token_dto(&r, StatusCode::CREATED);
        assert_eq!(login(&app, email, &password).await.0, StatusCode::OK);
    }
}

// ---------- login ----------

#[tokio::test]
async fn login_accepts_right_password_any_email_case_and_rejects_with_challenge() {
    let app = spawn_app().await;
    let bob = app.signup("bob@example.com", "customer").await;

    let r = login(&app, &bob.email, &bob.password).await;
    let body = assert_token_dto(&r, StatusCode::OK);
    assert_eq!(body["user"]["id"], bob.id.as_str());
    assert_eq!(body["user"]["role"], "customer");
    let who = me(&app, access(&body)).await;
    assert_eq!(who["id"], bob.id.as_str());
    assert_eq!(who["email"], "bob@example.com");

    // The email is case-insensitive.
    let r = login(&app, "BOB@Example.Com", &bob.password).await;
    let body = assert_token_dto(&r, StatusCode::OK);
    assert_eq!(body["user"]["id"], bob.id.as_str());

    // Wrong password and unknown email: the same 401, with a challenge.
    let res = post_raw_response(
        &app,
        "/auth/login",
        &json!({"email": bob.email, "password": "wrong-password"}),
    )
    .await;
    assert_401_challenge(res, "invalid_credentials").await;
    let res = post_raw_response(
        &app,
        "/auth/login",
        &json!({"email": "nobody@example.com", "password": bob.password}),
    )
    .await;
    assert_401_challenge(res, "invalid_credentials").await;
}

// ---------- refresh rotation ----------

#[tokio::test]
async fn refresh_rotates_detects_reuse_and_revokes_only_that_family() {
    let app = spawn_app().await;
    let cat = app.signup("cat@example.com", "provider").await;

    // Two independent sign-ins (two families).
    let first = assert_token_dto(
        &login(&app, &cat.email, &cat.password).await,
        StatusCode::OK,
    );
    let other = assert_token_dto(
        &login(&app, &cat.email, &cat.password).await,
        StatusCode::OK,
    );

    // Claims of the access token.
    let claims = jwt_claims(access(&first));
    assert_eq!(claims["sub"], cat.id.as_str(), "{claims}");
    assert_eq!(claims["role"], "provider", "{claims}");
    assert_eq!(claims["iss"], "boxoffice", "{claims}");
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert_eq!(exp - iat, 900, "{claims}");
    let jti = claims["jti"].as_str().expect("jti").to_owned();
    assert!(!jti.is_empty());
    let other_jti = jwt_claims(access(&other))["jti"]
        .as_str()
        .expect("jti")
        .to_owned();
    assert_ne!(jti, other_jti, "two tokens share a jti");

    // Rotation: a new pair that works.
    let old_refresh = refresh_of(&first).to_owned();
    let rotated = assert_token_dto(&refresh(&app, &old_refresh).await, StatusCode::OK);
    assert_ne!(refresh_of(&rotated), old_refresh);
    assert_ne!(access(&rotated), access(&first));
    assert_eq!(rotated["user"]["id"], cat.id.as_str());
    assert_eq!(me(&app, access(&rotated)).await["id"], cat.id.as_str());
    let rotated_claims = jwt_claims(access(&rotated));
    assert_eq!(rotated_claims["sub"], cat.id.as_str());
    assert_ne!(rotated_claims["jti"], claims["jti"]);

    // The old refresh token again: reuse, with a challenge.
    let res = post_raw_response(
        &app,
        "/auth/refresh",
        &json!({"refresh_token": old_refresh}),
    )
    .await;
    assert_401_challenge(res, "token_reused").await;
    // ... which revoked the whole family: the newest token of that sign-in fails too.
    let (s, body) = refresh(&app, refresh_of(&rotated)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");

    // The other sign-in is unaffected.
    let again = assert_token_dto(&refresh(&app, refresh_of(&other)).await, StatusCode::OK);
    assert_eq!(again["user"]["id"], cat.id.as_str());
    assert_token_dto(&refresh(&app, refresh_of(&again)).await, StatusCode::OK);

    // An unknown refresh token.
    let res = post_raw_response(
        &app,
        "/auth/refresh",
        &json!({"refresh_token": "not-a-real-token"}),
    )
    .await;
    assert_401_challenge(res, "invalid_token").await;
}

/// The contract: a revoked refresh token (signed out, or the rest of a family revoked after a
/// reuse) is `invalid_token`; only presenting an already *used* token is `token_reused`.
#[tokio::test]
async fn revoked_refresh_tokens_are_invalid_token_not_token_reused() {
    let app = spawn_app().await;
    let dan = app.signup("dan@example.com", "customer").await;

    // Signed out → revoked.
    let (s, _) = app
        .anon()
        .post_json("/auth/logout", &json!({"refresh_token": dan.refresh_token}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &refresh(&app, &dan.refresh_token).await,
        401,
        "invalid_token",
    );

    // Family revoked by a reuse → its newest (never used) token is revoked, not reused.
    let session = assert_token_dto(
        &login(&app, &dan.email, &dan.password).await,
        StatusCode::OK,
    );
    let rotated = assert_token_dto(&refresh(&app, refresh_of(&session)).await, StatusCode::OK);
    assert_error(
        &refresh(&app, refresh_of(&session)).await,
        401,
        "token_reused",
    );
    assert_error(
        &refresh(&app, refresh_of(&rotated)).await,
        401,
        "invalid_token",
    );
}

// ---------- logout ----------

#[tokio::test]
async fn logout_ends_that_sign_in_and_always_answers_204() {
    let app = spawn_app().await;
    let eva = app.signup("eva@example.com", "customer").await;
    let other = assert_token_dto(
        &login(&app, &eva.email, &eva.password).await,
        StatusCode::OK,
    );

    let (s, _) = app
        .anon()
        .post_json("/auth/logout", &json!({"refresh_token": eva.refresh_token}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let res = post_raw_response(
        &app,
        "/auth/refresh",
        &json!({"refresh_token": eva.refresh_token}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .is_some());

    // Garbage, and the same token again: still 204.
    for token in ["garbage", "", eva.refresh_token.as_str()] {
        let (s, body) = app
            .anon()
            .post_json("/auth/logout", &json!({"refresh_token": token}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "logout {token:?}: {body}");
    }

    // The other sign-in still refreshes.
    assert_token_dto(&refresh(&app, refresh_of(&other)).await, StatusCode::OK);
}

// ---------- password reset ----------

#[tokio::test]
async fn password_reset_by_email_is_single_use_expires_and_signs_out_everywhere() {
    let mail = MailDir::new();
    let dir = mail.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s: &mut boxoffice::Settings| {
        s.email.transport = "file".to_owned();
        s.email.dir = dir;
    })
    .await;
    let fay = app.signup("fay@example.com", "customer").await;
    let second_session = assert_token_dto(
        &login(&app, &fay.email, &fay.password).await,
        StatusCode::OK,
    );

    // Unknown email first, then the known one: both the same 202.
    let (s_unknown, unknown) = app
        .anon()
        .post_json(
            "/auth/password-reset",
            &json!({"email": "ghost@example.com"}),
        )
        .await;
    assert_eq!(s_unknown, StatusCode::ACCEPTED, "{unknown}");
    let (s_known, known) = app
        .anon()
        .post_json("/auth/password-reset", &json!({"email": fay.email}))
        .await;
    assert_eq!(s_known, StatusCode::ACCEPTED, "{known}");
    assert_eq!(known["status"], "accepted");
    assert_eq!(known, unknown, "the answer must not depend on the email");

    let token1 = wait_for_reset_token(&mail.0, &fay.email, &[]).await;
    // No email to the unknown address, and only the one email at all.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        boxoffice_infra_notify::latest_email_to(&mail.0, "ghost@example.com")
            .expect("read")
            .is_none(),
        "an email went to an unknown address"
    );
    assert_eq!(mail.eml_count(), 1);

    // A too-short new password is refused before the token is consumed...
    let r = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": token1, "new_password": "short77"}),
        )
        .await;
    assert_invalid(&r, "new_password");
    // ... a wrong token is refused with a challenge...
    let res = post_raw_response(
        &app,
        "/auth/password-reset/confirm",
        &json!({"token": "A".repeat(43), "new_password": "new-password-1"}),
    )
    .await;
    assert_401_challenge(res, "invalid_reset_token").await;
    // ... and the token still works.
    let (s, body) = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": token1, "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");

    assert_error(
        &login(&app, &fay.email, &fay.password).await,
        401,
        "invalid_credentials",
    );
    let fresh = assert_token_dto(
        &login(&app, &fay.email, "new-password-1").await,
        StatusCode::OK,
    );
    assert_eq!(fresh["user"]["id"], fay.id.as_str());
    // Every refresh token issued before the reset is dead; the new sign-in's works.
    for old in [fay.refresh_token.as_str(), refresh_of(&second_session)] {
        let (s, body) = refresh(&app, old).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_token_dto(&refresh(&app, refresh_of(&fresh)).await, StatusCode::OK);

    // Single use.
    assert_error(
        &app.anon()
            .post_json(
                "/auth/password-reset/confirm",
                &json!({"token": token1, "new_password": "new-password-2"}),
            )
            .await,
        401,
        "invalid_reset_token",
    );

    // A second token, expired in the database, is refused.
    let (s, _) = app
        .anon()
        .post_json("/auth/password-reset", &json!({"email": "FAY@example.com"}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let token2 = wait_for_reset_token(&mail.0, &fay.email, std::slice::from_ref(&token1)).await;
    let url = app.db_url().to_owned();
    let expired = tokio::task::spawn_blocking(move || {
        use diesel::{Connection, PgConnection, RunQueryDsl};
        let mut conn = PgConnection::establish(&url).expect("connect");
        diesel::sql_query(
            "UPDATE password_reset_tokens SET expires_at = now() - interval '1 minute' \
             WHERE used_at IS NULL",
        )
        .execute(&mut conn)
        .expect("expire reset token")
    })
    .await
    .expect("join");
    assert_eq!(expired, 1, "exactly the unused second token");
    assert_error(
        &app.anon()
            .post_json(
                "/auth/password-reset/confirm",
                &json!({"token": token2, "new_password": "new-password-3"}),
            )
            .await,
        401,
        "invalid_reset_token",
    );
    // Neither refused attempt changed the password.
    assert_eq!(
        login(&app, &fay.email, "new-password-1").await.0,
        StatusCode::OK
    );
    for wrong in ["new-password-2", "new-password-3"] {
        assert_error(
            &login(&app, &fay.email, wrong).await,
            401,
            "invalid_credentials",
        );
    }
}

// ---------- profiles and user management ----------

#[tokio::test]
async fn users_edit_their_profile_but_not_their_role() {
    let app = spawn_app().await;
    let gus = app.signup("gus@example.com", "customer").await;
    let caller = app.as_user(&gus);

    let (s, body) = caller
        .patch_json(
            "/users/me",
            &json!({"first_name": "Gus", "phone": "+15550123"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["first_name"], "Gus");
    assert_eq!(body["phone"], "+15550123");
    let who = me(&app, &gus.access_token).await;
    assert_eq!(who["first_name"], "Gus");
    assert_eq!(who["phone"], "+15550123");

    let r = caller
        .patch_json("/users/me", &json!({"role": "admin"}))
        .await;
    assert_invalid(&r, "role");
    let r = caller
        .patch_json("/users/me", &json!({"active": false}))
        .await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    let who = me(&app, &gus.access_token).await;
    assert_eq!(who["role"], "customer");
    assert_eq!(who["active"], true);
    assert_eq!(who["first_name"], "Gus");

    // Anonymous: no profile.
    let (s, _) = app.anon().get("/users/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admins_list_and_read_users_others_only_themselves() {
    let app = spawn_app().await;
    let hal = app.signup("hal@example.com", "customer").await;
    let ida = app.signup("ida@example.com", "customer").await;
    let jo = app.signup("jo@example.com", "provider").await;
    let kim = app.signup("kim@example.com", "provider").await;

    let (s, all) = app.as_admin().get("/users").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 5, "admin + 4: {all}");
    let emails: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["email"].as_str().expect("email"))
        .collect();
    for e in [
        ADMIN_EMAIL,
        "hal@example.com",
        "ida@example.com",
        "jo@example.com",
    ] {
        assert!(emails.contains(&e), "{e} missing: {all}");
    }

    let (s, providers) = app.as_admin().get("/users?role=provider").await;
    assert_eq!(s, StatusCode::OK, "{providers}");
    assert_eq!(providers["total"], 2, "{providers}");
    let items = providers["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|u| u["role"] == "provider"), "{providers}");
    let mut ids: Vec<&str> = items.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = vec![jo.id.as_str(), kim.id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // Non-admins cannot list.
    let (s, body) = app.as_user(&hal).get("/users").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    // One user: themselves or an admin.
    let (s, body) = app.as_user(&hal).get(&format!("/users/{}", hal.id)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "hal@example.com");
    let (s, body) = app.as_admin().get(&format!("/users/{}", hal.id)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["id"], hal.id.as_str());
    let (s, body) = app.as_user(&ida).get(&format!("/users/{}", hal.id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.get("email").is_none() && body["error"]["code"].is_string());
}

#[tokio::test]
async fn admin_promotes_deactivates_and_reactivates_users_but_not_themselves() {
    let app = spawn_app().await;
    let lea = app.signup("lea@example.com", "customer").await;
    let city = app.create_city().await;
    let event = json!({"title": "Lea's gig", "event_type": "concert", "city_id": city});

    // A customer cannot create events, nor change users.
    let (s, _) = app.as_user(&lea).post_json("/events", &event).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .as_user(&lea)
        .patch_json(&format!("/users/{}", lea.id), &json!({"role": "provider"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Promoted by the admin: a provider who can create events.
    let (s, body) = app
        .as_admin()
        .patch_json(&format!("/users/{}", lea.id), &json!({"role": "provider"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "provider");
    let promoted = assert_token_dto(
        &login(&app, &lea.email, &lea.password).await,
        StatusCode::OK,
    );
    assert_eq!(promoted["user"]["role"], "provider");
    assert_eq!(jwt_claims(access(&promoted))["role"], "provider");
    let (s, created) = app
        .with_token(access(&promoted))
        .post_json("/events", &event)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["organizer_id"], lea.id.as_str());

    // Deactivated: live access tokens, refresh tokens and logins all stop at once.
    let (s, body) = app
        .as_admin()
        .patch_json(&format!("/users/{}", lea.id), &json!({"active": false}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let res = app
        .with_token(access(&promoted))
        .request(reqwest::Method::GET, "/users/me")
        .send()
        .await
        .expect("request");
    assert_401_challenge(res, "account_disabled").await;
    assert_error(
        &app.as_user(&lea).get("/users/me").await,
        401,
        "account_disabled",
    );
    for token in [lea.refresh_token.as_str(), refresh_of(&promoted)] {
        let (s, body) = refresh(&app, token).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    let res = post_raw_response(
        &app,
        "/auth/login",
        &json!({"email": lea.email, "password": lea.password}),
    )
    .await;
    assert_401_challenge(res, "account_disabled").await;

    // Reactivated: signs in again.
    let (s, body) = app
        .as_admin()
        .patch_json(&format!("/users/{}", lea.id), &json!({"active": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    let back = assert_token_dto(
        &login(&app, &lea.email, &lea.password).await,
        StatusCode::OK,
    );
    assert_eq!(me(&app, access(&back)).await["active"], true);

    // An admin cannot lock themselves out.
    let admin = me(&app, &app.admin_token).await;
    let admin_id = admin["id"].as_str().expect("admin id");
    assert_eq!(admin["role"], "admin");
    let r = app
        .as_admin()
        .patch_json(&format!("/users/{admin_id}"), &json!({"active": false}))
        .await;
    assert_error(&r, 409, "self_lockout");
    let r = app
        .as_admin()
        .patch_json(&format!("/users/{admin_id}"), &json!({"role": "customer"}))
        .await;
    assert_error(&r, 409, "self_lockout");
    let still = me(&app, &app.admin_token).await;
    assert_eq!(still["active"], true);
    assert_eq!(still["role"], "admin");
}

// ---------- create-admin ----------

fn create_admin(db_url: &str, email: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["create-admin", "--email", email])
        .env("DATABASE_URL", db_url)
        .env("APP_PROFILE", "test")
        .env(
            "APP_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run boxoffice create-admin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

pub(crate) async fn run_create_admin(
    app: &TestApp,
    email: &str,
    password: &str,
) -> std::process::Output {
    let (url, email, password) = (
        app.db_url().to_owned(),
        email.to_owned(),
        password.to_owned(),
    );
    tokio::task::spawn_blocking(move || create_admin(&url, &email, &password))
        .await
        .expect("join")
}

#[tokio::test]
async fn create_admin_command_makes_an_admin_once_with_a_valid_password() {
    let app = spawn_app().await;

    let out = run_create_admin(&app, "ops@example.com", "ops-password-1").await;
    assert!(
        out.status.success(),
        "{:?} {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r = login(&app, "ops@example.com", "ops-password-1").await;
    let ops = assert_token_dto(&r, StatusCode::OK);
    assert_eq!(ops["user"]["role"], "admin");
    assert_eq!(jwt_claims(access(&ops))["role"], "admin");
    // The new admin can do admin things.
    let (s, users) = app.with_token(access(&ops)).get("/users").await;
    assert_eq!(s, StatusCode::OK, "{users}");
    assert_eq!(users["total"], 2);

    // The same email again (any case): refused.
    let out = run_create_admin(&app, "OPS@example.com", "other-password-1").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "second create-admin succeeded");
    assert!(
        stderr.contains("could not create the admin") && stderr.contains("already exists"),
        "stderr: {stderr}"
    );
    assert_error(
        &login(&app, "ops@example.com", "other-password-1").await,
        401,
        "invalid_credentials",
    );

    // Too short a password: refused, nothing created.
    let out = run_create_admin(&app, "ops2@example.com", "abcde").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "5-char password accepted");
    assert!(stderr.contains("password"), "stderr: {stderr}");
    assert_error(
        &login(&app, "ops2@example.com", "abcde").await,
        401,
        "invalid_credentials",
    );
    let (_, users) = app.as_admin().get("/users?role=admin").await;
    assert_eq!(users["total"], 2, "{users}");
}
