//! Token-bucket rate limiting (GCRA, the `governor` crate), as an actix-web middleware.
//!
//! Three buckets:
//! - `auth`: the strict one, per client IP, for `POST` to the credential endpoints
//!   (`/api/v1/auth/login`, `/signup`, `/password-reset`, `/password-reset/confirm`);
//! - `user`: per user id, for requests carrying a bearer token whose signature is valid;
//! - `anonymous`: per client IP, for everything else (including forged tokens).
//!
//! `/health` and `/ready` are never limited. IPv6 clients are keyed by their /64 network (one
//! subscriber usually owns a whole /64, so per-address keys would be trivially bypassed).
//!
//! Allowed responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`;
//! refusals are `429` with `Retry-After` and the usual JSON error body (`rate_limited`).
//!
//! # Wiring
//!
//! One [`RateLimit`] is created before `HttpServer::new` and cloned into every worker's `App`
//! (the state lives behind an `Arc`, so all workers share it). actix runs the *last* `.wrap()`
//! first; from the outside in, the order is:
//!
//! ```text
//! security_headers → TracingLogger → Cors → (request-id wrap_fn) → RateLimit → routes
//! ```
//!
//! i.e. `.wrap(rate_limit.clone())` is the first `.wrap()` call (before the existing `wrap_fn`),
//! then `.wrap_fn(..)`, `.wrap(edges::cors(..))`, `.wrap(TracingLogger)`,
//! `.wrap(edges::security_headers(..))`.

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use actix_web::http::Method;
use actix_web::{Error, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use governor::clock::Clock;
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;

use crate::edges;
use crate::error::ApiError;

/// One token bucket: refilled at `per_minute` tokens a minute, holding at most `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Bucket {
    /// Refill rate, tokens per minute.
    pub per_minute: u32,
    /// Capacity: how many requests may be made at once after a quiet period.
    pub burst: u32,
}

impl Bucket {
    fn quota(self) -> Quota {
        let per_minute = NonZeroU32::new(self.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::per_minute(per_minute).allow_burst(burst)
    }
}

/// Rate-limit settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// `false`: nothing is limited and no `RateLimit-*` headers are sent.
    pub enabled: bool,
    /// Requests without a valid bearer token, per client IP.
    pub anonymous: Bucket,
    /// Requests with a validly signed bearer token, per user.
    pub user: Bucket,
    /// `POST` to login / signup / password reset, per client IP.
    pub auth: Bucket,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            anonymous: Bucket {
                per_minute: 300,
                burst: 60,
            },
            user: Bucket {
                per_minute: 600,
                burst: 120,
            },
            auth: Bucket {
                per_minute: 10,
                burst: 5,
            },
        }
    }
}

impl RateLimitSettings {
    /// Every `per_minute` and `burst` must be at least 1.
    pub fn validate(&self) -> Result<(), String> {
        for (name, b) in [
            ("anonymous", self.anonymous),
            ("user", self.user),
            ("auth", self.auth),
        ] {
            if b.per_minute < 1 {
                return Err(format!("rate_limit.{name}.per_minute must be at least 1"));
            }
            if b.burst < 1 {
                return Err(format!("rate_limit.{name}.burst must be at least 1"));
            }
        }
        Ok(())
    }
}

/// Given the raw bearer token (the text after `Bearer ` in `Authorization`), the user id when
/// the token's signature is valid. Called on every request: a cheap signature check only, no
/// database.
pub type UserKeyFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// POSTs to these paths use the `auth` bucket.
const AUTH_PATHS: [&str; 4] = [
    "/api/v1/auth/login",
    "/api/v1/auth/signup",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
];

/// Never limited.
const EXEMPT_PATHS: [&str; 2] = ["/health", "/ready"];

/// Stale keys are dropped every this many checks.
const HOUSEKEEPING_EVERY: u64 = 10_000;

type Limiter<K> = DefaultKeyedRateLimiter<K, StateInformationMiddleware>;

fn limiter<K: std::hash::Hash + Eq + Clone>(bucket: Bucket) -> Limiter<K> {
    RateLimiter::keyed(bucket.quota()).with_middleware::<StateInformationMiddleware>()
}

/// The rate-limiting middleware: `App::new().wrap(rate_limit.clone())`. Cloning is cheap and
/// clones share their state (create one in `serve()`, clone it into each worker).
#[derive(Clone)]
pub struct RateLimit {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("settings", &self.inner.settings)
            .field("trust_forwarded_for", &self.inner.trust_forwarded_for)
            .finish_non_exhaustive()
    }
}

struct Inner {
    settings: RateLimitSettings,
    trust_forwarded_for: bool,
    user_key: UserKeyFn,
    auth: Limiter<IpAddr>,
    anonymous: Limiter<IpAddr>,
    user: Limiter<String>,
    checks: AtomicU64,
}

impl RateLimit {
    /// A limiter for `settings` (call [`RateLimitSettings::validate`] first; a 0 is treated as
    /// 1). `trust_forwarded_for`: see [`edges::client_ip`]. `user_key`: see [`UserKeyFn`].
    pub fn new(
        settings: RateLimitSettings,
        trust_forwarded_for: bool,
        user_key: UserKeyFn,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                auth: limiter(settings.auth),
                anonymous: limiter(settings.anonymous),
                user: limiter(settings.user),
                settings,
                trust_forwarded_for,
                user_key,
                checks: AtomicU64::new(0),
            }),
        }
    }
}

/// What the `RateLimit-*` headers say.
#[derive(Debug, Clone, Copy)]
struct Headers {
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

impl Headers {
    fn apply(self, headers: &mut HeaderMap) {
        headers.insert(
            HeaderName::from_static("ratelimit-limit"),
            HeaderValue::from(self.limit),
        );
        headers.insert(
            HeaderName::from_static("ratelimit-remaining"),
            HeaderValue::from(self.remaining),
        );
        headers.insert(
            HeaderName::from_static("ratelimit-reset"),
            HeaderValue::from(self.reset_secs),
        );
    }
}

enum Verdict {
    Exempt,
    Allowed(Headers),
    Refused {
        bucket: &'static str,
        key_kind: &'static str,
        limit: u32,
        retry_after_secs: u64,
    },
}

impl Inner {
    fn check(&self, req: &ServiceRequest) -> Verdict {
        if !self.settings.enabled {
            return Verdict::Exempt;
        }
        // The path the router matches on (percent-encoded unreserved characters decoded), so
        // `/api/v1/auth/%6Cogin` cannot dodge the auth bucket.
        let path = req.match_info().as_str();
        if EXEMPT_PATHS.iter().any(|p| same_path(path, p)) {
            return Verdict::Exempt;
        }
        self.housekeeping_tick();

        if req.method() == Method::POST && AUTH_PATHS.iter().any(|p| same_path(path, p)) {
            let ip = ip_key(edges::client_ip(req, self.trust_forwarded_for));
            return verdict(&self.auth, &ip, self.settings.auth, "auth", "ip");
        }
        if let Some(id) = bearer_token(req).and_then(|t| (self.user_key)(t)) {
            return verdict(&self.user, &id, self.settings.user, "user", "user");
        }
        let ip = ip_key(edges::client_ip(req, self.trust_forwarded_for));
        verdict(
            &self.anonymous,
            &ip,
            self.settings.anonymous,
            "anonymous",
            "ip",
        )
    }

    fn housekeeping_tick(&self) {
        // Exactly one caller sees the count reach the threshold; it winds the count back.
        if self.checks.fetch_add(1, Ordering::Relaxed) + 1 == HOUSEKEEPING_EVERY {
            self.checks.fetch_sub(HOUSEKEEPING_EVERY, Ordering::Relaxed);
            self.housekeeping();
        }
    }

    /// Forgets keys whose bucket is full again (indistinguishable from a new key).
    fn housekeeping(&self) {
        self.auth.retain_recent();
        self.auth.shrink_to_fit();
        self.anonymous.retain_recent();
        self.anonymous.shrink_to_fit();
        self.user.retain_recent();
        self.user.shrink_to_fit();
    }
}

fn verdict<K>(
    limiter: &Limiter<K>,
    key: &K,
    bucket: Bucket,
    name: &'static str,
    key_kind: &'static str,
) -> Verdict
where
    K: std::hash::Hash + Eq + Clone,
{
    let quota = bucket.quota();
    let limit = quota.burst_size().get();
    match limiter.check_key(key) {
        Ok(state) => {
            let remaining = state.remaining_burst_capacity().min(limit);
            // Time until the bucket is full again, rounded up to whole tokens and seconds.
            let missing = quota.replenish_interval() * (limit - remaining);
            Verdict::Allowed(Headers {
                limit,
                remaining,
                reset_secs: ceil_secs(missing),
            })
        }
        Err(not_until) => Verdict::Refused {
            bucket: name,
            key_kind,
            limit,
            retry_after_secs: ceil_secs(not_until.wait_time_from(limiter.clock().now())).max(1),
        },
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Compares paths segment by segment, ignoring empty segments (`//`, trailing `/`).
fn same_path(path: &str, target: &str) -> bool {
    let segments = |p| str::split(p, '/').filter(|s: &&str| !s.is_empty());
    segments(path).eq(segments(target))
}

/// The rate-limit key of an address: IPv4 as is, IPv6 reduced to its /64 network.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer_token(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn too_many_requests(limit: u32, retry_after_secs: u64) -> HttpResponse {
    let err = ApiError::new(
        crate::codes::EdgeCode::RateLimited,
        format!("too many requests; retry in {retry_after_secs} s"),
    )
    .with_details(json!({ "retry_after_secs": retry_after_secs, "limit": limit }));
    let mut res = ResponseError::error_response(&err);
    let headers = res.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    Headers {
        limit,
        remaining: 0,
        reset_secs: retry_after_secs,
    }
    .apply(headers);
    res
}

impl<S, B> Transform<S, ServiceRequest> for RateLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type InitError = ();
    type Transform = RateLimitMiddleware<S>;
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RateLimitMiddleware {
            service,
            inner: Arc::clone(&self.inner),
        }))
    }
}

/// The service built by [`RateLimit`] (one per worker; the state is shared).
pub struct RateLimitMiddleware<S> {
    service: S,
    inner: Arc<Inner>,
}

impl<S, B> Service<ServiceRequest> for RateLimitMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match self.inner.check(&req) {
            Verdict::Exempt => {
                let fut = self.service.call(req);
                Box::pin(async move { Ok(fut.await?.map_into_left_body()) })
            }
            Verdict::Allowed(headers) => {
                let fut = self.service.call(req);
                Box::pin(async move {
                    match fut.await {
                        Ok(mut res) => {
                            headers.apply(res.headers_mut());
                            Ok(res.map_into_left_body())
                        }
                        Err(mut err) => {
                            // Rendered further out; the headers go on that response too.
                            err.add_response_mapper(move |mut res| {
                                headers.apply(res.headers_mut());
                                res
                            });
                            Err(err)
                        }
                    }
                })
            }
            Verdict::Refused {
                bucket,
                key_kind,
                limit,
                retry_after_secs,
            } => {
                tracing::info!(
                    bucket,
                    key_kind,
                    method = %req.method(),
                    path = req.path(),
                    retry_after_secs,
                    "request rate limited"
                );
                let res = too_many_requests(limit, retry_after_secs);
                Box::pin(ready(Ok(req.into_response(res).map_into_right_body())))
            }
        }
    }
}

#[cfg(test)]
mod tests;
