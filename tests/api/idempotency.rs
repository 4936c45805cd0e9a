//! `Idempotency-Key` on `POST /api/v1/bookings`: replays, mismatches, scoping, concurrency,
//! takeover of abandoned attempts, expiry, and the store's leases.

use std::time::{Duration, Instant};

use boxoffice_domain::idempotency::{
    request_hash, Begin, IdempotencyKey, IdempotencyRules, IdempotencyScope, StoredResponse,
};
use boxoffice_domain::ports::IdempotencyStore;
use boxoffice_infra_postgres::PgIdempotencyStore;
use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const BOOKINGS: &str = "/api/v1/bookings";

/// One answer, with its raw bytes (a replay must be byte-identical).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    replayed: bool,
    bytes: Vec<u8>,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    fn id(&self) -> &str {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id: {}", self.body))
    }
}

/// POSTs `body` (sent byte for byte) to `/bookings` with an optional token and key.
async fn post(app: &TestApp, token: Option<&str>, key: Option<&[u8]>, body: &str) -> Answer {
    let mut b = app
        .anon_client
        .post(app.url(BOOKINGS))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        b = b.bearer_auth(t);
    }
    if let Some(k) = key {
        b = b.header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(k).expect("header value"),
        );
    }
    let res = b.send().await.expect("POST /bookings");
    let status = res.status();
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .map(|v| v == "true")
        .unwrap_or(false);
    let bytes = res.bytes().await.expect("body").to_vec();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        replayed,
        bytes,
        body,
    }
}

fn seats_body(show: i64, labels: &[&str]) -> String {
    json!({"show_id": show, "seat_labels": labels}).to_string()
}

fn quantity_body(show: i64, quantity: i64) -> String {
    json!({"show_id": show, "quantity": quantity}).to_string()
}

async fn booked_labels(app: &TestApp, show: i64) -> Vec<String> {
    app.seats(show)
        .await
        .into_iter()
        .filter(|s| s["status"] != "available")
        .map(|s| s["label"].as_str().unwrap().to_owned())
        .collect()
}

async fn my_bookings(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app.as_user(user).get("/bookings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

/// Runs SQL on the app's database (off the async threads).
async fn sql(app: &TestApp, query: String) {
    let url = app.db_url().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).expect("connect");
        diesel::sql_query(query).execute(&mut c).expect("sql");
    })
    .await
    .expect("join");
}

async fn count_keys(app: &TestApp, filter: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let url = app.db_url().to_owned();
    let query = format!("SELECT count(*) AS n FROM idempotency_keys WHERE {filter}");
    tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).expect("connect");
        diesel::sql_query(query)
            .get_result::<N>(&mut c)
            .expect("count")
            .n
    })
    .await
    .expect("join")
}

/// An `in_progress` row for (user, key, body), begun `age_secs` ago, as a process that died
/// mid-request leaves it.
async fn stuck_attempt(app: &TestApp, user: &TestUser, key: &str, body: &str, age_secs: i64) {
    let hash = request_hash("POST", BOOKINGS, body.as_bytes());
    let hex: String = hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    sql(
        app,
        format!(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, lease, created_at, expires_at) \
             VALUES ('user:{}', '{key}', '\\x{hex}', 'in_progress', gen_random_uuid(), \
                     now() - interval '{age_secs} seconds', now() + interval '1 day')",
            user.id
        ),
    )
    .await;
}

// --- replays ------------------------------------------------------------------------------------

#[tokio::test]
async fn the_same_key_and_body_replay_the_first_answer_and_book_once() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let body = seats_body(show, &["A1", "A2"]);

    let first = post(&app, Some(&ann.access_token), Some(b"key-1"), &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    let again = post(&app, Some(&ann.access_token), Some(b"key-1"), &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert!(again.replayed, "a replay carries Idempotent-Replayed: true");
    assert_eq!(again.bytes, first.bytes, "the replay is byte-identical");
    let third = post(&app, Some(&ann.access_token), Some(b"key-1"), &body).await;
    assert_eq!(third.bytes, first.bytes);

    // One booking: two seats taken, one booking listed.
    assert_eq!(booked_labels(&app, show).await, vec!["A1", "A2"]);
    let mine = my_bookings(&app, &ann).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["id"], first.body["id"]);

    // The key is kept at least 24 h after the answer.
    assert_eq!(
        count_keys(
            &app,
            &format!(
                "scope = 'user:{}' AND key = 'key-1' AND status = 'completed' \
                 AND response_status = 201 AND expires_at >= completed_at + interval '24 hours'",
                ann.id
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn without_a_key_every_request_is_new() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let body = quantity_body(show, 1);
    let a = post(&app, Some(&ann.access_token), None, &body).await;
    let b = post(&app, Some(&ann.access_token), None, &body).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert!(!a.replayed && !b.replayed);
    assert_ne!(a.id(), b.id());
    assert_eq!(my_bookings(&app, &ann).await.len(), 2);
    assert_eq!(count_keys(&app, "true").await, 0);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let first = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);

    let other = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &seats_body(show, &["A2"]),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert_eq!(other.code(), "idempotency_key_reused");
    assert!(!other.replayed);
    // The same JSON spaced differently is a different request: bodies are compared as bytes.
    let spaced = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &format!("{{\"show_id\": {show}, \"seat_labels\": [\"A1\"]}}"),
    )
    .await;
    assert_eq!(spaced.code(), "idempotency_key_reused");

    assert_eq!(booked_labels(&app, show).await, vec!["A1"]);
    assert_eq!(my_bookings(&app, &ann).await.len(), 1);
    // The first request still replays.
    let again = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert!(again.replayed);
    assert_eq!(again.bytes, first.bytes);
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let body = quantity_body(show, 2);

    // The same key and the same body from two users: two bookings, one each.
    let a = post(&app, Some(&ann.access_token), Some(b"shared-key"), &body).await;
    let b = post(&app, Some(&bob.access_token), Some(b"shared-key"), &body).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert!(!b.replayed, "bob must not get ann's answer");
    assert_ne!(a.id(), b.id());
    assert_eq!(a.body["user_id"], ann.id.as_str());
    assert_eq!(b.body["user_id"], bob.id.as_str());
    // A different body under the same key from a third user is not a mismatch either.
    let cy = app.signup("cy@example.com", "customer").await;
    let c = post(
        &app,
        Some(&cy.access_token),
        Some(b"shared-key"),
        &quantity_body(show, 1),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);

    // Each replays their own.
    let a2 = post(&app, Some(&ann.access_token), Some(b"shared-key"), &body).await;
    let b2 = post(&app, Some(&bob.access_token), Some(b"shared-key"), &body).await;
    assert!(a2.replayed && b2.replayed);
    assert_eq!(a2.bytes, a.bytes);
    assert_eq!(b2.bytes, b.bytes);
    assert_eq!(my_bookings(&app, &ann).await.len(), 1);
    assert_eq!(my_bookings(&app, &bob).await.len(), 1);
    assert_eq!(app.show(show).await["available_seats"], 5);
}

#[tokio::test]
async fn a_refusal_is_replayed_even_after_the_seat_is_free_again() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let bobs = post(
        &app,
        Some(&bob.access_token),
        None,
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(bobs.status, StatusCode::CREATED);

    let body = seats_body(show, &["A1"]);
    let taken = post(&app, Some(&ann.access_token), Some(b"try-A1"), &body).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert_eq!(taken.code(), "seat_unavailable");

    // Bob cancels: A1 is free, but Ann's retry is answered as the first time.
    let (status, _) = app
        .as_user(&bob)
        .post_json(&format!("/bookings/{}/cancel", bobs.id()), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let retry = post(&app, Some(&ann.access_token), Some(b"try-A1"), &body).await;
    assert_eq!(retry.status, StatusCode::CONFLICT);
    assert!(retry.replayed);
    assert_eq!(retry.bytes, taken.bytes);
    assert!(booked_labels(&app, show).await.is_empty());
    assert!(my_bookings(&app, &ann).await.is_empty());

    // A new key is a new attempt.
    let fresh = post(&app, Some(&ann.access_token), Some(b"try-A1-again"), &body).await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
}

#[tokio::test]
async fn a_failed_validation_is_replayed() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let body = json!({"show_id": show, "seat_labels": ["A1"], "email": "not-an-email"}).to_string();
    let first = post(&app, Some(&ann.access_token), Some(b"bad-email"), &body).await;
    assert_error(
        &(first.status, first.body.clone()),
        422,
        "validation_failed",
    );
    assert!(!first.replayed);
    let again = post(&app, Some(&ann.access_token), Some(b"bad-email"), &body).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.replayed);
    assert_eq!(again.bytes, first.bytes);
    // The key stays bound to that request.
    let fixed = post(
        &app,
        Some(&ann.access_token),
        Some(b"bad-email"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(fixed.code(), "idempotency_key_reused");
    assert!(booked_labels(&app, show).await.is_empty());
}

#[tokio::test]
async fn a_body_refused_before_processing_does_not_use_the_key() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    // Malformed JSON and a wrong shape are refused by the body parser, before the key is
    // looked at: nothing is stored.
    let malformed = post(&app, Some(&ann.access_token), Some(b"k"), "{\"show_id\":").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let shape = json!({"show_id": show, "seat_labels": ["A1"], "colour": 1}).to_string();
    let unknown = post(&app, Some(&ann.access_token), Some(b"k"), &shape).await;
    assert_error(
        &(unknown.status, unknown.body.clone()),
        422,
        "validation_failed",
    );
    assert_eq!(count_keys(&app, "true").await, 0);
    // So the corrected request may use the key.
    let ok = post(
        &app,
        Some(&ann.access_token),
        Some(b"k"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert!(!ok.replayed);
}

// --- the header ---------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_keys_are_400_and_do_nothing() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let body = seats_body(show, &["A1"]);
    let long = "k".repeat(300);
    for bad in [
        &b""[..],
        long.as_bytes(),
        "clé".as_bytes(),
        "ключ".as_bytes(),
        b"two words",
        b"tab\there",
    ] {
        let r = post(&app, Some(&ann.access_token), Some(bad), &body).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{:?}: {}",
            String::from_utf8_lossy(bad),
            r.body
        );
        assert_eq!(r.code(), "invalid_idempotency_key", "{}", r.body);
    }
    // 255 characters is the longest accepted.
    let longest = "k".repeat(255);
    let ok = post(
        &app,
        Some(&ann.access_token),
        Some(longest.as_bytes()),
        &body,
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(booked_labels(&app, show).await, vec!["A1"]);
}

#[tokio::test]
async fn the_header_sent_twice_is_400() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let res = app
        .anon_client
        .post(app.url(BOOKINGS))
        .bearer_auth(&ann.access_token)
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&json!({"show_id": show, "seat_labels": ["A1"]}))
        .send()
        .await
        .expect("POST");
    assert_error(&decode(res).await, 400, "invalid_idempotency_key");
    assert!(booked_labels(&app, show).await.is_empty());
}

#[tokio::test]
async fn a_guest_that_lost_the_answer_retries_and_gets_the_same_booking() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 50, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let body = json!({"show_id": show, "quantity": 2, "name": "Gus", "email": "gus@example.com"})
        .to_string();
    let key = b"7f0c1c2e-guest-retry-5b1e-4d6a-9f70-3c2b1a0e9d8c";
    let first = post(&app, None, Some(key), &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    let token = first.body["guest_token"].as_str().expect("guest_token");
    // The answer was lost: the same key and body gets the same booking and the same token,
    // byte for byte, and nothing is booked twice.
    let again = post(&app, None, Some(key), &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert!(again.replayed);
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(again.body["guest_token"], token);
    assert_eq!(app.show(show).await["available_seats"], 48);
    // Kept under a hash of the key, the answer sealed: neither the key as sent nor the guest
    // token is in the table.
    assert_eq!(count_keys(&app, "scope LIKE 'anon:%'").await, 1);
    let raw = std::str::from_utf8(key).unwrap();
    assert_eq!(count_keys(&app, &format!("key = '{raw}'")).await, 0);
    let in_clear = format!("position(convert_to('{token}', 'UTF8') in response_body) > 0");
    assert_eq!(count_keys(&app, &in_clear).await, 0);
    // The key is scoped to the request: another body with the same key is another request
    // (another guest's booking, not the first one's answer), and a signed-in caller with the
    // same key and body does not get the guest's answer either.
    let other = json!({"show_id": show, "quantity": 1, "name": "Ida", "email": "ida@example.com"})
        .to_string();
    let second = post(&app, None, Some(key), &other).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert!(!second.replayed);
    assert_ne!(second.id(), first.id());
    assert_ne!(second.body["guest_token"], token);
    let ann = app.signup("ann@example.com", "customer").await;
    let signed_in = post(&app, Some(&ann.access_token), Some(key), &body).await;
    assert_eq!(signed_in.status, StatusCode::CREATED, "{}", signed_in.body);
    assert!(!signed_in.replayed);
    assert_ne!(signed_in.id(), first.id());
    assert!(signed_in.body["guest_token"].is_null());
    assert_eq!(app.show(show).await["available_seats"], 45);
    // A bad token is still a 401, key or not.
    let bad = post(&app, Some("not-a-token"), Some(key), &body).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

// --- concurrency --------------------------------------------------------------------------------

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
