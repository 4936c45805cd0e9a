//! `Idempotency-Key` on the payment routes.

use super::*;

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
