//! The webhook use cases over mocks of their ports: who may register, see and change what; the
//! worker's fan-out (who gets a delivery, written once) and an attempt (signed, recorded, 2xx
//! or retried), also through a whole delivery pass.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use futures_executor::block_on;
use mockall::predicate::eq;
use uuid::Uuid;

use super::super::support::{actor, admin, is_forbidden, t0, unauthorized_code, usd, user};
use crate::account::{Actor, Role};
use crate::booking::{Booking, BookingStatus};
use crate::catalog::{Page, Paged};
use crate::delivery::{Delivery, DeliveryPorts, DeliveryReport};
use crate::error::DomainError;
use crate::inbox::MockInboxStore;
use crate::outbox::{About, AfterFailure, OutboxStatus, Topic};
use crate::ports::{
    ClaimedMessage, MockAccountRepository, MockBookingRepository, MockClock, MockNotifier,
    MockOutboxStore, MockSealer, MockSmsSender, MockTokenGenerator,
};
use crate::webhook::verify_webhook;
use crate::webhook_service::{WebhookDeps, WebhookDispatch, WebhookService};
use crate::webhook_url::AllowList;
use crate::webhooks::{
    MockWebhookSender, MockWebhookStore, NewDelivery, PendingAttempt, Targets, Webhook,
    WebhookDelivery, WebhookInput, WebhookTarget, DELIVERY_HEADER,
};

/// A sealer that "seals" by prefixing (its bytes never equal the secret).
fn sealer() -> MockSealer {
    let mut s = MockSealer::new();
    s.expect_seal().returning(|p| {
        let mut out = b"sealed:".to_vec();
        out.extend_from_slice(p);
        Ok(out)
    });
    s.expect_open().returning(|b| {
        b.strip_prefix(b"sealed:".as_slice())
            .map(<[u8]>::to_vec)
            .ok_or_else(|| DomainError::internal("does not open"))
    });
    s
}

fn service(store: MockWebhookStore) -> WebhookService {
    let mut ids = MockTokenGenerator::new();
    ids.expect_token().returning(|| "generated-token".into());
    ids.expect_uuid().returning(|| Uuid::from_u128(500));
    let mut clock = MockClock::new();
    clock.expect_now().return_const(t0());
    WebhookService::new(WebhookDeps {
        store: Arc::new(store),
        sealer: Arc::new(sealer()),
        ids: Arc::new(ids),
        clock: Arc::new(clock),
        allow: AllowList::default(),
    })
}

fn webhook(owner: Uuid) -> Webhook {
    Webhook {
        id: Uuid::from_u128(500),
        owner_id: owner,
        url: "https://hooks.example.com/x".into(),
        events: vec![Topic::BookingConfirmed],
        active: true,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn input(secret: Option<&str>) -> WebhookInput {
    WebhookInput {
        url: "https://hooks.example.com/x".into(),
        events: vec!["booking.confirmed".into()],
        secret: secret.map(str::to_owned),
    }
}

#[test]
fn providers_and_admins_register_with_the_secret_sealed_and_shown_once() {
    let provider = actor(Role::Provider);
    let owner = provider.user_id().unwrap();
    let mut store = MockWebhookStore::new();
    store
        .expect_create()
        .withf(move |w| {
            w.owner_id == owner
                && w.id == Uuid::from_u128(500)
                && w.url == "https://hooks.example.com/x"
                && w.events == vec![Topic::BookingConfirmed]
                && w.sealed_secret == b"sealed:whsec_generated-token".to_vec()
                && w.created_at == t0()
        })
        .times(1)
        .returning(move |_| Ok(webhook(owner)));
    let (w, secret) = block_on(service(store).register(&provider, input(None))).unwrap();
    assert_eq!(w.owner_id, owner);
    assert_eq!(secret.expose(), "whsec_generated-token");
    // The caller's own secret is kept as given.
    let mut store = MockWebhookStore::new();
    store
        .expect_create()
        .withf(|w| w.sealed_secret == b"sealed:my-own-secret-0123".to_vec())
        .returning(|w| Ok(webhook(w.owner_id)));
    let (_, secret) =
        block_on(service(store).register(&admin(), input(Some("my-own-secret-0123")))).unwrap();
    assert_eq!(secret.expose(), "my-own-secret-0123");
}

#[test]
fn customers_may_not_and_anonymous_callers_must_sign_in_and_bad_input_writes_nothing() {
    let mut store = MockWebhookStore::new();
    store.expect_create().never();
    store.expect_list().never();
    store.expect_get().never();
    let s = service(store);
    assert!(is_forbidden(&block_on(
        s.register(&actor(Role::Customer), input(None))
    )));
    assert!(is_forbidden(&block_on(
        s.list(&actor(Role::Customer), Page::default())
    )));
    assert!(is_forbidden(&block_on(
        s.get(&actor(Role::Customer), Uuid::from_u128(500))
    )));
    assert_eq!(
        unauthorized_code(block_on(s.register(&Actor::Anonymous, input(None)))),
        "authentication_required"
    );
    let mut bad = input(None);
    bad.url = "http://127.0.0.1/x".into();
    assert!(matches!(
        block_on(s.register(&actor(Role::Provider), bad)),
        Err(DomainError::Validation(_))
    ));
}

#[test]
fn a_provider_sees_its_own_webhooks_an_admin_everyone_s_and_another_s_is_not_found() {
    let provider = user(Role::Provider);
    let me = provider.id;
    let mut store = MockWebhookStore::new();
    store
        .expect_list()
        .with(eq(Some(me)), eq(Page::default()))
        .times(1)
        .returning(|_, page| {
            Ok(Paged {
                items: vec![],
                total: 0,
                page,
            })
        });
    store
        .expect_list()
        .with(eq(None), eq(Page::default()))
        .times(1)
        .returning(|_, page| {
            Ok(Paged {
                items: vec![],
                total: 0,
                page,
            })
        });
    let theirs = Uuid::from_u128(77);
    store.expect_get().returning(move |_| Ok(webhook(theirs)));
    store.expect_delete().never();
    store.expect_deliveries().never();
    store.expect_redeliver().never();
    let s = service(store);
    let p = Actor::User(provider);
    block_on(s.list(&p, Page::default())).unwrap();
    block_on(s.list(&admin(), Page::default())).unwrap();
    let id = Uuid::from_u128(500);
    for r in [
        block_on(s.get(&p, id)).map(|_| ()),
        block_on(s.delete(&p, id)),
        block_on(s.deliveries(&p, id, Page::default())).map(|_| ()),
        block_on(s.redeliver(&p, id, Uuid::from_u128(1))).map(|_| ()),
    ] {
        assert!(
            matches!(
                r,
                Err(DomainError::NotFound {
                    entity: "webhook",
                    ..
                })
            ),
            "{r:?}"
        );
    }
    // An admin reads anyone's.
    assert_eq!(block_on(s.get(&admin(), id)).unwrap().owner_id, theirs);
}

fn delivery_row(id: Uuid, status: OutboxStatus) -> WebhookDelivery {
    WebhookDelivery {
        id,
        webhook_id: Uuid::from_u128(500),
        source_message_id: Uuid::from_u128(1),
        topic: Topic::BookingConfirmed,
        payload: serde_json::json!({}),
        status,
        attempts: 3,
        last_attempt_at: Some(t0()),
        last_status: Some(200),
        last_error: None,
        next_attempt_at: None,
        created_at: t0(),
        delivered_at: None,
    }
}

#[test]
fn the_owner_deletes_and_redelivers_a_delivery_of_their_webhook() {
    let provider = user(Role::Provider);
    let me = provider.id;
    let d = Uuid::from_u128(900);
    let mut store = MockWebhookStore::new();
    store.expect_get().returning(move |_| Ok(webhook(me)));
    store
        .expect_get_delivery()
        .with(eq(Uuid::from_u128(500)), eq(d))
        .returning(|_, d| Ok(delivery_row(d, OutboxStatus::Delivered)));
    store
        .expect_redeliver()
        .with(eq(d), eq(t0()))
        .times(1)
        .returning(|d, _| Ok(delivery_row(d, OutboxStatus::Pending)));
    store
        .expect_delete()
        .with(eq(Uuid::from_u128(500)))
        .times(1)
        .returning(|_| Ok(()));
    let s = service(store);
    let p = Actor::User(provider);
    let again = block_on(s.redeliver(&p, Uuid::from_u128(500), d)).unwrap();
    assert_eq!(again.status, OutboxStatus::Pending);
    block_on(s.delete(&p, Uuid::from_u128(500))).unwrap();
}

// ---------- the worker ----------

fn booking() -> Booking {
    Booking {
        id: Uuid::from_u128(7),
        reference: "BX-ABCD2345".into(),
        show_id: Some(3),
        event_id: Some(2),
        appointment: None,
        status: BookingStatus::Confirmed,
        customer_name: "Ada".into(),
        phone: None,
        email: None,
        quantity: 1,
        total_amount: 1000,
        currency: usd(),
        items: vec![],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id: None,
        guest_token_hash: None,
        expires_at: None,
        payments: vec![],
    }
}

fn message(topic: Topic, about: About) -> ClaimedMessage {
    ClaimedMessage {
        id: 1,
        message_id: Uuid::from_u128(1),
        topic,
        about,
        at: t0(),
        attempts: 1,
        sealed: None,
    }
}

fn target(id: u128, role: Role, owner: Uuid) -> WebhookTarget {
    WebhookTarget {
        id: Uuid::from_u128(id),
        owner_id: owner,
        owner_role: role,
        owner_active: true,
        events: vec![Topic::BookingConfirmed],
        active: true,
        created_at: t0() - Duration::minutes(1),
    }
}

#[test]
fn the_fan_out_writes_a_delivery_per_webhook_that_hears_of_it() {
    let organiser = Uuid::from_u128(10);
    let mut store = MockWebhookStore::new();
    store
        .expect_targets()
        .with(eq(Topic::BookingConfirmed), eq(Some(2)))
        .returning(move |_, _| {
            Ok(Targets {
                organizer_id: Some(organiser),
                webhooks: vec![
                    target(1, Role::Provider, organiser),
                    target(2, Role::Provider, Uuid::from_u128(11)),
                    target(3, Role::Admin, Uuid::from_u128(12)),
                ],
            })
        });
    let written: Arc<Mutex<Vec<NewDelivery>>> = Arc::default();
    let w = written.clone();
    store.expect_fan_out().times(1).returning(move |d| {
        let n = d.len() as u64;
        *w.lock().unwrap() = d;
        Ok(n)
    });
    let sender = MockWebhookSender::new();
    let sealer = sealer();
    let allow = AllowList::default();
    let dispatch = WebhookDispatch {
        store: &store,
        sender: &sender,
        sealer: &sealer,
        allow: &allow,
    };
    let c = message(Topic::BookingConfirmed, About::Booking(Uuid::from_u128(7)));
    let now = t0() + Duration::seconds(5);
    assert_eq!(block_on(dispatch.fan_out(&c, &booking(), now)).unwrap(), 2);
    let written = written.lock().unwrap();
    let hooks: Vec<Uuid> = written.iter().map(|d| d.webhook_id).collect();
    assert_eq!(hooks, vec![Uuid::from_u128(1), Uuid::from_u128(3)]);
    for d in written.iter() {
        assert_eq!(d.source_message_id, Uuid::from_u128(1));
        assert_eq!(d.topic, Topic::BookingConfirmed);
        assert_eq!(d.created_at, now);
        assert_eq!(
            d.payload["id"],
            serde_json::json!(d.id),
            "the body names its delivery"
        );
        assert_eq!(d.payload["data"]["booking"]["reference"], "BX-ABCD2345");
    }
    // A topic no webhook may subscribe to asks nothing.
    let mut quiet = MockWebhookStore::new();
    quiet.expect_targets().never();
    let dispatch = WebhookDispatch {
        store: &quiet,
        sender: &sender,
        sealer: &sealer,
        allow: &allow,
    };
    let c = message(Topic::Announcement, About::Notification(1));
    assert_eq!(block_on(dispatch.fan_out(&c, &booking(), now)).unwrap(), 0);
}

fn pending(url: &str) -> PendingAttempt {
    PendingAttempt {
        delivery_id: Uuid::from_u128(900),
        topic: Topic::BookingConfirmed,
        payload: serde_json::json!({"id": Uuid::from_u128(900), "type": "booking.confirmed"}),
        url: url.into(),
        sealed_secret: b"sealed:whsec_s3cret-s3cret".to_vec(),
    }
}

/// One attempt with the receiver answering `answer`; returns the outcome and what was recorded.
fn attempt(
    url: &str,
    answer: Result<u16, DomainError>,
) -> (
    Result<(), DomainError>,
    crate::webhooks::AttemptRecord,
    usize,
) {
    let mut store = MockWebhookStore::new();
    let url = url.to_owned();
    store
        .expect_pending_attempt()
        .with(eq(Uuid::from_u128(900)))
        .returning(move |_| Ok(pending(&url)));
    let recorded: Arc<Mutex<Vec<crate::webhooks::AttemptRecord>>> = Arc::default();
    let r = recorded.clone();
    store
        .expect_record_attempt()
        .times(1)
        .returning(move |_, rec| {
            r.lock().unwrap().push(rec);
            Ok(())
        });
    let mut sender = MockWebhookSender::new();
    let sent = Arc::new(Mutex::new(0usize));
    let s = sent.clone();
    sender.expect_send().returning(move |req| {
        *s.lock().unwrap() += 1;
        let sig = req
            .headers
            .iter()
            .find(|(n, _)| *n == "X-Boxoffice-Signature")
            .map(|(_, v)| v.clone())
            .unwrap();
        // Signed with the opened secret, over the body sent.
        verify_webhook(
            b"whsec_s3cret-s3cret",
            &sig,
            &req.body,
            t0().timestamp(),
            300,
        )
        .unwrap();
        assert!(req
            .headers
            .iter()
            .any(|(n, v)| *n == DELIVERY_HEADER && *v == Uuid::from_u128(900).to_string()));
        answer.clone()
    });
    let sealer = sealer();
    let allow = AllowList::default();
    let dispatch = WebhookDispatch {
        store: &store,
        sender: &sender,
        sealer: &sealer,
        allow: &allow,
    };
    let outcome = block_on(dispatch.attempt(Uuid::from_u128(900), t0()));
    let rec = recorded.lock().unwrap().pop().unwrap();
    let n = *sent.lock().unwrap();
    (outcome, rec, n)
}

#[test]
fn an_attempt_is_signed_sent_and_recorded_and_only_a_2xx_delivers() {
    let (ok, rec, sent) = attempt("https://hooks.example.com/x", Ok(204));
    assert_eq!(ok, Ok(()));
    assert_eq!((rec.at, rec.status, rec.error), (t0(), Some(204), None));
    assert_eq!(sent, 1);
    let (failed, rec, _) = attempt("https://hooks.example.com/x", Ok(500));
    assert!(matches!(failed, Err(DomainError::Unavailable(ref m)) if m.contains("HTTP 500")));
    assert_eq!(rec.status, Some(500));
    assert_eq!(rec.error.as_deref(), Some("answered HTTP 500"));
    let (failed, rec, _) = attempt(
        "https://hooks.example.com/x",
        Err(DomainError::Unavailable(
            "could not connect: refused".into(),
        )),
    );
    assert!(failed.is_err());
    assert_eq!(rec.status, None);
    assert_eq!(rec.error.as_deref(), Some("could not connect: refused"));
    // A URL the rule refuses now (the allow-list changed) is not sent, and says why.
    let (failed, rec, sent) = attempt("http://127.0.0.1:9/x", Ok(200));
    assert!(failed.is_err());
    assert_eq!(sent, 0);
    assert!(rec.error.unwrap().contains("public addresses only"));
}

#[test]
fn a_pass_fans_a_booking_message_out_and_sends_a_webhook_delivery_like_any_message() {
    let delivery_id = Uuid::from_u128(900);
    let mut outbox = MockOutboxStore::new();
    outbox.expect_claim_due().return_once(move |_, _, _| {
        Ok(vec![
            message(Topic::BookingConfirmed, About::Booking(Uuid::from_u128(7))),
            ClaimedMessage {
                id: 2,
                message_id: delivery_id,
                topic: Topic::Webhook,
                about: About::WebhookDelivery(delivery_id),
                at: t0(),
                attempts: 2,
                sealed: None,
            },
        ])
    });
    outbox
        .expect_mark_delivered()
        .with(eq(1), eq(t0()))
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_failed()
        .withf(|id, error, after| {
            *id == 2
                && error.contains("HTTP 503")
                && *after == AfterFailure::RetryAt(t0() + Duration::seconds(20))
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut bookings = MockBookingRepository::new();
    bookings.expect_get_booking().returning(|_| Ok(booking()));
    let mut store = MockWebhookStore::new();
    store.expect_targets().returning(|_, _| {
        Ok(Targets {
            organizer_id: None,
            webhooks: vec![target(3, Role::Admin, Uuid::from_u128(12))],
        })
    });
    store
        .expect_fan_out()
        .withf(|d| d.len() == 1)
        .times(1)
        .returning(|_| Ok(1));
    store
        .expect_pending_attempt()
        .returning(|_| Ok(pending("https://hooks.example.com/x")));
    store
        .expect_record_attempt()
        .withf(|_, r| r.status == Some(503))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut sender = MockWebhookSender::new();
    sender.expect_send().times(1).returning(|_| Ok(503));
    let mut clock = MockClock::new();
    clock.expect_now().return_const(t0());
    let mut inbox = MockInboxStore::new();
    inbox.expect_add().never();
    let mut d = Delivery::new(DeliveryPorts {
        outbox: Arc::new(outbox),
        bookings: Arc::new(bookings),
        catalog: Arc::new(crate::ports::MockCatalogRepository::new()),
        accounts: Arc::new(MockAccountRepository::new()),
        notifier: Arc::new(MockNotifier::new()),
        sms: Arc::new(MockSmsSender::new()),
        inbox: Arc::new(inbox),
        sealer: Arc::new(sealer()),
        clock: Arc::new(clock),
        webhooks: Arc::new(store),
        webhook_sender: Arc::new(sender),
    });
    d.policy.base = std::time::Duration::from_secs(10);
    let report = block_on(d.run_once()).unwrap();
    assert_eq!(
        report,
        DeliveryReport {
            delivered: 1,
            retried: 1,
            dead: 0
        }
    );
}
