//! Helpers of the booking lifecycle: holds, payments, refunds, concurrent requests.

use super::*;

/// An RFC 3339 time of a JSON answer.
#[track_caller]
pub fn time_of(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("not an RFC 3339 time {v}: {e}"))
}

/// The `id` of a JSON answer, as text.
#[track_caller]
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

/// One answer with its `Idempotent-Replayed` flag.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub replayed: bool,
}

/// Sends a request and keeps the `Idempotent-Replayed` flag.
pub async fn send_for_answer(b: reqwest::RequestBuilder) -> Answer {
    let res = b.send().await.expect("request");
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let (status, body) = decode(res).await;
    Answer {
        status,
        body,
        replayed,
    }
}

/// Sends all `requests` at once (each waits on one barrier first) and returns the answers in
/// the order given. Use from a multi-thread runtime.
pub async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<Answer> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|b| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                send_for_answer(b).await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// The body of a booking of the seats `labels` (as Ann, ann@example.com).
pub fn seat_labels_body(show_id: i64, labels: &[&str]) -> Value {
    json!({"show_id": show_id, "seat_labels": labels, "name": "Ann", "email": "ann@example.com"})
}

/// Just past the default hold time of 10 minutes.
pub fn past_the_hold() -> Duration {
    Duration::minutes(10) + Duration::seconds(1)
}

impl Caller<'_> {
    /// `POST /bookings` of the seats `labels` as this caller.
    pub async fn book_labels(&self, show_id: i64, labels: &[&str]) -> (StatusCode, Value) {
        self.post_json("/bookings", &seat_labels_body(show_id, labels))
            .await
    }

    /// Books the seats `labels` of a priced show, asserting a 201 hold.
    pub async fn hold(&self, show_id: i64, labels: &[&str]) -> Value {
        let (status, body) = self.book_labels(show_id, labels).await;
        assert_eq!(status, StatusCode::CREATED, "book {labels:?}: {body}");
        assert_eq!(body["status"], "held", "{body}");
        body
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::PUT, path).json(body))
            .await
    }

    /// `POST /payments/initiate` for `booking_id` with `method`.
    pub async fn initiate(&self, booking_id: &str, method: &str) -> (StatusCode, Value) {
        self.post_json(
            "/payments/initiate",
            &json!({"booking_id": booking_id, "payment_method": method}),
        )
        .await
    }

    /// `POST /payments/confirm` of `payment_id`.
    pub async fn confirm(&self, payment_id: &str) -> (StatusCode, Value) {
        self.post_json("/payments/confirm", &json!({"payment_id": payment_id}))
            .await
    }

    /// Initiates and confirms a `tok_success` payment of a held booking (201 then 200); returns
    /// the succeeded payment.
    pub async fn pay(&self, booking_id: &str) -> Value {
        let (status, initiated) = self.initiate(booking_id, "tok_success").await;
        assert_eq!(status, StatusCode::CREATED, "initiate: {initiated}");
        let (status, paid) = self.confirm(&id_of(&initiated)).await;
        assert_eq!(status, StatusCode::OK, "confirm: {paid}");
        assert_eq!(paid["status"], "succeeded", "{paid}");
        paid
    }

    /// The booking as this caller reads it (200 asserted).
    pub async fn booking(&self, booking_id: &str) -> Value {
        let (status, body) = self.get(&format!("/bookings/{booking_id}")).await;
        assert_eq!(status, StatusCode::OK, "GET booking: {body}");
        body
    }

    /// The history entries of a booking (200 asserted).
    pub async fn history(&self, booking_id: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/bookings/{booking_id}/history")).await;
        assert_eq!(status, StatusCode::OK, "history: {body}");
        body["items"].as_array().expect("items").clone()
    }

    /// `POST /payments/{id}/refund`.
    pub async fn refund(
        &self,
        payment_id: &str,
        amount: Option<i64>,
        reason: &str,
    ) -> (StatusCode, Value) {
        let mut body = json!({"reason": reason});
        if let Some(a) = amount {
            body["amount"] = json!(a);
        }
        self.post_json(&format!("/payments/{payment_id}/refund"), &body)
            .await
    }
}

impl TestApp {
    /// One seat of the seat map, by label.
    pub async fn seat(&self, show_id: i64, label: &str) -> Value {
        self.seats(show_id)
            .await
            .into_iter()
            .find(|s| s["label"] == label)
            .unwrap_or_else(|| panic!("no seat {label}"))
    }

    /// Runs one `SELECT … AS n` (a bigint) on the app's database.
    pub async fn count_sql(&self, sql: String) -> i64 {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let url = self.db_url().to_owned();
        tokio::task::spawn_blocking(move || {
            let mut c = diesel::PgConnection::establish(&url).expect("connect");
            diesel::sql_query(sql)
                .get_result::<N>(&mut c)
                .expect("query")
                .n
        })
        .await
        .expect("blocking task")
    }

    /// The status of a booking as stored (not as read through the API).
    pub async fn stored_status(&self, booking_id: &str) -> String {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct S {
            #[diesel(sql_type = diesel::sql_types::Text)]
            status: String,
        }
        let url = self.db_url().to_owned();
        let sql = format!("SELECT status FROM bookings WHERE id = '{booking_id}'");
        tokio::task::spawn_blocking(move || {
            let mut c = diesel::PgConnection::establish(&url).expect("connect");
            diesel::sql_query(sql)
                .get_result::<S>(&mut c)
                .expect("query")
                .status
        })
        .await
        .expect("blocking task")
    }
}
