//! Security headers and CORS.

use super::*;

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
