//! The service marketplace's catalogue over HTTP (issue 14, docs/marketplace.md): categories,
//! services (their JSON shape, defaults, changes and soft deletion), who may do what, the
//! validation of every field, and the search.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

mod access;
mod appointments;
mod categories;
mod document;
mod search;
mod services;
mod validation;

/// `POST /categories` as the admin, expecting 201: the category's id.
async fn category(app: &TestApp, name: &str) -> i64 {
    let (status, body) = app
        .as_admin()
        .post_json("/categories", &json!({"name": name}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "category {name}: {body}");
    body["id"].as_i64().expect("category id")
}

/// A one-hour haircut on Monday and Tuesday mornings in Berlin, 25.00 EUR, in `category_id`.
fn haircut(category_id: i64) -> Value {
    json!({
        "title": "Haircut",
        "description": "Wash, cut\nand dry",
        "category_id": category_id,
        "price": 2500,
        "currency": "EUR",
        "availability": {
            "time_zone": "Europe/Berlin",
            "weekly": [
                {"weekday": "mon", "start": "09:00", "end": "12:30"},
                {"weekday": "tue", "start": "09:00", "end": "12:30"}
            ],
            "duration_minutes": 60
        }
    })
}

/// `body` with `changes` merged in (objects merge, anything else replaces).
fn with(mut body: Value, changes: Value) -> Value {
    fn merge(target: &mut Value, patch: Value) {
        match (target, patch) {
            (Value::Object(t), Value::Object(p)) => {
                for (k, v) in p {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
            (t, p) => *t = p,
        }
    }
    merge(&mut body, changes);
    body
}

/// `POST /services` as `caller`, expecting 201: the service.
async fn offer(caller: &Caller<'_>, body: &Value) -> Value {
    let (status, created) = caller.post_json("/services", body).await;
    assert_eq!(status, StatusCode::CREATED, "offer: {created}");
    created
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id: {v}"))
}
