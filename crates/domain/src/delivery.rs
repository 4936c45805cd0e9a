//! Delivering the outbox (issue 12): the worker's pass ([`Delivery::run_once`]) and what a
//! message says ([`email_for`], over [`crate::email`]; [`sms_for`]).
//!
//! A pass claims the due messages ([`OutboxStore::claim_due`]), reads each one's booking as it
//! is now, writes a delivery per partner webhook that hears of it, sends the email and the
//! text message (or POSTs a webhook delivery), and marks the message delivered — or, when the mail server fails,
//! records the failure and when to try again ([`RetryPolicy`]), until it is dead. Delivery is at
//! least once: a worker that dies between sending and marking leaves the message to be sent
//! again, with the same `Message-ID`.

use std::sync::Arc;

use crate::account::Actor;
use crate::accounts::reset_email;
use crate::booking::Booking;
use crate::catalog::{Page, Paged};
use crate::codes::ConflictCode;
use crate::email::booking_email;
use crate::error::DomainError;
use crate::inbox::{announcement_email, headline, in_app_for, InboxStore};
use crate::outbox::{About, AfterFailure, OutboxEntry, OutboxStatus, RetryPolicy, Topic};
use crate::ports::{
    AccountRepository, BookingRepository, CatalogRepository, ClaimedMessage, Clock, EmailMessage,
    Notifier, OutboxStore, Sealer, SmsMessage, SmsSender,
};
use crate::time_zone::ShowTime;
use crate::values::{Email, Phone};
use crate::webhook_service::WebhookDispatch;
use crate::webhook_url::AllowList;
use crate::webhooks::{WebhookSender, WebhookStore};

/// The email telling the booking's buyer about `topic` — its model decided by
/// [`booking_email`], its text and HTML parts rendered from the templates — or `None` when the
/// booking has no email address (a phone-only booking gets a text message: [`sms_for`]). `show`
/// is the show's start and its venue's zone; `public_url` the web app's address (the cancel link).
pub fn email_for(
    topic: Topic,
    booking: &Booking,
    show: ShowTime,
    public_url: &str,
    message_id: uuid::Uuid,
) -> Result<Option<EmailMessage>, DomainError> {
    let Some(to) = booking.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return Ok(None);
    };
    let model = booking_email(topic, booking, show, public_url);
    let parts = model.render()?;
    Ok(Some(EmailMessage {
        to,
        subject: model.subject,
        text_body: parts.text,
        html_body: Some(parts.html),
        message_id: Some(message_id),
    }))
}

/// The text message telling the booking's buyer about `topic` (its headline, signed), or `None`
/// when the booking has no phone number.
pub fn sms_for(topic: Topic, booking: &Booking, message_id: uuid::Uuid) -> Option<SmsMessage> {
    let to = Phone::parse(booking.phone.as_deref()?).ok()?;
    Some(SmsMessage {
        to,
        text: format!("boxoffice: {}", headline(topic, &booking.reference)),
        message_id: Some(message_id),
    })
}

/// An account's stored address (checked when it was stored: a failure is an internal error).
fn stored_email(raw: &str) -> Result<Email, DomainError> {
    Email::parse(raw).map_err(|e| DomainError::internal(format!("a stored email address: {e:?}")))
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u64,
    pub retried: u64,
    pub dead: u64,
}

/// What the delivery worker works with.
#[derive(Clone)]
pub struct DeliveryPorts {
    pub outbox: Arc<dyn OutboxStore>,
    pub bookings: Arc<dyn BookingRepository>,
    /// The show time and venue zone of a booking's email.
    pub catalog: Arc<dyn CatalogRepository>,
    pub accounts: Arc<dyn AccountRepository>,
    pub notifier: Arc<dyn Notifier>,
    pub sms: Arc<dyn SmsSender>,
    pub inbox: Arc<dyn InboxStore>,
    pub sealer: Arc<dyn Sealer>,
    pub clock: Arc<dyn Clock>,
    /// Partner webhooks: their deliveries and the HTTP client that sends them.
    pub webhooks: Arc<dyn WebhookStore>,
    pub webhook_sender: Arc<dyn WebhookSender>,
}

/// The delivery worker's use case.
#[derive(Clone)]
pub struct Delivery {
    ports: DeliveryPorts,
    pub policy: RetryPolicy,
    /// Messages claimed per pass.
    pub batch: i64,
    /// How long a claimed message is left to its worker before another may take it.
    pub lease: chrono::Duration,
    /// How long a password-reset token is valid (said in its email).
    pub reset_ttl: chrono::Duration,
    /// The exceptions to the webhook address rule (`webhooks.allow_hosts`), checked again at
    /// every attempt.
    pub webhook_allow: AllowList,
    /// The web app's address (`server.public_url`): the emails link to its booking page.
    pub public_url: String,
}

impl Delivery {
    pub fn new(ports: DeliveryPorts) -> Self {
        Self {
            ports,
            policy: RetryPolicy::default(),
            batch: 100,
            lease: chrono::Duration::seconds(60),
            reset_ttl: chrono::Duration::hours(1),
            webhook_allow: AllowList::default(),
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }

    /// One pass: claims the due messages and delivers each. A failed delivery is recorded
    /// (retry or dead) and the pass goes on; only a failure of the outbox itself stops it.
    pub async fn run_once(&self) -> Result<DeliveryReport, DomainError> {
        let claimed = self
            .ports
            .outbox
            .claim_due(self.ports.clock.now(), self.lease, self.batch)
            .await?;
        let mut report = DeliveryReport::default();
        for c in claimed {
            match self.deliver(&c).await {
                Ok(()) => {
                    self.ports
                        .outbox
                        .mark_delivered(c.id, self.ports.clock.now())
                        .await?;
                    report.delivered += 1;
                }
                Err(e) => {
                    let after = self
                        .policy
                        .after_failure(c.attempts, self.ports.clock.now());
                    match after {
                        AfterFailure::Dead => report.dead += 1,
                        AfterFailure::RetryAt(_) => report.retried += 1,
                    }
                    self.ports
                        .outbox
                        .mark_failed(c.id, e.to_string(), after)
                        .await?;
                }
            }
        }
        Ok(report)
    }

    fn webhooks(&self) -> WebhookDispatch<'_> {
        WebhookDispatch {
            store: self.ports.webhooks.as_ref(),
            sender: self.ports.webhook_sender.as_ref(),
            sealer: self.ports.sealer.as_ref(),
            allow: &self.webhook_allow,
        }
    }

    async fn deliver(&self, c: &ClaimedMessage) -> Result<(), DomainError> {
        let booking_id = match c.about {
            // A partner webhook's delivery: one signed POST.
            About::WebhookDelivery(id) => {
                return self.webhooks().attempt(id, self.ports.clock.now()).await;
            }
            About::Booking(id) => id,
            // A password reset: the account's address, the token unsealed.
            About::Account(user_id) => {
                let user = self.ports.accounts.get_user(user_id).await?;
                let sealed = c.sealed.as_deref().ok_or_else(|| {
                    DomainError::internal("a password-reset message without its token")
                })?;
                let token = String::from_utf8(self.ports.sealer.open(sealed)?)
                    .map_err(|_| DomainError::internal("a password-reset token is not text"))?;
                let to = stored_email(&user.email)?;
                let email = reset_email(to, &token, self.reset_ttl.num_minutes(), c.message_id);
                return self.ports.notifier.send_email(email).await;
            }
            // An announcement: already in the inbox; this message is its email.
            About::Notification(id) => {
                let (n, to) = self.ports.inbox.get_with_email(id).await?;
                let email = announcement_email(&n, stored_email(&to)?, c.message_id);
                return self.ports.notifier.send_email(email).await;
            }
        };
        let booking = self.ports.bookings.get_booking(booking_id).await?;
        // The partners' webhooks first: each delivery is written once (its own outbox row, sent
        // and retried on its own), whatever becomes of this message's other channels.
        self.webhooks()
            .fan_out(c, &booking, self.ports.clock.now())
            .await?;
        // Then the inbox: written at most once per message, so a retry after a failed email
        // does not show it twice.
        if let Some(n) = in_app_for(c.topic, &booking, c.message_id, c.at) {
            self.ports.inbox.add(n).await?;
        }
        // Every channel the booking has: email, then a text message. A failure retries the
        // message, so a channel that went through may see it again (at least once).
        if booking.email.is_some() {
            let show = match (&booking.appointment, booking.show_id) {
                (Some(a), _) => ShowTime {
                    starts_at: a.starts_at,
                    time_zone: a.time_zone,
                },
                (None, Some(show_id)) => self.ports.catalog.show_time(show_id).await?,
                (None, None) => {
                    return Err(DomainError::internal(format!(
                        "booking {} has neither a show nor an appointment",
                        booking.id
                    )))
                }
            };
            let email = email_for(c.topic, &booking, show, &self.public_url, c.message_id)?;
            if let Some(email) = email {
                self.ports.notifier.send_email(email).await?;
            }
        }
        if let Some(sms) = sms_for(c.topic, &booking, c.message_id) {
            self.ports.sms.send_sms(sms).await?;
        }
        Ok(())
    }
}

/// The admin's view of the outbox: list messages (the dead ones above all) and send one again.
#[derive(Clone)]
pub struct OutboxAdmin {
    store: Arc<dyn OutboxStore>,
    clock: Arc<dyn Clock>,
}

impl OutboxAdmin {
    pub fn new(store: Arc<dyn OutboxStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Admins only.
    pub async fn list(
        &self,
        actor: &Actor,
        status: Option<OutboxStatus>,
        page: Page,
    ) -> Result<Paged<OutboxEntry>, DomainError> {
        actor.require_admin()?;
        self.store.list(status, page).await
    }

    /// Admins only: a dead or pending message is due again at once, its attempts counted from
    /// 0; a delivered one is `Conflict { already_delivered }`.
    pub async fn retry(&self, actor: &Actor, id: i64) -> Result<OutboxEntry, DomainError> {
        actor.require_admin()?;
        let entry = self.store.get(id).await?;
        let refused = || DomainError::Conflict {
            code: ConflictCode::AlreadyDelivered,
            message: format!("outbox message {id} was delivered: it is not sent again"),
        };
        if !entry.status.can_retry() {
            return Err(refused());
        }
        self.store
            .requeue(id, entry.status, self.clock.now())
            .await?
            .ok_or_else(refused)
    }
}
