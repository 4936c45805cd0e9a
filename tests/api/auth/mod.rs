//! The account flow end to end: signup, login, refresh-token rotation and reuse detection,
//! logout, password reset by email, profiles and the admin's user management, and the
//! `create-admin` command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

mod password_reset;
mod sessions;
mod signup_login;
mod users;

pub(crate) use users::run_create_admin;

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
