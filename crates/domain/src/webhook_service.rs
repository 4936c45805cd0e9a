//! The use cases of partner webhooks (`docs/webhooks.md`): registering, reading and deleting
//! them and their delivery log, redelivering ([`WebhookService`], the API's); and the delivery
//! worker's part ([`WebhookDispatch`]): the fan-out of a message about a booking into one
//! delivery per receiving webhook, and one attempt at a delivery.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::{Actor, Role, User};
use crate::booking::Booking;
use crate::catalog::{Page, Paged};
use crate::error::DomainError;
use crate::ports::{ClaimedMessage, Clock, Sealer, TokenGenerator};
use crate::webhook_url::{AllowList, WebhookUrl};
use crate::webhooks::{
    answered_ok, payload_for, receives, signed_request, subscribable, AttemptRecord, NewDelivery,
    NewWebhook, Secret, Webhook, WebhookDelivery, WebhookInput, WebhookSender, WebhookStore,
};

/// Providers and admins manage webhooks: 401 anonymous, 403 customers.
pub fn manager(actor: &Actor) -> Result<&User, DomainError> {
    let user = actor.require_user()?;
    match user.role {
        Role::Provider | Role::Admin => Ok(user),
        Role::Customer => Err(DomainError::forbidden(
            "only providers and admins may have webhooks",
        )),
    }
}

/// Whether `user` (a manager) may see and change `webhook`: its owner, or an admin.
pub fn may_manage(user: &User, webhook: &Webhook) -> bool {
    user.role == Role::Admin || webhook.owner_id == user.id
}

/// What [`WebhookService`] works with.
#[derive(Clone)]
pub struct WebhookDeps {
    pub store: Arc<dyn WebhookStore>,
    pub sealer: Arc<dyn Sealer>,
    pub ids: Arc<dyn TokenGenerator>,
    pub clock: Arc<dyn Clock>,
    /// The exceptions to the address rule (`webhooks.allow_hosts`).
    pub allow: AllowList,
}

/// The API's webhook use cases.
#[derive(Clone)]
pub struct WebhookService {
    deps: WebhookDeps,
}

impl WebhookService {
    pub fn new(deps: WebhookDeps) -> Self {
        Self { deps }
    }

    /// Registers a webhook of the caller (a provider or an admin) and returns it with its
    /// secret — the caller's, or a generated one — in the clear, the only time it is shown.
    pub async fn register(
        &self,
        actor: &Actor,
        input: WebhookInput,
    ) -> Result<(Webhook, Secret), DomainError> {
        let owner = manager(actor)?.id;
        let registration = input.parse(&self.deps.allow)?;
        let secret = registration
            .secret
            .unwrap_or_else(|| Secret::generated(&self.deps.ids.token()));
        let sealed_secret = self.deps.sealer.seal(secret.expose().as_bytes())?;
        let webhook = self
            .deps
            .store
            .create(NewWebhook {
                id: self.deps.ids.uuid(),
                owner_id: owner,
                url: registration.url.as_str().to_owned(),
                events: registration.events,
                sealed_secret,
                created_at: self.deps.clock.now(),
            })
            .await?;
        Ok((webhook, secret))
    }

    /// The caller's webhooks (an admin's: everyone's), newest first.
    pub async fn list(&self, actor: &Actor, page: Page) -> Result<Paged<Webhook>, DomainError> {
        let user = manager(actor)?;
        let owner = (user.role != Role::Admin).then_some(user.id);
        self.deps.store.list(owner, page).await
    }

    /// One webhook of the caller's (an admin: anyone's); another owner's is `NotFound`.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<Webhook, DomainError> {
        let user = manager(actor)?;
        let webhook = self.deps.store.get(id).await?;
        if may_manage(user, &webhook) {
            Ok(webhook)
        } else {
            Err(DomainError::not_found("webhook", id))
        }
    }

    /// Deletes a webhook with its delivery log; what was still to be sent is not sent.
    pub async fn delete(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError> {
        self.get(actor, id).await?;
        self.deps.store.delete(id).await
    }

    /// A webhook's deliveries, newest first.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        id: Uuid,
        page: Page,
    ) -> Result<Paged<WebhookDelivery>, DomainError> {
        self.get(actor, id).await?;
        self.deps.store.deliveries(id, page).await
    }

    /// Sends a delivery again at once — delivered, pending or dead — with the same id and
    /// body, its attempts counted from 0 for the backoff (the log keeps counting them all).
    pub async fn redeliver(
        &self,
        actor: &Actor,
        id: Uuid,
        delivery_id: Uuid,
    ) -> Result<WebhookDelivery, DomainError> {
        self.get(actor, id).await?;
        self.deps.store.get_delivery(id, delivery_id).await?;
        self.deps
            .store
            .redeliver(delivery_id, self.deps.clock.now())
            .await
    }
}

/// The delivery worker's part of webhooks, over its ports.
pub struct WebhookDispatch<'a> {
    pub store: &'a dyn WebhookStore,
    pub sender: &'a dyn WebhookSender,
    pub sealer: &'a dyn Sealer,
    pub allow: &'a AllowList,
}

impl WebhookDispatch<'_> {
    /// Writes one delivery per webhook that [`receives`] the message `c` about `booking`
    /// (none for a topic no webhook may subscribe to). Idempotent: a message delivered again
    /// fans out once. Returns how many deliveries were written.
    pub async fn fan_out(
        &self,
        c: &ClaimedMessage,
        booking: &Booking,
        now: DateTime<Utc>,
    ) -> Result<u64, DomainError> {
        if !subscribable(c.topic) {
            return Ok(0);
        }
        let mut targets = self.store.targets(c.topic, booking.event_id).await?;
        // An appointment's provider hears of it as an event's organiser does of its bookings.
        if let Some(a) = &booking.appointment {
            targets.organizer_id = Some(a.provider_id);
        }
        let deliveries: Vec<NewDelivery> = targets
            .webhooks
            .iter()
            .filter(|w| receives(w, c.topic, targets.organizer_id, c.at))
            .map(|w| {
                let id = Uuid::new_v4();
                NewDelivery {
                    id,
                    webhook_id: w.id,
                    source_message_id: c.message_id,
                    topic: c.topic,
                    payload: payload_for(id, c.topic, c.at, booking),
                    created_at: now,
                }
            })
            .collect();
        if deliveries.is_empty() {
            return Ok(0);
        }
        self.store.fan_out(deliveries).await
    }

    /// One attempt at the delivery `delivery_id` at `now`: its URL checked again against the
    /// address rule, its body signed with the webhook's secret and POSTed; the outcome is
    /// recorded in its log. `Ok` for a 2xx answer; otherwise the error (the outbox retries the
    /// delivery with its backoff, or gives it up).
    pub async fn attempt(&self, delivery_id: Uuid, now: DateTime<Utc>) -> Result<(), DomainError> {
        let pending = self.store.pending_attempt(delivery_id).await?;
        let outcome = match WebhookUrl::parse(&pending.url, self.allow) {
            Err(why) => Err(DomainError::Unavailable(format!("not sent: {why}"))),
            Ok(url) => match self.sealer.open(&pending.sealed_secret) {
                // Sealed under another `auth.jwt_secret`: nothing can sign this delivery.
                Err(_) => Err(DomainError::internal(
                    "the webhook's secret does not open (auth.jwt_secret changed?)",
                )),
                Ok(secret) => {
                    let request = signed_request(
                        url,
                        pending.delivery_id,
                        pending.topic,
                        &pending.payload,
                        &secret,
                        now,
                    );
                    self.sender.send(request).await
                }
            },
        };
        let record = match &outcome {
            Ok(status) => AttemptRecord {
                at: now,
                status: Some(*status),
                error: (!answered_ok(*status)).then(|| format!("answered HTTP {status}")),
            },
            Err(DomainError::Unavailable(why)) => AttemptRecord {
                at: now,
                status: None,
                error: Some(why.clone()),
            },
            Err(e) => AttemptRecord {
                at: now,
                status: None,
                error: Some(e.to_string()),
            },
        };
        self.store.record_attempt(delivery_id, record).await?;
        match outcome? {
            status if answered_ok(status) => Ok(()),
            status => Err(DomainError::Unavailable(format!(
                "the webhook answered HTTP {status}"
            ))),
        }
    }
}
