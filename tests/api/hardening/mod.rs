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

mod bodies;
mod headers;
mod rate_limits;
mod secrets;
mod tokens;

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
