//! Payments and refunds: initiate, confirm, webhook, late payments, refund policy and cap.

use boxoffice_domain::payment::sign_webhook;
use boxoffice_domain::ports::Clock;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

mod cancellation_quote;
mod guests;
mod idempotency;
mod late;
mod pay;
mod refunds;
mod webhook;

/// Initiates a payment, asserting 201.
async fn initiated(caller: &Caller<'_>, booking_id: &str, method: &str) -> Value {
    let (status, body) = caller.initiate(booking_id, method).await;
    assert_eq!(status, StatusCode::CREATED, "initiate {method}: {body}");
    body
}

fn gateway_ref(payment: &Value) -> String {
    payment["gateway_ref"]
        .as_str()
        .unwrap_or_else(|| panic!("no gateway_ref: {payment}"))
        .to_owned()
}

/// The entries of `history` about `entity_id`, as (from, to, reason).
fn changes_of(history: &[Value], entity_id: &str) -> Vec<(Value, Value, Value)> {
    history
        .iter()
        .filter(|e| e["entity_id"] == entity_id)
        .map(|e| (e["from"].clone(), e["to"].clone(), e["reason"].clone()))
        .collect()
}

fn change(from: Option<&str>, to: &str, reason: Option<&str>) -> (Value, Value, Value) {
    (json!(from), json!(to), json!(reason))
}

async fn payments_of_booking(app: &TestApp, booking_id: &str) -> i64 {
    app.count_sql(format!(
        "SELECT count(*) AS n FROM payments WHERE booking_id = '{booking_id}'"
    ))
    .await
}

async fn refunds_sum(app: &TestApp, payment_id: &str) -> i64 {
    app.count_sql(format!(
        "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM refunds \
         WHERE payment_id = '{payment_id}' AND status <> 'failed'"
    ))
    .await
}

/// A paid booking of one place at 1001 on a general-admission show starting in 7 days (as the
/// show helpers make them): (booking id, payment).
async fn paid_booking_of_1001(app: &TestApp, caller: &Caller<'_>) -> (String, Value) {
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 10, Some(1001)).await["id"]
        .as_i64()
        .unwrap();
    let (status, booking) = caller
        .post_json("/bookings", &json!({"show_id": ga, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(booking["total_amount"], 1001);
    let id = id_of(&booking);
    let paid = caller.pay(&id).await;
    assert_eq!(paid["amount"], 1001);
    (id, paid)
}

async fn cancel(caller: &Caller<'_>, id: &str) -> Value {
    let (status, body) = caller
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "cancel: {body}");
    assert_eq!(body["status"], "cancelled");
    body
}
