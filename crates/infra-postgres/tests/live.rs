//! Live streams against PostgreSQL (ADR 0014): versions stamped by readers, single-use stream
//! tickets, and signals that a committed write sends and every listener receives.

#[path = "tx_contract/support.rs"]
#[allow(dead_code)]
mod tx_contract_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use boxoffice_domain::account::TokenHash;
use boxoffice_domain::live::{Signal, SignalSink};
use boxoffice_domain::ports::{BookingRepository, LiveStore};
use boxoffice_infra_postgres::{Db, PgBookingRepository, PgLiveStore, PoolConfig};
use diesel::connection::SimpleConnection;
use tx_contract_support::*;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_names_one_state_and_versions_only_grow() {
    let (test_db, _sql) = world();
    let store = PgLiveStore::new(Db::connect(test_db.url(), &PoolConfig::default()).unwrap());
    assert_eq!(store.stamp(1, 111).await.unwrap(), 1, "the first state");
    assert_eq!(store.stamp(1, 111).await.unwrap(), 1, "the same state");
    assert_eq!(store.stamp(1, 222).await.unwrap(), 2, "a new state");
    assert_eq!(
        store.stamp(1, 111).await.unwrap(),
        3,
        "an earlier state again: a new version, never an old one"
    );
    assert_eq!(store.stamp(2, 111).await.unwrap(), 1, "per show");

    // Ten instances stamping one new state at once agree on its version.
    let all = futures_util::future::join_all((0..10).map(|_| {
        let store = store.clone();
        async move { store.stamp(1, 333).await.unwrap() }
    }))
    .await;
    assert!(all.iter().all(|v| *v == 4), "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_is_taken_once_and_expired_ones_are_dropped() {
    let (test_db, mut sql) = world();
    let user = Uuid::new_v4();
    sql.batch_execute(&format!(
        "INSERT INTO users (id, email, password_hash, role, created_at, updated_at) \
         VALUES ('{user}', 'ann@example.com', 'x', 'customer', now(), now())"
    ))
    .unwrap();
    let store = PgLiveStore::new(Db::connect(test_db.url(), &PoolConfig::default()).unwrap());
    let (a, b) = (TokenHash::of("ticket-a"), TokenHash::of("ticket-b"));
    store
        .store_ticket(a, user, now() + minutes(1), now())
        .await
        .unwrap();
    assert_eq!(
        store.take_ticket(a).await.unwrap(),
        Some((user, now() + minutes(1)))
    );
    assert_eq!(store.take_ticket(a).await.unwrap(), None, "used up");
    assert_eq!(store.take_ticket(b).await.unwrap(), None, "unknown");

    store
        .store_ticket(b, user, now() + minutes(1), now())
        .await
        .unwrap();
    // Storing another ticket two minutes later drops b, which expired meanwhile.
    store
        .store_ticket(a, user, now() + minutes(3), now() + minutes(2))
        .await
        .unwrap();
    assert_eq!(store.take_ticket(b).await.unwrap(), None);
}

#[derive(Default)]
struct Heard(Mutex<Vec<Signal>>);

impl SignalSink for Heard {
    fn signal(&self, signal: Signal) {
        self.0.lock().unwrap().push(signal);
    }
}

impl Heard {
    /// Waits up to 5 s for a signal that `wanted` accepts.
    async fn wait_for(&self, wanted: impl Fn(&Signal) -> bool) -> bool {
        for _ in 0..100 {
            if self.0.lock().unwrap().iter().any(&wanted) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_booking_is_signalled_to_every_listener_and_a_refused_one_is_not() {
    let (test_db, _sql) = world();
    let writer = Db::connect(test_db.url(), &PoolConfig::default()).unwrap();
    let listener = Db::connect(test_db.url(), &PoolConfig::default()).unwrap();
    let heard = Arc::new(Heard::default());
    let sink: Arc<dyn SignalSink> = heard.clone();
    listener
        .listen(
            Duration::from_millis(10),
            Duration::from_secs(10),
            Arc::downgrade(&sink),
        )
        .unwrap();
    // Signals before the sender starts are dropped (commands, tools).
    writer.signal(Signal::Seats(vec![99]));
    writer.start_signals(Duration::from_millis(5));
    tokio::time::sleep(Duration::from_millis(300)).await; // the listener is listening

    let repo = PgBookingRepository::new(writer.clone());
    repo.book(request("A1"), now()).await.unwrap();
    assert!(
        heard.wait_for(|s| *s == Signal::Seats(vec![1])).await,
        "the booking's show: {:?}",
        heard.0.lock().unwrap()
    );
    heard.0.lock().unwrap().clear();
    assert!(repo.book(request("A1"), now()).await.is_err());
    let user = Uuid::new_v4();
    writer.signal(Signal::Inbox(vec![user]));
    assert!(heard.wait_for(|s| *s == Signal::Inbox(vec![user])).await);
    let all = heard.0.lock().unwrap().clone();
    assert!(
        !all.iter().any(|s| matches!(s, Signal::Seats(_))),
        "nothing for the refused booking: {all:?}"
    );
    assert!(!all.contains(&Signal::Seats(vec![99])));
}
