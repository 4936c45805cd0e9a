//! `/swagger`: Swagger UI 5, vendored from the npm package `swagger-ui-dist` into
//! `crates/api-actix/assets/swagger-ui/` (`scripts/update-swagger-ui.sh`) and compiled into the
//! binary. Our own `index.html` and `swagger-init.js` load the server's `/openapi.json` and
//! nothing else: query-string configuration (`?url=`, `?configUrl=`) is off. Any other path
//! under `/swagger/` is the usual JSON 404 (the default service).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

/// The vendored Swagger UI release (`assets/swagger-ui/VERSION`).
pub const VERSION: &str = include_str!("../assets/swagger-ui/VERSION");

/// Only our own files and the bundle's: scripts and styles from this origin (no inline script,
/// no eval), the inline styles Swagger UI's components set, its `data:` icons; "Try it out"
/// calls this origin (the document's `servers` entry is relative).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/swagger-ui/", $name)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const PNG: &str = "image/png";

const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("swagger-init.js", JS),
    asset!("swagger-ui-bundle.js", JS),
    asset!("swagger-ui.css", CSS),
    asset!("favicon-16x16.png", PNG),
    asset!("favicon-32x32.png", PNG),
];

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

fn respond(asset: &Asset) -> HttpResponse {
    // The page is small and names the assets by fixed paths: revalidate it, cache the rest a day.
    let cache = if asset.content_type == HTML {
        "no-cache"
    } else {
        "public, max-age=86400"
    };
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .body(asset.body)
}

async fn index() -> HttpResponse {
    respond(find("index.html").expect("index.html is bundled"))
}

async fn file(name: web::Path<String>) -> HttpResponse {
    match find(name.as_str()) {
        Some(asset) => respond(asset),
        None => actix_web::ResponseError::error_response(&crate::error::ApiError::not_found(
            "no such file",
        )),
    }
}

/// Registers `/swagger`, `/swagger/` and `/swagger/{file}` (GET and HEAD).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let get_or_head = || {
        web::route()
            .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
    };
    cfg.route("/swagger", get_or_head().to(index))
        .route("/swagger/", get_or_head().to(index))
        .route("/swagger/{file}", get_or_head().to(file));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_release_is_swagger_ui_5() {
        assert!(VERSION.trim().starts_with("5."), "{VERSION}");
    }

    #[test]
    fn page_loads_only_bundled_files() {
        let page = std::str::from_utf8(find("index.html").unwrap().body).unwrap();
        for src in [
            "/swagger/swagger-ui-bundle.js",
            "/swagger/swagger-init.js",
            "/swagger/swagger-ui.css",
        ] {
            assert!(page.contains(src), "{src}");
            let name = src.trim_start_matches("/swagger/");
            assert!(find(name).is_some(), "{name} is not bundled");
        }
        assert!(
            !page.contains("http"),
            "the page must not load anything from elsewhere"
        );
    }

    #[test]
    fn initializer_fixes_the_spec_url() {
        let init = std::str::from_utf8(find("swagger-init.js").unwrap().body).unwrap();
        assert!(init.contains(r#"url: "/openapi.json""#));
        assert!(init.contains("queryConfigEnabled: false"));
        assert!(
            !init.contains("location"),
            "no path from the page's URL to the config"
        );
    }

    #[test]
    fn unknown_names_are_not_found() {
        assert!(find("../../etc/passwd").is_none());
        assert!(find("swagger-ui.js").is_none());
    }
}
