//! Changing the seats of a hold.

use super::*;

fn seats_path(id: &str) -> String {
    format!("/bookings/{id}/seats")
}

#[tokio::test]
async fn changing_the_seats_of_a_hold_reprices_without_its_own_old_seats() {
    let app = spawn_app().await;
    // One class of 10 seats: min 100 below 40 %, normal 200 up to 60 %, max 300 above.
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    app.as_user(&bob).hold(show, &["A1", "A2", "A3"]).await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A4", "A5", "A6"]).await;
    let id = id_of(&booking);
    // 3, 4 and 5 of 10 taken before each of Ann's seats.
    assert_eq!(prices_of(&booking), vec![100, 200, 200]);
    assert_eq!(booking["total_amount"], 500);

    // Priced on 3 of 10 (Bob's), not 6: 100 then 200. Counting her own old seats it would be
    // 200 then 300.
    let (status, changed) = me
        .put_json(&seats_path(&id), &json!({"seat_labels": ["A9", "A8"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["status"], "held");
    assert_eq!(labels_of(&changed), vec!["A8", "A9"]);
    assert_eq!(prices_of(&changed), vec![100, 200]);
    assert_eq!(changed["total_amount"], 300);
    assert_eq!(changed["quantity"], 2);
    // The hold's deadline does not move.
    assert_eq!(
        micros(time_of(&changed["expires_at"])),
        micros(time_of(&booking["expires_at"]))
    );
    assert_eq!(me.booking(&id).await["total_amount"], 300);

    // The old seats are free, the new ones held until the same deadline.
    for label in ["A4", "A5", "A6"] {
        assert_eq!(
            app.seat(show, label).await["status"],
            "available",
            "{label}"
        );
    }
    for label in ["A8", "A9"] {
        let seat = app.seat(show, label).await;
        assert_eq!(seat["status"], "held", "{seat}");
        assert_eq!(
            micros(time_of(&seat["held_until"])),
            micros(time_of(&booking["expires_at"]))
        );
    }
    let class = &app.show(show).await["seat_classes"][0];
    assert_eq!(class["held_seats"], 5, "{class}");

    let history = me.history(&id).await;
    assert_eq!(history.len(), 2, "{history:?}");
    let change = &history[1];
    assert_eq!(change["entity"], "booking");
    assert_eq!(change["from"], "held");
    assert_eq!(change["to"], "held");
    assert_eq!(change["actor"], format!("user:{}", ann.id));
    assert_eq!(
        change["reason"],
        "seats changed from A4, A5, A6 to A8, A9; total 500 -> 300"
    );

    // Keeping one of its own seats (by id): A8 counts as free for it.
    let ids = app.seat_ids(show, &["A8", "A7"]).await;
    let (status, kept) = me
        .put_json(&seats_path(&id), &json!({"seat_ids": ids}))
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(labels_of(&kept), vec!["A7", "A8"]);
    assert_eq!(prices_of(&kept), vec![100, 200]);
    assert_eq!(kept["total_amount"], 300);
    assert_eq!(app.seat(show, "A9").await["status"], "available");
    assert_eq!(app.seat(show, "A8").await["status"], "held");

    // The payment is for the new total.
    let paid = me.pay(&id).await;
    assert_eq!(paid["amount"], 300);
    assert_eq!(app.seat(show, "A7").await["status"], "booked");
}

#[tokio::test]
async fn a_seat_change_with_one_taken_seat_changes_nothing() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let bobs = app.as_user(&bob).hold(show, &["A1"]).await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A4", "A5"]).await;
    let id = id_of(&booking);

    let r = me
        .put_json(
            &seats_path(&id),
            &json!({"seat_labels": ["A6", "A1", "A7"]}),
        )
        .await;
    assert_error(&r, 409, "seat_unavailable");
    assert_eq!(r.1["error"]["details"]["seats"], json!(["A1"]));

    // Nothing changed: Ann keeps her seats and total, A6/A7 stay free, A1 stays Bob's.
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "held");
    assert_eq!(labels_of(&read), vec!["A4", "A5"]);
    assert_eq!(read["total_amount"], booking["total_amount"]);
    assert_eq!(read["items"], booking["items"]);
    for label in ["A4", "A5", "A1"] {
        assert_eq!(app.seat(show, label).await["status"], "held", "{label}");
    }
    for label in ["A6", "A7"] {
        assert_eq!(
            app.seat(show, label).await["status"],
            "available",
            "{label}"
        );
    }
    let bob_read = app.as_user(&bob).booking(&id_of(&bobs)).await;
    assert_eq!(labels_of(&bob_read), vec!["A1"]);
    assert_eq!(bob_read["status"], "held");
    assert_eq!(me.history(&id).await.len(), 1);
    assert_eq!(app.show(show).await["seat_classes"][0]["held_seats"], 3);

    // A booked (paid) seat is just as taken.
    app.as_user(&bob).pay(&id_of(&bobs)).await;
    let r = me
        .put_json(&seats_path(&id), &json!({"seat_labels": ["A1"]}))
        .await;
    assert_error(&r, 409, "seat_unavailable");
    assert_eq!(labels_of(&me.booking(&id).await), vec!["A4", "A5"]);
}

#[tokio::test]
async fn a_seat_change_can_take_the_seats_of_a_past_due_hold() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let carol = app.signup("carol@example.com", "customer").await;
    let carols = app.as_user(&carol).hold(show, &["A9"]).await;
    // Ann books 5 minutes later: her hold outlives Carol's.
    app.clock.advance(Duration::minutes(5));
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1"]).await;
    let id = id_of(&booking);
    app.clock.advance(Duration::minutes(6));

    let (status, changed) = me
        .put_json(&seats_path(&id), &json!({"seat_labels": ["A9"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(labels_of(&changed), vec!["A9"]);
    assert_eq!(changed["total_amount"], 100);
    let carol_id = id_of(&carols);
    assert_eq!(app.stored_status(&carol_id).await, "expired");
    assert_eq!(
        expiry_rows(&app.as_user(&carol).history(&carol_id).await),
        1
    );
    assert_eq!(app.seat(show, "A9").await["status"], "held");
    assert_eq!(app.seat(show, "A1").await["status"], "available");
}

#[tokio::test]
async fn a_seat_change_needs_a_running_hold_without_a_payment_in_progress() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let to_a8 = json!({"seat_labels": ["A8"]});

    // A payment in progress: 409 payment_pending.
    let pending = me.hold(show, &["A1"]).await;
    let (status, p) = me.initiate(&id_of(&pending), "tok_success").await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let r = me.put_json(&seats_path(&id_of(&pending)), &to_a8).await;
    assert_error(&r, 409, "payment_pending");
    assert_eq!(labels_of(&me.booking(&id_of(&pending)).await), vec!["A1"]);
    assert_eq!(app.seat(show, "A8").await["status"], "available");
    // Paid: no longer held.
    let (status, _) = me.confirm(&id_of(&p)).await;
    assert_eq!(status, StatusCode::OK);
    let r = me.put_json(&seats_path(&id_of(&pending)), &to_a8).await;
    assert_error(&r, 409, "booking_not_held");

    // After a declined payment the seats may change again, and the next payment is for the new
    // total.
    let declined = me.hold(show, &["A2"]).await;
    let did = id_of(&declined);
    let (_, p) = me.initiate(&did, "tok_declined").await;
    assert_error(&me.confirm(&id_of(&p)).await, 402, "card_declined");
    let (status, changed) = me
        .put_json(&seats_path(&did), &json!({"seat_labels": ["A3", "A4"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["total_amount"], 200);
    let paid = me.pay(&did).await;
    assert_eq!(paid["amount"], 200);

    // Cancelled: not held.
    let cancelled = me.hold(show, &["A5"]).await;
    let (status, _) = me
        .post_json(
            &format!("/bookings/{}/cancel", id_of(&cancelled)),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = me.put_json(&seats_path(&id_of(&cancelled)), &to_a8).await;
    assert_error(&r, 409, "booking_not_held");

    // Past due: not held any more, before and after the sweep.
    let expiring = me.hold(show, &["A6"]).await;
    app.clock.advance(past_the_hold());
    let r = me.put_json(&seats_path(&id_of(&expiring)), &to_a8).await;
    assert_error(&r, 409, "booking_not_held");
    assert_eq!(app.sweep().await.expired, 1);
    let r = me.put_json(&seats_path(&id_of(&expiring)), &to_a8).await;
    assert_error(&r, 409, "booking_not_held");
    assert_eq!(app.seat(show, "A8").await["status"], "available");
    assert_eq!(app.seat(show, "A6").await["status"], "available");
}

#[tokio::test]
async fn a_seat_change_checks_access_and_input() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let other_show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let booking = app.as_user(&ann).hold(show, &["A1"]).await;
    let id = id_of(&booking);
    let path = seats_path(&id);
    let to_a2 = json!({"seat_labels": ["A2"]});

    // Strangers and anonymous callers: the 404 of an unknown booking; nothing changes.
    assert_error(
        &app.as_user(&bob).put_json(&path, &to_a2).await,
        404,
        "not_found",
    );
    assert_error(&app.anon().put_json(&path, &to_a2).await, 404, "not_found");
    assert_error(
        &app.as_user(&ann)
            .put_json(&seats_path(&uuid::Uuid::new_v4().to_string()), &to_a2)
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_user(&ann)
            .put_json(&seats_path("nope"), &to_a2)
            .await,
        404,
        "not_found",
    );
    assert_eq!(app.seat(show, "A2").await["status"], "available");

    // Input.
    let me = app.as_user(&ann);
    let a3 = app.seat_ids(show, &["A3"]).await;
    let foreign = app.seat_ids(other_show, &["A3"]).await;
    for (body, field) in [
        (json!({"seat_labels": ["A2"], "seat_ids": a3}), "seat_ids"),
        (json!({}), "seat_ids"),
        (json!({"seat_ids": []}), "seat_ids"),
        (json!({"seat_labels": []}), "seat_labels"),
        (json!({"seat_labels": ["A2", "A2"]}), "seat_labels"),
        (json!({"seat_ids": [a3[0], a3[0]]}), "seat_ids"),
        (json!({"seat_ids": [-1]}), "seat_ids"),
        (json!({"seat_ids": foreign}), "seat_ids"),
        (
            json!({"seat_labels": ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11"]}),
            "seat_labels",
        ),
    ] {
        let r = me.put_json(&path, &body).await;
        assert_invalid(&r, field);
    }
    let r = me
        .put_json(&path, &json!({"seat_labels": ["A2"], "extra": true}))
        .await;
    assert_eq!(r.0.as_u16(), 422, "unknown field: {}", r.1);
    // An unknown seat: 404.
    let r = me.put_json(&path, &json!({"seat_ids": [987_654]})).await;
    assert_error(&r, 404, "not_found");
    let r = me.put_json(&path, &json!({"seat_labels": ["Z99"]})).await;
    assert_invalid(&r, "seat_labels");
    // Nothing changed by any of them.
    let read = me.booking(&id).await;
    assert_eq!(labels_of(&read), vec!["A1"]);
    assert_eq!(me.history(&id).await.len(), 1);

    // The owner, an admin, and a guest with the booking's token may change seats.
    let (status, changed) = me.put_json(&path, &to_a2).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(labels_of(&changed), vec!["A2"]);
    let (status, changed) = app
        .as_admin()
        .put_json(&path, &json!({"seat_labels": ["A3"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(labels_of(&changed), vec!["A3"]);
    let history = me.history(&id).await;
    assert!(history[2]["actor"].as_str().unwrap().starts_with("user:"));
    assert_ne!(history[2]["actor"], format!("user:{}", ann.id));

    let (status, guest) = app.anon().book_labels(show, &["A5"]).await;
    assert_eq!(status, StatusCode::CREATED, "{guest}");
    let gid = id_of(&guest);
    let token = guest["guest_token"].as_str().unwrap().to_owned();
    assert_error(
        &app.anon().put_json(&seats_path(&gid), &to_a2).await,
        404,
        "not_found",
    );
    let (status, changed) = app
        .anon()
        .header("X-Booking-Token", &token)
        .put_json(&seats_path(&gid), &json!({"seat_labels": ["A6"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(labels_of(&changed), vec!["A6"]);
    let history = app
        .anon()
        .header("X-Booking-Token", &token)
        .history(&gid)
        .await;
    assert_eq!(history.last().unwrap()["actor"], "guest");
}
