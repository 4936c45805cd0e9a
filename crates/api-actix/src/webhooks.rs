//! Partner webhooks (issue 12, `docs/webhooks.md`): a provider or an admin registers a URL for
//! booking events, reads and deletes their webhooks, reads a webhook's delivery log and sends
//! a delivery again. Another owner's webhook is 404 (an admin sees all); a customer is 403.

use boxoffice_domain::catalog::Page;
use boxoffice_domain::webhook_service::manager;
use boxoffice_domain::webhooks::{Secret, Webhook, WebhookDelivery, WebhookInput};
use chrono::{DateTime, Utc};
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, Apiv2Schema, CreatedJson, NoContent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::dto::PageQuery;
use crate::error::ApiError;
use crate::extract::Body;
use crate::timestamp;
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

/// The routes of this module (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .route(web::post().to(create_webhook))
            .route(web::get().to(list_webhooks)),
    )
    .service(
        web::resource("/webhooks/{id}")
            .route(web::get().to(get_webhook))
            .route(web::delete().to(delete_webhook)),
    )
    .service(
        web::resource("/webhooks/{id}/deliveries").route(web::get().to(list_webhook_deliveries)),
    )
    .service(
        web::resource("/webhooks/{id}/deliveries/{delivery_id}/redeliver")
            .route(web::post().to(redeliver_webhook_delivery)),
    );
}

/// A webhook to register.
#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: http or https, a host, no credentials, at most 2,048
    /// characters; a loopback, private, link-local or other reserved address (or a name
    /// resolving only to such) is refused unless the server's `webhooks.allow_hosts` names it.
    pub url: String,
    /// The booking events to receive (at least one).
    pub events: Vec<String>,
    /// The signing secret (16 to 256 printable ASCII characters, no blanks); generated when
    /// absent. Shown once, in the answer to this request.
    pub secret: Option<String>,
}

/// A registered webhook (its secret is never shown again).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct WebhookDto {
    pub id: Uuid,
    /// The provider or admin who registered it.
    pub owner_id: Uuid,
    pub url: String,
    /// The booking events it receives.
    pub events: Vec<String>,
    pub active: bool,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookDto {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            owner_id: w.owner_id,
            url: w.url,
            events: w.events.iter().map(|t| t.as_str().to_owned()).collect(),
            active: w.active,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A webhook just registered, with its signing secret: the only time the secret is shown.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CreatedWebhookDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    /// The HMAC-SHA256 key of `X-Boxoffice-Signature`: keep it, it is not shown again.
    pub secret: String,
}

impl CreatedWebhookDto {
    fn new(w: Webhook, secret: Secret) -> Self {
        let w = WebhookDto::from(w);
        Self {
            id: w.id,
            owner_id: w.owner_id,
            url: w.url,
            events: w.events,
            active: w.active,
            created_at: w.created_at,
            updated_at: w.updated_at,
            secret: secret.expose().to_owned(),
        }
    }
}

/// One delivery of a webhook, with its state.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct WebhookDeliveryDto {
    /// The delivery's id (`X-Boxoffice-Delivery`, and the body's `id`): the same on every
    /// attempt and redelivery.
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The outbox message it came from.
    pub source_message_id: Uuid,
    /// The event (`X-Boxoffice-Event`, the body's `type`).
    pub event: String,
    /// pending, delivered or dead
    pub status: String,
    /// Every attempt so far (redeliveries' included).
    pub attempts: u32,
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status the receiver last answered (`null`: no answer).
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed (`null` after a 2xx).
    pub last_error: Option<String>,
    /// When a pending delivery is (next) due.
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON body sent (the same on every attempt).
    pub payload: serde_json::Value,
}

impl From<WebhookDelivery> for WebhookDeliveryDto {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            source_message_id: d.source_message_id,
            event: d.topic.as_str().to_owned(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            payload: d.payload,
        }
    }
}

pub use crate::dto::{WebhookDeliveryList, WebhookList};

/// The webhook id of a path, for a provider or an admin (others learn nothing about ids: 401
/// or 403 first); an unparsable one is 404.
fn webhook_id(auth: &Auth, raw: &str) -> Res<Uuid> {
    manager(&auth.0)?;
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("webhook {raw} not found")))
}

fn delivery_id(raw: &str) -> Res<Uuid> {
    Uuid::parse_str(raw)
        .map_err(|_| ApiError::not_found(format!("webhook delivery {raw} not found")))
}

/// Register a webhook (providers and admins); the answer shows its secret, once
#[api_v2_operation(operation_id = "create_webhook", tags(Webhooks))]
pub async fn create_webhook(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<CreateWebhook>,
) -> Res<CreatedJson<CreatedWebhookDto>> {
    let b = body.into_inner();
    let input = WebhookInput {
        url: b.url,
        events: b.events,
        secret: b.secret,
    };
    let (webhook, secret) = state.webhooks.register(&auth.0, input).await?;
    Ok(CreatedJson(CreatedWebhookDto::new(webhook, secret)))
}

/// My webhooks (an admin: everyone's), newest first
#[api_v2_operation(operation_id = "list_webhooks", tags(Webhooks))]
pub async fn list_webhooks(
    state: web::Data<ApiState>,
    auth: Auth,
    q: web::Query<PageQuery>,
) -> Res<Json<WebhookList>> {
    q.validate()?;
    let page = Page::parse(q.limit, q.offset)?;
    let r = state.webhooks.list(&auth.0, page).await?;
    Ok(Json(WebhookList::from_paged(r)))
}

/// One of my webhooks (an admin: anyone's; another owner's is 404)
#[api_v2_operation(operation_id = "get_webhook", tags(Webhooks))]
pub async fn get_webhook(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
) -> Res<Json<WebhookDto>> {
    let id = webhook_id(&auth, &id)?;
    Ok(Json(state.webhooks.get(&auth.0, id).await?.into()))
}

/// Delete a webhook with its delivery log; nothing more is sent to it
#[api_v2_operation(operation_id = "delete_webhook", tags(Webhooks))]
pub async fn delete_webhook(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
) -> Res<NoContent> {
    let id = webhook_id(&auth, &id)?;
    state.webhooks.delete(&auth.0, id).await?;
    Ok(NoContent)
}

/// A webhook's delivery log, newest first
#[api_v2_operation(operation_id = "list_webhook_deliveries", tags(Webhooks))]
pub async fn list_webhook_deliveries(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Res<Json<WebhookDeliveryList>> {
    let id = webhook_id(&auth, &id)?;
    q.validate()?;
    let page = Page::parse(q.limit, q.offset)?;
    let r = state.webhooks.deliveries(&auth.0, id, page).await?;
    Ok(Json(WebhookDeliveryList::from_paged(r)))
}

/// Send a delivery again at once (delivered, pending or dead), with the same id and body
#[api_v2_operation(operation_id = "redeliver_webhook_delivery", tags(Webhooks))]
pub async fn redeliver_webhook_delivery(
    state: web::Data<ApiState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Res<Json<WebhookDeliveryDto>> {
    let (id, delivery) = path.into_inner();
    let id = webhook_id(&auth, &id)?;
    let delivery = delivery_id(&delivery)?;
    Ok(Json(
        state
            .webhooks
            .redeliver(&auth.0, id, delivery)
            .await?
            .into(),
    ))
}
