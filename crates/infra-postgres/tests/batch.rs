//! The coalescing of bookings of one show (`batch.rs`, ADR 0011) against PostgreSQL: requests
//! that queue behind a running transaction are booked together, each answered on its own; when
//! the batch's transaction fails as a whole, its requests are tried one by one, so one
//! request's failure never becomes another's.

#[path = "tx_contract/support.rs"]
#[allow(dead_code)]
mod tx_contract_support;

use std::time::Duration as StdDuration;

use boxoffice_domain::booking::BookingStatus;
use boxoffice_domain::ports::BookingRepository;
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::{BatchStats, Db, PgBookingRepository, PoolConfig};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tx_contract_support::*;

/// Three requests: C waits on a seat another connection has locked, so A and B queue behind
/// it and are booked in one transaction. A asks for a seat whose past-due hold another
/// transaction is settling (locked): the lazy expiry skips that hold, the seat looks free, and
/// the batch's insert hits the unique index on active seats. The batch is then retried one by
/// one: A alone gets 409 `seat_unavailable`, B is booked all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_is_retried_one_request_at_a_time() {
    let (test_db, mut seed) = world();
    // A past-due hold on A1 (seat 1101).
    seed.batch_execute(
        "INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity,
                               total_amount, currency, created_at, updated_at, expires_at)
         VALUES ('00000000-0000-0000-0000-0000000000b0', 'BX-PASTDUE01', 1, 'held', 'Old',
                 'old@example.com', 1, 1000, 'USD', '2030-06-01T19:00:00Z',
                 '2030-06-01T19:00:00Z', '2030-06-01T19:10:00Z');
         INSERT INTO booking_items (booking_id, show_id, seat_id, seat_class_id, label, quantity,
                                    price, tier)
         VALUES ('00000000-0000-0000-0000-0000000000b0', 1, 1101, 11, 'A1', 1, 1000, 'min');",
    )
    .unwrap();
    let db = Db::connect(test_db.url(), &PoolConfig::default()).unwrap();
    let repo = PgBookingRepository::new(db);

    // Another transaction holds the past-due booking (as a settlement would) …
    let mut settling = PgConnection::establish(test_db.url()).unwrap();
    settling
        .batch_execute(
            "BEGIN; SELECT id FROM bookings WHERE id = '00000000-0000-0000-0000-0000000000b0' FOR UPDATE;",
        )
        .unwrap();
    // … and another one seat A3, so that the first batch (C) waits.
    let mut blocker = PgConnection::establish(test_db.url()).unwrap();
    blocker
        .batch_execute("BEGIN; SELECT id FROM seats WHERE id = 1103 FOR UPDATE;")
        .unwrap();

    let c = tokio::spawn({
        let repo = repo.clone();
        async move { repo.book(request("A3"), now()).await }
    });
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let a = tokio::spawn({
        let repo = repo.clone();
        async move { repo.book(request("A1"), now()).await }
    });
    let b = tokio::spawn({
        let repo = repo.clone();
        async move { repo.book(request("A2"), now()).await }
    });
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    blocker.batch_execute("COMMIT;").unwrap();

    let c = c.await.unwrap().expect("C is booked");
    let b = b.await.unwrap().expect("B is booked although A failed");
    let a = a.await.unwrap();
    assert!(
        matches!(a, Err(DomainError::SeatsUnavailable { .. })),
        "A: {a:?}"
    );
    assert_eq!(c.items[0].label.as_deref(), Some("A3"));
    assert_eq!(b.items[0].label.as_deref(), Some("A2"));
    assert_eq!(
        (b.status, c.status),
        (BookingStatus::Held, BookingStatus::Held)
    );
    // C alone; A and B together (failed); A, then B, one by one.
    assert_eq!(
        repo.batch_stats(),
        BatchStats {
            transactions: 4,
            requests: 3
        }
    );
    settling.batch_execute("ROLLBACK;").unwrap();

    // Once the settlement has let go, A1's past-due hold is written down on the way.
    let a = repo
        .book(request("A1"), now())
        .await
        .expect("A1 is free now");
    assert_eq!(a.items[0].label.as_deref(), Some("A1"));
    let mut check = PgConnection::establish(test_db.url()).unwrap();
    let expired: Vec<(String,)> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT status FROM bookings WHERE id = '00000000-0000-0000-0000-0000000000b0'",
        ),
        &mut check,
    )
    .map(|rows: Vec<StatusRow>| rows.into_iter().map(|r| (r.status,)).collect())
    .unwrap();
    assert_eq!(expired, [("expired".to_owned(),)]);
}

/// Requests that arrive while a transaction of their show runs are booked together, each with
/// its own answer, priced in arrival order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_requests_are_booked_together_in_arrival_order() {
    let (test_db, _seed) = world();
    let db = Db::connect(test_db.url(), &PoolConfig::default()).unwrap();
    let repo = PgBookingRepository::new(db);
    let mut blocker = PgConnection::establish(test_db.url()).unwrap();
    blocker
        .batch_execute("BEGIN; SELECT id FROM seats WHERE id = 1110 FOR UPDATE;")
        .unwrap();
    let first = tokio::spawn({
        let repo = repo.clone();
        async move { repo.book(request("A10"), now()).await }
    });
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let mut queued = Vec::new();
    for label in ["A1", "A2", "A3", "A4", "A2"] {
        let repo = repo.clone();
        queued.push(tokio::spawn(async move {
            repo.book(request(label), now()).await
        }));
        // Arrival order is the order of the queue.
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    blocker.batch_execute("COMMIT;").unwrap();
    let first = first.await.unwrap().expect("A10");
    assert_eq!(first.total_amount, 1000);
    let mut answers = Vec::new();
    for q in queued {
        answers.push(q.await.unwrap());
    }
    // Stalls: 10 seats at 1000/2000/3000; A10 sold first. A1, A2, A3 are priced on 1, 2, 3 of
    // 10 sold (min), A4 on 4 of 10 (40 %: normal); the second A2 is taken by the first.
    let prices: Vec<Option<i64>> = answers
        .iter()
        .map(|a| a.as_ref().ok().map(|b| b.total_amount))
        .collect();
    assert_eq!(
        prices,
        [Some(1000), Some(1000), Some(1000), Some(2000), None]
    );
    assert!(matches!(
        &answers[4],
        Err(DomainError::SeatsUnavailable { seats }) if seats == &["A2".to_owned()]
    ));
    // A10 alone, then the five queued requests in one transaction.
    assert_eq!(
        repo.batch_stats(),
        BatchStats {
            transactions: 2,
            requests: 6
        }
    );
}

#[derive(diesel::QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}
