//! The admin's view of the outbox (issue 12, `docs/notifications.md`): list the messages (the
//! dead ones above all) and send one again.

use boxoffice_domain::catalog::Page;
use boxoffice_domain::outbox::{About, OutboxEntry, OutboxStatus};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, Apiv2Schema};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::handlers::positive_id;
use crate::timestamp;
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct OutboxQuery {
    /// Only messages in this status: pending, delivered or dead.
    pub status: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

/// A message of the outbox with its delivery state.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct OutboxMessageDto {
    pub id: i64,
    /// The same on every delivery attempt (the email's `Message-ID`).
    pub message_id: Uuid,
    /// booking.held, booking.confirmed, booking.cancelled, booking.expired, booking.completed,
    /// booking.seats_changed, payment.succeeded, payment.failed, refund.issued, announcement,
    /// password.reset_requested or webhook
    pub topic: String,
    /// The booking it is about (`null` for an announcement or a password reset).
    pub booking_id: Option<Uuid>,
    /// The inbox notification it emails (an announcement; `null` otherwise).
    pub notification_id: Option<i64>,
    /// The account it is for (a password reset; `null` otherwise).
    pub user_id: Option<Uuid>,
    /// The partner webhook delivery it sends (topic `webhook`; `null` otherwise).
    pub webhook_delivery_id: Option<Uuid>,
    /// When the change it announces happened.
    #[serde(serialize_with = "timestamp::serialize")]
    pub at: DateTime<Utc>,
    /// pending, delivered or dead
    pub status: String,
    /// Delivery attempts so far (counted from 0 again by a retry).
    pub attempts: u32,
    /// When a pending message is (next) due.
    #[serde(serialize_with = "timestamp::serialize")]
    pub next_attempt_at: DateTime<Utc>,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<OutboxEntry> for OutboxMessageDto {
    fn from(e: OutboxEntry) -> Self {
        let (mut booking_id, mut notification_id, mut user_id, mut webhook_delivery_id) =
            (None, None, None, None);
        match e.about {
            About::Booking(b) => booking_id = Some(b),
            About::Notification(n) => notification_id = Some(n),
            About::Account(u) => user_id = Some(u),
            About::WebhookDelivery(d) => webhook_delivery_id = Some(d),
        }
        Self {
            id: e.id,
            message_id: e.message_id,
            topic: e.topic.as_str().to_owned(),
            booking_id,
            notification_id,
            user_id,
            webhook_delivery_id,
            at: e.at,
            status: e.status.as_str().to_owned(),
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error,
            delivered_at: e.delivered_at,
        }
    }
}

pub use crate::dto::OutboxMessageList;

fn status_of(s: &str) -> Result<OutboxStatus, DomainError> {
    OutboxStatus::parse(s.trim()).ok_or_else(|| {
        DomainError::invalid(
            "status",
            format!("'{s}' is not an outbox status (pending, delivered, dead)"),
        )
    })
}

/// The outbox's messages (admins), newest first, optionally of one status
#[api_v2_operation(operation_id = "list_outbox", tags(Notifications))]
pub async fn list_outbox(
    state: web::Data<ApiState>,
    auth: Auth,
    q: web::Query<OutboxQuery>,
) -> Res<Json<OutboxMessageList>> {
    q.validate()?;
    let page = Page::parse(q.limit, q.offset)?;
    let status = q.status.as_deref().map(status_of).transpose()?;
    let r = state.outbox.list(&auth.0, status, page).await?;
    Ok(Json(OutboxMessageList::from_paged(r)))
}

/// Send a dead or pending message again at once (admins); a delivered one is 409
#[api_v2_operation(operation_id = "retry_outbox_message", tags(Notifications))]
pub async fn retry_outbox_message(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Res<Json<OutboxMessageDto>> {
    // Only admins get as far as the id: others learn nothing about which ids exist.
    auth.0.require_admin()?;
    let id = positive_id(id.into_inner(), "outbox message")?;
    Ok(Json(state.outbox.retry(&auth.0, id).await?.into()))
}
