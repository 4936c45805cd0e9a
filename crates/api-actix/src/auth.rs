//! Authentication at the edge: JWT access tokens (HS256), bcrypt password hashing off the async
//! threads, random tokens, and the extractors that turn an `Authorization` header into an
//! [`Actor`].

use std::fmt;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use boxoffice_domain::account::{Actor, User, PASSWORD_MAX_BYTES};
use boxoffice_domain::ports::{PasswordHasher, TokenGenerator};
use boxoffice_domain::{AuthCode, DomainError};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{DefaultOperationRaw, Either, Parameter, ParameterIn, SecurityScheme};
use paperclip::v2::schema::Apiv2Schema;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;
use crate::ApiState;

/// The name of the security scheme in the OpenAPI document.
pub const SECURITY_SCHEME: &str = "bearerAuth";

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The role when the token was issued (for clients; the server uses the stored role).
    pub role: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// A unique token id.
    pub jti: String,
    pub iss: String,
}

/// Signs and checks access tokens. The secret never leaves this value (its `Debug` hides it).
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
    issuer: String,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("secret", &"<redacted>")
            .field("ttl_secs", &self.ttl_secs)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// Why a presented access token was refused (each a 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Malformed,
    Expired,
    NotYetValid,
    BadSignature,
    WrongAlgorithm,
    Invalid,
}

impl TokenProblem {
    pub fn error(self) -> ApiError {
        let (code, message) = match self {
            TokenProblem::Malformed => (
                AuthCode::InvalidToken,
                "malformed Authorization header: expected `Bearer <token>`",
            ),
            TokenProblem::Expired => (
                AuthCode::TokenExpired,
                "the access token has expired; refresh it",
            ),
            TokenProblem::NotYetValid => {
                (AuthCode::InvalidToken, "the access token is not valid yet")
            }
            TokenProblem::BadSignature => (
                AuthCode::InvalidToken,
                "the access token's signature is wrong",
            ),
            TokenProblem::WrongAlgorithm => (
                AuthCode::InvalidToken,
                "the access token uses an algorithm this server does not accept",
            ),
            TokenProblem::Invalid => (AuthCode::InvalidToken, "the access token is invalid"),
        };
        ApiError::from(DomainError::unauthorized(code, message))
    }
}

impl JwtKeys {
    /// HS256 keys from a shared secret; tokens live `ttl_secs`; `leeway_secs` absorbs clock skew
    /// between instances.
    pub fn new(secret: &[u8], ttl_secs: i64, leeway_secs: u64, issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = leeway_secs;
        validation.validate_nbf = true;
        validation.validate_exp = true;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
            issuer: issuer.to_owned(),
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// A signed access token for `user`, valid from `now` for the configured time.
    pub fn issue(&self, user: &User, now: DateTime<Utc>) -> Result<String, ApiError> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role.as_str().to_owned(),
            iat,
            nbf: iat,
            exp: iat + self.ttl_secs,
            jti: Uuid::new_v4().to_string(),
            iss: self.issuer.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            ApiError::from(DomainError::internal(format!(
                "signing a token failed: {e}"
            )))
        })
    }

    /// Checks signature, algorithm (HS256 only; `none` and every other algorithm are refused),
    /// issuer, expiry and not-before.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenProblem> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenProblem::Expired,
                ErrorKind::ImmatureSignature => TokenProblem::NotYetValid,
                ErrorKind::InvalidSignature => TokenProblem::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    TokenProblem::WrongAlgorithm
                }
                ErrorKind::InvalidToken
                | ErrorKind::Base64(_)
                | ErrorKind::Json(_)
                | ErrorKind::Utf8(_) => TokenProblem::Malformed,
                _ => TokenProblem::Invalid,
            })
    }

    /// For the rate limiter: the user id of a token whose signature checks out.
    pub fn user_key(self: &Arc<Self>) -> crate::ratelimit::UserKeyFn {
        let keys = Arc::clone(self);
        Arc::new(move |token: &str| keys.verify(token).ok().map(|c| c.sub))
    }
}

/// The bearer token of a request: `None` without an `Authorization` header, an error for a
/// header that is not `Bearer <token>`.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, TokenProblem> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| TokenProblem::Malformed)?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(TokenProblem::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(TokenProblem::Malformed);
    }
    Ok(Some(token.to_owned()))
}

async fn resolve(state: &ApiState, token: Option<String>) -> Result<Actor, ApiError> {
    let Some(token) = token else {
        return Ok(Actor::Anonymous);
    };
    let claims = state.jwt.verify(&token).map_err(TokenProblem::error)?;
    let id = Uuid::parse_str(&claims.sub).map_err(|_| TokenProblem::Invalid.error())?;
    let user = state.accounts.authenticate(id).await?;
    Ok(Actor::User(user))
}

fn actor_future(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Actor, ApiError>> {
    let state = req.app_data::<actix_web::web::Data<ApiState>>().cloned();
    let token = bearer(req);
    Box::pin(async move {
        let state = state
            .ok_or_else(|| ApiError::from(DomainError::Internal("ApiState missing".into())))?;
        let token = token.map_err(TokenProblem::error)?;
        resolve(&state, token).await
    })
}

/// The caller, who must be signed in (401 otherwise). Documented as needing the bearer scheme.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

/// The caller, signed in or not; a bad token is still a 401 (never silently anonymous).
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Actor);

impl FromRequest for Auth {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = actor_future(req);
        Box::pin(async move {
            match fut.await? {
                Actor::Anonymous => Err(ApiError::from(DomainError::unauthenticated()).into()),
                actor => Ok(Auth(actor)),
            }
        })
    }
}

impl FromRequest for MaybeAuth {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = actor_future(req);
        Box::pin(async move { Ok(MaybeAuth(fut.await?)) })
    }
}

fn bearer_scheme() -> SecurityScheme {
    SecurityScheme {
        type_: "apiKey".into(),
        name: Some("Authorization".into()),
        in_: Some("header".into()),
        description: Some(
            "`Authorization: Bearer <access_token>` (JWT from /api/v1/auth/login)".into(),
        ),
        ..Default::default()
    }
}

impl Apiv2Schema for Auth {
    fn name() -> Option<String> {
        Some(SECURITY_SCHEME.into())
    }
    fn security_scheme() -> Option<SecurityScheme> {
        Some(bearer_scheme())
    }
}
impl OperationModifier for Auth {}

/// Documents a route as "bearer or nothing": anonymous callers are accepted too.
fn optional_bearer(op: &mut DefaultOperationRaw) {
    use std::collections::BTreeMap;
    let mut with = BTreeMap::new();
    with.insert(SECURITY_SCHEME.to_owned(), vec![]);
    op.security.push(with);
    // An empty requirement: anonymous callers are accepted too.
    op.security.push(BTreeMap::new());
}

impl Apiv2Schema for MaybeAuth {}
impl OperationModifier for MaybeAuth {
    fn update_security(op: &mut DefaultOperationRaw) {
        optional_bearer(op);
    }
    fn update_security_definitions(map: &mut std::collections::BTreeMap<String, SecurityScheme>) {
        bearer_scheme().update_definitions(SECURITY_SCHEME, map);
    }
}

/// For public reads: a presented token must be valid (signature, algorithm, issuer, `exp`,
/// `nbf`) — a bad one is 401, never silently anonymous — but the user is not loaded, so public
/// reads (the seat map) cost no database read for signed-in callers. The answer does not depend
/// on who asks.
#[derive(Debug, Clone, Copy)]
pub struct TokenChecked;

impl FromRequest for TokenChecked {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = (|| {
            let Some(token) = bearer(req).map_err(TokenProblem::error)? else {
                return Ok(TokenChecked);
            };
            let state = req
                .app_data::<actix_web::web::Data<ApiState>>()
                .ok_or_else(|| ApiError::from(DomainError::Internal("ApiState missing".into())))?;
            state.jwt.verify(&token).map_err(TokenProblem::error)?;
            Ok::<_, ApiError>(TokenChecked)
        })();
        std::future::ready(checked.map_err(Into::into))
    }
}

impl Apiv2Schema for TokenChecked {}
impl OperationModifier for TokenChecked {
    fn update_security(op: &mut DefaultOperationRaw) {
        optional_bearer(op);
    }
    fn update_security_definitions(map: &mut std::collections::BTreeMap<String, SecurityScheme>) {
        bearer_scheme().update_definitions(SECURITY_SCHEME, map);
    }
}

/// The `X-Booking-Token` header of a guest booking, if sent.
#[derive(Debug, Clone, Default)]
pub struct GuestToken(pub Option<String>);

/// The header that carries a guest booking's token.
pub const GUEST_TOKEN_HEADER: &str = "X-Booking-Token";

impl FromRequest for GuestToken {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(GUEST_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        std::future::ready(Ok(GuestToken(token)))
    }
}

impl Apiv2Schema for GuestToken {}
impl OperationModifier for GuestToken {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        op.parameters.push(Either::Right(Parameter {
            description: Some(
                "The guest token from the 201 response of a guest booking: gives access to that one booking"
                    .into(),
            ),
            in_: ParameterIn::Header,
            name: GUEST_TOKEN_HEADER.into(),
            required: false,
            data_type: Some(paperclip::v2::models::DataType::String),
            ..Default::default()
        }));
    }
}

/// What bcrypt is given for `password`: the password itself when bcrypt reads all of it (at most
/// [`PASSWORD_MAX_BYTES`] bytes), otherwise a SHA-256 of it (domain-separated, base64: 44
/// bytes), so that every character of a long password counts and none is silently cut off.
pub fn bcrypt_input(password: &str) -> std::borrow::Cow<'_, str> {
    if password.len() <= PASSWORD_MAX_BYTES {
        return std::borrow::Cow::Borrowed(password);
    }
    let digest = Sha256::new()
        .chain_update(b"boxoffice bcrypt pre-hash v1\0")
        .chain_update(password.as_bytes())
        .finalize();
    std::borrow::Cow::Owned(STANDARD.encode(digest))
}

/// bcrypt, run on the blocking thread pool (a cost-12 hash takes ~250 ms of CPU), over
/// [`bcrypt_input`] of the password.
pub struct BcryptHasher {
    cost: u32,
    /// A hash of a random password, made on the first unknown-account login (not at start-up:
    /// every command builds a hasher) so that such logins cost the same as real ones.
    dummy_hash: Arc<std::sync::OnceLock<String>>,
}

impl BcryptHasher {
    /// Checks the cost now (4..=31), so a bad setting fails at start-up.
    pub fn new(cost: u32) -> Result<Self, String> {
        if !(4..=31).contains(&cost) {
            return Err(format!("bcrypt cost {cost} is outside 4..=31"));
        }
        Ok(Self {
            cost,
            dummy_hash: Arc::default(),
        })
    }
}

#[async_trait::async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &str) -> Result<String, DomainError> {
        let password = password.to_owned();
        let cost = self.cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(bcrypt_input(&password).as_bytes(), cost))
            .await
            .map_err(|e| DomainError::internal_from("hashing task", e))?
            .map_err(|e| DomainError::internal_from("bcrypt", e))
    }

    async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, DomainError> {
        let password = password.to_owned();
        let known = hash.is_some();
        let dummy = Arc::clone(&self.dummy_hash);
        let cost = self.cost;
        let ok = tokio::task::spawn_blocking(move || {
            let hash = hash.unwrap_or_else(|| {
                dummy
                    .get_or_init(|| bcrypt::hash(OsTokens.token(), cost).unwrap_or_default())
                    .clone()
            });
            bcrypt::verify(bcrypt_input(&password).as_bytes(), &hash).unwrap_or(false)
        })
        .await
        .map_err(|e| DomainError::internal_from("hashing task", e))?;
        Ok(known && ok)
    }
}

/// Tokens from the operating system's random source: 256 bits, base64url without padding.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsTokens;

impl TokenGenerator for OsTokens {
    fn token(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }
    fn uuid(&self) -> Uuid {
        Uuid::new_v4()
    }
}

#[cfg(test)]
mod bcrypt_tests {
    use super::*;

    #[test]
    fn passwords_bcrypt_reads_whole_are_given_as_they_are() {
        let p = "x".repeat(PASSWORD_MAX_BYTES);
        assert_eq!(bcrypt_input(&p), p.as_str());
    }

    #[test]
    fn longer_passwords_are_pre_hashed_so_their_ends_count() {
        let base = "y".repeat(PASSWORD_MAX_BYTES);
        let (a, b) = (format!("{base}a"), format!("{base}b"));
        let (ia, ib) = (bcrypt_input(&a), bcrypt_input(&b));
        assert_ne!(ia, ib);
        assert_eq!(ia.len(), 44);
        assert!(ia.len() <= PASSWORD_MAX_BYTES && !ia.contains('\0'));
        assert_eq!(bcrypt_input(&a), ia, "stable");
    }

    #[tokio::test]
    async fn a_long_password_signs_in_only_with_its_own_end() {
        let hasher = BcryptHasher::new(4).unwrap();
        let long = format!("{}-the-end", "z".repeat(100));
        let hash = hasher.hash(&long).await.unwrap();
        assert!(hasher.verify(&long, Some(hash.clone())).await.unwrap());
        let other = format!("{}-other", "z".repeat(100));
        assert!(!hasher.verify(&other, Some(hash)).await.unwrap());
    }
}
