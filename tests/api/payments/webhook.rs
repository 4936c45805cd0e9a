//! The signed webhook settling delayed payments.

use super::*;

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
