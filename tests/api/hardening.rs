//! Hardened edges: rate limiting, hostile tokens, security headers, CORS, body limits, secrets
//! kept out of logs and the production profile refusing the development secret.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use boxoffice_api::auth::JwtKeys;
use boxoffice_api::ratelimit::Bucket;
use boxoffice_domain::account::{Role, User};
use chrono::Utc;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

const CONFIG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");

/// A response with its headers.
struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Resp {
    /// `(status, body)`, the shape `assert_error` / `assert_invalid` take.
    fn sb(&self) -> (StatusCode, Value) {
        (self.status, self.body.clone())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    /// An integer header that must be present.
    #[track_caller]
    fn int_header(&self, name: &str) -> u64 {
        let v = self
            .header(name)
            .unwrap_or_else(|| panic!("no {name} header ({}): {}", self.status, self.body));
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} is not an integer: {v:?}"))
    }
}

async fn full(b: reqwest::RequestBuilder) -> Resp {
    let res = b.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body");
    Resp {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// A request without any `Authorization` header (the admin client of the harness sends one).
fn bare(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.anon().request(method, path)
}

/// A request with a raw `Authorization` header value.
fn with_authorization(app: &TestApp, path: &str, value: &str) -> reqwest::RequestBuilder {
    bare(app, Method::GET, path).header("authorization", value)
}

#[track_caller]
fn assert_security_headers(r: &Resp, what: &str) {
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
}

#[track_caller]
fn assert_bearer_challenge(r: &Resp, what: &str) {
    let challenge = r
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("{what}: 401 without WWW-Authenticate: {}", r.body));
    assert!(
        challenge.starts_with(r#"Bearer realm="boxoffice""#),
        "{what}: challenge {challenge:?}"
    );
}

// ---------- base64url, to forge tokens by hand ----------

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..=chunk.len() {
            out.push(char::from(B64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn b64url_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = B64URL
            .iter()
            .position(|&x| x == c)
            .unwrap_or_else(|| panic!("not base64url: {s}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn b64url_json(v: &Value) -> String {
    b64url(v.to_string().as_bytes())
}

/// A domain `User` with a given id (the JWT claims only use id and role).
fn user_value(id: &str, role: Role) -> User {
    let now = Utc::now();
    User {
        id: uuid::Uuid::parse_str(id).expect("uuid"),
        email: "forged@example.com".to_owned(),
        phone: None,
        first_name: String::new(),
        last_name: String::new(),
        address: String::new(),
        role,
        active: true,
        created_at: now,
        updated_at: now,
    }
}

// ---------- 1. rate limiting ----------

async fn wrong_login(app: &TestApp, forwarded_for: Option<&str>) -> Resp {
    let mut b = bare(app, Method::POST, "/auth/login")
        .json(&json!({"email": ADMIN_EMAIL, "password": "not-the-password"}));
    if let Some(ip) = forwarded_for {
        b = b.header("x-forwarded-for", ip);
    }
    full(b).await
}

#[track_caller]
fn assert_rate_limited(r: &Resp, limit: u64, what: &str) {
    assert_error(&r.sb(), 429, "rate_limited");
    let retry_after = r.int_header("retry-after");
    assert!(
        (1..=60).contains(&retry_after),
        "{what}: Retry-After {retry_after} (1 token a minute)"
    );
    assert_eq!(r.int_header("ratelimit-limit"), limit, "{what}");
    assert_eq!(r.int_header("ratelimit-remaining"), 0, "{what}");
    let reset = r.int_header("ratelimit-reset");
    assert!(reset >= 1, "{what}: RateLimit-Reset {reset}");
    assert_security_headers(r, what);
}

#[tokio::test]
async fn auth_bucket_throttles_credential_endpoints_per_ip() {
    let app = spawn_app_with(|s| {
        s.rate_limit.auth = Bucket {
            per_minute: 1,
            burst: 3,
        };
    })
    .await;

    // The harness's own admin login (POST /auth/login from 127.0.0.1) took the first of the 3
    // tokens, so two wrong guesses are answered, the next one is refused.
    let mut remaining = vec![];
    for _ in 0..2 {
        let r = wrong_login(&app, None).await;
        assert_error(&r.sb(), 401, "invalid_credentials");
        assert_eq!(r.int_header("ratelimit-limit"), 3);
        r.int_header("ratelimit-reset");
        remaining.push(r.int_header("ratelimit-remaining"));
    }
    assert_eq!(remaining, [1, 0], "RateLimit-Remaining counts down");
    let refused = wrong_login(&app, None).await;
    assert_rate_limited(&refused, 3, "login after the burst");
    // Even the right password is refused now: the bucket is checked before the handler.
    let right = full(
        bare(&app, Method::POST, "/auth/login")
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_rate_limited(&right, 3, "correct login after the burst");

    // Other buckets are untouched: catalogue reads (anonymous and signed in) still pass.
    let cities = full(bare(&app, Method::GET, "/cities")).await;
    assert_eq!(cities.status, StatusCode::OK, "{}", cities.body);
    assert!(cities.header("ratelimit-limit").is_some());
    let (status, me) = app.as_admin().get("/users/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    // /auth/refresh is not a credential endpoint of the strict bucket.
    let refresh =
        full(bare(&app, Method::POST, "/auth/refresh").json(&json!({"refresh_token": "nope"})))
            .await;
    assert_error(&refresh.sb(), 401, "invalid_token");

    // Signup and the password-reset endpoints share the drained bucket.
    let signup = full(
        bare(&app, Method::POST, "/auth/signup")
            .json(&json!({"email": "late@example.com", "password": "long-enough-pw"})),
    )
    .await;
    assert_rate_limited(&signup, 3, "signup");
    let reset =
        full(bare(&app, Method::POST, "/auth/password-reset").json(&json!({"email": ADMIN_EMAIL})))
            .await;
    assert_rate_limited(&reset, 3, "password-reset");
    let confirm = full(
        bare(&app, Method::POST, "/auth/password-reset/confirm")
            .json(&json!({"token": "whatever", "new_password": "long-enough-pw"})),
    )
    .await;
    assert_rate_limited(&confirm, 3, "password-reset/confirm");

    // The refused signup never reached the handler.
    let (status, users) = app.get("/users?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    assert!(
        !users.to_string().contains("late@example.com"),
        "a rate-limited signup created an account: {users}"
    );
}

#[tokio::test]
async fn auth_bucket_is_per_client_ip() {
    // Behind a trusted proxy the client is the rightmost X-Forwarded-For entry, so a fresh client
    // address has a full bucket of 3.
    let app = spawn_app_with(|s| {
        s.rate_limit.auth = Bucket {
            per_minute: 1,
            burst: 3,
        };
        s.server.edges.trust_forwarded_for = true;
    })
    .await;
    let client = "198.51.100.23";
    let mut remaining = vec![];
    for _ in 0..3 {
        let r = wrong_login(&app, Some(client)).await;
        assert_error(&r.sb(), 401, "invalid_credentials");
        assert_eq!(r.int_header("ratelimit-limit"), 3);
        remaining.push(r.int_header("ratelimit-remaining"));
    }
    assert_eq!(remaining, [2, 1, 0]);
    let fourth = wrong_login(&app, Some(client)).await;
    assert_rate_limited(&fourth, 3, "4th attempt");

    // Another client address, and the TCP peer itself (one token used by the harness's admin
    // login), are not affected.
    let other = wrong_login(&app, Some("198.51.100.24")).await;
    assert_error(&other.sb(), 401, "invalid_credentials");
    assert_eq!(other.int_header("ratelimit-remaining"), 2);
    let peer = wrong_login(&app, None).await;
    assert_error(&peer.sb(), 401, "invalid_credentials");
    assert_eq!(peer.int_header("ratelimit-remaining"), 1);
}

#[tokio::test]
async fn anonymous_bucket_spares_signed_in_users_and_health() {
    let app = spawn_app_with(|s| {
        s.rate_limit.anonymous = Bucket {
            per_minute: 1,
            burst: 5,
        };
    })
    .await;
    // Signup goes through the (large) auth bucket.
    let user = app.signup("reader@example.com", "customer").await;

    let mut remaining = vec![];
    for _ in 0..5 {
        let r = full(bare(&app, Method::GET, "/cities")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.int_header("ratelimit-limit"), 5);
        remaining.push(r.int_header("ratelimit-remaining"));
    }
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    let sixth = full(bare(&app, Method::GET, "/cities")).await;
    assert_rate_limited(&sixth, 5, "6th anonymous GET");
    let events = full(bare(&app, Method::GET, "/events")).await;
    assert_rate_limited(&events, 5, "the bucket is per client, not per route");

    // A signed-in user has their own bucket.
    let signed_in = full(app.as_user(&user).request(Method::GET, "/cities")).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(signed_in.int_header("ratelimit-limit"), 100_000);
    // A forged token does not buy a bucket of its own: it counts as anonymous.
    let forged = full(with_authorization(
        &app,
        "/cities",
        "Bearer forged.token.here",
    ))
    .await;
    assert_rate_limited(&forged, 5, "forged bearer");

    for i in 0..20 {
        let r = full(bare(&app, Method::GET, "/health")).await;
        assert_eq!(r.status, StatusCode::OK, "/health call {i}: {}", r.body);
    }
    let ready = full(bare(&app, Method::GET, "/ready")).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
}

// ---------- 2. hostile tokens ----------

#[tokio::test]
async fn bad_tokens_are_401_with_a_challenge_never_500_nor_anonymous() {
    let app = spawn_app().await;
    let user = app.signup("victim@example.com", "customer").await;
    let secret = app.settings.auth.jwt_secret.expose().as_bytes().to_vec();
    let now = Utc::now();
    let real_user = user_value(&user.id, Role::Customer);

    // Control: the real token works.
    let ok = full(with_authorization(
        &app,
        "/users/me",
        &format!("Bearer {}", user.access_token),
    ))
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["id"], user.id.as_str());

    // No header at all.
    let none = full(bare(&app, Method::GET, "/users/me")).await;
    assert_error(&none.sb(), 401, "authentication_required");
    assert_bearer_challenge(&none, "no header");

    let other_secret = JwtKeys::new(
        b"another-secret-of-at-least-32-bytes!!",
        900,
        0,
        "boxoffice",
    )
    .issue(&real_user, now)
    .expect("issue");
    let real_keys = JwtKeys::new(&secret, 900, 0, "boxoffice");
    let expired = real_keys
        .issue(&real_user, now - chrono::Duration::hours(2))
        .expect("issue");
    let not_yet = real_keys
        .issue(&real_user, now + chrono::Duration::hours(1))
        .expect("issue");
    let ghost = real_keys
        .issue(
            &user_value(&uuid::Uuid::new_v4().to_string(), Role::Admin),
            now,
        )
        .expect("issue");
    let evil_issuer = JwtKeys::new(&secret, 900, 0, "evil")
        .issue(&real_user, now)
        .expect("issue");

    let claims = json!({
        "sub": user.id, "role": "admin", "iat": now.timestamp(), "nbf": now.timestamp(),
        "exp": now.timestamp() + 900, "jti": uuid::Uuid::new_v4().to_string(), "iss": "boxoffice",
    });
    let alg_none = format!(
        "{}.{}.",
        b64url_json(&json!({"alg": "none", "typ": "JWT"})),
        b64url_json(&claims)
    );
    let hs512 = format!(
        "{}.{}.{}",
        b64url_json(&json!({"alg": "HS512", "typ": "JWT"})),
        b64url_json(&claims),
        b64url(&[0x5a; 64])
    );

    // The real token with its role claim changed to admin, signature kept.
    let parts: Vec<&str> = user.access_token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {}", user.access_token);
    let mut payload: Value =
        serde_json::from_slice(&b64url_decode(parts[1])).expect("JWT payload is JSON");
    assert_eq!(payload["sub"], user.id.as_str(), "{payload}");
    payload["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64url_json(&payload), parts[2]);

    let cases: Vec<(&str, String, &str)> = vec![
        ("basic scheme", "Basic abc".into(), "invalid_token"),
        ("bearer without token", "Bearer".into(), "invalid_token"),
        (
            "bearer with two words",
            "Bearer a b".into(),
            "invalid_token",
        ),
        (
            "random string",
            "k3j4h5g6f7d8s9a0-not-a-token".into(),
            "invalid_token",
        ),
        ("bearer garbage", "Bearer garbage".into(), "invalid_token"),
        (
            "other secret",
            format!("Bearer {other_secret}"),
            "invalid_token",
        ),
        ("alg none", format!("Bearer {alg_none}"), "invalid_token"),
        ("HS512", format!("Bearer {hs512}"), "invalid_token"),
        ("expired", format!("Bearer {expired}"), "token_expired"),
        (
            "not yet valid",
            format!("Bearer {not_yet}"),
            "invalid_token",
        ),
        ("unknown user", format!("Bearer {ghost}"), "invalid_token"),
        (
            "wrong issuer",
            format!("Bearer {evil_issuer}"),
            "invalid_token",
        ),
        (
            "tampered role",
            format!("Bearer {tampered}"),
            "invalid_token",
        ),
    ];
    for (what, value, code) in &cases {
        let r = full(with_authorization(&app, "/users/me", value)).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{what}: expected 401, body: {}",
            r.body
        );
        assert_eq!(r.body["error"]["code"], *code, "{what}: {}", r.body);
        assert_bearer_challenge(&r, what);
    }

    // The tampered "admin" token does not open admin routes either.
    let admin_route = full(with_authorization(
        &app,
        "/users",
        &format!("Bearer {tampered}"),
    ))
    .await;
    assert_error(&admin_route.sb(), 401, "invalid_token");

    // A bad token on a route that also serves anonymous callers is refused, not ignored.
    let r = full(with_authorization(
        &app,
        "/bookings?email=victim@example.com",
        "Bearer garbage",
    ))
    .await;
    assert_error(&r.sb(), 401, "invalid_token");
    assert_bearer_challenge(&r, "GET /bookings");
}

#[tokio::test]
async fn bad_token_on_a_public_catalogue_route_is_401_not_anonymous() {
    let app = spawn_app().await;
    let user = app.signup("victim@example.com", "customer").await;
    let expired = JwtKeys::new(
        app.settings.auth.jwt_secret.expose().as_bytes(),
        900,
        0,
        "boxoffice",
    )
    .issue(
        &user_value(&user.id, Role::Customer),
        Utc::now() - chrono::Duration::hours(2),
    )
    .expect("issue");

    let public = full(with_authorization(&app, "/cities", "Bearer garbage")).await;
    assert_error(&public.sb(), 401, "invalid_token");
    assert_bearer_challenge(&public, "GET /cities");
    let public_expired = full(with_authorization(
        &app,
        "/events",
        &format!("Bearer {expired}"),
    ))
    .await;
    assert_error(&public_expired.sb(), 401, "token_expired");
    assert_bearer_challenge(&public_expired, "GET /events");
    // ...while no token at all is fine there.
    let anon = full(bare(&app, Method::GET, "/cities")).await;
    assert_eq!(anon.status, StatusCode::OK, "{}", anon.body);
}

// ---------- 3. security headers ----------

#[tokio::test]
async fn security_headers_on_every_answer_and_no_hsts_by_default() {
    let app = spawn_app().await;
    let ok = full(bare(&app, Method::GET, "/health")).await;
    assert_eq!(ok.status, StatusCode::OK);
    let missing = full(bare(&app, Method::GET, "/api/v1/no-such-route")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let unauthorized = full(bare(&app, Method::GET, "/users/me")).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    let invalid = full(
        bare(&app, Method::POST, "/auth/signup")
            .json(&json!({"email": "short@example.com", "password": "short"})),
    )
    .await;
    assert_invalid(&invalid.sb(), "password");
    for (what, r) in [
        ("200", &ok),
        ("404", &missing),
        ("401", &unauthorized),
        ("422", &invalid),
    ] {
        assert_security_headers(r, what);
        assert!(
            r.header("strict-transport-security").is_none(),
            "{what}: HSTS without hsts_max_age_secs"
        );
    }
}

#[tokio::test]
async fn hsts_when_configured() {
    let app = spawn_app_with(|s| s.server.edges.hsts_max_age_secs = 3600).await;
    for path in ["/health", "/api/v1/no-such-route", "/users/me"] {
        let r = full(bare(&app, Method::GET, path)).await;
        let hsts = r
            .header("strict-transport-security")
            .unwrap_or_else(|| panic!("{path} ({}): no HSTS", r.status));
        assert!(hsts.starts_with("max-age=3600"), "{path}: {hsts}");
        assert_security_headers(&r, path);
    }
}

// ---------- 4. CORS ----------

fn preflight(app: &TestApp, origin: &str) -> reqwest::RequestBuilder {
    bare(app, Method::OPTIONS, "/cities")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
}

#[tokio::test]
async fn cors_is_closed_by_default() {
    let app = spawn_app().await;
    let pre = full(preflight(&app, "http://evil.example")).await;
    assert!(
        pre.header("access-control-allow-origin").is_none(),
        "preflight allowed ({}): {:?}",
        pre.status,
        pre.headers
    );
    let get =
        full(bare(&app, Method::GET, "/cities").header("origin", "http://evil.example")).await;
    // Non-browser clients keep working; browsers get no CORS grant.
    assert_eq!(get.status, StatusCode::OK);
    assert!(get.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origin() {
    let origin = "http://localhost:5173";
    let app = spawn_app_with(|s| s.server.edges.cors_allowed_origins = vec![origin.into()]).await;

    let pre = full(preflight(&app, origin)).await;
    assert!(pre.status.is_success(), "preflight: {}", pre.status);
    assert_eq!(pre.header("access-control-allow-origin"), Some(origin));
    let methods = pre
        .header("access-control-allow-methods")
        .expect("allow-methods")
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = pre
        .header("access-control-allow-headers")
        .expect("allow-headers")
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );

    let get = full(bare(&app, Method::GET, "/cities").header("origin", origin)).await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(get.header("access-control-allow-origin"), Some(origin));

    let other = "http://evil.example";
    let pre = full(preflight(&app, other)).await;
    assert!(pre.header("access-control-allow-origin").is_none());
    let get = full(bare(&app, Method::GET, "/cities").header("origin", other)).await;
    assert!(
        get.header("access-control-allow-origin").is_none(),
        "{:?}",
        get.headers
    );
}

// ---------- 5. body limits and JSON ----------

#[tokio::test]
async fn oversized_bodies_are_413_never_500() {
    let app = spawn_app_with(|s| {
        s.server.json_limit_bytes = 4096;
        s.server.csv_limit_bytes = 1024;
    })
    .await;

    let big = json!({"name": "x".repeat(10 * 1024), "country": "Testland",
                     "latitude": 1.0, "longitude": 2.0});
    let r = full(app.as_admin().request(Method::POST, "/cities").json(&big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body["error"].is_object(), "JSON error body: {}", r.body);

    let show = app.simple_seated_show().await;
    let mut csv = String::from("id,seat_identifier,seat_class\n");
    let mut i = 0;
    while csv.len() <= 2048 {
        i += 1;
        csv.push_str(&format!("{i},B{i},A\n"));
    }
    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            csv.clone(),
        )
        .await;
    assert_error(&r, 413, "payload_too_large");
    let r = app
        .post_multipart(
            &format!("/shows/{show}/seats/import"),
            csv.into_bytes(),
            "seats.csv",
        )
        .await;
    assert_error(&r, 413, "payload_too_large");

    // A small body still works.
    let city = app.create_city().await;
    assert!(city > 0);
}

#[tokio::test]
async fn deeply_nested_json_is_a_client_error_and_unknown_fields_are_named() {
    let app = spawn_app().await;
    let depth = 10_000;
    let nested_arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let bodies = [
        format!(
            r#"{{"name": {nested_arrays}, "country": "Testland", "latitude": 1.0, "longitude": 2.0}}"#
        ),
        nested_arrays.clone(),
        format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth)),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let r = full(
            app.as_admin()
                .request(Method::POST, "/cities")
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert!(
            r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "nested body {i}: {} {}",
            r.status,
            r.body
        );
        assert!(r.body["error"]["code"].is_string(), "body {i}: {}", r.body);
    }
    let health = full(bare(&app, Method::GET, "/health")).await;
    assert_eq!(health.status, StatusCode::OK, "server still healthy");
    assert!(app.create_city().await > 0);

    // Unknown fields are refused and named.
    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "new@example.com", "password": "long-enough-pw", "nickname": "x"}),
        )
        .await;
    assert_invalid(&r, "nickname");
    let user = app.signup("known@example.com", "customer").await;
    let r = app
        .as_user(&user)
        .patch_json("/users/me", &json!({"first_name": "Kim", "is_admin": true}))
        .await;
    assert_invalid(&r, "is_admin");
    let (status, me) = app.as_user(&user).get("/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "customer");
    assert_ne!(me["first_name"], "Kim", "a refused patch changed nothing");
}

// ---------- 6. secrets never in logs ----------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init()
        .expect("install the global subscriber (one process per test: run with nextest)");

    let app = spawn_app_with(|s| s.email.transport = "log".into()).await;
    let email = "logged@example.com";
    let password = "Sup3r-Secret-Passw0rd-7f3a";
    let wrong_password = "Wr0ng-Guess-Passw0rd-91bc";
    let reset_password = "N3w-Reset-Passw0rd-5d2e";
    let fake_reset_token = "fake-reset-token-0b9e1c7d2a";
    let garbage_token = "garbage-bearer-token-6c4f8e";

    let (status, signup) = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signup}");
    let (status, login) = app
        .anon()
        .post_json(
            "/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let login_refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let (status, refreshed) = app
        .anon()
        .post_json("/auth/refresh", &json!({"refresh_token": login_refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let access = refreshed["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (status, me) = app.with_token(&access).get("/users/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let r = app
        .anon()
        .post_json(
            "/auth/login",
            &json!({"email": email, "password": wrong_password}),
        )
        .await;
    assert_error(&r, 401, "invalid_credentials");
    let (status, _) = app
        .anon()
        .post_json("/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let r = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": fake_reset_token, "new_password": reset_password}),
        )
        .await;
    assert_error(&r, 401, "invalid_reset_token");
    let r = app.with_token(garbage_token).get("/users/me").await;
    assert_error(&r, 401, "invalid_token");

    // The reset work runs after the answer; let it and the request logs finish.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let log = String::from_utf8_lossy(&captured.0.lock().expect("log buffer")).into_owned();
    assert!(
        log.contains("/api/v1/auth/login"),
        "the request log was not captured ({} bytes)",
        log.len()
    );
    let jwt_secret = app.settings.auth.jwt_secret.expose().to_owned();
    let token = |v: &Value, k: &str| v[k].as_str().expect(k).to_owned();
    let secrets = [
        ("password", password.to_owned()),
        ("wrong password", wrong_password.to_owned()),
        ("new password of the reset", reset_password.to_owned()),
        ("reset token", fake_reset_token.to_owned()),
        ("garbage bearer token", garbage_token.to_owned()),
        ("signup access token", token(&signup, "access_token")),
        ("signup refresh token", token(&signup, "refresh_token")),
        ("login access token", token(&login, "access_token")),
        ("login refresh token", login_refresh),
        ("refreshed access token", access),
        (
            "refreshed refresh token",
            token(&refreshed, "refresh_token"),
        ),
        ("admin access token", app.admin_token.clone()),
        ("admin password", ADMIN_PASSWORD.to_owned()),
        ("jwt secret", jwt_secret.clone()),
    ];
    for (what, secret) in &secrets {
        if let Some(at) = log.find(secret.as_str()) {
            let start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            panic!("the {what} is in the log: {}", &log[start..end]);
        }
    }
    assert!(!format!("{:?}", app.settings).contains(&jwt_secret));
}

// ---------- 7. production profile ----------

#[test]
fn production_profile_refuses_weak_or_default_secrets() {
    // nextest runs each test in its own process: changing the environment here is safe.
    // A good webhook secret first, so that each refusal below is about the JWT secret.
    let webhook_secret = format!("whsec-{}", uuid::Uuid::new_v4().simple());
    std::env::set_var("APP_PAYMENTS__WEBHOOK_SECRET", &webhook_secret);
    std::env::remove_var("APP_AUTH__JWT_SECRET");
    let err = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect_err("production must refuse the development secret");
    assert!(err.to_string().contains("development default"), "{err}");
    assert!(err.to_string().contains("auth.jwt_secret"), "{err}");

    let short = "s".repeat(31);
    std::env::set_var("APP_AUTH__JWT_SECRET", &short);
    let err = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect_err("a 31-byte secret is too short");
    assert!(err.to_string().contains("32 bytes"), "{err}");

    let strong: String = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )[..40]
        .to_owned();
    std::env::set_var("APP_AUTH__JWT_SECRET", &strong);
    // The webhook secret's development default is refused too.
    std::env::remove_var("APP_PAYMENTS__WEBHOOK_SECRET");
    let err = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect_err("production must refuse the development webhook secret");
    assert!(err.to_string().contains("webhook_secret"), "{err}");
    assert!(err.to_string().contains("development default"), "{err}");
    std::env::set_var("APP_PAYMENTS__WEBHOOK_SECRET", &webhook_secret);
    let settings = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect("random secrets are accepted");
    std::env::remove_var("APP_AUTH__JWT_SECRET");
    std::env::remove_var("APP_PAYMENTS__WEBHOOK_SECRET");
    assert!(!format!("{settings:?}").contains(&webhook_secret));
    assert_eq!(settings.profile, "production");
    assert_eq!(settings.auth.jwt_secret.expose(), strong);
    assert!(!format!("{settings:?}").contains(&strong));
}

#[tokio::test]
async fn production_binary_will_not_start_with_the_development_secret() {
    let app = spawn_app().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("APP_PROFILE", "production")
        .env("APP_CONFIG_DIR", CONFIG_DIR)
        .env("DATABASE_URL", app.db_url())
        .env_remove("APP_AUTH__JWT_SECRET")
        // A good webhook secret: the refusal must be about the JWT secret.
        .env(
            "APP_PAYMENTS__WEBHOOK_SECRET",
            format!("whsec-{}", uuid::Uuid::new_v4().simple()),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run boxoffice");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().expect("kill");
            let _ = child.wait();
            panic!("the production server started with the development secret");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!status.success(), "exit status {status}, stderr: {stderr}");
    assert!(
        stderr.contains("development default") && stderr.contains("jwt_secret"),
        "the reason is not on stderr: {stderr}"
    );
}
