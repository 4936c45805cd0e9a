//! `Idempotency-Key` at the edge: the header extractor ([`IdempotencyKeyHeader`]), and
//! [`idempotent`], which wraps a handler's work so that a retry with the same key and the same
//! request gets the first answer again (same status, same body) without doing the work twice.
//!
//! Making a route idempotent takes two things: the handler takes an `IdempotencyKeyHeader`
//! (documents and checks the header) and a [`crate::extract::RawBody`] (the bytes to hash), and
//! its work goes through `idempotent(…)`:
//!
//! ```text
//! idempotent(&state, &auth.0, key, &req, &raw, move || async move { work(state, body).await }).await
//! ```
//!
//! The rules (what is kept, what matches, takeover of abandoned attempts) are the domain's
//! (`boxoffice_domain::idempotency`); the contract is in `docs/api.md` ("Idempotency").

use std::future::Future;
use std::marker::PhantomData;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError};
use boxoffice_domain::account::{Actor, TokenHash};
use boxoffice_domain::idempotency::{
    request_hash, Begin, IdempotencyKey, IdempotencyScope, Lease, RequestHash, StoredResponse,
    MAX_KEY_LEN,
};
use boxoffice_domain::idempotency_service::IdempotencyService;
use boxoffice_domain::DomainError;
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{
    DataType, DefaultOperationRaw, DefaultSchemaRaw, Either, Parameter, ParameterIn, SecurityScheme,
};
use paperclip::v2::schema::Apiv2Schema;

use crate::error::ApiError;
use crate::ApiState;

/// The request header that carries the key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The response header that marks a replayed answer (`true`).
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII characters, else 400
/// `invalid_idempotency_key` (also for the header sent twice).
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKeyHeader(pub Option<IdempotencyKey>);

fn invalid_key(message: impl Into<String>) -> ApiError {
    ApiError::new(crate::codes::EdgeCode::InvalidIdempotencyKey, message)
}

impl IdempotencyKeyHeader {
    pub fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        let mut values = req.headers().get_all(IDEMPOTENCY_KEY_HEADER);
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(invalid_key("send one Idempotency-Key header, not several"));
        }
        IdempotencyKey::parse_bytes(value.as_bytes())
            .map(|k| Self(Some(k)))
            .map_err(|e| invalid_key(e.to_string()))
    }
}

impl FromRequest for IdempotencyKeyHeader {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::parse(req).map_err(Into::into))
    }
}

impl Apiv2Schema for IdempotencyKeyHeader {}
impl OperationModifier for IdempotencyKeyHeader {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        op.parameters.push(Either::Right(Parameter {
            description: Some(
                "Makes the request safe to retry. A retry with the same key and the \
                 byte-identical body gets the first answer again — same status, same body, \
                 header `Idempotent-Replayed: true` — and nothing is done twice; while the first \
                 request is still being worked on, 409 `request_in_progress`. Signed in, keys \
                 are per account, and the same key with another body is 422 \
                 `idempotency_key_reused`. As a guest (no bearer token), a key is scoped to the \
                 key plus a fingerprint of the request — method, path, SHA-256 of the body and \
                 the `X-Booking-Token` when sent — so only the same request replays (the same \
                 key with another body is another request), and the key must have at least 16 \
                 characters. Kept 24 h. Use a fresh random value (a UUID) per operation: for a \
                 guest it is what keeps the answer private."
                    .into(),
            ),
            in_: ParameterIn::Header,
            name: IDEMPOTENCY_KEY_HEADER.into(),
            required: false,
            data_type: Some(DataType::String),
            min_length: Some(1),
            max_length: Some(MAX_KEY_LEN as u32),
            pattern: Some("^[\\x21-\\x7E]{1,255}$".into()),
            ..Default::default()
        }));
    }
}

/// A handler's answer that may be a replay: a rendered response, documented in the OpenAPI
/// document as `T` (e.g. `CreatedJson<BookingDto>`).
pub struct Replayable<T> {
    response: HttpResponse,
    _shape: PhantomData<T>,
}

impl<T> Replayable<T> {
    fn new(response: HttpResponse) -> Self {
        Self {
            response,
            _shape: PhantomData,
        }
    }
}

impl<T> Replayable<T> {
    /// The same response, documented as `U` (a handler that decides its status itself).
    pub fn retype<U>(self) -> Replayable<U> {
        Replayable::new(self.response)
    }
}

impl<T> Responder for Replayable<T> {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.response
    }
}

impl<T: Apiv2Schema> Apiv2Schema for Replayable<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: OperationModifier> OperationModifier for Replayable<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        T::update_parameter(op);
    }
    fn update_response(op: &mut DefaultOperationRaw) {
        T::update_response(op);
    }
    fn update_definitions(map: &mut std::collections::BTreeMap<String, DefaultSchemaRaw>) {
        T::update_definitions(map);
    }
    fn update_security(op: &mut DefaultOperationRaw) {
        T::update_security(op);
    }
    fn update_security_definitions(map: &mut std::collections::BTreeMap<String, SecurityScheme>) {
        T::update_security_definitions(map);
    }
}

/// How a guest's key and answer are kept. A guest's answer can hold what grants control of a
/// booking (its `guest_token`), which is otherwise stored only as a hash; so for an anonymous
/// caller the key is the secret: the row is stored under a hash of the key (HKDF-SHA256, label
/// `lookup`), and the answer's body is sealed with ChaCha20-Poly1305 under a key derived from
/// the Idempotency-Key and the request hash (label `seal`; random nonce stored in front). A
/// database reader without the client's key can neither read nor recognise the answer.
struct GuestSeal {
    lookup: [u8; 32],
    key: ring::aead::LessSafeKey,
}

/// The key length HKDF expands to (ring's `KeyType`).
struct Len(usize);

impl ring::hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

const SEAL_SALT: &[u8] = b"boxoffice idempotency guest v1";

impl GuestSeal {
    fn new(key: &IdempotencyKey, hash: &RequestHash) -> Self {
        use ring::{aead, hkdf};
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SEAL_SALT).extract(key.as_str().as_bytes());
        let mut lookup = [0u8; 32];
        prk.expand(&[b"lookup"], Len(32))
            .and_then(|okm| okm.fill(&mut lookup))
            .expect("HKDF-SHA256 expands to 32 bytes");
        let unbound: aead::UnboundKey = prk
            .expand(&[b"seal", hash.as_bytes()], &aead::CHACHA20_POLY1305)
            .expect("HKDF-SHA256 expands to a ChaCha20-Poly1305 key")
            .into();
        Self {
            lookup,
            key: aead::LessSafeKey::new(unbound),
        }
    }

    /// The key the row is stored under: 64 hex digits.
    fn stored_key(&self) -> IdempotencyKey {
        let hex: String = self.lookup.iter().map(|b| format!("{b:02x}")).collect();
        IdempotencyKey::parse(&hex).expect("hex digits are a valid key")
    }

    fn seal(&self, mut stored: StoredResponse) -> Result<StoredResponse, DomainError> {
        use ring::aead::{Aad, Nonce, NONCE_LEN};
        use ring::rand::{SecureRandom, SystemRandom};
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| DomainError::Internal("no randomness for a nonce".into()))?;
        let mut body = std::mem::take(&mut stored.body);
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(stored.status.to_be_bytes()),
                &mut body,
            )
            .map_err(|_| DomainError::Internal("sealing an answer failed".into()))?;
        stored.body = nonce.to_vec();
        stored.body.extend_from_slice(&body);
        Ok(stored)
    }

    fn open(&self, mut stored: StoredResponse) -> Result<StoredResponse, ApiError> {
        use ring::aead::{Aad, Nonce, NONCE_LEN};
        let failed = || {
            ApiError::from(DomainError::Internal(
                "a stored answer does not open".into(),
            ))
        };
        if stored.body.len() < NONCE_LEN {
            return Err(failed());
        }
        let mut body = stored.body.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&stored.body).map_err(|_| failed())?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(stored.status.to_be_bytes()), &mut body)
            .map_err(|_| failed())?;
        stored.body = plain.to_vec();
        Ok(stored)
    }
}

/// The answer to give again.
fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    if let Some(ct) = stored
        .content_type
        .as_deref()
        .and_then(|ct| HeaderValue::from_str(ct).ok())
    {
        res.insert_header((CONTENT_TYPE, ct));
    }
    res.insert_header((
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    ));
    res.body(stored.body)
}

/// Renders a response into its stored form; gives back the response (with its body read).
async fn capture<B: MessageBody>(
    res: HttpResponse<B>,
) -> Result<(StoredResponse, HttpResponse), ApiError> {
    let (res, body) = res.into_parts();
    let bytes = to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        ApiError::from(DomainError::internal(format!(
            "reading a response body: {e}"
        )))
    })?;
    let stored = StoredResponse {
        status: res.status().as_u16(),
        body: bytes.to_vec(),
        content_type: res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    Ok((stored, res.set_body(bytes).map_into_boxed_body()))
}

fn reused() -> ApiError {
    ApiError::new(
        crate::codes::EdgeCode::IdempotencyKeyReused,
        "this Idempotency-Key was used for a different request; use a new key for a new request",
    )
}

fn in_progress() -> ApiError {
    ApiError::new(
        boxoffice_domain::ConflictCode::RequestInProgress,
        "a request with this Idempotency-Key is still being processed; retry in a moment",
    )
}

/// Claims the key, waiting (polling with back-off) up to the rules' `wait_for_concurrent` for a
/// concurrent request with the same key to finish.
async fn claim(
    service: &IdempotencyService,
    scope: &IdempotencyScope,
    key: &IdempotencyKey,
    hash: RequestHash,
    seal: Option<&GuestSeal>,
) -> Result<Result<Lease, HttpResponse>, ApiError> {
    let wait = service
        .rules()
        .wait_for_concurrent
        .to_std()
        .unwrap_or_default();
    let deadline = tokio::time::Instant::now() + wait;
    let mut pause = std::time::Duration::from_millis(20);
    loop {
        match service.begin(scope, key, hash).await? {
            Begin::Begun(lease) => return Ok(Ok(lease)),
            Begin::Replay(stored) => {
                let stored = match seal {
                    Some(seal) => seal.open(stored)?,
                    None => stored,
                };
                return Ok(Err(replay(stored)));
            }
            Begin::Mismatch => return Err(reused()),
            Begin::InProgress => {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(in_progress());
                }
                tokio::time::sleep(pause.min(deadline - now)).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(200));
            }
        }
    }
}

/// Runs `work` at most once per (caller, key, request), answering retries from the store.
///
/// - Without an `Idempotency-Key`, runs `work` as if this wrapper were not there.
/// - The keys of a signed-in caller are their account's; an anonymous caller's are scoped to
///   the request's fingerprint (`IdempotencyScope::guest_request`: method, path, body and
///   `X-Booking-Token`).
/// - The request is identified by SHA-256 of its method, path and `body` (the raw bytes as
///   received). A key seen before with the same request replays the stored answer (header
///   `Idempotent-Replayed: true`); with another request, 422 `idempotency_key_reused`; still in
///   progress, waits up to 2 s for it and replays it, else 409 `request_in_progress`.
/// - Otherwise the key is recorded as in progress (committed), then `work` runs **in a task of
///   its own**, so a client that disconnects does not cancel it halfway: its answer is still
///   stored for the retry. Answers below 500 are stored and replayed; a 5xx (or a panic) releases
///   the key so that a retry does the work again.
pub async fn idempotent<T, F, Fut>(
    state: &ApiState,
    actor: &Actor,
    key: IdempotencyKeyHeader,
    req: &HttpRequest,
    body: &[u8],
    work: F,
) -> Result<Replayable<T>, ApiError>
where
    T: Responder + 'static,
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let scope = IdempotencyScope::for_actor(actor);
    idempotent_in(state, scope, key, req, body, work).await
}

/// [`idempotent`] with the keys' scope chosen by the route (e.g. a guest booking identified by
/// its `X-Booking-Token`); `None` (an anonymous caller the route cannot identify) scopes the key
/// to the request's fingerprint.
pub async fn idempotent_in<T, F, Fut>(
    state: &ApiState,
    scope: Option<IdempotencyScope>,
    key: IdempotencyKeyHeader,
    req: &HttpRequest,
    body: &[u8],
    work: F,
) -> Result<Replayable<T>, ApiError>
where
    T: Responder + 'static,
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let Some(key) = key.0 else {
        let done = work().await?;
        return Ok(Replayable::new(done.respond_to(req).map_into_boxed_body()));
    };
    let hash = request_hash(req.method().as_str(), req.path(), body);
    // An anonymous caller's key: scoped to the request's fingerprint, stored as a hash, its
    // answer sealed with a key derived from it (see `GuestSeal`).
    let (scope, key, seal) = match scope {
        Some(scope) => (scope, key, None),
        None => {
            key.check_for_guest()
                .map_err(|e| invalid_key(e.to_string()))?;
            let token = req
                .headers()
                .get(crate::auth::GUEST_TOKEN_HEADER)
                .map(|v| TokenHash::of(&String::from_utf8_lossy(v.as_bytes())));
            let seal = GuestSeal::new(&key, &hash);
            let scope = IdempotencyScope::guest_request(&hash, token.as_ref());
            (scope, seal.stored_key(), Some(seal))
        }
    };
    let service = state.idempotency.clone();
    let lease = match claim(&service, &scope, &key, hash, seal.as_ref()).await? {
        Ok(lease) => lease,
        Err(replayed) => return Ok(Replayable::new(replayed)),
    };
    let task_req = req.clone();
    let (task_service, task_scope, task_key) = (service.clone(), scope.clone(), key.clone());
    let task = actix_web::rt::spawn(async move {
        let (service, scope, key) = (task_service, task_scope, task_key);
        let outcome = match work().await {
            Ok(done) => capture(done.respond_to(&task_req)).await,
            Err(e) => Err(e),
        };
        let sealed = |stored: StoredResponse| match &seal {
            Some(seal) => seal.seal(stored),
            None => Ok(stored),
        };
        let finished = match &outcome {
            Ok((stored, _)) => match sealed(stored.clone()) {
                Ok(stored) => service.finish(&scope, &key, lease, stored).await,
                Err(_) => service.abandon(&scope, &key, lease).await,
            },
            Err(e) if e.status.is_server_error() => service.abandon(&scope, &key, lease).await,
            Err(e) => match capture(e.error_response()).await.map(|(s, _)| sealed(s)) {
                Ok(Ok(stored)) => service.finish(&scope, &key, lease, stored).await,
                _ => service.abandon(&scope, &key, lease).await,
            },
        };
        match finished {
            // The answer stands; a retry finds the key in progress and, after the takeover
            // age, does the work again. A database outage is logged once by the pool.
            Err(DomainError::Unavailable(e)) => {
                tracing::debug!(error = %e, "could not record the answer of an idempotent request")
            }
            Err(e) => {
                tracing::error!(error = %e, "could not record the answer of an idempotent request")
            }
            Ok(()) => {}
        }
        outcome.map(|(_, res)| res)
    });
    match task.await {
        Ok(Ok(res)) => Ok(Replayable::new(res)),
        Ok(Err(e)) => Err(e),
        Err(join) => {
            // The work panicked: release the key, answer 500.
            if let Err(e) = service.abandon(&scope, &key, lease).await {
                tracing::error!(error = %e, "could not release an idempotency key");
            }
            Err(ApiError::from(DomainError::internal(format!(
                "idempotent work failed: {join}"
            ))))
        }
    }
}
