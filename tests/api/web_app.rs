//! The web app at `/` (`web.*`): its build's files by path, `index.html` for the app's own
//! routes, the server's own paths untouched, and a page saying how to build it when it is not.

use std::path::PathBuf;

use reqwest::StatusCode;

use crate::helpers::*;

const INDEX: &str = "<!doctype html><title>boxoffice web</title><div id=root></div>";
const SCRIPT: &str = "console.log('hashed asset');";

/// A throw-away build folder (removed on drop): `index.html`, `assets/x.js`, `favicon.svg`,
/// and a secret beside (not in) the folder.
struct Build(PathBuf);

impl Build {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("boxoffice-web-{}", uuid::Uuid::new_v4()));
        let dist = root.join("dist");
        std::fs::create_dir_all(dist.join("assets")).expect("mkdir");
        std::fs::write(dist.join("index.html"), INDEX).expect("index");
        std::fs::write(dist.join("assets/x.js"), SCRIPT).expect("asset");
        std::fs::write(dist.join("favicon.svg"), "<svg/>").expect("favicon");
        std::fs::write(dist.join(".env"), "HIDDEN=1").expect("hidden");
        std::fs::write(root.join("secret.txt"), "not for the web").expect("secret");
        Self(root)
    }

    fn dist(&self) -> String {
        self.0.join("dist").display().to_string()
    }
}

impl Drop for Build {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Status, a header and the text of a request without a token.
async fn fetch(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    header: &str,
) -> (StatusCode, String, String) {
    let res = app
        .anon_client
        .request(method.clone(), format!("{}{path}", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = res.status();
    let value = res
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, value, res.text().await.expect("body"))
}

async fn get(app: &TestApp, path: &str, header: &str) -> (StatusCode, String, String) {
    fetch(app, reqwest::Method::GET, path, header).await
}

/// The answer to `GET {path}` sent byte for byte (no normalising of the path).
async fn raw_get(app: &TestApp, path: &str) -> String {
    use std::io::{Read, Write};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    })
    .await
    .expect("join")
}

#[track_caller]
fn assert_json_404(got: &(StatusCode, String, String), path: &str) {
    assert_eq!(got.0, StatusCode::NOT_FOUND, "{path}: {}", got.2);
    let body: serde_json::Value =
        serde_json::from_str(&got.2).unwrap_or_else(|_| panic!("{path}: not JSON: {}", got.2));
    assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
}

#[tokio::test]
async fn serves_the_build_and_its_client_side_routes() {
    let build = Build::new();
    let dir = build.dist();
    let app = spawn_app_with(move |s| s.web.dir = dir).await;

    let (status, ctype, body) = get(&app, "/", "content-type").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert_eq!(body, INDEX);
    assert_eq!(get(&app, "/", "cache-control").await.1, "no-cache");
    // The app's own scripts and API only: no inline script, no other origin, no framing.
    let csp = get(&app, "/events/3", "content-security-policy").await.1;
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // The JSON answers keep none.
    assert_eq!(
        get(&app, "/api/v1/nope", "content-security-policy").await.1,
        ""
    );
    assert_eq!(
        get(&app, "/index.html", "cache-control").await.1,
        "no-cache"
    );

    // A hashed file: itself, cached for good.
    let (status, ctype, body) = get(&app, "/assets/x.js", "content-type").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/javascript"), "{ctype}");
    assert_eq!(body, SCRIPT);
    let cache = get(&app, "/assets/x.js", "cache-control").await.1;
    assert_eq!(cache, "public, max-age=31536000, immutable");
    // An unhashed file: itself, revalidated.
    let (status, cache, body) = get(&app, "/favicon.svg", "cache-control").await;
    assert_eq!(
        (status, cache.as_str(), body.as_str()),
        (StatusCode::OK, "no-cache", "<svg/>")
    );
    // Conditional requests work (actix-files' ETag).
    let etag = get(&app, "/assets/x.js", "etag").await.1;
    assert!(!etag.is_empty());
    let res = app
        .anon_client
        .get(format!("{}/assets/x.js", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // The app's own routes (the emails link to /bookings/{id}) load the app.
    for route in [
        "/events/3",
        "/events/3?x=1",
        "/bookings/6f1c5f0e-4f5d-4c1e-9d8a-2b3c4d5e6f70",
        "/checkout/6f1c5f0e-4f5d-4c1e-9d8a-2b3c4d5e6f70",
        "/inbox",
        "/assets",
    ] {
        let (status, cache, body) = get(&app, route, "cache-control").await;
        assert_eq!(status, StatusCode::OK, "{route}");
        assert_eq!(body, INDEX, "{route}");
        assert_eq!(cache, "no-cache", "{route}");
    }
    let (status, _, body) = fetch(&app, reqwest::Method::HEAD, "/events/3", "x").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));

    // Nothing outside the folder, nor hidden files: such paths are routes at most.
    for sneaky in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/.env",
    ] {
        let (status, _, body) = get(&app, sneaky, "x").await;
        assert!(
            !body.contains("not for the web") && !body.contains("HIDDEN"),
            "{sneaky}"
        );
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{sneaky}: {status}"
        );
    }

    // The same sent as is (a client library would resolve the dots itself).
    for raw in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let answer = raw_get(&app, raw).await;
        assert!(
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 404"),
            "{raw}: {answer}"
        );
        assert!(!answer.contains("not for the web"), "{raw}: {answer}");
    }

    // A hashed file that is not there is a 404, not index.html under a script's name.
    assert_json_404(&get(&app, "/assets/gone.js", "x").await, "/assets/gone.js");
    // The server's own paths keep their answers.
    for own in [
        "/api/v1/nope",
        "/api/nope",
        "/api",
        "/swagger/x/y",
        "/ready/x",
    ] {
        assert_json_404(&get(&app, own, "x").await, own);
    }
    let (status, events) = app.get("/events").await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let (status, health) = app.get("/health").await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, _, swagger) = get(&app, "/swagger", "x").await;
    assert_eq!(status, StatusCode::OK);
    assert!(swagger.contains("swagger-ui-bundle.js"));
    // Only GET and HEAD reach the app.
    let post = fetch(&app, reqwest::Method::POST, "/events/3", "x").await;
    assert_json_404(&post, "POST /events/3");
}

#[tokio::test]
async fn without_a_build_the_app_s_paths_say_how_to_make_one() {
    let missing = std::env::temp_dir()
        .join(format!("boxoffice-web-missing-{}", uuid::Uuid::new_v4()))
        .display()
        .to_string();
    let app = spawn_app_with(move |s| s.web.dir = missing).await;
    for path in [
        "/",
        "/events/3",
        "/bookings/6f1c5f0e-4f5d-4c1e-9d8a-2b3c4d5e6f70",
    ] {
        let (status, ctype, body) = get(&app, path, "content-type").await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(ctype.starts_with("text/html"), "{path}: {ctype}");
        assert!(body.contains("not built"), "{path}: {body}");
        assert!(body.contains("make web"), "{path}: {body}");
    }
    assert_json_404(&get(&app, "/api/v1/nope", "x").await, "/api/v1/nope");

    // A folder without index.html is not a build either.
    let build = Build::new();
    std::fs::remove_file(build.0.join("dist/index.html")).unwrap();
    let dir = build.dist();
    let app = spawn_app_with(move |s| s.web.dir = dir).await;
    let (status, _, body) = get(&app, "/", "x").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("not built"), "{body}");
    // Its files are still served.
    assert_eq!(get(&app, "/assets/x.js", "x").await.2, SCRIPT);
}

#[tokio::test]
async fn a_disabled_web_app_leaves_the_json_404() {
    let build = Build::new();
    let dir = build.dist();
    let app = spawn_app_with(move |s| {
        s.web.dir = dir;
        s.web.enabled = false;
    })
    .await;
    for path in ["/", "/events/3", "/assets/x.js"] {
        assert_json_404(&get(&app, path, "x").await, path);
    }
}
