//! Payments and refunds: initiate, confirm, webhook, late payments, refund policy and cap.

use boxoffice_domain::payment::sign_webhook;
use boxoffice_domain::ports::Clock;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

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

// --- hold, pay, confirm ------------------------------------------------------------------------

#[tokio::test]
async fn a_held_booking_is_paid_and_confirmed() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1", "A2"]).await;
    let id = id_of(&booking);
    assert_eq!(booking["total_amount"], 200);
    // The seat map is read (and may be cached) while the seats are held.
    assert_eq!(app.seat(show, "A1").await["status"], "held");

    let payment = initiated(&me, &id, "tok_success").await;
    let pid = id_of(&payment);
    assert_eq!(payment["booking_id"], id.as_str());
    assert_eq!(payment["status"], "initiated");
    assert_eq!(payment["amount"], 200);
    assert_eq!(payment["currency"], "USD");
    assert_eq!(payment["payment_method"], "tok_success");
    assert_eq!(payment["gateway_ref"], Value::Null);
    assert_eq!(payment["failure_code"], Value::Null);
    assert_eq!(payment["outcome"], Value::Null);
    assert_eq!(payment["refunds"], json!([]));
    assert_eq!(payment["refunded_amount"], 0);
    let (status, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read, payment);
    // Still held while the payment is only initiated.
    assert_eq!(me.booking(&id).await["status"], "held");

    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["id"], pid.as_str());
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["outcome"], "booking_confirmed");
    assert_eq!(paid["amount"], 200);
    assert_eq!(paid["failure_code"], Value::Null);
    assert_eq!(paid["refunds"], json!([]));
    assert_eq!(paid["refunded_amount"], 0);
    let charge = gateway_ref(&paid);
    assert!(charge.starts_with("pay_"), "{charge}");
    assert_eq!(app.gateway.refundable(&charge).await.unwrap(), Some(200));

    let read = me.booking(&id).await;
    assert_eq!(read["status"], "confirmed");
    let payments = read["payments"].as_array().expect("payments");
    assert_eq!(payments.len(), 1, "{read}");
    assert_eq!(payments[0], paid);
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read, paid);

    let class = &app.show(show).await["seat_classes"][0];
    assert_eq!(class["booked_seats"], 2, "{class}");
    assert_eq!(class["held_seats"], 0, "{class}");

    // History: the hold, the payment's two steps, the confirmation.
    let history = me.history(&id).await;
    let actor = format!("user:{}", ann.id);
    assert!(
        history.iter().all(|e| e["actor"] == actor.as_str()),
        "{history:?}"
    );
    assert_eq!(
        changes_of(&history, &pid),
        vec![
            change(None, "initiated", Some("tok_success")),
            change(Some("initiated"), "succeeded", Some("booking_confirmed")),
        ]
    );
    let booking_changes = changes_of(&history, &id);
    assert_eq!(booking_changes.len(), 2, "{history:?}");
    assert_eq!(booking_changes[0], change(None, "held", None));
    assert_eq!(booking_changes[1].0, "held");
    assert_eq!(booking_changes[1].1, "confirmed");
    assert_eq!(history[0]["entity_id"], id.as_str(), "the hold comes first");
    assert_eq!(history.len(), 4, "{history:?}");

    // The seat map says booked at once (read your own write: the map read while the seats
    // were held is not served again).
    for label in ["A1", "A2"] {
        let seat = app.seat(show, label).await;
        assert_eq!(seat["status"], "booked", "{seat}");
        assert_eq!(seat["held_until"], Value::Null, "{seat}");
    }
}

#[tokio::test]
async fn payments_are_read_only_by_those_who_may_read_the_booking() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let booking = app.as_user(&ann).hold(show, &["A1"]).await;
    let id = id_of(&booking);

    // Someone else's booking cannot be paid or read: the 404 of an unknown booking.
    let r = app.as_user(&bob).initiate(&id, "tok_success").await;
    assert_error(&r, 404, "not_found");
    let r = app.anon().initiate(&id, "tok_success").await;
    assert_error(&r, 404, "not_found");
    let r = app
        .as_user(&ann)
        .initiate(&uuid::Uuid::new_v4().to_string(), "tok_success")
        .await;
    assert_error(&r, 404, "not_found");
    assert_eq!(payments_of_booking(&app, &id).await, 0);

    let payment = initiated(&app.as_user(&ann), &id, "tok_success").await;
    let pid = id_of(&payment);
    let path = format!("/payments/{pid}");
    assert_error(&app.as_user(&bob).get(&path).await, 404, "not_found");
    assert_error(&app.anon().get(&path).await, 404, "not_found");
    assert_error(&app.as_user(&bob).confirm(&pid).await, 404, "not_found");
    assert_error(
        &app.as_user(&ann)
            .get(&format!("/payments/{}", uuid::Uuid::new_v4()))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_user(&ann).get("/payments/not-a-uuid").await,
        404,
        "not_found",
    );
    // Bob's attempt charged nothing.
    let (_, read) = app.as_user(&ann).get(&path).await;
    assert_eq!(read["status"], "initiated");
    assert_eq!(read["gateway_ref"], Value::Null);
    // The admin may read and confirm it.
    let (status, read) = app.as_admin().get(&path).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let (status, paid) = app.as_admin().confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["outcome"], "booking_confirmed");
}

#[tokio::test]
async fn a_declined_payment_answers_402_and_leaves_the_booking_held() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1", "A2", "A3"]).await;
    let id = id_of(&booking);

    for (method, code) in [
        ("tok_declined", "card_declined"),
        ("tok_insufficient_funds", "insufficient_funds"),
    ] {
        let p = initiated(&me, &id, method).await;
        let pid = id_of(&p);
        let r = me.confirm(&pid).await;
        assert_error(&r, 402, code);
        let failed = &r.1["error"]["details"]["payment"];
        assert_eq!(failed["id"], pid.as_str(), "{}", r.1);
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["failure_code"], code);
        assert_eq!(failed["outcome"], Value::Null);
        assert_eq!(failed["amount"], 300);
        assert_eq!(failed["payment_method"], method);
        // Nothing was taken.
        assert_eq!(
            app.gateway.refundable(&gateway_ref(failed)).await.unwrap(),
            Some(0)
        );
        // Confirming again says the same.
        let again = me.confirm(&pid).await;
        assert_error(&again, 402, code);
        assert_eq!(again.1["error"]["details"]["payment"], *failed);
        let (_, read) = me.get(&format!("/payments/{pid}")).await;
        assert_eq!(read, *failed);
        // The booking is still held, its seats too.
        let read = me.booking(&id).await;
        assert_eq!(read["status"], "held");
        assert_eq!(app.seat(show, "A1").await["status"], "held");
        // A failed payment cannot be refunded.
        let r = app.as_admin().refund(&pid, None, "test").await;
        assert_error(&r, 409, "payment_not_succeeded");
    }

    // Another payment may be started and succeed.
    let paid = me.pay(&id).await;
    assert_eq!(paid["outcome"], "booking_confirmed");
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(300)
    );
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "confirmed");
    let statuses: Vec<&str> = read["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "failed", "succeeded"]);

    let history = me.history(&id).await;
    let failures: Vec<&Value> = history
        .iter()
        .filter(|e| e["entity"] == "payment" && e["to"] == "failed")
        .collect();
    assert_eq!(failures.len(), 2, "{history:?}");
    assert_eq!(failures[0]["from"], "initiated");
    assert_eq!(failures[0]["reason"], "card_declined");
    assert_eq!(failures[1]["reason"], "insufficient_funds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirming_twice_answers_the_same_payment_and_charges_once() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1", "A2"]).await;
    let id = id_of(&booking);
    let pid = id_of(&initiated(&me, &id, "tok_success").await);

    let (status, first) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second, first);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&first)).await.unwrap(),
        Some(200)
    );

    // Ten confirmations at once of another booking's payment: one charge, one confirmation.
    let other = me.hold(show, &["A5"]).await;
    let oid = id_of(&other);
    let opid = id_of(&initiated(&me, &oid, "tok_success").await);
    let requests = (0..10)
        .map(|_| {
            me.request(reqwest::Method::POST, "/payments/confirm")
                .json(&json!({"payment_id": opid}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["id"], opid.as_str());
        assert_eq!(a.body["status"], "succeeded");
        assert_eq!(a.body["outcome"], "booking_confirmed");
        assert_eq!(a.body["gateway_ref"], answers[0].body["gateway_ref"]);
    }
    assert_eq!(
        app.gateway
            .refundable(&gateway_ref(&answers[0].body))
            .await
            .unwrap(),
        Some(100)
    );
    let history = me.history(&oid).await;
    assert_eq!(
        changes_of(&history, &opid)
            .iter()
            .filter(|c| c.1 == "succeeded")
            .count(),
        1,
        "{history:?}"
    );
    assert_eq!(
        history
            .iter()
            .filter(|e| e["entity"] == "booking" && e["to"] == "confirmed")
            .count(),
        1,
        "{history:?}"
    );
    assert_eq!(me.booking(&oid).await["status"], "confirmed");
}

#[tokio::test]
async fn the_amount_and_method_are_checked() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1", "A2"]).await);
    let me = &me;
    let initiate = |body: Value| async move { me.post_json("/payments/initiate", &body).await };

    for amount in [199, 201, 0, -200, 20_000] {
        let r = initiate(json!({"booking_id": id, "payment_method": "tok_success",
                                "amount": amount}))
        .await;
        assert_invalid(&r, "amount");
    }
    for method in ["tok_unknown", "", "TOK_SUCCESS", "card"] {
        let r = initiate(json!({"booking_id": id, "payment_method": method})).await;
        assert_invalid(&r, "payment_method");
    }
    let r = initiate(json!({"booking_id": "not-a-uuid", "payment_method": "tok_success"})).await;
    assert_eq!(r.0.as_u16(), 422, "{}", r.1);
    let r = initiate(json!({"payment_method": "tok_success"})).await;
    assert_eq!(r.0.as_u16(), 422, "{}", r.1);
    assert_eq!(payments_of_booking(&app, &id).await, 0);

    let (status, p) = initiate(json!({"booking_id": id, "payment_method": "tok_success",
                                      "amount": 200}))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["amount"], 200);
}

#[tokio::test]
async fn only_a_held_booking_whose_hold_runs_can_be_paid() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);

    // Confirmed (paid).
    let paid = me.hold(show, &["A1"]).await;
    me.pay(&id_of(&paid)).await;
    let r = me.initiate(&id_of(&paid), "tok_success").await;
    assert_error(&r, 409, "booking_not_held");
    // Cancelled.
    let cancelled = me.hold(show, &["A2"]).await;
    let (status, _) = me
        .post_json(
            &format!("/bookings/{}/cancel", id_of(&cancelled)),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = me.initiate(&id_of(&cancelled), "tok_success").await;
    assert_error(&r, 409, "booking_not_held");
    // Free (confirmed at once).
    let event = app.quick_event().await;
    let free = app.ga_show(event, 5, None).await["id"].as_i64().unwrap();
    let (status, free_booking) = me
        .post_json("/bookings", &json!({"show_id": free, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{free_booking}");
    let r = me.initiate(&id_of(&free_booking), "tok_success").await;
    assert_error(&r, 409, "booking_not_held");
    // Expired: past due (not yet written down), then written down by the sweep.
    let expiring = me.hold(show, &["A3"]).await;
    app.clock.advance(past_the_hold());
    let r = me.initiate(&id_of(&expiring), "tok_success").await;
    assert_error(&r, 409, "booking_not_held");
    app.sweep().await;
    let r = me.initiate(&id_of(&expiring), "tok_success").await;
    assert_error(&r, 409, "booking_not_held");

    for b in [&cancelled, &free_booking, &expiring] {
        assert_eq!(payments_of_booking(&app, &id_of(b)).await, 0);
    }
    assert_eq!(payments_of_booking(&app, &id_of(&paid)).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_payment_at_a_time() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1"]).await);
    let first = initiated(&me, &id, "tok_success").await;
    let r = me.initiate(&id, "tok_success").await;
    assert_error(&r, 409, "payment_pending");
    let r = app.as_admin().initiate(&id, "tok_declined").await;
    assert_error(&r, 409, "payment_pending");
    assert_eq!(payments_of_booking(&app, &id).await, 1);
    // The first one still goes through.
    let (status, paid) = me.confirm(&id_of(&first)).await;
    assert_eq!(status, StatusCode::OK, "{paid}");

    // Ten at once (no key): one payment, nine 409.
    let other = id_of(&me.hold(show, &["A2"]).await);
    let requests = (0..10)
        .map(|_| {
            me.request(reqwest::Method::POST, "/payments/initiate")
                .json(&json!({"booking_id": other, "payment_method": "tok_success"}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    let created = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(a.body["error"]["code"], "payment_pending", "{}", a.body);
    }
    assert_eq!(payments_of_booking(&app, &other).await, 1);
}

// --- late payments ---------------------------------------------------------------------------

#[tokio::test]
async fn a_payment_after_expiry_revives_the_booking_when_its_seats_are_still_free() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1", "A2"]).await;
    let id = id_of(&booking);
    let pid = id_of(&initiated(&me, &id, "tok_success").await);

    app.clock.advance(past_the_hold());
    assert_eq!(me.booking(&id).await["status"], "expired");
    assert_eq!(app.seat(show, "A1").await["status"], "available");

    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["outcome"], "booking_revived");
    assert_eq!(paid["refunds"], json!([]));
    assert_eq!(paid["refunded_amount"], 0);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(200)
    );

    let read = me.booking(&id).await;
    assert_eq!(read["status"], "confirmed", "{read}");
    assert_eq!(read["total_amount"], 200);
    assert_eq!(read["payments"][0]["outcome"], "booking_revived");
    assert_eq!(app.show(show).await["seat_classes"][0]["booked_seats"], 2);
    // Nobody else can take them now.
    let bob = app.signup("bob@example.com", "customer").await;
    let r = app.as_user(&bob).book_labels(show, &["A2"]).await;
    assert_error(&r, 409, "seat_unavailable");

    let history = me.history(&id).await;
    let booking_changes: Vec<(Value, Value, Value)> = changes_of(&history, &id);
    assert_eq!(booking_changes.len(), 3, "{history:?}");
    assert_eq!(
        booking_changes[1],
        change(
            Some("held"),
            "expired",
            Some("the hold expired before it was paid")
        )
    );
    assert_eq!(booking_changes[2].0, "expired");
    assert_eq!(booking_changes[2].1, "confirmed");
    let expiry = history
        .iter()
        .find(|e| e["to"] == "expired")
        .expect("expiry row");
    assert_eq!(expiry["actor"], "system");
    assert_eq!(
        changes_of(&history, &pid).last().unwrap(),
        &change(Some("initiated"), "succeeded", Some("booking_revived"))
    );
    // The sweep has nothing to do with it.
    let report = app.sweep().await;
    assert_eq!(report.expired, 0, "{report:?}");
    assert_eq!(me.booking(&id).await["status"], "confirmed");
    // The seat map, read while the seats were free, says booked at once.
    for label in ["A1", "A2"] {
        assert_eq!(app.seat(show, label).await["status"], "booked", "{label}");
    }
}

#[tokio::test]
async fn a_general_admission_payment_after_expiry_revives_when_places_are_left() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 4, Some(250)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (status, booking) = me
        .post_json("/bookings", &json!({"show_id": ga, "quantity": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = id_of(&booking);
    let pid = id_of(&initiated(&me, &id, "tok_success").await);
    app.clock.advance(past_the_hold());
    assert_eq!(app.sweep().await.expired, 1);
    assert_eq!(app.show(ga).await["available_seats"], 4);

    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["outcome"], "booking_revived");
    assert_eq!(me.booking(&id).await["status"], "confirmed");
    assert_eq!(app.show(ga).await["available_seats"], 1);
}

#[tokio::test]
async fn a_payment_after_expiry_is_refunded_in_full_when_the_seats_were_taken() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1", "A2"]).await;
    let id = id_of(&booking);
    let pid = id_of(&initiated(&me, &id, "tok_success").await);

    app.clock.advance(past_the_hold());
    let bobs = app.as_user(&bob).hold(show, &["A2"]).await;

    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["outcome"], "refunded_booking_expired");
    assert_eq!(paid["amount"], 200);
    assert_eq!(paid["refunded_amount"], 200);
    let refunds = paid["refunds"].as_array().expect("refunds");
    assert_eq!(refunds.len(), 1, "{paid}");
    assert_eq!(refunds[0]["amount"], 200);
    assert_eq!(refunds[0]["status"], "succeeded");
    assert_eq!(refunds[0]["payment_id"], pid.as_str());
    assert!(refunds[0]["gateway_ref"]
        .as_str()
        .is_some_and(|r| r.starts_with("re_")));
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );
    assert_eq!(refunds_sum(&app, &pid).await, 200);

    // Ann's booking stays expired; Bob keeps A2; A1 is free.
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "expired");
    assert_eq!(read["payments"][0], paid);
    let bob_read = app.as_user(&bob).booking(&id_of(&bobs)).await;
    assert_eq!(bob_read["status"], "held");
    assert_eq!(bob_read["items"][0]["label"], "A2");
    assert_eq!(app.seat(show, "A1").await["status"], "available");
    assert_eq!(app.seat(show, "A2").await["status"], "held");

    let history = me.history(&id).await;
    let refund_id = refunds[0]["id"].as_str().unwrap();
    let refund_changes = changes_of(&history, refund_id);
    assert_eq!(refund_changes.len(), 2, "{history:?}");
    assert_eq!(refund_changes[0].0, Value::Null);
    assert_eq!(refund_changes[0].1, "pending");
    assert_eq!(refund_changes[1].0, "pending");
    assert_eq!(refund_changes[1].1, "succeeded");
    assert_eq!(
        changes_of(&history, &pid).last().unwrap(),
        &change(
            Some("initiated"),
            "succeeded",
            Some("refunded_booking_expired")
        )
    );
    assert_eq!(
        history
            .iter()
            .filter(|e| e["entity"] == "booking" && e["to"] == "expired")
            .count(),
        1,
        "{history:?}"
    );
    // Confirming again: the same answer, no second refund.
    let (status, again) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, paid);
    // Nothing left to refund.
    let r = app.as_admin().refund(&pid, None, "again").await;
    assert_error(&r, 409, "nothing_to_refund");
}

// --- the webhook ------------------------------------------------------------------------------

#[tokio::test]
async fn a_delayed_payment_is_settled_by_the_signed_webhook() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1"]).await);
    let pid = id_of(&initiated(&me, &id, "tok_delayed").await);

    let (status, pending) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["status"], "initiated");
    assert_eq!(pending["outcome"], Value::Null);
    let charge = gateway_ref(&pending);
    assert!(charge.starts_with("pay_"));
    assert_eq!(me.booking(&id).await["status"], "held");
    // Asking again while the gateway decides: still 202, same charge.
    let (status, again) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(gateway_ref(&again), charge);

    // A notification for another charge is refused.
    let r = app
        .webhook(&json!({"type": "payment.succeeded", "payment_id": pid,
                         "gateway_ref": "pay_someoneelse"}))
        .await;
    assert_error(&r, 409, "gateway_ref_mismatch");
    assert_eq!(me.booking(&id).await["status"], "held");

    let event = json!({"type": "payment.succeeded", "payment_id": pid, "gateway_ref": charge});
    let (status, ack) = app.webhook(&event).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["received"], true);
    assert_eq!(ack["payment"]["id"], pid.as_str());
    assert_eq!(ack["payment"]["status"], "succeeded");
    assert_eq!(ack["payment"]["outcome"], "booking_confirmed");
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "confirmed");
    assert_eq!(read["payments"][0], ack["payment"]);
    assert_eq!(app.seat(show, "A1").await["status"], "booked");

    // Repeats are harmless: the same answer, nothing recorded twice.
    let (status, repeat) = app.webhook(&event).await;
    assert_eq!(status, StatusCode::OK, "{repeat}");
    assert_eq!(repeat, ack);
    let (status, confirmed) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(confirmed, ack["payment"]);
    let history = me.history(&id).await;
    let succeeded: Vec<&Value> = history
        .iter()
        .filter(|e| e["entity_id"] == pid.as_str() && e["to"] == "succeeded")
        .collect();
    assert_eq!(succeeded.len(), 1, "{history:?}");
    assert_eq!(succeeded[0]["actor"], "webhook");
    assert_eq!(app.gateway.refundable(&charge).await.unwrap(), Some(100));
}

#[tokio::test]
async fn a_failed_delayed_payment_is_reported_by_the_webhook() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1"]).await);
    let pid = id_of(&initiated(&me, &id, "tok_delayed").await);
    let (status, pending) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");

    let event = json!({"type": "payment.failed", "payment_id": pid,
                       "gateway_ref": gateway_ref(&pending), "failure_code": "insufficient_funds"});
    let (status, ack) = app.webhook(&event).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["received"], true);
    assert_eq!(ack["payment"]["status"], "failed");
    assert_eq!(ack["payment"]["failure_code"], "insufficient_funds");
    let (status, repeat) = app.webhook(&event).await;
    assert_eq!(status, StatusCode::OK, "{repeat}");
    assert_eq!(repeat, ack);
    assert_eq!(me.booking(&id).await["status"], "held");
    assert_error(&me.confirm(&pid).await, 402, "insufficient_funds");
    // A new payment may follow.
    let paid = me.pay(&id).await;
    assert_eq!(paid["outcome"], "booking_confirmed");
}

#[tokio::test]
async fn a_delayed_payment_whose_hold_expired_is_revived_by_its_webhook_after_the_sweep() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1", "A2"]).await);
    let pid = id_of(&initiated(&me, &id, "tok_delayed").await);
    let (status, pending) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");

    app.clock.advance(past_the_hold());
    let report = app.sweep().await;
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(app.stored_status(&id).await, "expired");
    // The payment stays as it was: the gateway has not answered yet.
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read["status"], "initiated");

    let (status, ack) = app
        .webhook(&json!({"type": "payment.succeeded", "payment_id": pid,
                         "gateway_ref": gateway_ref(&pending)}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["payment"]["outcome"], "booking_revived");
    assert_eq!(ack["payment"]["refunds"], json!([]));
    assert_eq!(me.booking(&id).await["status"], "confirmed");
    assert_eq!(app.seat(show, "A2").await["status"], "booked");
    let history = me.history(&id).await;
    assert_eq!(
        history
            .iter()
            .filter(|e| e["entity"] == "booking" && e["to"] == "expired")
            .count(),
        1,
        "{history:?}"
    );
    let last_booking = history.iter().rfind(|e| e["entity"] == "booking").unwrap();
    assert_eq!(last_booking["from"], "expired");
    assert_eq!(last_booking["to"], "confirmed");
    assert_eq!(last_booking["actor"], "webhook");
}

#[tokio::test]
async fn a_webhook_without_a_valid_fresh_signature_is_refused() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1"]).await);
    let pid = id_of(&initiated(&me, &id, "tok_delayed").await);
    let (status, pending) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    let raw = serde_json::to_vec(&json!({"type": "payment.succeeded", "payment_id": pid,
                                         "gateway_ref": gateway_ref(&pending)}))
    .unwrap();
    let secret = app
        .settings
        .payments
        .webhook_secret
        .expose()
        .as_bytes()
        .to_vec();
    let now = app.clock.now().timestamp();

    // Missing header.
    let r = app
        .anon()
        .post_raw(
            "/payments/webhook",
            "application/json",
            std::str::from_utf8(&raw).unwrap(),
        )
        .await;
    assert_error(&r, 401, "invalid_signature");
    // Signed with another secret.
    let wrong = sign_webhook(b"not-the-webhook-secret-at-all-0123", now, &raw);
    assert_error(
        &app.webhook_signed(&raw, &wrong).await,
        401,
        "invalid_signature",
    );
    // A valid signature of another body.
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b" ");
    let of_raw = sign_webhook(&secret, now, &raw);
    assert_error(
        &app.webhook_signed(&tampered, &of_raw).await,
        401,
        "invalid_signature",
    );
    // Right secret, but older than 5 minutes (a replay), or too far ahead.
    let stale = sign_webhook(&secret, now - 301, &raw);
    assert_error(
        &app.webhook_signed(&raw, &stale).await,
        401,
        "invalid_signature",
    );
    let future = sign_webhook(&secret, now + 310, &raw);
    assert_error(
        &app.webhook_signed(&raw, &future).await,
        401,
        "invalid_signature",
    );
    // Malformed headers.
    for header in ["", "t=abc,v1=00", "v1=deadbeef", &format!("t={now}")] {
        assert_error(
            &app.webhook_signed(&raw, header).await,
            401,
            "invalid_signature",
        );
    }
    // The server's clock decides what is fresh: a signature made at the wall-clock time is
    // stale once the server's time is an hour ahead.
    app.clock.advance(Duration::hours(1));
    assert_error(
        &app.webhook_signed(&raw, &of_raw).await,
        401,
        "invalid_signature",
    );

    // None of that touched the payment.
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read["status"], "initiated");
    assert_eq!(
        app.count_sql(format!(
            "SELECT count(*) AS n FROM booking_history WHERE entity_id = '{pid}'"
        ))
        .await,
        1
    );
    // A fresh signature with the right secret goes through (the hold expired meanwhile, the
    // seat is still free: revived).
    let (status, ack) = app
        .webhook_signed(
            &raw,
            &sign_webhook(&secret, app.clock.now().timestamp(), &raw),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["payment"]["status"], "succeeded");
    assert_eq!(ack["payment"]["outcome"], "booking_revived");
}

// --- refunds --------------------------------------------------------------------------------------

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

#[tokio::test]
async fn cancelling_a_day_or_more_before_the_start_refunds_everything() {
    let app = spawn_app().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (id, paid) = paid_booking_of_1001(&app, &me).await;
    // The show starts in 7 days: move to a minute more than 24 h before it.
    app.clock.advance(Duration::days(6) - Duration::minutes(1));

    let cancelled = cancel(&me, &id).await;
    let payment = &cancelled["payments"][0];
    assert_eq!(payment["id"], paid["id"]);
    assert_eq!(payment["refunded_amount"], 1001, "{cancelled}");
    let refunds = payment["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{cancelled}");
    assert_eq!(refunds[0]["amount"], 1001);
    assert_eq!(refunds[0]["status"], "succeeded");
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );
    // Read back the same.
    let read = me.booking(&id).await;
    assert_eq!(read["payments"][0]["refunds"][0]["status"], "succeeded");
    assert_eq!(read["payments"][0]["refunded_amount"], 1001);
    let history = me.history(&id).await;
    let refund_id = refunds[0]["id"].as_str().unwrap();
    let steps: Vec<Value> = changes_of(&history, refund_id)
        .into_iter()
        .map(|c| c.1)
        .collect();
    assert_eq!(steps, vec![json!("pending"), json!("succeeded")]);
}

#[tokio::test]
async fn cancelling_less_than_a_day_before_the_start_refunds_half_rounded_up() {
    let app = spawn_app().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (id, paid) = paid_booking_of_1001(&app, &me).await;
    // A minute less than 24 h before the start.
    app.clock.advance(Duration::days(6) + Duration::minutes(1));

    let cancelled = cancel(&me, &id).await;
    let payment = &cancelled["payments"][0];
    // 50 % of 1001 = 500.5 → 501 (halves in the customer's favour).
    assert_eq!(payment["refunded_amount"], 501, "{cancelled}");
    let refunds = payment["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{cancelled}");
    assert_eq!(refunds[0]["amount"], 501);
    assert_eq!(refunds[0]["status"], "succeeded");
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(500)
    );
    assert_eq!(refunds_sum(&app, &id_of(&paid)).await, 501);
    // What is left may still be refunded by an admin, no more.
    let r = app
        .as_admin()
        .refund(&id_of(&paid), Some(501), "goodwill")
        .await;
    assert_invalid(&r, "amount");
    let (status, rest) = app.as_admin().refund(&id_of(&paid), None, "goodwill").await;
    assert_eq!(status, StatusCode::CREATED, "{rest}");
    assert_eq!(rest["refunded_amount"], 1001);
    assert_eq!(rest["refunds"][1]["amount"], 500);
}

#[tokio::test]
async fn cancelling_after_the_start_refunds_nothing() {
    let app = spawn_app().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (id, paid) = paid_booking_of_1001(&app, &me).await;
    app.clock.advance(Duration::days(7) + Duration::minutes(1));

    let cancelled = cancel(&me, &id).await;
    let payment = &cancelled["payments"][0];
    assert_eq!(payment["refunds"], json!([]), "{cancelled}");
    assert_eq!(payment["refunded_amount"], 0);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(1001)
    );
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM refunds".to_owned())
            .await,
        0
    );
    assert!(me
        .history(&id)
        .await
        .iter()
        .all(|e| e["entity"] != "refund"));
    // An admin may still refund, with an amount of their choosing.
    let (status, refunded) = app
        .as_admin()
        .refund(&id_of(&paid), Some(300), "the show was cut short")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{refunded}");
    assert_eq!(refunded["refunded_amount"], 300);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(701)
    );
}

/// A provider with an event and a general-admission show of 10 places at `price` in 7 days.
async fn provider_show(app: &TestApp, email: &str, price: i64) -> (TestUser, i64) {
    let provider = app.signup(email, "provider").await;
    let city = app.create_city().await;
    let (status, event) = app
        .as_user(&provider)
        .post_json(
            "/events",
            &json!({"title": "Gig", "event_type": "concert", "city_id": city}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let (status, show) = app
        .as_user(&provider)
        .post_json(
            &format!("/events/{}/shows", event["id"]),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 10,
                    "price": price}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{show}");
    (provider, show["id"].as_i64().unwrap())
}

#[tokio::test]
async fn the_provider_and_admins_refund_in_parts_up_to_the_amount_paid() {
    let app = spawn_app().await;
    let (provider, show) = provider_show(&app, "org@example.com", 500).await;
    let (other_provider, _) = provider_show(&app, "rival@example.com", 100).await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (status, booking) = me
        .post_json("/bookings", &json!({"show_id": show, "quantity": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = id_of(&booking);

    // An initiated payment cannot be refunded yet.
    let p = initiated(&me, &id, "tok_success").await;
    let pid = id_of(&p);
    let r = app.as_admin().refund(&pid, None, "too early").await;
    assert_error(&r, 409, "payment_not_succeeded");
    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["amount"], 1000);
    let charge = gateway_ref(&paid);

    // Who may: not the customer (403), not another provider (403), not anonymous (401).
    assert_error(
        &me.refund(&pid, Some(100), "please").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.as_user(&other_provider)
            .refund(&pid, Some(100), "mine")
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.anon().refund(&pid, Some(100), "anyone").await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.as_admin()
            .refund(&uuid::Uuid::new_v4().to_string(), None, "unknown")
            .await,
        404,
        "not_found",
    );
    // Input.
    for amount in [0, -1, 1001] {
        assert_invalid(
            &app.as_user(&provider).refund(&pid, Some(amount), "x").await,
            "amount",
        );
    }
    assert_invalid(
        &app.as_user(&provider).refund(&pid, Some(100), "").await,
        "reason",
    );
    assert_invalid(
        &app.as_user(&provider).refund(&pid, Some(100), "   ").await,
        "reason",
    );
    assert_invalid(
        &app.as_user(&provider)
            .refund(&pid, Some(100), &"x".repeat(501))
            .await,
        "reason",
    );
    assert_eq!(app.gateway.refundable(&charge).await.unwrap(), Some(1000));

    // The organiser: 300.
    let (status, after) = app
        .as_user(&provider)
        .refund(&pid, Some(300), "goodwill")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{after}");
    assert_eq!(after["id"], pid.as_str());
    assert_eq!(after["refunded_amount"], 300);
    assert_eq!(after["refunds"][0]["amount"], 300);
    assert_eq!(after["refunds"][0]["status"], "succeeded");
    assert_eq!(after["refunds"][0]["reason"], "goodwill");
    assert_eq!(app.gateway.refundable(&charge).await.unwrap(), Some(700));
    // Above what remains: 422, nothing written.
    assert_invalid(
        &app.as_admin().refund(&pid, Some(701), "too much").await,
        "amount",
    );
    // Exactly what remains (an admin).
    let (status, after) = app.as_admin().refund(&pid, Some(700), "the rest").await;
    assert_eq!(status, StatusCode::CREATED, "{after}");
    assert_eq!(after["refunded_amount"], 1000);
    assert_eq!(after["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(app.gateway.refundable(&charge).await.unwrap(), Some(0));
    // Nothing left.
    assert_error(
        &app.as_admin().refund(&pid, None, "more").await,
        409,
        "nothing_to_refund",
    );
    assert_error(
        &app.as_admin().refund(&pid, Some(1), "one more cent").await,
        409,
        "nothing_to_refund",
    );
    assert_eq!(refunds_sum(&app, &pid).await, 1000);
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read["refunded_amount"], 1000);
    assert_eq!(read["refunds"], after["refunds"]);

    let history = me.history(&id).await;
    let refund_rows: Vec<&Value> = history.iter().filter(|e| e["entity"] == "refund").collect();
    assert_eq!(refund_rows.len(), 4, "{history:?}");
    assert_eq!(refund_rows[0]["actor"], format!("user:{}", provider.id));
    assert_eq!(refund_rows[0]["to"], "pending");
    assert_eq!(refund_rows[0]["reason"], "goodwill");
    assert_eq!(refund_rows[1]["to"], "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refunds_never_exceed_the_amount_paid() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);

    // Ten full refunds at once: exactly one.
    let id = id_of(&me.hold(show, &["A1", "A2"]).await);
    let paid = me.pay(&id).await;
    let pid = id_of(&paid);
    let admin = app.as_admin();
    let requests = (0..10)
        .map(|i| {
            admin
                .request(reqwest::Method::POST, &format!("/payments/{pid}/refund"))
                .json(&json!({"reason": format!("refund {i}")}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    let ok: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert_eq!(ok.len(), 1, "{answers:?}");
    for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        let code = a.body["error"]["code"].as_str().unwrap_or("");
        assert!(
            code == "nothing_to_refund" || code == "refund_exceeds_payment",
            "{}",
            a.body
        );
    }
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read["refunded_amount"], 200, "{read}");
    assert_eq!(read["refunds"].as_array().unwrap().len(), 1, "{read}");
    assert_eq!(refunds_sum(&app, &pid).await, 200);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );

    // Ten partial refunds of 300 at once against 1000: three fit.
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let (status, booking) = me
        .post_json("/bookings", &json!({"show_id": ga, "quantity": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let paid = me.pay(&id_of(&booking)).await;
    let pid = id_of(&paid);
    let requests = (0..10)
        .map(|i| {
            admin
                .request(reqwest::Method::POST, &format!("/payments/{pid}/refund"))
                .json(&json!({"amount": 300, "reason": format!("part {i}")}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    let ok = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 3, "{answers:?}");
    for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        let s = a.status.as_u16();
        assert!(s == 422 || s == 409, "{} {}", a.status, a.body);
    }
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read["refunded_amount"], 900, "{read}");
    assert_eq!(refunds_sum(&app, &pid).await, 900);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(100)
    );
}

// --- idempotency on the payment routes ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_initiates_and_confirms_with_one_key_do_the_work_once() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1", "A2"]).await);
    let body = json!({"booking_id": id, "payment_method": "tok_success"});

    let requests = (0..10)
        .map(|_| {
            me.request(reqwest::Method::POST, "/payments/initiate")
                .header("Idempotency-Key", "pay-once")
                .json(&body)
        })
        .collect();
    let answers = all_at_once(requests).await;
    let done: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.body["error"]["code"] != "request_in_progress")
        .collect();
    assert!(!done.is_empty(), "{answers:?}");
    for a in &done {
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body, done[0].body);
    }
    assert_eq!(
        done.iter().filter(|a| !a.replayed).count(),
        1,
        "{answers:?}"
    );
    assert_eq!(payments_of_booking(&app, &id).await, 1);
    let pid = id_of(&done[0].body);
    // Later retries replay too.
    let again = send_for_answer(
        me.request(reqwest::Method::POST, "/payments/initiate")
            .header("Idempotency-Key", "pay-once")
            .json(&body),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(again.replayed);
    assert_eq!(again.body, done[0].body);
    // The same key for another request: 422.
    let r = send_for_answer(
        me.request(reqwest::Method::POST, "/payments/initiate")
            .header("Idempotency-Key", "pay-once")
            .json(&json!({"booking_id": id, "payment_method": "tok_success", "amount": 200})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "idempotency_key_reused");

    // Ten confirmations with one key: one charge, one answer.
    let confirm_body = json!({"payment_id": pid});
    let requests = (0..10)
        .map(|_| {
            me.request(reqwest::Method::POST, "/payments/confirm")
                .header("Idempotency-Key", "confirm-once")
                .json(&confirm_body)
        })
        .collect();
    let answers = all_at_once(requests).await;
    let done: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.body["error"]["code"] != "request_in_progress")
        .collect();
    assert!(!done.is_empty(), "{answers:?}");
    for a in &done {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body, done[0].body);
    }
    assert_eq!(
        done.iter().filter(|a| !a.replayed).count(),
        1,
        "{answers:?}"
    );
    assert_eq!(done[0].body["outcome"], "booking_confirmed");
    assert_eq!(
        app.gateway
            .refundable(&gateway_ref(&done[0].body))
            .await
            .unwrap(),
        Some(200)
    );
    let history = me.history(&id).await;
    assert_eq!(
        history
            .iter()
            .filter(|e| e["entity"] == "payment" && e["to"] == "succeeded")
            .count(),
        1,
        "{history:?}"
    );
    let r = send_for_answer(
        me.request(reqwest::Method::POST, "/payments/confirm")
            .header("Idempotency-Key", "confirm-once")
            .json(&json!({"payment_id": uuid::Uuid::new_v4()})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "idempotency_key_reused");

    // Keys are per caller: Bob's "pay-once" is his own.
    let bob = app.signup("bob@example.com", "customer").await;
    let bobs = id_of(&app.as_user(&bob).hold(show, &["A3"]).await);
    let r = send_for_answer(
        app.as_user(&bob)
            .request(reqwest::Method::POST, "/payments/initiate")
            .header("Idempotency-Key", "pay-once")
            .json(&json!({"booking_id": bobs, "payment_method": "tok_success"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(!r.replayed);
    assert_eq!(r.body["booking_id"], bobs.as_str());
}

#[tokio::test]
async fn a_refund_with_an_idempotency_key_is_made_once() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1", "A2"]).await);
    let paid = me.pay(&id).await;
    let pid = id_of(&paid);
    let path = format!("/payments/{pid}/refund");
    let send = |body: Value| {
        send_for_answer(
            app.as_admin()
                .request(reqwest::Method::POST, &path)
                .header("Idempotency-Key", "refund-1")
                .json(&body),
        )
    };
    let first = send(json!({"amount": 50, "reason": "goodwill"})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    let again = send(json!({"amount": 50, "reason": "goodwill"})).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    let other = send(json!({"amount": 60, "reason": "goodwill"})).await;
    assert_eq!(other.status.as_u16(), 422, "{}", other.body);
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");
    assert_eq!(refunds_sum(&app, &pid).await, 50);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(150)
    );
}

// --- guests ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_guest_pays_with_the_booking_token() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let (status, booking) = app.anon().book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(booking["status"], "held");
    let id = id_of(&booking);
    let token = booking["guest_token"].as_str().unwrap().to_owned();
    let guest = app.anon().header("X-Booking-Token", &token);

    // Without the token (or with another one): the booking is not found.
    assert_error(
        &app.anon().initiate(&id, "tok_success").await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", "not-the-token")
            .initiate(&id, "tok_success")
            .await,
        404,
        "not_found",
    );
    // Without the token a key is a guest's key, scoped to the request alone: a short one is
    // refused, and with a long one the booking is still not found.
    let without_token = |key: &str| {
        app.anon()
            .request(reqwest::Method::POST, "/payments/initiate")
            .header("Idempotency-Key", key)
            .json(&json!({"booking_id": id, "payment_method": "tok_success"}))
    };
    let r = send_for_answer(without_token("guest-key")).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "invalid_idempotency_key");
    let r = send_for_answer(without_token("a-long-enough-guest-key")).await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "not_found");
    assert_eq!(payments_of_booking(&app, &id).await, 0);

    // With the token and a key: created once, replayed after.
    let body = json!({"booking_id": id, "payment_method": "tok_success"});
    let with_key = |caller: &Caller<'_>, body: &Value| {
        caller
            .request(reqwest::Method::POST, "/payments/initiate")
            .header("Idempotency-Key", "guest-key")
            .json(body)
    };
    let first = send_for_answer(with_key(&guest, &body)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    let again = send_for_answer(with_key(&guest, &body)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(payments_of_booking(&app, &id).await, 1);
    let pid = id_of(&first.body);

    // Another guest's key of the same name is theirs: a new payment of their own booking.
    let (status, other) = app.anon().book_labels(show, &["A2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other_token = other["guest_token"].as_str().unwrap().to_owned();
    let other_guest = app.anon().header("X-Booking-Token", &other_token);
    let theirs = send_for_answer(with_key(
        &other_guest,
        &json!({"booking_id": id_of(&other), "payment_method": "tok_success"}),
    ))
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    assert!(!theirs.replayed);
    assert_ne!(theirs.body["id"], first.body["id"]);
    // The other guest cannot read or confirm the first guest's payment.
    assert_error(
        &other_guest.get(&format!("/payments/{pid}")).await,
        404,
        "not_found",
    );
    assert_error(&other_guest.confirm(&pid).await, 404, "not_found");
    assert_error(&app.anon().confirm(&pid).await, 404, "not_found");

    let (status, read) = guest.get(&format!("/payments/{pid}")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let (status, paid) = guest.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["outcome"], "booking_confirmed");
    let read = guest.booking(&id).await;
    assert_eq!(read["status"], "confirmed");
    assert_eq!(read["payments"][0], paid);
    let history = guest.history(&id).await;
    assert!(history.iter().all(|e| e["actor"] == "guest"), "{history:?}");
    assert_eq!(history.len(), 4, "{history:?}");
}

// --- more late payments, outages -----------------------------------------------------------------

#[tokio::test]
async fn a_payment_of_a_booking_cancelled_meanwhile_is_refunded_in_full() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1", "A2"]).await);
    let pid = id_of(&initiated(&me, &id, "tok_success").await);
    let cancelled = cancel(&me, &id).await;
    // Nothing was paid yet: nothing to refund at the cancellation.
    assert_eq!(cancelled["payments"][0]["status"], "initiated");
    assert_eq!(cancelled["payments"][0]["refunds"], json!([]));

    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["outcome"], "refunded_booking_cancelled");
    assert_eq!(paid["refunded_amount"], 200);
    assert_eq!(paid["refunds"][0]["amount"], 200);
    assert_eq!(paid["refunds"][0]["status"], "succeeded");
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "cancelled");
    assert_eq!(read["payments"][0], paid);
    assert_eq!(
        app.show(show).await["seat_classes"][0]["available_seats"],
        10
    );
}

#[tokio::test]
async fn a_payment_that_arrives_after_the_show_started_is_refunded_in_full() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let id = id_of(&me.hold(show, &["A1"]).await);
    let pid = id_of(&initiated(&me, &id, "tok_success").await);
    // The seat is still free, but the show has started: no revival.
    app.clock.advance(Duration::days(7) + Duration::hours(1));
    let (status, paid) = me.confirm(&pid).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["outcome"], "refunded_booking_expired");
    assert_eq!(paid["refunded_amount"], 100);
    assert_eq!(paid["refunds"][0]["status"], "succeeded");
    assert_eq!(me.booking(&id).await["status"], "expired");
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );
}

#[tokio::test]
async fn a_cancellation_refund_never_exceeds_what_remains() {
    let app = spawn_app().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (id, paid) = paid_booking_of_1001(&app, &me).await;
    let pid = id_of(&paid);
    let (status, _) = app.as_admin().refund(&pid, Some(800), "partial").await;
    assert_eq!(status, StatusCode::CREATED);
    // Less than 24 h before the start: 501 would be due, only 201 remains.
    app.clock.advance(Duration::days(6) + Duration::minutes(1));
    let cancelled = cancel(&me, &id).await;
    let payment = &cancelled["payments"][0];
    assert_eq!(payment["refunded_amount"], 1001, "{cancelled}");
    let amounts: Vec<i64> = payment["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![800, 201]);
    assert_eq!(refunds_sum(&app, &pid).await, 1001);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );
}

#[tokio::test]
async fn a_gateway_outage_leaves_the_payment_initiated_and_the_refund_pending_until_retried() {
    // Every second gateway call fails (deterministically: calls 1, 3, 5, … of this app).
    let app = spawn_app_with(|s| s.payments.gateway_fail_rate_percent = 50).await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    // Gateway call 0 (the charge): fine.
    let (id, paid) = paid_booking_of_1001(&app, &me).await;

    // Call 1 (the cancellation's refund) fails: the refund stays pending, and counts.
    let cancelled = cancel(&me, &id).await;
    let refund = &cancelled["payments"][0]["refunds"][0];
    assert_eq!(refund["status"], "pending", "{cancelled}");
    assert_eq!(refund["amount"], 1001);
    assert_eq!(cancelled["payments"][0]["refunded_amount"], 1001);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(1001)
    );
    let r = app.as_admin().refund(&id_of(&paid), Some(1), "more").await;
    assert_error(&r, 409, "nothing_to_refund");
    // Too fresh for the sweep (the request that wrote it may still be at it).
    let report = app.sweep().await;
    assert_eq!(report.refunds_retried, 0, "{report:?}");
    app.clock.advance(Duration::minutes(2));
    // Call 2: the retry goes through.
    let report = app.sweep().await;
    assert_eq!(report.refunds_retried, 1, "{report:?}");
    let read = me.booking(&id).await;
    assert_eq!(read["payments"][0]["refunds"][0]["status"], "succeeded");
    assert_eq!(read["payments"][0]["refunded_amount"], 1001);
    assert_eq!(
        app.gateway.refundable(&gateway_ref(&paid)).await.unwrap(),
        Some(0)
    );
    let history = me.history(&id).await;
    let last = history.last().unwrap();
    assert_eq!(last["entity"], "refund", "{last}");
    assert_eq!(last["from"], "pending");
    assert_eq!(last["to"], "succeeded");
    assert_eq!(last["actor"], "system");
    assert_eq!(app.sweep().await.refunds_retried, 0);

    // Call 3 (a charge) fails: 503, the payment stays initiated, and an idempotent retry with
    // the same key does the work again (call 4) instead of replaying the outage.
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 10, Some(700)).await["id"]
        .as_i64()
        .unwrap();
    let (status, booking) = me
        .post_json("/bookings", &json!({"show_id": ga, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let bid = id_of(&booking);
    let pid = id_of(&initiated(&me, &bid, "tok_success").await);
    let confirm_with_key = || {
        send_for_answer(
            me.request(reqwest::Method::POST, "/payments/confirm")
                .header("Idempotency-Key", "confirm-through-outage")
                .json(&json!({"payment_id": pid})),
        )
    };
    let down = confirm_with_key().await;
    assert_eq!(down.status.as_u16(), 503, "{}", down.body);
    assert_eq!(down.body["error"]["code"], "unavailable");
    let (_, read) = me.get(&format!("/payments/{pid}")).await;
    assert_eq!(read["status"], "initiated");
    assert_eq!(me.booking(&bid).await["status"], "held");
    let up = confirm_with_key().await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    assert!(!up.replayed);
    assert_eq!(up.body["outcome"], "booking_confirmed");
    assert_eq!(me.booking(&bid).await["status"], "confirmed");
    assert_eq!(
        app.gateway
            .refundable(&gateway_ref(&up.body))
            .await
            .unwrap(),
        Some(700)
    );
}
