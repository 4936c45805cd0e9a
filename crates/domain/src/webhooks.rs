//! Partner webhooks (issue 12, `docs/webhooks.md`): what a registration must be, which
//! webhooks hear of which message, what a delivery says and how it is signed — and the ports of
//! their storage ([`WebhookStore`]) and of the HTTP client ([`WebhookSender`]).
//!
//! A provider or an admin registers a URL for some of the booking topics. When the outbox's
//! worker delivers a message about a booking, it writes one delivery per webhook that
//! [`receives`] it ([`crate::webhook_service::WebhookDispatch::fan_out`]), each with its own
//! outbox row (topic `webhook`); the same worker then POSTs each delivery ([`signed_request`]),
//! retried with the outbox's backoff until a 2xx answer ([`answered_ok`]) or dead.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::account::Role;
use crate::booking::Booking;
use crate::catalog::{Page, Paged};
use crate::error::{DomainError, Violations};
use crate::outbox::{OutboxStatus, Topic};
use crate::webhook::{sign_webhook, WEBHOOK_SIGNATURE_HEADER};
use crate::webhook_url::{AllowList, WebhookUrl};

/// The header naming a delivery's event (`booking.confirmed`, …).
pub const EVENT_HEADER: &str = "X-Boxoffice-Event";
/// The header carrying a delivery's id: the same on every retry and redelivery.
pub const DELIVERY_HEADER: &str = "X-Boxoffice-Delivery";
/// Shortest and longest secret a caller may choose, in characters.
pub const SECRET_MIN_CHARS: usize = 16;
pub const SECRET_MAX_CHARS: usize = 256;
/// What a generated secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";

/// The events a webhook may subscribe to: the news about bookings, in this order.
pub const EVENTS: [Topic; 12] = [
    Topic::BookingHeld,
    Topic::BookingConfirmed,
    Topic::BookingCancelled,
    Topic::BookingExpired,
    Topic::BookingCompleted,
    Topic::BookingSeatsChanged,
    Topic::BookingPending,
    Topic::BookingRescheduled,
    Topic::AppointmentReminder,
    Topic::PaymentSucceeded,
    Topic::PaymentFailed,
    Topic::RefundIssued,
];

/// Whether a webhook may subscribe to `topic`: every topic about a booking; not an
/// announcement, a password reset or a webhook's own delivery.
pub fn subscribable(topic: Topic) -> bool {
    match topic {
        Topic::BookingHeld
        | Topic::BookingConfirmed
        | Topic::BookingCancelled
        | Topic::BookingExpired
        | Topic::BookingCompleted
        | Topic::BookingSeatsChanged
        | Topic::BookingPending
        | Topic::BookingRescheduled
        | Topic::AppointmentReminder
        | Topic::PaymentSucceeded
        | Topic::PaymentFailed
        | Topic::RefundIssued => true,
        Topic::Announcement | Topic::PasswordResetRequested | Topic::Webhook => false,
    }
}

/// A registered webhook (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    /// In the order of [`EVENTS`].
    pub events: Vec<Topic>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A registration as it arrives. Its `Debug` hides the secret.
#[derive(Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    /// The caller's own secret; `None`: one is generated.
    pub secret: Option<String>,
}

impl std::fmt::Debug for WebhookInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookInput")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A registration that passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub url: WebhookUrl,
    pub events: Vec<Topic>,
    /// The caller's secret, if they chose one.
    pub secret: Option<Secret>,
}

/// A webhook's signing secret. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A caller's secret: [`SECRET_MIN_CHARS`] to [`SECRET_MAX_CHARS`] printable ASCII
    /// characters, no blanks (it is typed into configuration files and compared byte for byte).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let n = raw.chars().count();
        if !(SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&n) {
            return Err(format!(
                "the secret must have {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters"
            ));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the secret must be printable ASCII without blanks or control characters"
                    .to_owned(),
            );
        }
        Ok(Self(raw.to_owned()))
    }

    /// A generated secret: [`SECRET_PREFIX`] and a random token.
    pub fn generated(token: &str) -> Self {
        Self(format!("{SECRET_PREFIX}{token}"))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The events of a registration: at least one, each a subscribable topic's stored name
/// exactly; repeats count once. In the order of [`EVENTS`].
pub fn parse_events(raw: &[String]) -> Result<Vec<Topic>, String> {
    if raw.is_empty() {
        return Err("give at least one event".to_owned());
    }
    let mut chosen = Vec::new();
    for name in raw {
        match Topic::parse(name).filter(|t| subscribable(*t)) {
            Some(t) => chosen.push(t),
            None => {
                let known: Vec<&str> = EVENTS.iter().map(|t| t.as_str()).collect();
                return Err(format!(
                    "'{}' is not a webhook event ({})",
                    name,
                    known.join(", ")
                ));
            }
        }
    }
    Ok(EVENTS.into_iter().filter(|t| chosen.contains(t)).collect())
}

impl WebhookInput {
    /// Checks every field (all failures at once, 422): `url` ([`WebhookUrl::parse`] under
    /// `allow`), `events` ([`parse_events`]) and `secret` ([`Secret::parse`]).
    pub fn parse(&self, allow: &AllowList) -> Result<Registration, DomainError> {
        let mut v = Violations::new();
        let url = v.check("url", WebhookUrl::parse(&self.url, allow));
        let events = v.check("events", parse_events(&self.events));
        let secret = match &self.secret {
            None => None,
            Some(s) => v.check("secret", Secret::parse(s)),
        };
        v.finish()?;
        match (url, events) {
            (Some(url), Some(events)) => Ok(Registration {
                url,
                events,
                secret,
            }),
            _ => Err(DomainError::internal("unreachable: violations empty")),
        }
    }
}

/// A webhook to store: its secret sealed ([`crate::ports::Sealer`]), never in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    pub events: Vec<Topic>,
    pub sealed_secret: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// A webhook as the fan-out sees it: with its owner's current role and standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_role: Role,
    pub owner_active: bool,
    pub events: Vec<Topic>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// What the fan-out of a message about a booking of an event reads: the event's organiser
/// and the webhooks that may receive it (a superset: [`receives`] decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// The provider who organises the booking's event (`None`: an event without one).
    pub organizer_id: Option<Uuid>,
    pub webhooks: Vec<WebhookTarget>,
}

/// Whether `target` hears of a message on `topic` about a booking of an event organised by
/// `organizer_id`, about a change at `at`: the webhook is active and subscribed to the topic,
/// was registered by then, and its owner is active and is an admin (every booking) or the
/// provider who organises the event (their own events' bookings). A customer (a provider
/// demoted since) hears of nothing.
pub fn receives(
    target: &WebhookTarget,
    topic: Topic,
    organizer_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> bool {
    if !target.active || !target.owner_active || !target.events.contains(&topic) {
        return false;
    }
    if at < target.created_at {
        return false;
    }
    match target.owner_role {
        Role::Admin => true,
        Role::Provider => organizer_id == Some(target.owner_id),
        Role::Customer => false,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The body of a delivery (kept with it, so every retry and redelivery sends the same):
/// `{id, type, created_at, data: {booking: …, payment?: …, refund?: …}}`. The booking as it is
/// when the message is delivered: id, reference, kind, status, show and event ids (null for an
/// appointment), the appointment's service, provider and times (null for a show's booking),
/// places, total in minor units and currency, hold deadline; for a payment topic the booking's latest payment,
/// for `refund.issued` its latest succeeded refund. No personal data (name, email, phone).
pub fn payload_for(delivery_id: Uuid, topic: Topic, at: DateTime<Utc>, booking: &Booking) -> Value {
    let currency = booking.currency.as_str();
    let mut data = json!({
        "booking": {
            "id": booking.id,
            "reference": booking.reference,
            "status": booking.status.as_str(),
            "kind": booking.kind().as_str(),
            "show_id": booking.show_id,
            "event_id": booking.event_id,
            "appointment": booking.appointment.as_ref().map(|a| json!({
                "service_id": a.service_id,
                "provider_id": a.provider_id,
                "starts_at": rfc3339(a.starts_at),
                "ends_at": rfc3339(a.ends_at),
            })),
            "quantity": booking.quantity,
            "total_amount": booking.total_amount,
            "currency": currency,
            "expires_at": booking.expires_at.map(rfc3339),
            "created_at": rfc3339(booking.created_at),
        }
    });
    let latest_payment = booking.payments.iter().max_by_key(|p| p.created_at);
    if matches!(topic, Topic::PaymentSucceeded | Topic::PaymentFailed) {
        if let Some(p) = latest_payment {
            data["payment"] = json!({
                "id": p.id,
                "status": p.status.as_str(),
                "amount": p.amount,
                "currency": p.currency.as_str(),
                "failure_code": p.failure_code,
            });
        }
    }
    if topic == Topic::RefundIssued {
        let refund = booking
            .payments
            .iter()
            .flat_map(|p| p.refunds.iter().map(move |r| (p, r)))
            .filter(|(_, r)| r.status == crate::payment_model::RefundStatus::Succeeded)
            .max_by_key(|(_, r)| r.updated_at);
        if let Some((p, r)) = refund {
            data["refund"] = json!({
                "id": r.id,
                "payment_id": p.id,
                "amount": r.amount,
                "currency": p.currency.as_str(),
            });
        }
    }
    json!({
        "id": delivery_id,
        "type": topic.as_str(),
        "created_at": rfc3339(at),
        "data": data,
    })
}

/// A delivery to write (one per webhook that receives a message).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The outbox message it came from; a webhook gets at most one delivery per message.
    pub source_message_id: Uuid,
    pub topic: Topic,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// A delivery as its webhook's log shows it. Its state is its outbox row's.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub source_message_id: Uuid,
    pub topic: Topic,
    pub payload: Value,
    pub status: OutboxStatus,
    /// Every attempt ever made (a redelivery's included).
    pub attempts: u32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer (`None`: no answer yet, or none at the last attempt).
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// When a pending delivery is (next) due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What the worker needs to send a delivery: the body, and where and how to sign it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAttempt {
    pub delivery_id: Uuid,
    pub topic: Topic,
    pub payload: Value,
    pub url: String,
    pub sealed_secret: Vec<u8>,
}

/// The outcome of one attempt, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// A POST to a webhook's URL: its headers and its raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: WebhookUrl,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The request of a delivery sent at `now`: the JSON body, `Content-Type`, the event
/// ([`EVENT_HEADER`]), the delivery id ([`DELIVERY_HEADER`]) and the signature
/// (`X-Boxoffice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the
/// payment webhook's scheme: [`sign_webhook`]) under the webhook's secret.
pub fn signed_request(
    url: WebhookUrl,
    delivery_id: Uuid,
    topic: Topic,
    payload: &Value,
    secret: &[u8],
    now: DateTime<Utc>,
) -> WebhookRequest {
    let body = payload.to_string().into_bytes();
    let signature = sign_webhook(secret, now.timestamp(), &body);
    WebhookRequest {
        url,
        headers: vec![
            ("Content-Type", "application/json".to_owned()),
            (EVENT_HEADER, topic.as_str().to_owned()),
            (DELIVERY_HEADER, delivery_id.to_string()),
            (WEBHOOK_SIGNATURE_HEADER, signature),
        ],
        body,
    }
}

/// Whether an answer with this HTTP status delivered the webhook: any 2xx. Anything else
/// (a redirect included: none is followed) is a failed attempt.
pub fn answered_ok(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Storage of webhooks and their deliveries. Every method is one transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn create(&self, webhook: NewWebhook) -> Result<Webhook, DomainError>;
    /// Newest first; of one owner, or everyone's (`None`).
    async fn list(&self, owner: Option<Uuid>, page: Page) -> Result<Paged<Webhook>, DomainError>;
    /// MUST return `NotFound("webhook")` for an unknown id.
    async fn get(&self, id: Uuid) -> Result<Webhook, DomainError>;
    /// Deletes the webhook, its deliveries and their outbox rows (nothing more is sent).
    /// MUST return `NotFound("webhook")` for an unknown id.
    async fn delete(&self, id: Uuid) -> Result<(), DomainError>;
    /// The organiser of the event `event_id` (none without an event) and the active webhooks
    /// subscribed to `topic`, with their owners' role and standing.
    async fn targets(&self, topic: Topic, event_id: Option<i64>) -> Result<Targets, DomainError>;
    /// Writes each delivery that its webhook does not have yet for its source message, with
    /// its outbox row (topic `webhook`, about the delivery, due at its `created_at`); the
    /// others are left as they are (a message delivered again fans out once). A webhook
    /// deleted meanwhile gets none. Returns how many were written.
    async fn fan_out(&self, deliveries: Vec<NewDelivery>) -> Result<u64, DomainError>;
    /// MUST return `NotFound("webhook delivery")` for an unknown id.
    async fn pending_attempt(&self, delivery_id: Uuid) -> Result<PendingAttempt, DomainError>;
    /// Counts an attempt and keeps its outcome as the delivery's last.
    async fn record_attempt(
        &self,
        delivery_id: Uuid,
        record: AttemptRecord,
    ) -> Result<(), DomainError>;
    /// A webhook's deliveries, newest first.
    async fn deliveries(
        &self,
        webhook_id: Uuid,
        page: Page,
    ) -> Result<Paged<WebhookDelivery>, DomainError>;
    /// MUST return `NotFound("webhook delivery")` for an unknown id or one of another webhook.
    async fn get_delivery(
        &self,
        webhook_id: Uuid,
        delivery_id: Uuid,
    ) -> Result<WebhookDelivery, DomainError>;
    /// Makes the delivery's outbox row pending and due at `now`, its attempts counted from 0
    /// (whatever its status: a delivered one is sent again). MUST return
    /// `NotFound("webhook delivery")` for an unknown id.
    async fn redeliver(
        &self,
        delivery_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<WebhookDelivery, DomainError>;
}

/// Sends a webhook's POST. `infra-notify` implements it over HTTP: it connects only to
/// addresses [`crate::webhook_url::address_allowed`] allows, follows no redirect, and gives up
/// after its timeout.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync + 'static {
    /// The HTTP status of the answer, whatever it is; `Unavailable` (saying why) when there is
    /// none: a refused address, no connection, a timeout.
    async fn send(&self, request: WebhookRequest) -> Result<u16, DomainError>;
}
