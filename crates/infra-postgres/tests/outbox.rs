//! The outbox against PostgreSQL: every booking change writes its message in the same
//! transaction (the bookings' own statement, the engine's `enqueue`, the completion sweep), a
//! refused booking writes none, and the table refuses what the domain does not know.

#[path = "tx_contract/support.rs"]
#[allow(dead_code)]
mod tx_contract_support;

use boxoffice_domain::booking::BookingStatus;
use boxoffice_domain::payment::RefundPolicy;
use boxoffice_domain::ports::BookingRepository;
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::{Db, PgBookingRepository, PoolConfig};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Int8, Text, Timestamptz};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use tx_contract_support::*;
use uuid::Uuid;

#[derive(QueryableByName, Debug, PartialEq)]
struct Message {
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Timestamptz)]
    next_attempt_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Int8)]
    attempts: i64,
}

fn messages(conn: &mut PgConnection, booking: Uuid) -> Vec<Message> {
    diesel::sql_query(format!(
        "SELECT topic, status, at, next_attempt_at, attempts::bigint AS attempts FROM outbox \
         WHERE booking_id = '{booking}' ORDER BY id"
    ))
    .load(conn)
    .unwrap()
}

fn topics(conn: &mut PgConnection, booking: Uuid) -> Vec<String> {
    messages(conn, booking)
        .into_iter()
        .map(|m| m.topic)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_writes_its_message_with_it_and_a_refusal_writes_none() {
    let (test_db, mut sql) = world();
    let repo =
        PgBookingRepository::new(Db::connect(test_db.url(), &PoolConfig::default()).unwrap());

    let held = repo.book(request("A1"), now()).await.unwrap();
    assert_eq!(held.status, BookingStatus::Held);
    let written = messages(&mut sql, held.id);
    assert_eq!(
        written,
        [Message {
            topic: "booking.held".into(),
            status: "pending".into(),
            at: now(),
            next_attempt_at: now(),
            attempts: 0,
        }]
    );

    // A1 is taken: refused, and nothing is written for it.
    let count = |sql: &mut PgConnection| -> usize {
        diesel::sql_query(
            "SELECT topic, status, at, next_attempt_at, 0::bigint AS attempts FROM outbox",
        )
        .load::<Message>(sql)
        .unwrap()
        .len()
    };
    let before = count(&mut sql);
    let refused = repo.book(request("A1"), now()).await;
    assert!(
        matches!(refused, Err(DomainError::SeatsUnavailable { .. })),
        "{refused:?}"
    );
    assert_eq!(count(&mut sql), before);

    // A cancellation, through the engine's `enqueue`.
    repo.cancel_booking(
        held.id,
        now() + minutes(1),
        "guest".into(),
        "changed my mind".into(),
        RefundPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        topics(&mut sql, held.id),
        ["booking.held", "booking.cancelled"]
    );

    // An expiry by the sweep, dated at the deadline.
    let lapsing = repo.book(request("A2"), now()).await.unwrap();
    assert_eq!(repo.expire_due(now() + minutes(11), 10).await.unwrap(), 1);
    let expiry = messages(&mut sql, lapsing.id).pop().unwrap();
    assert_eq!(expiry.topic, "booking.expired");
    assert_eq!(Some(expiry.at), lapsing.expires_at);

    // A confirmed booking of a show that ended: the completion sweep's one statement.
    sql.batch_execute(
        "INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity,
                               total_amount, currency, created_at, updated_at)
         VALUES ('00000000-0000-0000-0000-0000000000d1', 'BX-DONE00001', 1, 'confirmed', 'Ada',
                 'ada@example.com', 1, 1000, 'USD', '2030-06-01T19:00:00Z',
                 '2030-06-01T19:00:00Z');",
    )
    .unwrap();
    let after_show = starts() + minutes(24 * 60);
    assert!(repo.complete_ended(after_show, 10).await.unwrap() >= 1);
    let done = Uuid::from_u128(0xd1);
    let completion = messages(&mut sql, done);
    assert_eq!(completion.len(), 1);
    assert_eq!(
        (completion[0].topic.as_str(), completion[0].at),
        ("booking.completed", after_show)
    );
}

#[test]
fn the_table_refuses_an_unknown_topic_and_a_delivered_row_without_its_time() {
    let (_db, mut sql) = world();
    sql.batch_execute(
        "INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity,
                               total_amount, currency, created_at, updated_at)
         VALUES ('00000000-0000-0000-0000-0000000000e1', 'BX-OUTBOX001', 1, 'confirmed', 'Ada',
                 'ada@example.com', 1, 1000, 'USD', now(), now());",
    )
    .unwrap();
    let bad_topic = sql.batch_execute(
        "INSERT INTO outbox (message_id, topic, booking_id, at, next_attempt_at)
         VALUES (gen_random_uuid(), 'booking.teleported',
                 '00000000-0000-0000-0000-0000000000e1', now(), now())",
    );
    assert!(bad_topic.is_err());
    let no_time = sql.batch_execute(
        "INSERT INTO outbox (message_id, topic, booking_id, at, next_attempt_at, status)
         VALUES (gen_random_uuid(), 'booking.held',
                 '00000000-0000-0000-0000-0000000000e1', now(), now(), 'delivered')",
    );
    assert!(no_time.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_leased_disjoint_and_end_delivered_retried_or_dead() {
    use boxoffice_domain::outbox::AfterFailure;
    use boxoffice_domain::ports::OutboxStore;
    use boxoffice_infra_postgres::PgOutboxStore;

    let (test_db, _sql) = world();
    let db = Db::connect(test_db.url(), &PoolConfig::default()).unwrap();
    let repo = PgBookingRepository::new(db.clone());
    let store = PgOutboxStore::new(db);
    for seat in ["A1", "A2", "A3", "A4"] {
        repo.book(request(seat), now()).await.unwrap();
    }
    let lease = chrono::Duration::seconds(60);

    // Two workers at once: disjoint claims that cover every due message.
    let (a, b) = tokio::join!(
        store.claim_due(now(), lease, 3),
        store.claim_due(now(), lease, 3)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut ids: Vec<i64> = a.iter().chain(&b).map(|c| c.id).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(
        (n, ids.len()),
        (4, 4),
        "each message claimed once: {a:?} {b:?}"
    );
    assert!(a.iter().chain(&b).all(|c| c.attempts == 1));
    assert!(a
        .iter()
        .chain(&b)
        .all(|c| c.topic.as_str() == "booking.held"));
    // Leased: nothing is due while the lease runs.
    assert!(store.claim_due(now(), lease, 10).await.unwrap().is_empty());

    store.mark_delivered(ids[0], now()).await.unwrap();
    store
        .mark_failed(
            ids[1],
            "smtp down".into(),
            AfterFailure::RetryAt(now() + minutes(5)),
        )
        .await
        .unwrap();
    store
        .mark_failed(ids[2], "smtp down".into(), AfterFailure::Dead)
        .await
        .unwrap();
    // After the lease: the one nobody finished (its worker died) is due again, attempt 2.
    let after_lease = store
        .claim_due(now() + minutes(2), lease, 10)
        .await
        .unwrap();
    assert_eq!(
        after_lease
            .iter()
            .map(|c| (c.id, c.attempts))
            .collect::<Vec<_>>(),
        [(ids[3], 2)]
    );
    // The retried one at its time (and the unfinished one again, its second lease over); the
    // delivered and the dead ones never.
    let later = store
        .claim_due(now() + minutes(6), lease, 10)
        .await
        .unwrap();
    let got: Vec<(i64, u32)> = later.iter().map(|c| (c.id, c.attempts)).collect();
    assert_eq!(got, [(ids[1], 2), (ids[3], 3)]);
    let much_later = store
        .claim_due(now() + minutes(600), lease, 10)
        .await
        .unwrap();
    let got: Vec<i64> = much_later.iter().map(|c| c.id).collect();
    assert_eq!(got, [ids[1], ids[3]]);
}
