//! Rate limiting: the auth bucket per client IP, the anonymous bucket.

use super::*;

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
