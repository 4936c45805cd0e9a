//! Concurrency, takeover of abandoned attempts, expiry, and the store's leases.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_requests_with_one_key_book_once() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 100, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let body = quantity_body(show, 2);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let tasks = (0..20).map(|_| {
        let client = app.anon_client.clone();
        let url = app.url(BOOKINGS);
        let token = ann.access_token.clone();
        let body = body.clone();
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "one-key")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST");
            let status = res.status();
            let replayed = res.headers().contains_key("idempotent-replayed");
            let bytes = res.bytes().await.expect("body").to_vec();
            (status, bytes, replayed)
        })
    });
    let results: Vec<(StatusCode, Vec<u8>, bool)> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();

    let created: Vec<&Vec<u8>> = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED)
        .map(|r| &r.1)
        .collect();
    assert!(!created.is_empty(), "no 201 at all");
    for r in &results {
        match r.0 {
            StatusCode::CREATED => assert_eq!(&r.1, created[0], "every 201 is the same answer"),
            StatusCode::CONFLICT => {
                let v: Value = serde_json::from_slice(&r.1).unwrap();
                assert_eq!(v["error"]["code"], "request_in_progress", "{v}");
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&r.1)),
        }
    }
    // One request did the work; every other 201 is a replay of its answer.
    let fresh = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED && !r.2)
        .count();
    assert_eq!(fresh, 1, "exactly one request did the work");
    let mine = my_bookings(&app, &ann).await;
    assert_eq!(mine.len(), 1, "exactly one booking: {mine:?}");
    let first: Value = serde_json::from_slice(created[0]).unwrap();
    assert_eq!(mine[0]["id"], first["id"]);
    assert_eq!(app.show(show).await["available_seats"], 98);
}

#[tokio::test]
async fn a_request_in_progress_is_waited_for_then_answered_409() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let body = quantity_body(show, 1);
    // Another request with this key began a second ago and is still working.
    stuck_attempt(&app, &ann, "busy", &body, 1).await;
    let started = Instant::now();
    let r = post(&app, Some(&ann.access_token), Some(b"busy"), &body).await;
    let waited = started.elapsed();
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "request_in_progress");
    assert!(
        waited >= Duration::from_millis(1500),
        "answered after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "answered after {waited:?}"
    );
    assert!(my_bookings(&app, &ann).await.is_empty());
    // Another body under that key is a mismatch at once, in progress or not.
    let other = post(
        &app,
        Some(&ann.access_token),
        Some(b"busy"),
        &quantity_body(show, 2),
    )
    .await;
    assert_eq!(other.code(), "idempotency_key_reused");
}

#[tokio::test]
async fn an_abandoned_attempt_is_taken_over() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let body = quantity_body(show, 1);
    // A process died 2 minutes ago while working on this key (takeover age: 60 s).
    stuck_attempt(&app, &ann, "orphan", &body, 120).await;
    let r = post(&app, Some(&ann.access_token), Some(b"orphan"), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        !r.replayed,
        "the work is done by the request that took over"
    );
    let again = post(&app, Some(&ann.access_token), Some(b"orphan"), &body).await;
    assert!(again.replayed);
    assert_eq!(again.bytes, r.bytes);
    assert_eq!(my_bookings(&app, &ann).await.len(), 1);
}

#[tokio::test]
async fn expired_keys_are_forgotten_and_cleaned_up() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let body = quantity_body(show, 1);
    let first = post(&app, Some(&ann.access_token), Some(b"old"), &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    // A day and more later…
    sql(
        &app,
        "UPDATE idempotency_keys SET created_at = now() - interval '26 hours', \
         completed_at = now() - interval '26 hours', expires_at = now() - interval '2 hours'"
            .into(),
    )
    .await;
    // …the key is new again: the work is done again.
    let later = post(&app, Some(&ann.access_token), Some(b"old"), &body).await;
    assert_eq!(later.status, StatusCode::CREATED);
    assert!(!later.replayed);
    assert_ne!(later.id(), first.id());
    assert_eq!(my_bookings(&app, &ann).await.len(), 2);

    // Expired rows of others are deleted, in bounded batches, by requests with new keys.
    sql(
        &app,
        "INSERT INTO idempotency_keys (scope, key, request_hash, status, lease, created_at, expires_at) \
         SELECT 'user:' || gen_random_uuid(), 'k' || i, sha256('x'::bytea), 'in_progress', \
                gen_random_uuid(), now() - interval '3 days', now() - interval '2 days' \
         FROM generate_series(1, 150) AS i"
            .into(),
    )
    .await;
    assert_eq!(count_keys(&app, "expires_at <= now()").await, 150);
    let next = post(&app, Some(&ann.access_token), Some(b"new-1"), &body).await;
    assert_eq!(next.status, StatusCode::CREATED);
    assert_eq!(count_keys(&app, "expires_at <= now()").await, 50);
    let next = post(&app, Some(&ann.access_token), Some(b"new-2"), &body).await;
    assert_eq!(next.status, StatusCode::CREATED);
    assert_eq!(count_keys(&app, "expires_at <= now()").await, 0);
    // Live keys stay.
    assert_eq!(count_keys(&app, "expires_at > now()").await, 3);
}

// --- the store's leases -------------------------------------------------------------------------

#[tokio::test]
async fn the_store_guards_attempts_with_leases() {
    let app = spawn_app().await;
    let db = boxoffice::connect_for_command(app.db_url(), &app.settings).expect("pool");
    let store = PgIdempotencyStore::new(db);
    let rules = IdempotencyRules::default();
    let scope = IdempotencyScope::user(uuid::Uuid::new_v4());
    let key = IdempotencyKey::parse("lease-test").unwrap();
    let hash = request_hash("POST", "/x", b"{}");
    let now = chrono::Utc::now();
    let answer = |status| StoredResponse {
        status,
        body: b"{\"ok\":true}".to_vec(),
        content_type: Some("application/json".into()),
    };

    let Begin::Begun(first) = store.begin(&scope, &key, hash, now, rules).await.unwrap() else {
        panic!("a new key begins");
    };
    assert_eq!(
        store.begin(&scope, &key, hash, now, rules).await.unwrap(),
        Begin::InProgress
    );
    // Released (a 5xx): the next request begins again, with a new lease.
    store.abandon(&scope, &key, first).await.unwrap();
    let Begin::Begun(second) = store.begin(&scope, &key, hash, now, rules).await.unwrap() else {
        panic!("a released key begins again");
    };
    assert_ne!(first, second);
    // The old lease can neither complete nor release the new attempt.
    let later = now + chrono::Duration::seconds(1);
    let expires = later + rules.ttl;
    store
        .complete(&scope, &key, first, answer(200), later, expires)
        .await
        .unwrap();
    store.abandon(&scope, &key, first).await.unwrap();
    assert_eq!(
        store.begin(&scope, &key, hash, later, rules).await.unwrap(),
        Begin::InProgress
    );
    // Taken over after the takeover age; the slow first owner cannot overwrite the answer.
    let much_later = now + rules.takeover_after;
    let Begin::Begun(third) = store
        .begin(&scope, &key, hash, much_later, rules)
        .await
        .unwrap()
    else {
        panic!("an abandoned attempt is taken over");
    };
    store
        .complete(
            &scope,
            &key,
            third,
            answer(201),
            much_later,
            much_later + rules.ttl,
        )
        .await
        .unwrap();
    store
        .complete(
            &scope,
            &key,
            second,
            answer(200),
            much_later,
            much_later + rules.ttl,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .begin(&scope, &key, hash, much_later, rules)
            .await
            .unwrap(),
        Begin::Replay(answer(201))
    );
    // A completed key is not released by anyone.
    store.abandon(&scope, &key, third).await.unwrap();
    assert_eq!(
        store
            .begin(
                &scope,
                &key,
                request_hash("POST", "/x", b"{ }"),
                much_later,
                rules
            )
            .await
            .unwrap(),
        Begin::Mismatch
    );
}
