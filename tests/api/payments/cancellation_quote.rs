//! `GET /bookings/{id}/cancellation`: what a cancel would refund, shown before it is asked —
//! and then refunded by `POST /bookings/{id}/cancel`.

use super::*;

const POLICY: &str = "Full refund until 24 hours before the show starts; 50 % of the amount \
                      paid after that; nothing once it has started.";

async fn quote(caller: &Caller<'_>, id: &str) -> Value {
    let (status, body) = caller.get(&format!("/bookings/{id}/cancellation")).await;
    assert_eq!(status, StatusCode::OK, "cancellation quote: {body}");
    body
}

/// The refunds a cancellation made, added up.
fn refunded(cancelled: &Value) -> i64 {
    cancelled["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["refunded_amount"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn the_preview_is_what_the_cancel_then_refunds() {
    let app = spawn_app().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (early, _) = paid_booking_of_1001(&app, &me).await;
    let (late, _) = paid_booking_of_1001(&app, &me).await;
    let (after, _) = paid_booking_of_1001(&app, &me).await;

    // A minute more than 24 h before the start (the shows start in 7 days): everything.
    app.clock.advance(Duration::days(6) - Duration::minutes(1));
    let q = quote(&me, &early).await;
    assert_eq!(
        q,
        json!({"booking_id": early, "cancellable": true, "reason": null,
               "refund_amount": 1001, "paid_amount": 1001, "currency": "USD",
               "policy": POLICY})
    );
    let cancelled = cancel(&me, &early).await;
    assert_eq!(refunded(&cancelled), q["refund_amount"].as_i64().unwrap());

    // A minute less: half, rounded up.
    app.clock.advance(Duration::minutes(2));
    let q = quote(&me, &late).await;
    assert_eq!(
        (&q["cancellable"], &q["refund_amount"]),
        (&json!(true), &json!(501))
    );
    let cancelled = cancel(&me, &late).await;
    assert_eq!(refunded(&cancelled), 501);

    // After the start: cancellable, nothing back.
    app.clock.advance(Duration::days(1));
    let q = quote(&me, &after).await;
    assert_eq!(
        (&q["cancellable"], &q["refund_amount"]),
        (&json!(true), &json!(0))
    );
    assert_eq!(q["paid_amount"], 1001);
    assert_eq!(refunded(&cancel(&me, &after).await), 0);

    // Cancelled: the preview says so, with nothing more to refund; asking writes nothing.
    let rows = me.history(&early).await.len();
    let q = quote(&me, &early).await;
    assert_eq!(me.history(&early).await.len(), rows);
    assert_eq!(
        (
            &q["cancellable"],
            &q["reason"],
            &q["refund_amount"],
            &q["paid_amount"]
        ),
        (
            &json!(false),
            &json!("booking_cancelled"),
            &json!(0),
            &json!(1001)
        )
    );
    let (status, again) = me
        .post_json(&format!("/bookings/{early}/cancel"), &json!({}))
        .await;
    assert_error(&(status, again), 409, "illegal_transition");
}

#[tokio::test]
async fn holds_the_guest_token_and_who_may_ask() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let (status, booking) = app.anon().book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = id_of(&booking);
    let token = booking["guest_token"].as_str().unwrap().to_owned();
    let guest = app.anon().header("X-Booking-Token", &token);

    // A running hold: cancellable, nothing paid, nothing back.
    let q = quote(&guest, &id).await;
    assert_eq!(
        (
            &q["cancellable"],
            &q["reason"],
            &q["refund_amount"],
            &q["paid_amount"]
        ),
        (&json!(true), &Value::Null, &json!(0), &json!(0))
    );
    assert_eq!(quote(&app.as_admin(), &id).await, q);
    // Anyone else: the 404 of an unknown booking.
    let bob = app.signup("bob@example.com", "customer").await;
    let path = format!("/bookings/{id}/cancellation");
    for caller in [
        app.anon(),
        app.anon()
            .header("X-Booking-Token", "not-the-token-0123456789"),
        app.as_user(&bob),
    ] {
        assert_error(&caller.get(&path).await, 404, "not_found");
    }
    let unknown = uuid::Uuid::new_v4();
    assert_error(
        &app.as_admin()
            .get(&format!("/bookings/{unknown}/cancellation"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_admin().get("/bookings/nope/cancellation").await,
        404,
        "not_found",
    );

    // Past the hold: expired, not cancellable — and the cancel agrees.
    app.clock.advance(past_the_hold());
    let q = quote(&guest, &id).await;
    assert_eq!(
        (&q["cancellable"], &q["reason"]),
        (&json!(false), &json!("booking_expired"))
    );
    let (status, refused) = guest
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_error(&(status, refused), 409, "illegal_transition");
}
