//! The OpenAPI document: the checked-in file is current, and the server serves the same.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

fn checked_in() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}; run `make openapi`"));
    serde_json::from_str(&text).expect("docs/openapi.json is not JSON")
}

#[test]
fn checked_in_spec_is_current() {
    assert!(
        boxoffice_api::openapi_spec() == checked_in(),
        "docs/openapi.json is stale: run `make openapi`"
    );
}

#[tokio::test]
async fn served_spec_and_swagger_ui() {
    let app = spawn_app().await;
    let (status, served) = app.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        served == checked_in(),
        "the served /openapi.json differs from docs/openapi.json"
    );
    // Swagger UI 5, bundled: the page loads only our files, whatever the query string says
    // (`?url=` was Swagger UI's spoofing vector; our initializer has no query-string path).
    for page in [
        "/swagger",
        "/swagger/",
        "/swagger/index.html",
        "/swagger/index.html?url=https://evil.example/x.json",
        "/swagger/index.html?configUrl=https://evil.example/c.json",
    ] {
        let (status, ctype, html) = fetch(&app, page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(ctype.starts_with("text/html"), "{page}: {ctype}");
        for asset in [
            "/swagger/swagger-ui-bundle.js",
            "/swagger/swagger-ui.css",
            "/swagger/swagger-init.js",
        ] {
            assert!(html.contains(asset), "{page} does not load {asset}: {html}");
        }
        assert!(!html.contains("evil.example"), "{page}: {html}");
        assert!(
            !html.contains("//"),
            "{page} loads something from elsewhere: {html}"
        );
    }
    let (status, ctype, init) = fetch(&app, "/swagger/swagger-init.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/javascript"), "{ctype}");
    assert!(init.contains(r#"url: "/openapi.json""#), "{init}");
    assert!(init.contains("queryConfigEnabled: false"), "{init}");
    assert!(
        !init.contains("location") && !init.contains("URLSearchParams"),
        "the initializer must not read the page's URL: {init}"
    );
    let (status, ctype, bundle) = fetch(&app, "/swagger/swagger-ui-bundle.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/javascript"), "{ctype}");
    assert!(
        bundle.contains("SwaggerUIBundle"),
        "not the Swagger UI bundle"
    );
    // Swagger UI 5 (4.1.3 fixed the `?url=` spoofing advisory), the release in VERSION
    let version = boxoffice_api::swagger::VERSION.trim();
    assert!(version.starts_with("5."), "{version}");
    assert!(
        bundle.contains(&format!("PACKAGE_VERSION:\"{version}\"")),
        "the served bundle is not Swagger UI {version}"
    );
    let (status, ctype, _) = fetch(&app, "/swagger/swagger-ui.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/css"), "{ctype}");
    let res = app
        .client
        .get(app.url("/swagger/favicon-32x32.png"))
        .send()
        .await
        .expect("GET favicon");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    // Swagger UI 3 files are gone; unknown names are the JSON 404.
    for gone in [
        "/swagger/swagger-ui.js",
        "/swagger/oauth2-redirect.html",
        "/swagger/x/y",
    ] {
        let (status, body) = app.get(gone).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
        assert_eq!(body["error"]["code"], "not_found", "{gone}: {body}");
    }
}

/// Status, content type and text of a GET.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let res = app
        .client
        .get(app.url(path))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ctype, res.text().await.unwrap())
}
