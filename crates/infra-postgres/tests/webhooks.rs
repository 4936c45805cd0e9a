//! `PgWebhookStore` against PostgreSQL: webhooks stored and listed by owner, the fan-out's
//! targets, deliveries written once per (webhook, source message) with their outbox row, the
//! worker's claim, attempts and the log, redelivery, deletion with everything that hangs on it,
//! and the tables' CHECKs.

#[path = "tx_contract/support.rs"]
#[allow(dead_code)]
mod tx_contract_support;

use boxoffice_domain::account::Role;
use boxoffice_domain::catalog::Page;
use boxoffice_domain::outbox::{About, AfterFailure, OutboxStatus, Topic};
use boxoffice_domain::ports::OutboxStore;
use boxoffice_domain::webhooks::{AttemptRecord, NewDelivery, NewWebhook, WebhookStore};
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::{Db, PgOutboxStore, PgWebhookStore, PoolConfig};
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use serde_json::json;
use tx_contract_support::*;
use uuid::Uuid;

const PROVIDER: Uuid = Uuid::from_u128(0xa1);
const OTHER_PROVIDER: Uuid = Uuid::from_u128(0xa2);
const ADMIN: Uuid = Uuid::from_u128(0xa3);
const RETIRED_ADMIN: Uuid = Uuid::from_u128(0xa4);

/// The world, four accounts, and the provider organising the world's event.
fn accounts(sql: &mut PgConnection) {
    sql.batch_execute(&format!(
        "INSERT INTO users (id, email, password_hash, role, active, created_at, updated_at) VALUES
           ('{PROVIDER}', 'p@example.com', 'x', 'provider', true, now(), now()),
           ('{OTHER_PROVIDER}', 'q@example.com', 'x', 'provider', true, now(), now()),
           ('{ADMIN}', 'a@example.com', 'x', 'admin', true, now(), now()),
           ('{RETIRED_ADMIN}', 'r@example.com', 'x', 'admin', false, now(), now());
         UPDATE events SET organizer_id = '{PROVIDER}' WHERE id = {EVENT};"
    ))
    .expect("accounts");
}

fn new_webhook(n: u128, owner: Uuid, events: &[Topic], minutes_after: i64) -> NewWebhook {
    NewWebhook {
        id: Uuid::from_u128(n),
        owner_id: owner,
        url: format!("https://hooks.example.com/{n}"),
        events: events.to_vec(),
        sealed_secret: vec![1, 2, 3, n as u8],
        created_at: now() + minutes(minutes_after),
    }
}

fn store(url: &str) -> (PgWebhookStore, PgOutboxStore) {
    let db = Db::connect(url, &PoolConfig::default()).unwrap();
    (PgWebhookStore::new(db.clone()), PgOutboxStore::new(db))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_stored_listed_by_owner_and_read_with_their_targets() {
    let (test_db, mut sql) = world();
    accounts(&mut sql);
    let (hooks, _) = store(test_db.url());
    let mine = hooks
        .create(new_webhook(1, PROVIDER, &[Topic::BookingConfirmed], 0))
        .await
        .unwrap();
    assert_eq!(mine.owner_id, PROVIDER);
    assert_eq!(mine.events, vec![Topic::BookingConfirmed]);
    assert!(mine.active);
    assert_eq!((mine.created_at, mine.updated_at), (now(), now()));
    hooks
        .create(new_webhook(
            2,
            OTHER_PROVIDER,
            &[Topic::BookingHeld, Topic::BookingConfirmed],
            1,
        ))
        .await
        .unwrap();
    hooks
        .create(new_webhook(3, ADMIN, &[Topic::BookingHeld], 2))
        .await
        .unwrap();
    hooks
        .create(new_webhook(4, RETIRED_ADMIN, &[Topic::BookingConfirmed], 3))
        .await
        .unwrap();

    let page = Page::default();
    let own = hooks.list(Some(PROVIDER), page).await.unwrap();
    assert_eq!((own.total, own.items.len()), (1, 1));
    let all = hooks.list(None, page).await.unwrap();
    let ids: Vec<u128> = all.items.iter().map(|w| w.id.as_u128()).collect();
    assert_eq!(ids, vec![4, 3, 2, 1], "newest first");
    let paged = hooks
        .list(
            None,
            Page {
                limit: 2,
                offset: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!((paged.total, paged.items.len()), (4, 2));
    assert_eq!(
        hooks.get(Uuid::from_u128(2)).await.unwrap().url,
        "https://hooks.example.com/2"
    );
    assert!(matches!(
        hooks.get(Uuid::from_u128(99)).await,
        Err(DomainError::NotFound {
            entity: "webhook",
            ..
        })
    ));

    // The fan-out reads the organiser and the webhooks subscribed to the topic, with their
    // owners' role and standing (the domain decides who receives it).
    let t = hooks
        .targets(Topic::BookingConfirmed, Some(EVENT))
        .await
        .unwrap();
    assert_eq!(t.organizer_id, Some(PROVIDER));
    let found: Vec<(u128, Role, bool)> = t
        .webhooks
        .iter()
        .map(|w| (w.id.as_u128(), w.owner_role, w.owner_active))
        .collect();
    assert_eq!(
        found,
        vec![
            (1, Role::Provider, true),
            (2, Role::Provider, true),
            (4, Role::Admin, false)
        ]
    );
    let held = hooks
        .targets(Topic::BookingHeld, Some(EVENT))
        .await
        .unwrap();
    assert_eq!(held.webhooks.len(), 2);
    assert_eq!(
        hooks
            .targets(Topic::RefundIssued, Some(EVENT))
            .await
            .unwrap()
            .webhooks
            .len(),
        0
    );
    // An inactive webhook is no target.
    sql.batch_execute(
        "UPDATE webhooks SET active = false WHERE id = '00000000-0000-0000-0000-000000000001'",
    )
    .unwrap();
    let t = hooks
        .targets(Topic::BookingConfirmed, Some(EVENT))
        .await
        .unwrap();
    assert!(t.webhooks.iter().all(|w| w.id != Uuid::from_u128(1)));
}

fn delivery(n: u128, webhook: u128, source: u128) -> NewDelivery {
    NewDelivery {
        id: Uuid::from_u128(n),
        webhook_id: Uuid::from_u128(webhook),
        source_message_id: Uuid::from_u128(source),
        topic: Topic::BookingConfirmed,
        payload: json!({"id": Uuid::from_u128(n), "type": "booking.confirmed", "data": {"n": n as u64}}),
        created_at: now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_written_once_sent_through_its_outbox_row_logged_and_redelivered() {
    let (test_db, mut sql) = world();
    accounts(&mut sql);
    let (hooks, outbox) = store(test_db.url());
    hooks
        .create(new_webhook(1, ADMIN, &[Topic::BookingConfirmed], 0))
        .await
        .unwrap();
    hooks
        .create(new_webhook(2, PROVIDER, &[Topic::BookingConfirmed], 0))
        .await
        .unwrap();

    // One per webhook and source message: the same message fanned out again writes nothing.
    assert_eq!(
        hooks
            .fan_out(vec![delivery(100, 1, 7), delivery(101, 2, 7)])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        hooks
            .fan_out(vec![delivery(102, 1, 7), delivery(103, 2, 8)])
            .await
            .unwrap(),
        1
    );
    let log = hooks
        .deliveries(Uuid::from_u128(1), Page::default())
        .await
        .unwrap();
    assert_eq!(log.total, 1);
    let d = &log.items[0];
    assert_eq!(d.id, Uuid::from_u128(100));
    assert_eq!(d.status, OutboxStatus::Pending);
    assert_eq!(
        (d.attempts, d.last_status, d.next_attempt_at),
        (0, None, Some(now()))
    );
    assert_eq!(d.payload["data"]["n"], 100);
    // A webhook deleted meanwhile gets nothing.
    assert_eq!(hooks.fan_out(vec![delivery(104, 99, 7)]).await.unwrap(), 0);

    // The outbox row: topic `webhook`, about the delivery, its message id the delivery's id.
    let claimed = outbox
        .claim_due(now(), chrono::Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let c = claimed
        .iter()
        .find(|c| c.about == About::WebhookDelivery(Uuid::from_u128(100)))
        .expect("the delivery's row");
    assert_eq!(
        (c.topic, c.message_id, c.attempts),
        (Topic::Webhook, Uuid::from_u128(100), 1)
    );

    // What the worker sends, and the log of its attempts.
    let p = hooks.pending_attempt(Uuid::from_u128(100)).await.unwrap();
    assert_eq!(p.url, "https://hooks.example.com/1");
    assert_eq!(p.sealed_secret, vec![1, 2, 3, 1]);
    assert_eq!(p.topic, Topic::BookingConfirmed);
    assert_eq!(p.payload["id"], json!(Uuid::from_u128(100)));
    assert!(matches!(
        hooks.pending_attempt(Uuid::from_u128(555)).await,
        Err(DomainError::NotFound {
            entity: "webhook delivery",
            ..
        })
    ));
    let record = |status: Option<u16>, error: Option<&str>| AttemptRecord {
        at: now() + minutes(1),
        status,
        error: error.map(str::to_owned),
    };
    hooks
        .record_attempt(
            Uuid::from_u128(100),
            record(Some(500), Some("answered HTTP 500")),
        )
        .await
        .unwrap();
    outbox
        .mark_failed(
            c.id,
            "HTTP 500".into(),
            AfterFailure::RetryAt(now() + minutes(2)),
        )
        .await
        .unwrap();
    let d = hooks
        .get_delivery(Uuid::from_u128(1), Uuid::from_u128(100))
        .await
        .unwrap();
    assert_eq!(d.status, OutboxStatus::Pending);
    assert_eq!((d.attempts, d.last_status), (1, Some(500)));
    assert_eq!(d.last_error.as_deref(), Some("answered HTTP 500"));
    assert_eq!(d.next_attempt_at, Some(now() + minutes(2)));
    assert_eq!(d.last_attempt_at, Some(now() + minutes(1)));
    hooks
        .record_attempt(Uuid::from_u128(100), record(Some(200), None))
        .await
        .unwrap();
    outbox
        .mark_delivered(c.id, now() + minutes(3))
        .await
        .unwrap();
    let d = hooks
        .get_delivery(Uuid::from_u128(1), Uuid::from_u128(100))
        .await
        .unwrap();
    assert_eq!(d.status, OutboxStatus::Delivered);
    assert_eq!(
        (d.attempts, d.last_status, d.last_error.clone()),
        (2, Some(200), None)
    );
    assert_eq!(d.delivered_at, Some(now() + minutes(3)));
    assert_eq!(d.next_attempt_at, None);
    // Another webhook's delivery is not found under this one.
    assert!(matches!(
        hooks
            .get_delivery(Uuid::from_u128(2), Uuid::from_u128(100))
            .await,
        Err(DomainError::NotFound { .. })
    ));

    // Redelivered: pending again, due now, the outbox's attempts from 0, the log's kept.
    let again = hooks
        .redeliver(Uuid::from_u128(100), now() + minutes(10))
        .await
        .unwrap();
    assert_eq!(again.status, OutboxStatus::Pending);
    assert_eq!(again.next_attempt_at, Some(now() + minutes(10)));
    assert_eq!((again.attempts, again.delivered_at), (2, None));
    let reclaimed = outbox
        .claim_due(now() + minutes(10), chrono::Duration::seconds(60), 10)
        .await
        .unwrap();
    let c = reclaimed
        .iter()
        .find(|c| c.about == About::WebhookDelivery(Uuid::from_u128(100)))
        .expect("due again");
    assert_eq!(c.attempts, 1);
    assert!(matches!(
        hooks.redeliver(Uuid::from_u128(555), now()).await,
        Err(DomainError::NotFound { .. })
    ));

    // Deleting a webhook takes its deliveries and their outbox rows with it.
    hooks.delete(Uuid::from_u128(1)).await.unwrap();
    assert!(matches!(
        hooks.delete(Uuid::from_u128(1)).await,
        Err(DomainError::NotFound {
            entity: "webhook",
            ..
        })
    ));
    let rows = count(&mut sql, "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = '00000000-0000-0000-0000-000000000001'");
    assert_eq!(rows, 0);
    let rows = count(
        &mut sql,
        "SELECT count(*) AS n FROM outbox WHERE webhook_delivery_id = '00000000-0000-0000-0000-000000000064'",
    );
    assert_eq!(rows, 0);
    // The other webhook's deliveries stay.
    assert_eq!(
        hooks
            .deliveries(Uuid::from_u128(2), Page::default())
            .await
            .unwrap()
            .total,
        2
    );
}

fn count(sql: &mut PgConnection, query: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::RunQueryDsl::get_result::<N>(diesel::sql_query(query), sql)
        .unwrap()
        .n
}

#[test]
fn the_tables_refuse_what_the_domain_does_not_know() {
    let (_db, mut sql) = world();
    accounts(&mut sql);
    let insert = |sql: &mut PgConnection, events: &str| {
        sql.batch_execute(&format!(
            "INSERT INTO webhooks (id, owner_id, url, events, secret, created_at, updated_at)
             VALUES (gen_random_uuid(), '{ADMIN}', 'https://h.example.com', {events}, '\\x01',
                     now(), now())"
        ))
    };
    assert!(insert(&mut sql, "ARRAY['booking.confirmed']").is_ok());
    assert!(insert(&mut sql, "ARRAY[]::text[]").is_err(), "no event");
    assert!(
        insert(&mut sql, "ARRAY['announcement']").is_err(),
        "not a booking topic"
    );
    assert!(insert(&mut sql, "ARRAY['booking.teleported']").is_err());
    sql.batch_execute(&format!(
        "INSERT INTO webhooks (id, owner_id, url, events, secret, created_at, updated_at)
         VALUES ('00000000-0000-0000-0000-0000000000f1', '{ADMIN}', 'https://h.example.com',
                 ARRAY['booking.held'], '\\x01', now(), now());
         INSERT INTO webhook_deliveries (id, webhook_id, source_message_id, topic, payload,
                                         created_at)
         VALUES ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000f1',
                 gen_random_uuid(), 'booking.held', '{{}}', now());
         INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity,
                               total_amount, currency, created_at, updated_at)
         VALUES ('00000000-0000-0000-0000-0000000000f3', 'BX-HOOKS0001', 1, 'confirmed', 'Ada',
                 'ada@example.com', 1, 1000, 'USD', now(), now());"
    ))
    .unwrap();
    // An outbox row is about exactly one thing.
    let both = sql.batch_execute(
        "INSERT INTO outbox (message_id, topic, booking_id, webhook_delivery_id, at,
                             next_attempt_at)
         VALUES (gen_random_uuid(), 'webhook', '00000000-0000-0000-0000-0000000000f3',
                 '00000000-0000-0000-0000-0000000000f2', now(), now())",
    );
    assert!(both.is_err());
    let ok = sql.batch_execute(
        "INSERT INTO outbox (message_id, topic, webhook_delivery_id, at, next_attempt_at)
         VALUES (gen_random_uuid(), 'webhook', '00000000-0000-0000-0000-0000000000f2', now(),
                 now())",
    );
    assert!(ok.is_ok(), "{ok:?}");
    // One outbox row per delivery; a delivery's topic is a booking topic.
    let twice = sql.batch_execute(
        "INSERT INTO outbox (message_id, topic, webhook_delivery_id, at, next_attempt_at)
         VALUES (gen_random_uuid(), 'webhook', '00000000-0000-0000-0000-0000000000f2', now(),
                 now())",
    );
    assert!(twice.is_err());
    let bad_topic = sql.batch_execute(
        "INSERT INTO webhook_deliveries (id, webhook_id, source_message_id, topic, payload,
                                         created_at)
         VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000f1', gen_random_uuid(),
                 'webhook', '{}', now())",
    );
    assert!(bad_topic.is_err());
}
