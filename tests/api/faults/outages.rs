//! The database restarted, hung, or down when the server starts.

use super::*;

/// `pg_ctl restart -m fast` under light load (reads and guest bookings from two clients):
/// never a 500; 503 only while the database is away; every request succeeds once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_restart_answers_503_at_most_and_recovers_at_once() {
    let cluster = started_cluster().await;
    let mut server = Server::start(&cluster, true).await;
    server.until_ready(Duration::from_secs(10)).await;
    let show = server.admin_and_show(100_000).await;
    let server = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let log: Arc<Mutex<Vec<(Instant, StatusCode)>>> = Arc::default();
    let clients: Vec<_> = (0..2)
        .map(|i| {
            let (server, stop, log) = (server.clone(), stop.clone(), log.clone());
            tokio::spawn(async move {
                let mut n = 0u32;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let sent = Instant::now();
                    let r = if (n + i).is_multiple_of(4) {
                        server.book(show).await
                    } else {
                        server.get(&format!("/api/v1/shows/{show}")).await
                    };
                    assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{r:?}");
                    if r.status.is_server_error() {
                        assert_unavailable(&r);
                    } else {
                        assert!(r.status.is_success(), "{r:?}");
                    }
                    log.lock().unwrap().push((sent, r.status));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let c = cluster.clone();
    blocking(move || c.restart_fast()).await;
    let restarted = Instant::now();
    // Reads succeed again within a few seconds...
    let back = loop {
        let r = server.get(&format!("/api/v1/shows/{show}")).await;
        if r.status == StatusCode::OK {
            break restarted.elapsed();
        }
        assert_unavailable(&r);
        assert!(restarted.elapsed() < Duration::from_secs(5), "{r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // ... and then every request does: no dead connection is handed out again.
    let recovered = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("no client saw a 500");
    }
    let log = std::mem::take(&mut *log.lock().unwrap());
    let failed_after: Vec<_> = log
        .iter()
        .filter(|(sent, status)| *sent >= recovered && !status.is_success())
        .collect();
    let total_503 = log.iter().filter(|(_, s)| s.is_server_error()).count();
    eprintln!(
        "restart: reads back {back:?} after pg_ctl returned; {} requests, {total_503} 503s",
        log.len()
    );
    assert!(
        failed_after.is_empty(),
        "failed after recovery: {failed_after:?}"
    );
    assert!(log.iter().filter(|(s, _)| *s >= recovered).count() >= 10);
    assert_eq!(server.book(show).await.status, StatusCode::CREATED);
}

/// A hung database (every process SIGSTOPped): requests answer 503 within the call deadline
/// instead of waiting out the hang, `/ready` within its own; after SIGCONT all works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_database_answers_503_within_the_deadline() {
    let cluster = started_cluster().await;
    let mut server = Server::start(&cluster, true).await;
    server.until_ready(Duration::from_secs(10)).await;
    let show = server.admin_and_show(1000).await;
    assert_eq!(server.book(show).await.status, StatusCode::CREATED);
    let c = cluster.clone();
    blocking(move || c.signal("STOP")).await;
    let hung = Instant::now();
    let slack = Duration::from_millis(1500);
    // Two rounds: the first finds idle connections (their test hangs), the second finds every
    // connection stuck in the first round's calls.
    for _ in 0..2 {
        let path = format!("/api/v1/shows/{show}");
        let (read, booking, ready) =
            tokio::join!(server.get(&path), server.book(show), server.get("/ready"));
        for r in [&read, &booking] {
            assert_unavailable(r);
            assert!(
                r.took < Duration::from_millis(CALL_TIMEOUT_MS) + slack,
                "{r:?}"
            );
        }
        assert_unavailable(&ready);
        assert!(
            ready.took < Duration::from_millis(READY_TIMEOUT_MS) + slack,
            "{ready:?}"
        );
        assert_eq!(server.get("/health").await.status, StatusCode::OK);
    }
    let hang = hung.elapsed();
    let c = cluster.clone();
    blocking(move || c.signal("CONT")).await;
    let resumed = Instant::now();
    server.until_ready(Duration::from_secs(10)).await;
    let r = server.book(show).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    eprintln!(
        "hang of {hang:?}: bookings again {:?} after SIGCONT",
        resumed.elapsed()
    );
    // The bookings answered 503 during the hang went on once the database resumed, and rolled
    // back at their end: only the two acknowledged bookings hold places.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let detail = server.get(&format!("/api/v1/shows/{show}")).await;
    assert_eq!(detail.body["available_seats"], 998, "{detail:?}");
}

/// `serve` with the database down: it serves (`/health` 200, `/ready` and the API 503, never
/// 500), applies the migrations once the database is up, and then books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_while_the_database_is_down() {
    let cluster = blocking(|| Arc::new(Cluster::create())).await;
    let started = Instant::now();
    let mut server = Server::start(&cluster, true).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "start took long"
    );
    assert_eq!(server.get("/health").await.status, StatusCode::OK);
    assert_unavailable(&server.get("/ready").await);
    assert_unavailable(&server.get("/api/v1/events").await);
    assert_unavailable(
        &server
            .post(
                "/api/v1/auth/login",
                &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
            )
            .await,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_unavailable(&server.get("/ready").await);
    let c = cluster.clone();
    blocking(move || c.start()).await;
    let took = server.until_ready(Duration::from_secs(15)).await;
    eprintln!("ready {took:?} after the database started");
    let show = server.admin_and_show(10).await;
    let r = server.book(show).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert!(r.body["guest_token"].is_string());
}
