//! The in-app inbox (issue 12): notifications shown to a signed-in user, and who may read and
//! mark them. The delivery worker writes one per outbox message about a booking that belongs
//! to an account ([`in_app_for`]); a user reads their own, an admin anyone's.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::Actor;
use crate::booking::{Booking, BookingKind};
use crate::catalog::{Page, Paged};
use crate::error::{DomainError, FieldError};
use crate::outbox::Topic;
use crate::ports::Clock;
use crate::values::{Email, TextRule};

/// A notification in a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub user_id: Uuid,
    pub topic: String,
    pub booking_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A notification to write; `message_id` (the outbox message it comes from) makes writing it
/// twice a no-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: Uuid,
    pub message_id: Option<Uuid>,
    pub topic: String,
    pub booking_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The title of a message about a booking (the email's subject too).
pub fn headline(topic: Topic, reference: &str) -> String {
    match topic {
        Topic::BookingHeld => format!("Your seats are held: booking {reference}"),
        Topic::BookingConfirmed => format!("Booking {reference} is confirmed"),
        Topic::BookingCancelled => format!("Booking {reference} is cancelled"),
        Topic::BookingExpired => format!("Your hold on booking {reference} has ended"),
        Topic::BookingCompleted => format!("Thank you for coming: booking {reference}"),
        Topic::BookingSeatsChanged => format!("Your seats changed: booking {reference}"),
        Topic::BookingPending => format!("Booking {reference} is waiting for the provider"),
        Topic::BookingRescheduled => format!("Booking {reference} has a new time"),
        Topic::AppointmentReminder => format!("Reminder: your appointment {reference} is soon"),
        Topic::PaymentSucceeded => format!("Payment received for booking {reference}"),
        Topic::PaymentFailed => format!("Payment failed for booking {reference}"),
        Topic::RefundIssued => format!("Refund issued for booking {reference}"),
        // An announcement's title is its own (`Announcement::title`).
        Topic::Announcement => "A message from boxoffice".to_owned(),
        Topic::PasswordResetRequested => "Reset your boxoffice password".to_owned(),
        // Never emailed: a partner webhook's delivery goes to its URL.
        Topic::Webhook => "A partner webhook delivery".to_owned(),
    }
}

/// The first sentence of a message about a booking of `kind`.
pub fn opening(topic: Topic, kind: BookingKind) -> &'static str {
    if kind == BookingKind::Appointment {
        if let Some(sentence) = appointment_opening(topic) {
            return sentence;
        }
    }
    match topic {
        Topic::BookingHeld => "Your booking is held for you. Pay before the hold ends to keep it.",
        Topic::BookingConfirmed => "Your booking is confirmed. Enjoy the show!",
        Topic::BookingCancelled => "Your booking has been cancelled. Any refund due is on its way.",
        Topic::BookingExpired => {
            "The hold on your booking ended before it was paid; its seats are free again."
        }
        Topic::BookingCompleted => "The show is over. We hope you enjoyed it.",
        Topic::BookingSeatsChanged => "The seats of your booking have been changed.",
        Topic::PaymentSucceeded => "We received your payment.",
        Topic::PaymentFailed => {
            "Your payment did not go through; you can try again while the hold runs."
        }
        Topic::RefundIssued => "A refund for your booking has been issued.",
        Topic::BookingPending => "Your booking is paid and waits for the provider to accept it.",
        Topic::BookingRescheduled => "Your booking has moved to a new time.",
        Topic::AppointmentReminder => "Your appointment starts soon.",
        Topic::Announcement | Topic::PasswordResetRequested | Topic::Webhook => "",
    }
}

/// The sentences that differ for an appointment (the others are the same for any booking).
fn appointment_opening(topic: Topic) -> Option<&'static str> {
    Some(match topic {
        Topic::BookingHeld => {
            "Your appointment is held for you. Pay before the hold ends to keep it."
        }
        Topic::BookingConfirmed => "Your appointment is confirmed. See you then!",
        Topic::BookingCancelled => {
            "Your appointment has been cancelled. Any refund due is on its way."
        }
        Topic::BookingExpired => {
            "The hold on your appointment ended before it was paid; its time is free again."
        }
        Topic::BookingCompleted => "Your appointment is over. Thank you for booking.",
        Topic::BookingPending => {
            "Your appointment is booked and waits for the provider to accept it. If they \
             decline, everything you paid is refunded."
        }
        Topic::BookingRescheduled => "Your appointment has moved to a new time.",
        _ => return None,
    })
}

/// The inbox notification of an outbox message about `booking`, for its account; `None` for a
/// guest booking (no account, no inbox).
pub fn in_app_for(
    topic: Topic,
    booking: &Booking,
    message_id: Uuid,
    at: DateTime<Utc>,
) -> Option<NewNotification> {
    Some(NewNotification {
        user_id: booking.user_id?,
        message_id: Some(message_id),
        topic: topic.as_str().to_owned(),
        booking_id: Some(booking.id),
        title: headline(topic, &booking.reference),
        body: opening(topic, booking.kind()).to_owned(),
        created_at: at,
    })
}

/// Who an announcement goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// These accounts (distinct, each must exist).
    Users(Vec<Uuid>),
    /// Every active account.
    AllActive,
}

/// An admin's message to users: in their inbox, and by email when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub title: String,
    pub body: String,
    pub recipients: Recipients,
    pub email: bool,
}

/// The most accounts one announcement may name (`all` has no limit).
pub const MAX_ANNOUNCEMENT_USERS: usize = 1000;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 5000;

impl Announcement {
    /// Checks an announcement as asked: a title (one line, 1–200 characters, trimmed) and a body
    /// (1–5,000, several lines allowed) by the project's text rules ([`TextRule`]),
    /// and exactly one of `user_ids` (1–1,000, repeats counted once) or `all: true`.
    pub fn parse(
        title: &str,
        body: &str,
        user_ids: Option<Vec<Uuid>>,
        all: bool,
        email: bool,
    ) -> Result<Announcement, DomainError> {
        let mut errors = Vec::new();
        let mut text = |rule: TextRule, value: &str, field: &str| {
            rule.parse(value, field)
                .map_err(|e| errors.push(FieldError::new(field, e.message)))
                .ok()
        };
        let title = text(TextRule::line(MAX_TITLE_CHARS), title, "title");
        let body = text(TextRule::lines(MAX_BODY_CHARS), body, "body");
        let recipients = match (user_ids, all) {
            (Some(_), true) | (None, false) => {
                errors.push(FieldError::new(
                    "user_ids",
                    "give either user_ids or all: true, not both or neither",
                ));
                None
            }
            (None, true) => Some(Recipients::AllActive),
            (Some(mut ids), false) => {
                ids.sort();
                ids.dedup();
                if ids.is_empty() || ids.len() > MAX_ANNOUNCEMENT_USERS {
                    errors.push(FieldError::new(
                        "user_ids",
                        format!("user_ids must name 1 to {MAX_ANNOUNCEMENT_USERS} users"),
                    ));
                    None
                } else {
                    Some(Recipients::Users(ids))
                }
            }
        };
        match (title, body, recipients) {
            (Some(title), Some(body), Some(recipients)) if errors.is_empty() => Ok(Announcement {
                title,
                body,
                recipients,
                email,
            }),
            _ => Err(DomainError::Validation(errors)),
        }
    }
}

/// The email of an announcement to one of its recipients.
pub fn announcement_email(
    n: &Notification,
    to: Email,
    message_id: Uuid,
) -> crate::ports::EmailMessage {
    crate::ports::EmailMessage {
        to,
        subject: n.title.clone(),
        text_body: format!("Hello,\n\n{}\n\n— boxoffice\n", n.body),
        html_body: None,
        message_id: Some(message_id),
    }
}

/// Storage of the inbox.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait InboxStore: Send + Sync + 'static {
    /// Writes a notification; one whose `message_id` is already stored is not written again.
    async fn add(&self, n: NewNotification) -> Result<(), DomainError>;
    /// The user's notifications, newest first (only the unread ones when asked).
    async fn list(
        &self,
        user_id: Uuid,
        unread_only: bool,
        page: Page,
    ) -> Result<Paged<Notification>, DomainError>;
    async fn unread_count(&self, user_id: Uuid) -> Result<i64, DomainError>;
    /// Marks one of the user's notifications read at `now` (kept as it was when already read).
    /// MUST return `NotFound("notification")` for an unknown id or one of another user.
    async fn mark_read(
        &self,
        user_id: Uuid,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Notification, DomainError>;
    /// Marks all the user's unread notifications read at `now`; how many.
    async fn mark_all_read(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<i64, DomainError>;
    /// A notification with its recipient's email. MUST return `NotFound("notification")`
    /// for an unknown id.
    async fn get_with_email(&self, id: i64) -> Result<(Notification, String), DomainError>;
    /// Writes the announcement to each recipient's inbox at `now` (topic `announcement`) and,
    /// when `email`, one outbox message per notification — in ONE transaction. `AllActive` is
    /// every account whose `active` is true. MUST return a `Validation` error on `user_ids`
    /// naming the unknown ones, and write nothing, when some accounts do not exist. Returns
    /// how many notifications were written.
    async fn push(&self, a: Announcement, now: DateTime<Utc>) -> Result<i64, DomainError>;
    /// The notifications of these users whose id is above `after`, oldest first, at most
    /// `limit` (what a live stream has not sent yet).
    async fn since(
        &self,
        users: Vec<Uuid>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, DomainError>;
}

/// The inbox's use cases: a user reads and marks their own notifications, an admin anyone's.
#[derive(Clone)]
pub struct InboxService {
    store: Arc<dyn InboxStore>,
    clock: Arc<dyn Clock>,
}

impl InboxService {
    pub fn new(store: Arc<dyn InboxStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    pub async fn list(
        &self,
        actor: &Actor,
        user_id: Uuid,
        unread_only: bool,
        page: Page,
    ) -> Result<Paged<Notification>, DomainError> {
        actor.require_self_or_admin(user_id)?;
        self.store.list(user_id, unread_only, page).await
    }

    pub async fn unread_count(&self, actor: &Actor, user_id: Uuid) -> Result<i64, DomainError> {
        actor.require_self_or_admin(user_id)?;
        self.store.unread_count(user_id).await
    }

    pub async fn mark_read(
        &self,
        actor: &Actor,
        user_id: Uuid,
        id: i64,
    ) -> Result<Notification, DomainError> {
        actor.require_self_or_admin(user_id)?;
        self.store.mark_read(user_id, id, self.clock.now()).await
    }

    pub async fn mark_all_read(&self, actor: &Actor, user_id: Uuid) -> Result<i64, DomainError> {
        actor.require_self_or_admin(user_id)?;
        self.store.mark_all_read(user_id, self.clock.now()).await
    }

    /// Admins only: an announcement to users' inboxes (and by email, through the outbox).
    /// Returns how many users it reached.
    /// The user's newest `n` notifications, oldest first: what a live stream compares with
    /// what it sent (a notification may commit after a newer one).
    pub async fn recent(&self, user_id: Uuid, n: i64) -> Result<Vec<Notification>, DomainError> {
        let page = self
            .store
            .list(
                user_id,
                false,
                Page {
                    limit: n,
                    offset: 0,
                },
            )
            .await?;
        let mut items = page.items;
        items.reverse();
        Ok(items)
    }

    /// The notifications of these users above id `after`, oldest first, at most `limit`: what
    /// their live streams have not sent yet (the streams authenticated their users).
    pub async fn since(
        &self,
        users: Vec<Uuid>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, DomainError> {
        self.store.since(users, after, limit).await
    }

    pub async fn push(&self, actor: &Actor, a: Announcement) -> Result<i64, DomainError> {
        actor.require_admin()?;
        self.store.push(a, self.clock.now()).await
    }
}
