//! Late payments (after expiry, a cancellation or the show's start) and gateway outages.

use super::*;

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
