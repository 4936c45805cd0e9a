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

mod concurrency;
mod header;
mod replays;

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
