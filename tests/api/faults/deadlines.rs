//! A booking past its deadline; measuring connection checkout (by hand).

use super::*;

/// A booking whose caller was answered 503 at the call deadline (here: waiting for a seat lock
/// longer than `call_timeout_ms`, with `lock_timeout` longer still) goes on once the lock is
/// released, and rolls back at its end: the caller was told "unavailable", so nothing may be
/// committed behind its back. (On the shared test server: no signal is sent to it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_past_its_deadline_rolls_back() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let app = crate::helpers::spawn_app_with(|s| {
        s.database.call_timeout_ms = 1000;
        s.database.lock_timeout_ms = 5000;
        s.database.statement_timeout_ms = 5000;
    })
    .await;
    let show = app.simple_seated_show().await;
    let seat = app.seat_ids(show, &["A1"]).await[0];
    let url = app.db_url().to_owned();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let locker = tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).expect("connect");
        c.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query(format!("SELECT 1 FROM seats WHERE id = {seat} FOR UPDATE"))
                .execute(c)?;
            locked_tx.send(()).expect("signal");
            std::thread::sleep(Duration::from_millis(1800));
            Ok(())
        })
        .expect("hold the seat's lock");
    });
    blocking(move || locked_rx.recv().expect("locked")).await;
    let started = Instant::now();
    let (status, body) = app
        .anon()
        .post_json(
            "/bookings",
            &crate::helpers::seat_labels_body(show, &["A1"]),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(took < Duration::from_millis(1900), "{took:?}");
    locker.await.expect("locker");
    // The booking's transaction got the lock now; give it time to reach its end.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seats = app.seats(show).await;
    assert_eq!(seats[0]["label"], "A1");
    assert_eq!(
        seats[0]["status"], "available",
        "booked behind a 503: {}",
        seats[0]
    );
    let (status, body) = app.book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The measurement behind ADR 0009 (by hand:
/// `cargo test -p boxoffice --test api measure_checkout -- --ignored --nocapture`): the cost of
/// testing connections on check-out, and what a restart does without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn measure_checkout_test() {
    for test_on_checkout in [false, true] {
        let cluster = started_cluster().await;
        let mut server = Server::start(&cluster, test_on_checkout).await;
        server.until_ready(Duration::from_secs(10)).await;
        let show = server.admin_and_show(10).await;
        let path = format!("/api/v1/shows/{show}");
        for _ in 0..200 {
            server.get(&path).await;
        }
        let n = 2000;
        let started = Instant::now();
        for _ in 0..n {
            assert_eq!(server.get(&path).await.status, StatusCode::OK);
        }
        let per_read = started.elapsed() / n;
        // Fill the pool, restart, then read for 3 s.
        let _ = tokio::join!(
            server.get(&path),
            server.get(&path),
            server.get(&path),
            server.get(&path)
        );
        let c = cluster.clone();
        blocking(move || c.restart_fast()).await;
        let (mut ok, mut unavailable, mut other) = (0, 0, 0);
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            match server.get(&path).await.status.as_u16() {
                200 => ok += 1,
                503 => unavailable += 1,
                _ => other += 1,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!(
            "test_on_checkout={test_on_checkout}: {per_read:?} per sequential read; after a \
             restart: {ok} ok, {unavailable} 503, {other} other in 3 s"
        );
    }
}
