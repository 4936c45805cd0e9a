//! The rate limiter against a test service: the buckets, their headers, the keys, the wrap order.

use super::*;
use actix_web::http::StatusCode;
use actix_web::test::{call_service, init_service, read_body_json, TestRequest};
use actix_web::{web, App};
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;

fn bucket(per_minute: u32, burst: u32) -> Bucket {
    Bucket { per_minute, burst }
}

/// Slow refill (1/min) so nothing comes back during a test.
fn settings(anonymous: u32, user: u32, auth: u32) -> RateLimitSettings {
    RateLimitSettings {
        enabled: true,
        anonymous: bucket(1, anonymous),
        user: bucket(1, user),
        auth: bucket(1, auth),
    }
}

fn user_key() -> UserKeyFn {
    Arc::new(|token: &str| token.starts_with("good-").then(|| token.to_owned()))
}

#[derive(Default)]
struct Calls(AtomicUsize);

async fn handler(calls: web::Data<Calls>) -> HttpResponse {
    calls.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body("ok")
}

macro_rules! app {
    ($rl:expr, $calls:expr) => {
        init_service(
            App::new()
                .app_data($calls.clone())
                .wrap($rl.clone())
                .route("/api/v1/auth/login", web::post().to(handler))
                .route("/api/v1/events", web::get().to(handler))
                .route("/health", web::get().to(handler))
                .route("/ready", web::get().to(handler)),
        )
        .await
    };
}

fn ip(s: &str) -> SocketAddr {
    format!("{s}:4242").parse().unwrap()
}

fn get(path: &str, from: &str) -> TestRequest {
    TestRequest::get().uri(path).peer_addr(ip(from))
}

fn login(from: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(ip(from))
}

fn header<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn num<B>(res: &ServiceResponse<B>, name: &str) -> u64 {
    header(res, name)
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn auth_bucket_refuses_the_fourth_login_but_not_other_routes() {
    let rl = RateLimit::new(settings(100, 100, 3), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);

    for expected_remaining in [2, 1, 0] {
        let res = call_service(&app, login("198.51.100.1").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(num(&res, "ratelimit-limit"), 3);
        assert_eq!(num(&res, "ratelimit-remaining"), expected_remaining);
    }
    assert_eq!(calls.0.load(Ordering::SeqCst), 3);

    let res = call_service(&app, login("198.51.100.1").to_request()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(calls.0.load(Ordering::SeqCst), 3, "handler called");
    let retry = num(&res, "retry-after");
    assert!(retry >= 1);
    assert_eq!(num(&res, "ratelimit-limit"), 3);
    assert_eq!(num(&res, "ratelimit-remaining"), 0);
    assert_eq!(num(&res, "ratelimit-reset"), retry);
    let body: serde_json::Value = read_body_json(res).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["details"]["retry_after_secs"], retry);
    assert_eq!(body["error"]["details"]["limit"], 3);
    assert_eq!(
        body["error"]["message"],
        format!("too many requests; retry in {retry} s")
    );

    // Same IP, another bucket.
    let res = call_service(&app, get("/api/v1/events", "198.51.100.1").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(num(&res, "ratelimit-limit"), 100);

    // Another IP, its own auth bucket.
    let res = call_service(&app, login("198.51.100.2").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);

    // A valid token does not escape the auth bucket.
    let req = login("198.51.100.1")
        .insert_header(("authorization", "Bearer good-alice"))
        .to_request();
    let res = call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn encoded_or_sloppy_auth_paths_still_use_the_auth_bucket() {
    let rl = RateLimit::new(settings(100, 100, 1), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);
    let res = call_service(&app, login("198.51.100.3").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    for uri in [
        "/api/v1/auth/%6Cogin",
        "/api/v1/auth/login/",
        "/api/v1/auth/login?x=1",
    ] {
        let req = TestRequest::post()
            .uri(uri)
            .peer_addr(ip("198.51.100.3"))
            .to_request();
        let res = call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{uri}");
    }
}

#[actix_web::test]
async fn headers_count_down_and_reset_grows() {
    let rl = RateLimit::new(settings(5, 5, 5), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);
    let mut last_reset = 0;
    for expected_remaining in [4, 3, 2, 1, 0] {
        let res = call_service(&app, get("/api/v1/events", "192.0.2.1").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(num(&res, "ratelimit-limit"), 5);
        assert_eq!(num(&res, "ratelimit-remaining"), expected_remaining);
        let reset = num(&res, "ratelimit-reset");
        assert!(reset > last_reset, "{reset} <= {last_reset}");
        assert!(reset <= 5 * 60);
        last_reset = reset;
    }
    let res = call_service(&app, get("/api/v1/events", "192.0.2.1").to_request()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn users_get_their_own_buckets_and_bad_tokens_fall_into_the_ip_bucket() {
    let rl = RateLimit::new(settings(2, 2, 5), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);
    let with_token = |token: &str, from: &str| {
        get("/api/v1/events", from)
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request()
    };

    for _ in 0..2 {
        let res = call_service(&app, with_token("good-alice", "192.0.2.10")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = call_service(&app, with_token("good-alice", "192.0.2.10")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Keyed by user, not by IP.
    let res = call_service(&app, with_token("good-alice", "192.0.2.99")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another user from the same IP.
    let res = call_service(&app, with_token("good-bob", "192.0.2.10")).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Scheme is case-insensitive.
    let req = get("/api/v1/events", "192.0.2.10")
        .insert_header(("authorization", "bearer good-bob"))
        .to_request();
    let res = call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(num(&res, "ratelimit-remaining"), 0);

    // The IP bucket of 192.0.2.10 is untouched so far; a forged token uses it.
    for _ in 0..2 {
        let res = call_service(&app, with_token("forged", "192.0.2.10")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = call_service(&app, with_token("forged-again", "192.0.2.10")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // …the same bucket as no token at all.
    let res = call_service(&app, get("/api/v1/events", "192.0.2.10").to_request()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let req = get("/api/v1/events", "192.0.2.10")
        .insert_header(("authorization", "Basic Zm9vOmJhcg=="))
        .to_request();
    let res = call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another IP with a forged token has its own bucket.
    let res = call_service(&app, with_token("forged", "192.0.2.11")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn disabled_never_limits() {
    let mut s = settings(1, 1, 1);
    s.enabled = false;
    let rl = RateLimit::new(s, false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);
    for _ in 0..5 {
        let res = call_service(&app, login("192.0.2.20").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "ratelimit-limit"), None);
        let res = call_service(&app, get("/api/v1/events", "192.0.2.20").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "ratelimit-remaining"), None);
    }
}

#[actix_web::test]
async fn health_and_ready_are_never_limited() {
    let rl = RateLimit::new(settings(1, 1, 1), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);
    for _ in 0..5 {
        for path in ["/health", "/ready"] {
            let res = call_service(&app, get(path, "192.0.2.30").to_request()).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(header(&res, "ratelimit-limit"), None);
        }
    }
    // They did not consume the IP's token either.
    let res = call_service(&app, get("/api/v1/events", "192.0.2.30").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn clones_share_state_across_workers() {
    let rl = RateLimit::new(settings(2, 2, 2), false, user_key());
    let calls = web::Data::new(Calls::default());
    let worker_a = app!(rl, calls);
    let worker_b = app!(rl.clone(), calls);
    let res = call_service(&worker_a, get("/api/v1/events", "192.0.2.40").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_service(&worker_b, get("/api/v1/events", "192.0.2.40").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_service(&worker_a, get("/api/v1/events", "192.0.2.40").to_request()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn forwarded_for_is_used_only_when_trusted() {
    let calls = web::Data::new(Calls::default());
    let trusted = RateLimit::new(settings(1, 1, 1), true, user_key());
    let app = app!(trusted, calls);
    // Two clients behind the same proxy peer get separate buckets.
    for client in ["203.0.113.1", "203.0.113.2"] {
        let req = get("/api/v1/events", "10.0.0.1")
            .insert_header(("x-forwarded-for", format!("6.6.6.6, {client}")))
            .to_request();
        let res = call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::OK, "{client}");
    }

    let untrusted = RateLimit::new(settings(1, 1, 1), false, user_key());
    let app = app!(untrusted, calls);
    let mut statuses = Vec::new();
    for client in ["203.0.113.1", "203.0.113.2"] {
        let req = get("/api/v1/events", "10.0.0.1")
            .insert_header(("x-forwarded-for", client))
            .to_request();
        statuses.push(call_service(&app, req).await.status());
    }
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS],
        "the header must be ignored"
    );
}

#[actix_web::test]
async fn ipv6_clients_share_their_slash_64() {
    let rl = RateLimit::new(settings(1, 1, 1), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = app!(rl, calls);
    let v6 = |a: &str| {
        TestRequest::get()
            .uri("/api/v1/events")
            .peer_addr(format!("[{a}]:443").parse().unwrap())
            .to_request()
    };
    let res = call_service(&app, v6("2001:db8:1:2::1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_service(&app, v6("2001:db8:1:2:ffff::9")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = call_service(&app, v6("2001:db8:1:3::1")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn headers_are_added_to_errors_rendered_further_out() {
    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let rl = RateLimit::new(settings(5, 5, 5), false, user_key());
    let app = init_service(
        App::new()
            // Inner: a middleware that fails with an error, not a response.
            .wrap_fn(|_req, _srv| {
                futures_util::future::ready(Err::<ServiceResponse, Error>(
                    ApiError::not_found("no such file").into(),
                ))
            })
            .wrap(rl)
            .route("/x", web::get().to(ok)),
    )
    .await;
    let err = actix_web::test::try_call_service(&app, get("/x", "192.0.2.50").to_request())
        .await
        .expect_err("an error");
    let res = err.error_response();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.headers()
            .get("ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("4")
    );
}

/// The order documented at the top of this module: a 429 still gets the security headers,
/// the CORS headers (so browser code can read it) and the request id.
#[actix_web::test]
async fn recommended_wrap_order() {
    use actix_web::HttpMessage;
    use futures_util::FutureExt;

    let edge = edges::EdgeSettings {
        cors_allowed_origins: vec!["https://shop.example.com".into()],
        hsts_max_age_secs: 60,
        trust_forwarded_for: false,
    };
    let rl = RateLimit::new(settings(1, 1, 1), false, user_key());
    let calls = web::Data::new(Calls::default());
    let app = init_service(
        App::new()
            .app_data(calls.clone())
            .wrap(rl)
            .wrap_fn(|req, srv| {
                let id = req
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(|r| r.to_string());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(id) = id.and_then(|r| HeaderValue::from_str(&r).ok()) {
                        res.headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(res)
                }
                .boxed_local()
            })
            .wrap(edges::cors(&edge))
            .wrap(tracing_actix_web::TracingLogger::default())
            .wrap(edges::security_headers(&edge))
            .route("/api/v1/events", web::get().to(handler)),
    )
    .await;
    let req = || {
        get("/api/v1/events", "192.0.2.60")
            .insert_header(("origin", "https://shop.example.com"))
            .to_request()
    };
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&res, "retry-after").is_some());
    assert!(header(&res, "x-request-id").is_some());
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("https://shop.example.com")
    );
    assert!(header(&res, "access-control-expose-headers")
        .unwrap_or_default()
        .contains("retry-after"));
    assert_eq!(
        header(&res, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(header(&res, "strict-transport-security").is_some());

    // Preflights are answered by the CORS layer and never use up tokens.
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/v1/events")
        .peer_addr(ip("192.0.2.61"))
        .insert_header(("origin", "https://shop.example.com"))
        .insert_header(("access-control-request-method", "GET"))
        .to_request();
    let res = call_service(&app, preflight).await;
    assert!(res.status().is_success());
    assert_eq!(header(&res, "x-frame-options").as_deref(), Some("DENY"));
    let res = call_service(&app, get("/api/v1/events", "192.0.2.61").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[test]
fn housekeeping_forgets_full_buckets_every_n_checks() {
    // 60,000/min = one token per millisecond.
    let s = RateLimitSettings {
        enabled: true,
        anonymous: bucket(60_000, 1),
        user: bucket(60_000, 1),
        auth: bucket(60_000, 1),
    };
    let rl = RateLimit::new(s, false, user_key());
    for i in 0..50u8 {
        let _ = rl.inner.anonymous.check_key(&IpAddr::from([192, 0, 2, i]));
        let _ = rl.inner.auth.check_key(&IpAddr::from([192, 0, 2, i]));
        let _ = rl.inner.user.check_key(&format!("user-{i}"));
    }
    assert_eq!(rl.inner.anonymous.len(), 50);
    std::thread::sleep(Duration::from_millis(20));

    rl.inner
        .checks
        .store(HOUSEKEEPING_EVERY - 2, Ordering::Relaxed);
    rl.inner.housekeeping_tick();
    assert_eq!(rl.inner.anonymous.len(), 50, "too early");
    rl.inner.housekeeping_tick();
    assert_eq!(rl.inner.anonymous.len(), 0);
    assert_eq!(rl.inner.auth.len(), 0);
    assert_eq!(rl.inner.user.len(), 0);
    assert_eq!(rl.inner.checks.load(Ordering::Relaxed), 0);
}

#[test]
fn settings_defaults_and_validation() {
    let d = RateLimitSettings::default();
    assert!(d.enabled);
    assert_eq!(d.anonymous, bucket(300, 60));
    assert_eq!(d.user, bucket(600, 120));
    assert_eq!(d.auth, bucket(10, 5));
    assert!(d.validate().is_ok());
    let mut bad = d.clone();
    bad.auth.burst = 0;
    assert!(bad.validate().unwrap_err().contains("auth.burst"));
    let mut bad = d;
    bad.user.per_minute = 0;
    assert!(bad.validate().unwrap_err().contains("user.per_minute"));

    let parsed: RateLimitSettings =
        serde_json::from_str(r#"{"auth": {"per_minute": 3, "burst": 2}}"#).unwrap();
    assert!(parsed.enabled);
    assert_eq!(parsed.auth, bucket(3, 2));
    assert_eq!(parsed.anonymous, bucket(300, 60));
}

#[test]
fn path_comparison() {
    assert!(same_path("/api/v1/auth/login", "/api/v1/auth/login"));
    assert!(same_path("/api/v1/auth/login/", "/api/v1/auth/login"));
    assert!(same_path("//api//v1/auth/login", "/api/v1/auth/login"));
    assert!(!same_path("/api/v1/auth/login/x", "/api/v1/auth/login"));
    assert!(!same_path("/api/v1/auth/log", "/api/v1/auth/login"));
    assert!(!same_path("/healthz", "/health"));
}
