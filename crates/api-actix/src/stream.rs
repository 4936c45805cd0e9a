//! The Server-Sent Events routes (issue 12, `docs/notifications.md` "Real time"): a show's live
//! seat map, a user's live notifications, and the single-use tickets a browser's
//! `EventSource` opens the latter with. The streams themselves are [`crate::live`].

use std::collections::BTreeMap;

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder};
use boxoffice_domain::account::Actor;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use paperclip::actix::{api_v2_operation, web, Apiv2Schema, CreatedJson, OperationModifier};
use paperclip::v2::models::{
    DataType, DefaultOperationRaw, DefaultSchemaRaw, Either, Parameter, ParameterIn,
};
use paperclip::v2::schema::Apiv2Schema as Schema;
use serde::{Deserialize, Serialize};

use crate::auth::{Auth, MaybeAuth, TokenChecked};
use crate::edges::client_ip_of;
use crate::error::ApiError;
use crate::handlers::positive_id;
use crate::live::body;
use crate::timestamp;
use crate::ApiState;

/// The request header a reconnecting `EventSource` sends.
pub const LAST_EVENT_ID: &str = "Last-Event-ID";

/// `Last-Event-ID`: the id of the last event the client received. Not a number → ignored
/// (the stream starts afresh), never an error.
pub struct LastEventId(pub Option<i64>);

impl FromRequest for LastEventId {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let seen = req
            .headers()
            .get(LAST_EVENT_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        std::future::ready(Ok(Self(seen)))
    }
}

impl Schema for LastEventId {}
impl OperationModifier for LastEventId {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        op.parameters.push(Either::Right(Parameter {
            description: Some(
                "The `id` of the last event received (an `EventSource` sends it when it \
                 reconnects): the stream resumes after it. A value the server cannot resume \
                 from is ignored and the stream starts afresh."
                    .into(),
            ),
            in_: ParameterIn::Header,
            name: LAST_EVENT_ID.into(),
            required: false,
            data_type: Some(DataType::String),
            ..Default::default()
        }));
    }
}

/// A `text/event-stream` answer (its events are described by `openapi::finish`).
pub struct EventStream(HttpResponse);

impl EventStream {
    fn new<S>(stream: S) -> Self
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::Error>> + 'static,
    {
        Self(
            HttpResponse::Ok()
                .content_type("text/event-stream")
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                // Proxies such as nginx must pass each event on at once.
                .insert_header(("X-Accel-Buffering", "no"))
                .streaming(stream),
        )
    }
}

impl Responder for EventStream {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.0
    }
}

impl Schema for EventStream {
    fn raw_schema() -> DefaultSchemaRaw {
        DefaultSchemaRaw {
            data_type: Some(DataType::String),
            ..Default::default()
        }
    }
}

impl OperationModifier for EventStream {
    fn update_parameter(_op: &mut DefaultOperationRaw) {}

    fn update_response(op: &mut DefaultOperationRaw) {
        op.responses.insert(
            "200".into(),
            Either::Right(paperclip::v2::models::Response {
                description: Some("An event stream".into()),
                schema: Some(Self::raw_schema()),
                ..Default::default()
            }),
        );
    }

    fn update_definitions(_map: &mut BTreeMap<String, DefaultSchemaRaw>) {}
}

/// A show's seat map, live: `snapshot` (the show and all its seats, with a version), then a
/// `change` for every seat status and availability change, each with the next version
#[api_v2_operation(operation_id = "stream_seat_map", tags(Seats))]
pub async fn seat_stream(
    req: HttpRequest,
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    id: web::Path<i64>,
    last: LastEventId,
) -> Result<EventStream, ApiError> {
    let id = positive_id(id.into_inner(), "show")?;
    let live = &state.live;
    let client = client_ip_of(&req, live.settings().trust_forwarded_for);
    let guard = live.admit(format!("ip:{client}"))?;
    let opened = live.open_show(id, last.0).await?;
    Ok(EventStream::new(body(
        opened,
        live.settings().keep_alive,
        guard,
    )))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct StreamQuery {
    /// A stream ticket from `POST /api/v1/notifications/stream-ticket`, for clients that
    /// cannot send an `Authorization` header (a browser's `EventSource`). Good once.
    pub ticket: Option<String>,
}

/// My notifications, live: a `notification` event for each new one (bearer token, or a
/// single-use `ticket`)
#[api_v2_operation(operation_id = "stream_my_notifications", tags(Notifications))]
pub async fn notification_stream(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    query: web::Query<StreamQuery>,
    last: LastEventId,
) -> Result<EventStream, ApiError> {
    let user = match (auth.0, &query.ticket) {
        (Actor::User(u), _) => u.id,
        (Actor::Anonymous, Some(ticket)) => {
            let id = state.live.tickets.redeem(ticket).await?;
            state.accounts.authenticate(id).await?.id
        }
        (Actor::Anonymous, None) => return Err(DomainError::unauthenticated().into()),
    };
    let live = &state.live;
    let guard = live.admit(format!("user:{user}"))?;
    let opened = live.open_user(user, last.0).await?;
    Ok(EventStream::new(body(
        opened,
        live.settings().keep_alive,
        guard,
    )))
}

/// A single-use ticket for opening my notifications stream.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StreamTicketDto {
    /// Pass it as `?ticket=` to `GET /api/v1/notifications/stream`; good once.
    pub ticket: String,
    #[serde(serialize_with = "timestamp::serialize")]
    pub expires_at: DateTime<Utc>,
}

/// A short-lived single-use ticket that opens my notifications stream without an
/// `Authorization` header (for a browser's EventSource)
#[api_v2_operation(operation_id = "create_stream_ticket", tags(Notifications))]
pub async fn create_stream_ticket(
    state: web::Data<ApiState>,
    auth: Auth,
) -> Result<CreatedJson<StreamTicketDto>, ApiError> {
    let (ticket, expires_at) = state.live.tickets.issue(&auth.0).await?;
    Ok(CreatedJson(StreamTicketDto { ticket, expires_at }))
}
