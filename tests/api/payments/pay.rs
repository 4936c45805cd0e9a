//! Hold, pay, confirm: reading payments, declines, confirming twice, the checks on a payment.

use super::*;

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
