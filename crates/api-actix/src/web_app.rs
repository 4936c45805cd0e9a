//! The web app (`clients/web`, a Vite build) at `/`: the files of its build folder by path, and
//! `index.html` for every other GET or HEAD path outside the server's own (the API, the OpenAPI
//! document, Swagger UI, the probes), so that the app's client-side routes (`/events/3`,
//! `/bookings/<id>`, the link in the booking emails) load the app. Files are read from disk at
//! each request (actix-files: content type, `ETag`, `Last-Modified`, ranges), so a rebuild shows
//! without a restart. Without a build, those paths answer a small page saying how to make one.

use std::path::{Path, PathBuf};

use actix_files::{NamedFile, PathBufWrap};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse};

/// Vite names the files under `assets/` by a hash of their content: they never change.
const ASSETS_CACHE: &str = "public, max-age=31536000, immutable";
/// Everything else (`index.html`, `favicon.svg`, …) keeps its name across builds: revalidate.
const NO_CACHE: &str = "no-cache";

/// The app's Content-Security-Policy: its own scripts, styles and API only — no inline script,
/// no other origin, no framing. (The JSON answers need none; Swagger UI sets its own.)
pub const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

/// The folder of hashed files in a Vite build.
const ASSETS: &str = "assets";

/// The web app's build folder. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: PathBuf,
}

impl WebApp {
    /// The build in `dir` (a relative path is taken from the working directory now).
    pub fn new(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        Self {
            dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
        }
    }

    /// The folder served.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the build is there: the folder has an `index.html`.
    pub fn is_built(&self) -> bool {
        self.dir.join("index.html").is_file()
    }

    /// The answer to a request no route took: the web app's for a GET or HEAD of a path it
    /// serves ([`serves`]); `None` for the others (the caller answers its JSON 404).
    pub async fn respond(&self, req: &HttpRequest) -> Option<HttpResponse> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) || !serves(req.path()) {
            return None;
        }
        // A path that is not a safe relative path (`..` above the root, hidden segments, an
        // encoded `/`) names no file; it is a client-side route at most.
        let relative = PathBufWrap::parse_path(req.path(), false)
            .ok()
            .map(|p| p.as_ref().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(relative) = relative {
            let hashed = relative.parent().is_some_and(|p| p.starts_with(ASSETS));
            if let Some(file) = open_file(&self.dir.join(&relative)).await {
                let cache = if hashed { ASSETS_CACHE } else { NO_CACHE };
                return Some(with_cache(file.into_response(req), cache));
            }
            // A hashed file that is not there (a page of an older build asking): a 404, not
            // the HTML of index.html under a script's name.
            if hashed {
                return None;
            }
        }
        Some(match open_file(&self.dir.join("index.html")).await {
            Some(index) => with_cache(index.into_response(req), NO_CACHE),
            None => not_built(),
        })
    }
}

/// Whether the web app answers `path`: everything but the API (`/api/…`), `/openapi.json`,
/// Swagger UI (`/swagger…`) and the probes (`/health`, `/ready`), which keep their own answers
/// (a JSON 404 for an unknown path among them).
pub fn serves(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    !(matches!(first, "api" | "openapi.json" | "health" | "ready") || first.starts_with("swagger"))
}

/// The regular file at `path`, opened; `None` when there is none (missing, a folder).
async fn open_file(path: &Path) -> Option<NamedFile> {
    let file = NamedFile::open_async(path).await.ok()?;
    file.metadata().is_file().then_some(file)
}

fn with_cache(mut res: HttpResponse, cache: &'static str) -> HttpResponse {
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(APP_CSP),
    );
    res
}

/// The page in place of the app while it is not built (no `index.html` in `web.dir`).
pub const NOT_BUILT_PAGE: &str = "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>boxoffice: the web app is not built</title></head>
<body>
<h1>The web app is not built</h1>
<p>This server serves the web app from its <code>web.dir</code> folder (by default
<code>clients/web/dist</code>), which has no <code>index.html</code>. Build it with
<code>make web</code>, then reload this page.</p>
<p>The API answers meanwhile: <a href=\"/api/v1/events\">/api/v1/events</a>; its documentation is at
<a href=\"/swagger\">/swagger</a>.</p>
</body>
</html>
";

fn not_built() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE)))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(APP_CSP),
        ))
        .body(NOT_BUILT_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_s_own_paths_are_not_the_app_s() {
        for own in [
            "/api",
            "/api/",
            "/api/v1/nope",
            "/api/v2",
            "/openapi.json",
            "/swagger",
            "/swagger/",
            "/swagger/index.html",
            "/swaggerx",
            "/health",
            "/ready",
            "/ready/x",
        ] {
            assert!(!serves(own), "{own}");
        }
        for app in [
            "/",
            "",
            "/events/3",
            "/bookings/6f1c5f0e-4f5d-4c1e-9d8a-2b3c4d5e6f70",
            "/checkout/x",
            "/assets/index-abc123.js",
            "/apis",
            "/healthy",
            "/favicon.svg",
        ] {
            assert!(serves(app), "{app}");
        }
    }
}
