//! Thin client for the parts of the boxoffice HTTP API the benchmark uses.

use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Clone)]
pub struct Api {
    http: Client,
    /// e.g. `http://127.0.0.1:18080/api/v1/` (always ends with '/').
    base: Url,
    /// e.g. `http://127.0.0.1:18080/`
    root: Url,
    /// An admin's access token for the catalogue set-up (bookings are made as guests).
    token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Seat {
    pub id: i64,
    pub label: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub is_booked: Option<bool>,
}

impl Seat {
    /// Not available for sale (booked or held).
    pub fn taken(&self) -> bool {
        self.is_booked == Some(true)
            || matches!(self.status.as_deref(), Some("booked") | Some("held"))
    }

    pub fn booked(&self) -> bool {
        self.is_booked == Some(true) || self.status.as_deref() == Some("booked")
    }
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    #[serde(default)]
    total: Option<i64>,
}

/// What a booking attempt came back with.
#[derive(Debug)]
pub enum BookingOutcome {
    /// 201: the seat ids (seated) and the number of places booked.
    Created { seat_ids: Vec<i64>, places: i64 },
    /// 409: error code and the seat labels named in `error.details.seats`.
    Conflict { code: String, seats: Vec<String> },
    /// Anything else (status 0 = transport error).
    Failed { status: u16, body: String },
}

/// Only loopback targets: this tool is a load generator, it must not be pointed elsewhere.
pub fn check_loopback(url: &Url) -> Result<()> {
    match url.host_str() {
        Some("127.0.0.1") | Some("localhost") | Some("[::1]") | Some("::1") => Ok(()),
        other => Err(format!("refusing non-loopback target {other:?}: use 127.0.0.1").into()),
    }
}

impl Api {
    pub fn new(server: &str, pool: usize) -> Result<Self> {
        let mut root = Url::parse(server)?;
        check_loopback(&root)?;
        if !root.path().ends_with('/') {
            let p = format!("{}/", root.path());
            root.set_path(&p);
        }
        let base = root.join("api/v1/")?;
        let http = Client::builder()
            .pool_max_idle_per_host(pool)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            http,
            base,
            root,
            token: None,
        })
    }

    /// Signs in (an admin: the set-up creates cities and venues) and keeps the access token.
    pub async fn login(&mut self, email: &str, password: &str) -> Result<()> {
        let resp = self
            .http
            .post(self.url("auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        if status != StatusCode::OK {
            return Err(format!("login as {email} -> {status}: {text}").into());
        }
        let v: Value = serde_json::from_str(&text)?;
        self.token = v
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(())
    }

    fn url(&self, path: &str) -> Url {
        self.base
            .join(path.trim_start_matches('/'))
            .expect("valid relative path")
    }

    pub async fn health(&self) -> bool {
        match self
            .http
            .get(self.root.join("health").expect("url"))
            .send()
            .await
        {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    }

    async fn post_created(&self, path: &str, body: Value) -> Result<i64> {
        let v = self.post_json(path, body).await?;
        v.get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("POST {path}: no numeric id in {v}").into())
    }

    pub async fn create_city(&self, name: &str) -> Result<i64> {
        self.post_created(
            "cities",
            json!({"name": name, "country": "Benchland", "latitude": 52.52, "longitude": 13.405}),
        )
        .await
    }

    pub async fn create_venue(&self, city_id: i64, name: &str) -> Result<i64> {
        self.post_created(
            "venues",
            json!({"city_id": city_id, "name": name, "address": "1 Load Street",
                   "latitude": 52.5, "longitude": 13.4}),
        )
        .await
    }

    pub async fn create_event(&self, city_id: i64, venue_id: i64, title: &str) -> Result<i64> {
        self.post_created(
            "events",
            json!({"title": title, "description": "boxoffice-bench", "event_type": "concert",
                   "city_id": city_id, "venue_id": venue_id}),
        )
        .await
    }

    /// Any show creation body (seated or general admission).
    pub async fn create_show(&self, event_id: i64, body: Value) -> Result<i64> {
        self.post_created(&format!("events/{event_id}/shows"), body)
            .await
    }

    /// How many outbox messages wait for delivery (`GET /admin/outbox?status=pending`, as the
    /// admin the set-up signed in).
    pub async fn pending_outbox(&self) -> Result<i64> {
        let v = self
            .get_json("admin/outbox?status=pending&limit=1", true)
            .await?;
        v.get("total")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("GET admin/outbox: no total in {v}").into())
    }

    /// How many outbox messages have been delivered so far (`status=delivered`).
    pub async fn delivered_outbox(&self) -> Result<i64> {
        self.outbox_total("delivered").await
    }

    async fn outbox_total(&self, status: &str) -> Result<i64> {
        let mut req = self
            .http
            .get(self.url(&format!("admin/outbox?status={status}&limit=1")));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(format!("GET admin/outbox -> {status}: {text}").into());
        }
        let v: Value = serde_json::from_str(&text)?;
        v.get("total")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("GET admin/outbox: no total in {text}").into())
    }

    /// The whole seat map, following limit/offset paging if the server pages.
    pub async fn seats(&self, show_id: i64) -> Result<Vec<Seat>> {
        let mut all: Vec<Seat> = Vec::new();
        let limit = 1000;
        for _ in 0..10_000 {
            let url = self.url(&format!(
                "shows/{show_id}/seats?limit={limit}&offset={}",
                all.len()
            ));
            let resp = self.http.get(url).send().await?;
            let status = resp.status();
            if !status.is_success() {
                return Err(format!("GET seats -> {status}: {}", resp.text().await?).into());
            }
            let page: Page<Seat> = resp.json().await?;
            let n = page.items.len();
            all.extend(page.items);
            let total = page.total.unwrap_or(all.len() as i64);
            if n == 0 || all.len() as i64 >= total {
                break;
            }
        }
        Ok(all)
    }

    /// One GET of a seat map for the read benchmark; returns (status, body bytes).
    pub async fn get_raw(&self, url: Url) -> (u16, usize) {
        match self.http.get(url).send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                match r.bytes().await {
                    Ok(b) => (s, b.len()),
                    Err(_) => (0, 0),
                }
            }
            Err(_) => (0, 0),
        }
    }

    pub fn seats_url(&self, show_id: i64, query: &str) -> Url {
        self.url(&format!("shows/{show_id}/seats{query}"))
    }

    /// Probe GET of a seat map: (items in the default page, total).
    pub async fn seats_probe(&self, show_id: i64) -> Result<(usize, i64)> {
        let resp = self
            .http
            .get(self.url(&format!("shows/{show_id}/seats")))
            .send()
            .await?;
        let page: Page<Seat> = resp.error_for_status()?.json().await?;
        let n = page.items.len();
        Ok((n, page.total.unwrap_or(n as i64)))
    }

    /// `POST path` with the set-up's token: the JSON answer of a 201 or 200.
    pub async fn post_json(&self, path: &str, body: Value) -> Result<Value> {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if status != StatusCode::CREATED && status != StatusCode::OK {
            return Err(format!("POST {path} -> {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// `GET path` (with the set-up's token when `signed_in`): the JSON answer of a 200.
    pub async fn get_json(&self, path: &str, signed_in: bool) -> Result<Value> {
        let mut req = self.http.get(self.url(path));
        if let (true, Some(t)) = (signed_in, &self.token) {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if status != StatusCode::OK {
            return Err(format!("GET {path} -> {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Books one slot of a service as a guest: the outcome (a 409's code, e.g. `slot_taken`).
    pub async fn book_slot(&self, service_id: i64, starts_at: &str) -> (BookingOutcome, Duration) {
        let body = json!({"service_id": service_id, "starts_at": starts_at,
                          "name": "Bench", "email": "bench@example.com"});
        self.book(body).await
    }

    pub async fn book_seats(&self, show_id: i64, seat_ids: &[i64]) -> (BookingOutcome, Duration) {
        let body = json!({"show_id": show_id, "seat_ids": seat_ids,
                          "name": "Bench", "email": "bench@example.com"});
        self.book(body).await
    }

    pub async fn book_quantity(&self, show_id: i64, quantity: i64) -> (BookingOutcome, Duration) {
        let body = json!({"show_id": show_id, "quantity": quantity,
                          "name": "Bench", "email": "bench@example.com"});
        self.book(body).await
    }

    async fn book(&self, body: Value) -> (BookingOutcome, Duration) {
        let started = Instant::now();
        let sent = self
            .http
            .post(self.url("bookings"))
            .json(&body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                return (
                    BookingOutcome::Failed {
                        status: 0,
                        body: e.to_string(),
                    },
                    started.elapsed(),
                )
            }
        };
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let elapsed = started.elapsed();
        (parse_booking(status.as_u16(), &text, &body), elapsed)
    }
}

/// Interprets a POST /bookings response. Public for unit tests.
pub fn parse_booking(status: u16, text: &str, request: &Value) -> BookingOutcome {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    match status {
        201 => {
            let items = v.get("items").and_then(Value::as_array);
            let mut seat_ids: Vec<i64> = items
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.get("seat_id").and_then(Value::as_i64))
                        .collect()
                })
                .unwrap_or_default();
            if seat_ids.is_empty() {
                // fall back to what we asked for (seated) so double-sale detection still works
                seat_ids = request
                    .get("seat_ids")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
            }
            let places = if !seat_ids.is_empty() {
                seat_ids.len() as i64
            } else {
                let from_items: i64 = items
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| i.get("quantity").and_then(Value::as_i64))
                            .sum()
                    })
                    .unwrap_or(0);
                if from_items > 0 {
                    from_items
                } else {
                    v.get("quantity")
                        .and_then(Value::as_i64)
                        .or_else(|| request.get("quantity").and_then(Value::as_i64))
                        .unwrap_or(0)
                }
            };
            BookingOutcome::Created { seat_ids, places }
        }
        409 => {
            let err = v.get("error");
            let code = err
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let seats = err
                .and_then(|e| e.get("details"))
                .and_then(|d| d.get("seats"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            BookingOutcome::Conflict { code, seats }
        }
        _ => BookingOutcome::Failed {
            status,
            body: text.chars().take(300).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        assert!(Api::new("http://127.0.0.1:18080", 4).is_ok());
        assert!(Api::new("http://localhost:18080/", 4).is_ok());
        assert!(Api::new("http://example.com:80", 4).is_err());
        assert!(Api::new("http://10.0.0.1:80", 4).is_err());
    }

    #[test]
    fn urls() {
        let api = Api::new("http://127.0.0.1:18080", 4).unwrap();
        assert_eq!(
            api.seats_url(7, "").as_str(),
            "http://127.0.0.1:18080/api/v1/shows/7/seats"
        );
        assert_eq!(
            api.url("/bookings").as_str(),
            "http://127.0.0.1:18080/api/v1/bookings"
        );
    }

    #[test]
    fn parses_created_seated() {
        let req = json!({"show_id": 1, "seat_ids": [1, 2]});
        let body = r#"{"id":"u","status":"confirmed","items":[{"seat_id":1,"label":"A1"},{"seat_id":2,"label":"A2"}]}"#;
        match parse_booking(201, body, &req) {
            BookingOutcome::Created { seat_ids, places } => {
                assert_eq!(seat_ids, vec![1, 2]);
                assert_eq!(places, 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_created_general_admission() {
        let req = json!({"show_id": 1, "quantity": 3});
        let body = r#"{"id":"u","items":[{"seat_id":null,"quantity":3}]}"#;
        match parse_booking(201, body, &req) {
            BookingOutcome::Created { seat_ids, places } => {
                assert!(seat_ids.is_empty());
                assert_eq!(places, 3);
            }
            other => panic!("{other:?}"),
        }
        match parse_booking(201, "{}", &req) {
            BookingOutcome::Created { places, .. } => assert_eq!(places, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_conflicts() {
        let body = r#"{"error":{"code":"seat_unavailable","message":"x","details":{"seats":["A1","B7"]}}}"#;
        match parse_booking(409, body, &Value::Null) {
            BookingOutcome::Conflict { code, seats } => {
                assert_eq!(code, "seat_unavailable");
                assert_eq!(seats, vec!["A1", "B7"]);
            }
            other => panic!("{other:?}"),
        }
        match parse_booking(409, r#"{"error":{"code":"sold_out"}}"#, &Value::Null) {
            BookingOutcome::Conflict { code, seats } => {
                assert_eq!(code, "sold_out");
                assert!(seats.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_booking(500, "boom", &Value::Null),
            BookingOutcome::Failed { status: 500, .. }
        ));
    }

    #[test]
    fn seat_states() {
        let s = |status: &str, b: Option<bool>| Seat {
            id: 1,
            label: "A1".into(),
            status: Some(status.into()),
            is_booked: b,
        };
        assert!(!s("available", Some(false)).taken());
        assert!(s("held", Some(false)).taken());
        assert!(!s("held", Some(false)).booked());
        assert!(s("booked", None).booked());
    }
}
