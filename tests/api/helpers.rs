//! Test harness: one server + one fresh database per test, and request/builder helpers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use boxoffice_domain::lifecycle::SweepReport;
use boxoffice_domain::payment::sign_webhook;
use boxoffice_domain::ports::Clock;
use boxoffice_infra_payments::MockGateway;
use boxoffice_testdb::TestDb;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// A port nothing listens on (yet): the operating system's pick, let go at once.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The admin every test app starts with (created through the library, as `create-admin` does).
pub const ADMIN_EMAIL: &str = "admin@test.local";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A running server over its own database (dropped with the app).
///
/// `client` sends the admin's access token with every request (catalogue set-up needs an admin
/// or a provider); `anon_client` sends none. Use [`TestApp::anon`] / [`TestApp::with_token`] to
/// call as someone else.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub anon_client: reqwest::Client,
    pub admin_token: String,
    pub settings: boxoffice::Settings,
    /// The server's clock: the wall clock plus an offset the test moves forward.
    pub clock: Arc<TestClock>,
    /// The server's payment gateway (the mock, shared with [`TestApp::sweep`]).
    pub gateway: Arc<MockGateway>,
    pool: boxoffice_infra_postgres::Db,
    _db: TestDb,
}

/// A clock a test can move forward: the wall clock plus an offset.
#[derive(Debug, Default)]
pub struct TestClock {
    offset_ms: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// The test profile's settings (`config/test.toml`), sized for tests.
pub fn test_settings() -> boxoffice::Settings {
    let mut settings = boxoffice::Settings::load_from(
        "test",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
    )
    .expect("settings");
    settings.server.workers = 2;
    settings.database.pool_size = 10;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A test app whose settings `tweak` changes first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut boxoffice::Settings)) -> TestApp {
    let url = database_url();
    let db = tokio::task::spawn_blocking(move || TestDb::create(&url))
        .await
        .expect("join")
        .expect("create test database (is PostgreSQL running? set DATABASE_URL)");
    let mut settings = test_settings();
    tweak(&mut settings);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let clock = Arc::new(TestClock::default());
    // The server's own gateway: the mock, its ledger in the test database.
    let pool = boxoffice::connect_for_command(db.url(), &settings).expect("pool");
    let gateway = Arc::new(boxoffice::mock_gateway(&settings, &pool));
    let parts = boxoffice::Parts {
        clock: clock.clone(),
        gateway: gateway.clone(),
    };
    let server = boxoffice::start_with(listener, db.url(), &settings, parts)
        .await
        .expect("start server");
    tokio::spawn(server);
    // The first admin, made the way `boxoffice create-admin` makes it.
    let state = boxoffice::state(&pool, &settings).expect("state");
    state
        .accounts
        .create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, Default::default())
        .await
        .expect("create admin");
    let base = format!("http://127.0.0.1:{port}");
    let anon_client = reqwest::Client::new();
    let (status, body) = decode(
        anon_client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "admin login: {body}");
    let admin_token = body["access_token"].as_str().expect("token").to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {admin_token}").parse().expect("header"),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client");
    TestApp {
        base,
        client,
        anon_client,
        admin_token,
        settings,
        clock,
        gateway,
        pool,
        _db: db,
    }
}

impl TestApp {
    /// Another server over the same database, as a second instance behind a load balancer
    /// would be (same settings, clock and gateway): its base URL. It runs until the test ends.
    pub async fn second_instance(&self) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let parts = boxoffice::Parts {
            clock: self.clock.clone(),
            gateway: self.gateway.clone(),
        };
        let server = boxoffice::start_with(listener, self._db.url(), &self.settings, parts)
            .await
            .expect("start the second instance");
        tokio::spawn(server);
        format!("http://127.0.0.1:{port}")
    }
}

/// Requests as one caller: anonymous, or with a bearer token, plus extra headers.
pub struct Caller<'a> {
    app: &'a TestApp,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

impl Caller<'_> {
    /// Adds a header to every request of this caller.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut b = self.app.anon_client.request(method, self.app.url(path));
        if let Some(t) = &self.token {
            b = b.bearer_auth(t);
        }
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        b
    }

    pub async fn send(&self, b: reqwest::RequestBuilder) -> (StatusCode, Value) {
        decode(b.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::POST, path).json(body))
            .await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::PATCH, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        self.send(
            self.request(reqwest::Method::POST, path)
                .header("content-type", content_type)
                .body(body.to_owned()),
        )
        .await
    }
}

/// A signed-up user: tokens and id.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn anon(&self) -> Caller<'_> {
        Caller {
            app: self,
            token: None,
            headers: vec![],
        }
    }

    pub fn with_token(&self, token: &str) -> Caller<'_> {
        Caller {
            app: self,
            token: Some(token.to_owned()),
            headers: vec![],
        }
    }

    pub fn as_user(&self, user: &TestUser) -> Caller<'_> {
        self.with_token(&user.access_token)
    }

    pub fn as_admin(&self) -> Caller<'_> {
        self.with_token(&self.admin_token)
    }

    /// Signs up `email` with `role` (customer or provider) and returns its tokens.
    pub async fn signup(&self, email: &str, role: &str) -> TestUser {
        let password = "correct-horse-battery";
        let (status, body) = self
            .anon()
            .post_json(
                "/auth/signup",
                &json!({"email": email, "password": password, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "signup {email}: {body}");
        TestUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            access_token: body["access_token"].as_str().expect("token").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }
}

/// Decodes a response: status and JSON body (`Value::Null` when not JSON).
pub async fn decode(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let bytes = res.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// Asserts an error response: status and `error.code`.
#[track_caller]
pub fn assert_error(resp: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(
        resp.0.as_u16(),
        status,
        "unexpected status, body: {}",
        resp.1
    );
    assert_eq!(
        resp.1["error"]["code"], code,
        "unexpected error code, body: {}",
        resp.1
    );
}

/// Asserts a 422 `validation_failed` naming `field` in `details.fields`.
#[track_caller]
pub fn assert_invalid(resp: &(StatusCode, Value), field: &str) {
    assert_error(resp, 422, "validation_failed");
    let fields = resp.1["error"]["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no details.fields: {}", resp.1));
    assert!(
        fields.iter().any(|f| f["field"] == field),
        "field {field} not named: {}",
        resp.1
    );
}

pub fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339()
}

/// One class of a seated show: name, prices, rows and seats per row.
pub struct ClassSpec<'a> {
    pub name: &'a str,
    pub prices: (Option<i64>, Option<i64>, Option<i64>),
    pub rows: &'a [&'a str],
    pub seats_per_row: i64,
}

impl TestApp {
    /// Runs the background sweep once, on the server's clock and gateway.
    pub async fn sweep(&self) -> SweepReport {
        let parts = boxoffice::Parts {
            clock: self.clock.clone(),
            gateway: self.gateway.clone(),
        };
        boxoffice::sweeper(&self.pool, &self.settings, &parts)
            .run_once()
            .await
            .expect("sweep")
    }

    /// Runs one delivery pass of the outbox, on the server's clock.
    pub async fn deliver(&self) -> boxoffice_domain::delivery::DeliveryReport {
        let parts = boxoffice::Parts {
            clock: self.clock.clone(),
            gateway: self.gateway.clone(),
        };
        boxoffice::delivery(&self.pool, &self.settings, &parts)
            .expect("delivery")
            .run_once()
            .await
            .expect("delivery pass")
    }

    /// Posts `body` to the payment webhook, signed with the configured secret at the server's
    /// current time.
    pub async fn webhook(&self, body: &Value) -> (StatusCode, Value) {
        let raw = serde_json::to_vec(body).expect("json");
        let signature = sign_webhook(
            self.settings.payments.webhook_secret.expose().as_bytes(),
            self.clock.now().timestamp(),
            &raw,
        );
        self.webhook_signed(&raw, &signature).await
    }

    /// Posts raw bytes to the payment webhook with the given signature header.
    pub async fn webhook_signed(&self, raw: &[u8], signature: &str) -> (StatusCode, Value) {
        decode(
            self.anon_client
                .post(self.url("/payments/webhook"))
                .header("content-type", "application/json")
                .header("X-Boxoffice-Signature", signature)
                .body(raw.to_vec())
                .send()
                .await
                .expect("POST webhook"),
        )
        .await
    }

    /// The URL of this app's own database.
    pub fn db_url(&self) -> &str {
        self._db.url()
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api/")
            && !path.starts_with("/health")
            && !path.starts_with("/ready")
            && !path.starts_with("/openapi")
            && !path.starts_with("/swagger")
        {
            format!("{}/api/v1{path}", self.base)
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        decode(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        decode(
            self.client
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// POST a raw body with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        decode(
            self.client
                .post(self.url(path))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    pub async fn post_multipart(
        &self,
        path: &str,
        file: Vec<u8>,
        name: &str,
    ) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(file)
            .file_name(name.to_owned())
            .mime_str("text/csv")
            .expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        decode(
            self.client
                .post(self.url(path))
                .multipart(form)
                .send()
                .await
                .expect("POST multipart"),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        decode(
            self.client
                .delete(self.url(path))
                .send()
                .await
                .expect("DELETE"),
        )
        .await
    }

    // ---------- builders ----------

    #[track_caller]
    fn created(resp: (StatusCode, Value), what: &str) -> Value {
        assert_eq!(resp.0, StatusCode::CREATED, "create {what}: {}", resp.1);
        resp.1
    }

    pub async fn create_city_named(&self, name: &str) -> i64 {
        let r = self
            .post_json(
                "/cities",
                &json!({"name": name, "country": "Testland", "latitude": 52.5, "longitude": 13.4}),
            )
            .await;
        Self::created(r, "city")["id"].as_i64().expect("city id")
    }

    /// A city with a unique name.
    pub async fn create_city(&self) -> i64 {
        let name = format!("Springfield {}", uuid::Uuid::new_v4().simple());
        self.create_city_named(&name).await
    }

    pub async fn create_venue(&self, city_id: i64) -> i64 {
        let r = self
            .post_json(
                "/venues",
                &json!({"city_id": city_id, "name": "Grand Hall", "address": "1 Main St",
                        "latitude": 52.5, "longitude": 13.4}),
            )
            .await;
        Self::created(r, "venue")["id"].as_i64().expect("venue id")
    }

    /// An event without shows; returns its id.
    pub async fn create_event(&self, city_id: i64, event_type: &str, title: &str) -> i64 {
        let r = self
            .post_json(
                "/events",
                &json!({"title": title, "event_type": event_type, "city_id": city_id}),
            )
            .await;
        Self::created(r, "event")["id"].as_i64().expect("event id")
    }

    /// An event with one general-admission show of `total_seats` in a week; returns the body.
    pub async fn create_ga_event(&self, city_id: i64, total_seats: i64, price: i64) -> Value {
        let r = self
            .post_json(
                "/events",
                &json!({"title": "Open air", "event_type": "concert", "city_id": city_id,
                        "total_seats": total_seats, "date": in_days(7), "price": price}),
            )
            .await;
        Self::created(r, "GA event")
    }

    /// A fresh city + event (ids).
    pub async fn quick_event(&self) -> i64 {
        let city = self.create_city().await;
        self.create_event(city, "concert", "Quick").await
    }

    /// A seated show generated from class specs; returns the show body.
    pub async fn seated_show(&self, event_id: i64, classes: &[ClassSpec<'_>]) -> Value {
        let classes: Vec<Value> = classes
            .iter()
            .map(|c| {
                json!({"name": c.name, "min_price": c.prices.0, "normal_price": c.prices.1,
                       "max_price": c.prices.2, "rows": c.rows, "seats_per_row": c.seats_per_row})
            })
            .collect();
        let r = self
            .post_json(
                &format!("/events/{event_id}/shows"),
                &json!({"starts_at": in_days(7), "ends_at": in_days(8), "seat_classes": classes}),
            )
            .await;
        Self::created(r, "seated show")
    }

    /// A general-admission show; returns the show body.
    pub async fn ga_show(&self, event_id: i64, capacity: i64, price: Option<i64>) -> Value {
        let r = self
            .post_json(
                &format!("/events/{event_id}/shows"),
                &json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": capacity,
                        "price": price}),
            )
            .await;
        Self::created(r, "GA show")
    }

    /// A seated show with one class `A` of 10 seats (A1..A10) priced 100/200/300.
    pub async fn simple_seated_show(&self) -> i64 {
        let event = self.quick_event().await;
        let show = self
            .seated_show(
                event,
                &[ClassSpec {
                    name: "A",
                    prices: (Some(100), Some(200), Some(300)),
                    rows: &["A"],
                    seats_per_row: 10,
                }],
            )
            .await;
        show["id"].as_i64().expect("show id")
    }

    pub async fn seats(&self, show_id: i64) -> Vec<Value> {
        let (status, body) = self.get(&format!("/shows/{show_id}/seats")).await;
        assert_eq!(status, StatusCode::OK, "seats: {body}");
        body["items"].as_array().expect("items").clone()
    }

    /// Seat id by label.
    pub async fn seat_ids(&self, show_id: i64, labels: &[&str]) -> Vec<i64> {
        let seats = self.seats(show_id).await;
        labels
            .iter()
            .map(|l| {
                seats
                    .iter()
                    .find(|s| s["label"] == *l)
                    .unwrap_or_else(|| panic!("no seat {l}"))["id"]
                    .as_i64()
                    .expect("seat id")
            })
            .collect()
    }

    pub async fn book(&self, body: Value) -> (StatusCode, Value) {
        self.post_json("/bookings", &body).await
    }

    /// `POST /bookings` of the seats `labels` with the admin's token.
    pub async fn book_labels(&self, show_id: i64, labels: &[&str]) -> (StatusCode, Value) {
        self.book(seat_labels_body(show_id, labels)).await
    }

    pub async fn book_quantity(&self, show_id: i64, quantity: i64) -> (StatusCode, Value) {
        self.book(
            json!({"show_id": show_id, "quantity": quantity, "name": "Ann",
                         "email": "ann@example.com"}),
        )
        .await
    }

    pub async fn show(&self, show_id: i64) -> Value {
        let (status, body) = self.get(&format!("/shows/{show_id}")).await;
        assert_eq!(status, StatusCode::OK, "show: {body}");
        body
    }
}

impl TestApp {
    /// An event (no shows) in a new city of that name.
    pub async fn quick_event_in_new_city(&self, city: &str) -> i64 {
        let city = self.create_city_named(city).await;
        self.create_event(city, "concert", "Quick").await
    }
}

mod lifecycle;
pub use lifecycle::*;
