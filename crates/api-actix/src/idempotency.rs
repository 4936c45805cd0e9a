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
use boxoffice_domain::account::Actor;
use boxoffice_domain::idempotency::{
    request_hash, Begin, IdempotencyKey, IdempotencyScope, IdempotencyService, Lease,
    StoredResponse, MAX_KEY_LEN,
};
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
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key", message)
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
                "Makes the request safe to retry (signed-in callers only; 400 \
                 `idempotency_key_requires_auth` without a token). A retry with the same key and \
                 the byte-identical body gets the first answer again — same status, same body, \
                 header `Idempotent-Replayed: true` — and nothing is done twice; the same key with \
                 another body is 422 `idempotency_key_reused`; while the first request is still \
                 being worked on, 409 `request_in_progress`. Keys are per account and kept 24 h. \
                 Use a fresh random value (a UUID) per operation."
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
        ApiError::from(DomainError::Internal(format!(
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

fn requires_auth() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "idempotency_key_requires_auth",
        "Idempotency-Key is only accepted from signed-in callers (or, when paying a guest \
         booking, with its X-Booking-Token): sign in, or send the request without it",
    )
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different request; use a new key for a new request",
    )
}

fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "request_in_progress",
        "a request with this Idempotency-Key is still being processed; retry in a moment",
    )
}

/// Claims the key, waiting (polling with back-off) up to the rules' `wait_for_concurrent` for a
/// concurrent request with the same key to finish.
async fn claim(
    service: &IdempotencyService,
    scope: &IdempotencyScope,
    key: &IdempotencyKey,
    hash: boxoffice_domain::idempotency::RequestHash,
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
            Begin::Replay(stored) => return Ok(Err(replay(stored))),
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
/// - With one, from an anonymous caller: 400 `idempotency_key_requires_auth`.
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
/// its `X-Booking-Token`); `None` refuses a key with 400 `idempotency_key_requires_auth`.
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
    let scope = scope.ok_or_else(requires_auth)?;
    let hash = request_hash(req.method().as_str(), req.path(), body);
    let service = state.idempotency.clone();
    let lease = match claim(&service, &scope, &key, hash).await? {
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
        let finished = match &outcome {
            Ok((stored, _)) => service.finish(&scope, &key, lease, stored.clone()).await,
            Err(e) if e.status.is_server_error() => service.abandon(&scope, &key, lease).await,
            Err(e) => match capture(e.error_response()).await {
                Ok((stored, _)) => service.finish(&scope, &key, lease, stored).await,
                Err(_) => service.abandon(&scope, &key, lease).await,
            },
        };
        if let Err(e) = finished {
            // The answer stands; a retry finds the key in progress and, after the takeover
            // age, does the work again.
            tracing::error!(error = %e, "could not record the answer of an idempotent request");
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
            Err(ApiError::from(DomainError::Internal(format!(
                "idempotent work failed: {join}"
            ))))
        }
    }
}
