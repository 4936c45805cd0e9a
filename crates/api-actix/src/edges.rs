//! Hardened edges: CORS, security response headers and the client address used for
//! per-IP decisions (rate limiting).
//!
//! These are self-contained building blocks; `serve()` wires them (see the order documented on
//! [`crate::ratelimit::RateLimit`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::middleware::DefaultHeaders;
use serde::Deserialize;

/// Settings of the edge middlewares. Default: no cross-origin access, no HSTS, the TCP peer is
/// the client.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EdgeSettings {
    /// Origins (`scheme://host[:port]`, no path, no trailing slash) allowed to call the API from a
    /// browser. Empty: no cross-origin access at all. The single entry `*`: any origin, without
    /// credentials.
    pub cors_allowed_origins: Vec<String>,
    /// `Strict-Transport-Security` max-age in seconds; 0 = no HSTS header.
    pub hsts_max_age_secs: u64,
    /// Take the client address from the rightmost `X-Forwarded-For` entry (only behind a proxy
    /// that appends it, and only if the server is not reachable except through that proxy).
    pub trust_forwarded_for: bool,
}

impl EdgeSettings {
    /// Checks the origins: each must be `*` or `scheme://host[:port]` (what browsers send in the
    /// `Origin` header — no path, no trailing slash, no user info).
    pub fn validate(&self) -> Result<(), String> {
        for origin in &self.cors_allowed_origins {
            let o = origin.trim();
            if o != "*" && normalize_origin(o).is_none() {
                return Err(format!(
                    "cors_allowed_origins: {origin:?} is not an origin (expected `*` or \
                     `scheme://host[:port]`, without path or trailing slash)"
                ));
            }
        }
        Ok(())
    }
}

/// `scheme://host[:port]`, lower-cased (browsers serialize origins in lower case and actix-cors
/// compares byte for byte); `None` when `origin` is not of that form.
fn normalize_origin(origin: &str) -> Option<String> {
    let uri: Uri = origin.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    let rebuilt = format!("{scheme}://{authority}");
    (rebuilt == origin).then(|| rebuilt.to_ascii_lowercase())
}

/// Headers a browser may send cross-origin.
const ALLOWED_REQUEST_HEADERS: [&str; 5] = [
    "authorization",
    "content-type",
    "idempotency-key",
    "x-booking-token",
    "x-request-id",
];

/// Response headers a cross-origin script may read.
const EXPOSED_HEADERS: [&str; 5] = [
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-request-id",
];

/// CORS middleware for `settings`.
///
/// Exactly the listed origins are allowed (empty list: none; `*`: any origin, answered with a
/// literal `*` and never with credentials). Credentials (cookies) are never allowed: the API
/// authenticates with the `Authorization` header, which needs no credentialed CORS. Entries that
/// are not valid origins are skipped with a warning (see [`EdgeSettings::validate`]).
/// Requests from other origins are still served (non-browser clients must keep working), just
/// without CORS headers, so browsers refuse to hand the response to the calling script.
pub fn cors(settings: &EdgeSettings) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers(ALLOWED_REQUEST_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(3600);
    let any = settings
        .cors_allowed_origins
        .iter()
        .any(|o| o.trim() == "*");
    if any {
        return cors.allow_any_origin().send_wildcard();
    }
    for origin in &settings.cors_allowed_origins {
        match normalize_origin(origin.trim()) {
            Some(o) => cors = cors.allowed_origin(&o),
            None => tracing::warn!(origin = %origin, "ignoring invalid CORS origin"),
        }
    }
    cors
}

/// Security headers added to every response (unless the handler already set them).
///
/// No global `Content-Security-Policy` (JSON answers need none); `/swagger` sets its own (`swagger.rs`).
pub fn security_headers(settings: &EdgeSettings) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ));
    if settings.hsts_max_age_secs > 0 {
        headers = headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            format!("max-age={}; includeSubDomains", settings.hsts_max_age_secs),
        ));
    }
    headers
}

/// The client's address: the TCP peer, or — when `trust_forwarded_for` — the rightmost
/// `X-Forwarded-For` entry (the one our own proxy appended; everything left of it is
/// client-supplied and never used). When that entry is not an address (`a.b.c.d`, `a:b::c`,
/// `a.b.c.d:port`, `[a:b::c]:port`), the peer is used. IPv4-mapped IPv6 addresses are
/// reported as IPv4. Never panics: no peer (e.g. a Unix socket) → `0.0.0.0`.
pub fn client_ip(req: &ServiceRequest, trust_forwarded_for: bool) -> IpAddr {
    client_ip_of(req.request(), trust_forwarded_for)
}

/// [`client_ip`] of a request inside a handler.
pub fn client_ip_of(req: &actix_web::HttpRequest, trust_forwarded_for: bool) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let ip = if trust_forwarded_for {
        rightmost_forwarded(req).unwrap_or(peer)
    } else {
        peer
    };
    ip.to_canonical()
}

/// The rightmost non-empty entry over all `X-Forwarded-For` header lines, if it is an address.
fn rightmost_forwarded(req: &actix_web::HttpRequest) -> Option<IpAddr> {
    let last_line = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .filter(|v| v.split(',').any(|e| !e.trim().is_empty()))
        .last()?;
    let entry = last_line
        .rsplit(',')
        .map(str::trim)
        .find(|e| !e.is_empty())?;
    parse_forwarded_addr(entry)
}

fn parse_forwarded_addr(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = entry.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .and_then(|e| e.parse::<IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::test::{call_service, init_service, TestRequest};
    use actix_web::{web, App, HttpResponse};

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().body("ok")
    }

    fn settings(origins: &[&str], hsts: u64) -> EdgeSettings {
        EdgeSettings {
            cors_allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            hsts_max_age_secs: hsts,
            trust_forwarded_for: false,
        }
    }

    fn header<'a, B>(res: &'a actix_web::dev::ServiceResponse<B>, name: &str) -> Option<&'a str> {
        res.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[actix_web::test]
    async fn security_headers_without_hsts_by_default() {
        let app = init_service(
            App::new()
                .wrap(security_headers(&EdgeSettings::default()))
                .route("/x", web::get().to(ok)),
        )
        .await;
        let res = call_service(&app, TestRequest::get().uri("/x").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&res, "x-frame-options"), Some("DENY"));
        assert_eq!(header(&res, "referrer-policy"), Some("no-referrer"));
        assert_eq!(
            header(&res, "cross-origin-opener-policy"),
            Some("same-origin")
        );
        assert_eq!(header(&res, "strict-transport-security"), None);
        assert_eq!(header(&res, "content-security-policy"), None);

        // Also on the 404 of the default service.
        let res = call_service(&app, TestRequest::get().uri("/nope").to_request()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&res, "x-content-type-options"), Some("nosniff"));
    }

    #[actix_web::test]
    async fn hsts_only_when_configured() {
        let app = init_service(
            App::new()
                .wrap(security_headers(&settings(&[], 31_536_000)))
                .route("/x", web::get().to(ok)),
        )
        .await;
        let res = call_service(&app, TestRequest::get().uri("/x").to_request()).await;
        assert_eq!(
            header(&res, "strict-transport-security"),
            Some("max-age=31536000; includeSubDomains")
        );
        assert_eq!(header(&res, "x-frame-options"), Some("DENY"));
    }

    fn preflight(origin: &str) -> TestRequest {
        TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/x")
            .insert_header((header::ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "POST"))
            .insert_header((
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type, idempotency-key",
            ))
    }

    #[actix_web::test]
    async fn cors_allows_only_listed_origins() {
        let app = init_service(
            App::new()
                .wrap(cors(&settings(&["https://shop.example.com"], 0)))
                .route("/x", web::post().to(ok))
                .route("/x", web::get().to(ok)),
        )
        .await;

        let res = call_service(&app, preflight("https://shop.example.com").to_request()).await;
        assert!(res.status().is_success(), "{}", res.status());
        assert_eq!(
            header(&res, "access-control-allow-origin"),
            Some("https://shop.example.com")
        );
        assert_eq!(header(&res, "access-control-max-age"), Some("3600"));
        assert_eq!(header(&res, "access-control-allow-credentials"), None);
        let allowed = header(&res, "access-control-allow-headers").unwrap_or("");
        for h in ALLOWED_REQUEST_HEADERS {
            assert!(allowed.contains(h), "{h} not in {allowed}");
        }

        let res = call_service(&app, preflight("https://evil.example.net").to_request()).await;
        assert_eq!(header(&res, "access-control-allow-origin"), None);

        // An actual request from the allowed origin exposes the rate-limit headers.
        let req = TestRequest::get()
            .uri("/x")
            .insert_header((header::ORIGIN, "https://shop.example.com"))
            .to_request();
        let res = call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::OK);
        let exposed = header(&res, "access-control-expose-headers").unwrap_or("");
        for h in EXPOSED_HEADERS {
            assert!(exposed.contains(h), "{h} not in {exposed}");
        }

        // Another origin is still served (curl etc.), but without CORS headers.
        let req = TestRequest::get()
            .uri("/x")
            .insert_header((header::ORIGIN, "https://evil.example.net"))
            .to_request();
        let res = call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "access-control-allow-origin"), None);
    }

    #[actix_web::test]
    async fn cors_empty_list_allows_nobody_and_star_allows_anybody() {
        let app = init_service(
            App::new()
                .wrap(cors(&EdgeSettings::default()))
                .route("/x", web::post().to(ok)),
        )
        .await;
        let res = call_service(&app, preflight("https://shop.example.com").to_request()).await;
        assert_eq!(header(&res, "access-control-allow-origin"), None);

        let app = init_service(
            App::new()
                .wrap(cors(&settings(&["*"], 0)))
                .route("/x", web::post().to(ok)),
        )
        .await;
        let res = call_service(&app, preflight("https://anything.example.org").to_request()).await;
        assert!(res.status().is_success(), "{}", res.status());
        assert_eq!(header(&res, "access-control-allow-origin"), Some("*"));
        assert_eq!(header(&res, "access-control-allow-credentials"), None);
    }

    #[actix_web::test]
    async fn cors_skips_invalid_origins_instead_of_failing() {
        let s = settings(
            &[
                "https://shop.example.com/",
                "shop.example.com",
                " https://A.example.com ",
            ],
            0,
        );
        assert!(s.validate().is_err());
        let app = init_service(App::new().wrap(cors(&s)).route("/x", web::post().to(ok))).await;
        let res = call_service(&app, preflight("https://a.example.com").to_request()).await;
        assert_eq!(
            header(&res, "access-control-allow-origin"),
            Some("https://a.example.com")
        );
    }

    #[test]
    fn validate_origins() {
        assert!(EdgeSettings::default().validate().is_ok());
        assert!(settings(&["*"], 0).validate().is_ok());
        assert!(
            settings(&["https://a.example.com", "http://localhost:3000"], 0)
                .validate()
                .is_ok()
        );
        for bad in [
            "https://a.example.com/",
            "https://a.example.com/path",
            "a.example.com",
            "https://user@a.example.com",
            "",
            "not an origin",
        ] {
            assert!(settings(&[bad], 0).validate().is_err(), "{bad:?} accepted");
        }
    }

    fn peer() -> SocketAddr {
        "10.0.0.5:40000".parse().unwrap()
    }

    #[test]
    fn client_ip_is_the_peer_unless_forwarded_for_is_trusted() {
        let req = TestRequest::default()
            .peer_addr(peer())
            .insert_header(("x-forwarded-for", "1.1.1.1, 203.0.113.7"))
            .to_srv_request();
        assert_eq!(
            client_ip(&req, false),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(&req, true),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );

        // No header → the peer.
        let req = TestRequest::default().peer_addr(peer()).to_srv_request();
        assert_eq!(client_ip(&req, true), "10.0.0.5".parse::<IpAddr>().unwrap());

        // No peer at all → 0.0.0.0.
        let req = TestRequest::default().to_srv_request();
        assert_eq!(client_ip(&req, false), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(client_ip(&req, true), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn client_ip_with_garbage_forwarded_for_falls_back_to_the_peer() {
        for garbage in [
            "garbage",
            "",
            " , ,",
            "1.1.1.1, not-an-ip",
            "999.1.1.1",
            "unknown",
        ] {
            let req = TestRequest::default()
                .peer_addr(peer())
                .insert_header(("x-forwarded-for", garbage))
                .to_srv_request();
            assert_eq!(
                client_ip(&req, true),
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "{garbage:?}"
            );
        }
        // Non-UTF-8 bytes.
        let req = TestRequest::default()
            .peer_addr(peer())
            .insert_header((
                "x-forwarded-for",
                HeaderValue::from_bytes(b"1.2.3.4, \xff\xfe").unwrap(),
            ))
            .to_srv_request();
        assert_eq!(client_ip(&req, true), "10.0.0.5".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn client_ip_forwarded_forms() {
        for (xff, want) in [
            ("203.0.113.7:5555", "203.0.113.7"),
            ("1.1.1.1, [2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::2", "2001:db8::2"),
            ("[2001:db8::3]", "2001:db8::3"),
            ("::ffff:198.51.100.9", "198.51.100.9"),
            ("1.1.1.1, 198.51.100.10,  ", "198.51.100.10"),
        ] {
            let req = TestRequest::default()
                .peer_addr(peer())
                .insert_header(("x-forwarded-for", xff))
                .to_srv_request();
            assert_eq!(
                client_ip(&req, true),
                want.parse::<IpAddr>().unwrap(),
                "{xff:?}"
            );
        }
        // Several header lines: the last line's rightmost entry.
        let req = TestRequest::default()
            .peer_addr(peer())
            .append_header(("x-forwarded-for", "1.1.1.1"))
            .append_header(("x-forwarded-for", "2.2.2.2, 3.3.3.3"))
            .to_srv_request();
        assert_eq!(client_ip(&req, true), "3.3.3.3".parse::<IpAddr>().unwrap());
    }
}
