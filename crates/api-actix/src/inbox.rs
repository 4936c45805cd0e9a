//! The in-app inbox (issue 12, `docs/notifications.md`): a signed-in user's notifications, read
//! marks, and the unread count; an admin may read and mark anyone's.

use boxoffice_domain::account::Actor;
use boxoffice_domain::catalog::Page;
use boxoffice_domain::inbox::{Announcement, Notification};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, Apiv2Schema};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::accounts::user_id;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Body;
use crate::handlers::positive_id;
use crate::timestamp;
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct InboxQuery {
    /// Only the notifications not read yet.
    pub unread_only: Option<bool>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

/// A notification in a user's inbox.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct NotificationDto {
    pub id: i64,
    pub user_id: Uuid,
    /// What it is about: an outbox topic (booking.confirmed, payment.failed, …).
    pub topic: String,
    /// The booking it is about, if any.
    pub booking_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    /// When it was marked read (`null`: unread).
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            user_id: n.user_id,
            topic: n.topic,
            booking_id: n.booking_id,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

pub use crate::dto::NotificationList;

/// How many of a user's notifications are unread.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UnreadCountDto {
    pub unread: i64,
}

/// How many notifications were marked read.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct MarkedReadDto {
    pub marked: i64,
}

fn me(actor: &Actor) -> Res<Uuid> {
    Ok(actor.require_user()?.id)
}

async fn list(
    state: &ApiState,
    actor: &Actor,
    user: Uuid,
    q: &InboxQuery,
) -> Res<NotificationList> {
    q.validate()?;
    let page = Page::parse(q.limit, q.offset)?;
    let r = state
        .inbox
        .list(actor, user, q.unread_only.unwrap_or(false), page)
        .await?;
    Ok(NotificationList::from_paged(r))
}

/// My notifications, newest first (only the unread ones with `unread_only=true`)
#[api_v2_operation(operation_id = "list_my_notifications", tags(Notifications))]
pub async fn list_mine(
    state: web::Data<ApiState>,
    auth: Auth,
    q: web::Query<InboxQuery>,
) -> Res<Json<NotificationList>> {
    let user = me(&auth.0)?;
    Ok(Json(list(&state, &auth.0, user, &q).await?))
}

/// How many of my notifications are unread
#[api_v2_operation(operation_id = "count_my_unread_notifications", tags(Notifications))]
pub async fn unread_count(state: web::Data<ApiState>, auth: Auth) -> Res<Json<UnreadCountDto>> {
    let user = me(&auth.0)?;
    let unread = state.inbox.unread_count(&auth.0, user).await?;
    Ok(Json(UnreadCountDto { unread }))
}

/// Mark one of my notifications read (another user's is 404)
#[api_v2_operation(operation_id = "mark_my_notification_read", tags(Notifications))]
pub async fn mark_mine_read(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Res<Json<NotificationDto>> {
    let user = me(&auth.0)?;
    let id = positive_id(id.into_inner(), "notification")?;
    Ok(Json(state.inbox.mark_read(&auth.0, user, id).await?.into()))
}

/// Mark all my notifications read
#[api_v2_operation(operation_id = "mark_all_my_notifications_read", tags(Notifications))]
pub async fn mark_all_mine_read(
    state: web::Data<ApiState>,
    auth: Auth,
) -> Res<Json<MarkedReadDto>> {
    let user = me(&auth.0)?;
    let marked = state.inbox.mark_all_read(&auth.0, user).await?;
    Ok(Json(MarkedReadDto { marked }))
}

/// A user's notifications (that user or an admin), newest first
#[api_v2_operation(operation_id = "list_user_notifications", tags(Notifications))]
pub async fn list_user(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<InboxQuery>,
) -> Res<Json<NotificationList>> {
    let user = user_id(&id)?;
    Ok(Json(list(&state, &auth.0, user, &q).await?))
}

/// Mark one of a user's notifications read (that user or an admin)
#[api_v2_operation(operation_id = "mark_user_notification_read", tags(Notifications))]
pub async fn mark_user_read(
    state: web::Data<ApiState>,
    auth: Auth,
    path: web::Path<(String, i64)>,
) -> Res<Json<NotificationDto>> {
    let (user, id) = path.into_inner();
    let user = user_id(&user)?;
    let id = positive_id(id, "notification")?;
    Ok(Json(state.inbox.mark_read(&auth.0, user, id).await?.into()))
}

/// An admin's announcement: to the users named, or to every active account.
#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct PushNotification {
    /// 1 to 200 characters (the email's subject too).
    pub title: String,
    /// 1 to 5,000 characters.
    pub body: String,
    /// The accounts it goes to (1 to 1,000); or `all: true`.
    pub user_ids: Option<Vec<String>>,
    /// Every active account (instead of `user_ids`).
    pub all: Option<bool>,
    /// Also email it (through the outbox, like every other email).
    pub email: Option<bool>,
}

/// What an announcement reached.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PushedDto {
    /// Inbox notifications written (one per recipient).
    pub recipients: i64,
    /// Whether an email per recipient was queued.
    pub email: bool,
}

/// Announce to users (admins): in their inboxes, and by email when asked
#[api_v2_operation(operation_id = "push_notification", tags(Notifications))]
pub async fn push(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<PushNotification>,
) -> Res<Json<PushedDto>> {
    auth.0.require_admin()?;
    let b = body.into_inner();
    let user_ids = b
        .user_ids
        .map(|ids| {
            ids.iter()
                .map(|raw| {
                    Uuid::parse_str(raw.trim()).map_err(|_| {
                        DomainError::invalid("user_ids", format!("'{raw}' is not a user id"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let email = b.email.unwrap_or(false);
    let a = Announcement::parse(&b.title, &b.body, user_ids, b.all.unwrap_or(false), email)?;
    let recipients = state.inbox.push(&auth.0, a).await?;
    Ok(Json(PushedDto { recipients, email }))
}
