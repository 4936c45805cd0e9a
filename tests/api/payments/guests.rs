//! A guest pays with the booking token.

use super::*;

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
