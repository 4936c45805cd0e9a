//! Holds: how long they run, expiry (lazy and by the sweep), completion, and the history of an
//! expired hold.

use super::*;

#[tokio::test]
async fn a_priced_booking_is_held_for_ten_minutes_and_its_seats_show_held() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);

    let before = app.clock.now();
    let booking = me.hold(show, &["A1", "A2"]).await;
    let after = app.clock.now();
    let id = id_of(&booking);
    assert_eq!(booking["status"], "held");
    assert_eq!(booking["total_amount"], 200);
    assert_eq!(booking["payments"], json!([]));
    assert_eq!(booking["cancelled_at"], Value::Null);
    let expires_at = time_of(&booking["expires_at"]);
    assert!(
        expires_at >= before + Duration::minutes(10) && expires_at <= after + Duration::minutes(10),
        "expires_at {expires_at} is not now + 10 min ({before} .. {after})"
    );

    // Read back: the same hold and deadline.
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "held");
    assert_eq!(micros(time_of(&read["expires_at"])), micros(expires_at));
    assert_eq!(read["payments"], json!([]));

    // The seat map: held, with the hold's deadline; other seats available.
    for label in ["A1", "A2"] {
        let seat = app.seat(show, label).await;
        assert_eq!(seat["status"], "held", "{seat}");
        assert_eq!(seat["is_booked"], true, "{seat}");
        assert_eq!(
            micros(time_of(&seat["held_until"])),
            micros(expires_at),
            "{seat}"
        );
    }
    let a3 = app.seat(show, "A3").await;
    assert_eq!(a3["status"], "available");
    assert_eq!(a3["held_until"], Value::Null);
    let class = &app.show(show).await["seat_classes"][0];
    assert_eq!(class["held_seats"], 2, "{class}");
    assert_eq!(class["booked_seats"], 0, "{class}");
    assert_eq!(class["available_seats"], 8, "{class}");
    // Held seats count towards the occupancy used for pricing.
    let (status, a3) = app.get(&format!("/seats/{}", a3["id"])).await;
    assert_eq!(status, StatusCode::OK, "{a3}");
    assert_eq!(a3["pricing"]["sold_seats"], 2, "{a3}");

    // Another customer cannot take a held seat.
    let bob = app.signup("bob@example.com", "customer").await;
    let taken = app.as_user(&bob).book_labels(show, &["A2", "A3"]).await;
    assert_error(&taken, 409, "seat_unavailable");
    assert_eq!(taken.1["error"]["details"]["seats"], json!(["A2"]));

    // History: the creation, as held, by the customer.
    let history = me.history(&id).await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0]["from"], Value::Null);
    assert_eq!(history[0]["to"], "held");
    assert_eq!(history[0]["actor"], format!("user:{}", ann.id));
}

/// `booking.hold_seconds` (the end-to-end tests' short holds) overrides `hold_minutes`.
#[tokio::test]
async fn hold_seconds_gives_a_short_hold_that_expires_on_time() {
    let app = spawn_app_with(|s| s.booking.hold_seconds = Some(20)).await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let before = app.clock.now();
    let booking = me.hold(show, &["A1"]).await;
    let after = app.clock.now();
    let id = id_of(&booking);
    let expires_at = time_of(&booking["expires_at"]);
    assert!(
        expires_at >= before + Duration::seconds(20) && expires_at <= after + Duration::seconds(20),
        "expires_at {expires_at} is not now + 20 s ({before} .. {after})"
    );
    app.clock.advance(Duration::seconds(15));
    assert_eq!(me.booking(&id).await["status"], "held");
    app.clock.advance(Duration::seconds(6));
    assert_eq!(me.booking(&id).await["status"], "expired");
    assert_eq!(app.seat(show, "A1").await["status"], "available");
}

#[tokio::test]
async fn a_free_general_admission_booking_is_confirmed_at_once() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    for price in [None, Some(0)] {
        let ga = app.ga_show(event, 10, price).await["id"].as_i64().unwrap();
        let (status, booking) = app.book_quantity(ga, 2).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        assert_eq!(booking["status"], "confirmed", "price {price:?}: {booking}");
        assert_eq!(booking["total_amount"], 0);
        assert_eq!(booking["expires_at"], Value::Null);
        assert_eq!(booking["payments"], json!([]));
        let id = id_of(&booking);
        let history = app.as_admin().history(&id).await;
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(history[0]["to"], "confirmed");
        // Nothing to pay.
        let r = app.as_admin().initiate(&id, "tok_success").await;
        assert_error(&r, 409, "booking_not_held");
        assert_eq!(app.show(ga).await["available_seats"], 8);
    }
    // Nothing to expire, ever.
    app.clock.advance(past_the_hold());
    let report = app.sweep().await;
    assert_eq!(report.expired, 0);
    let (_, list) = app.get("/bookings?email=ann@example.com").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert!(items.iter().all(|b| b["status"] == "confirmed"), "{list}");
}

#[tokio::test]
async fn a_past_due_hold_reads_expired_and_frees_its_seats_before_any_sweep() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1", "A2"]).await;
    let id = id_of(&booking);

    // Just before the deadline: still held.
    app.clock
        .advance(Duration::minutes(9) + Duration::seconds(50));
    assert_eq!(me.booking(&id).await["status"], "held");
    assert_eq!(me.history(&id).await.len(), 1);

    // Past it: expired at once, without any job.
    app.clock.advance(Duration::seconds(11));
    let read = me.booking(&id).await;
    assert_eq!(read["status"], "expired", "{read}");
    // The deadline stays on the booking.
    assert_eq!(
        micros(time_of(&read["expires_at"])),
        micros(time_of(&booking["expires_at"]))
    );
    let (status, mine) = me.get("/bookings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["items"][0]["status"], "expired", "{mine}");
    for label in ["A1", "A2"] {
        let seat = app.seat(show, label).await;
        assert_eq!(seat["status"], "available", "{seat}");
        assert_eq!(seat["is_booked"], false, "{seat}");
        assert_eq!(seat["held_until"], Value::Null, "{seat}");
    }
    let class = &app.show(show).await["seat_classes"][0];
    assert_eq!(class["held_seats"], 0, "{class}");
    assert_eq!(class["available_seats"], 10, "{class}");
    // Nor do they count towards the occupancy used for pricing.
    let a1 = app.seat_ids(show, &["A1"]).await[0];
    let (status, a1) = app.get(&format!("/seats/{a1}")).await;
    assert_eq!(status, StatusCode::OK, "{a1}");
    assert_eq!(a1["pricing"]["sold_seats"], 0, "{a1}");
    assert_eq!(a1["status"], "available", "{a1}");

    let before_sweep = me.history(&id).await;
    assert_eq!(before_sweep.len(), 2, "{before_sweep:?}");
    assert_expiry_entry(before_sweep.last().unwrap(), &read);
    // Nothing was written: the expiry is what reads see.
    assert_eq!(app.stored_status(&id).await, "held");
    // An expired booking cannot be cancelled (or paid).
    let r = me
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_error(&r, 409, "illegal_transition");
    assert_error(
        &me.initiate(&id, "tok_success").await,
        409,
        "booking_not_held",
    );

    // The sweep writes down exactly what the reads showed.
    let report = app.sweep().await;
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(report.completed, 0);
    assert_eq!(app.stored_status(&id).await, "expired");
    let after_sweep = me.history(&id).await;
    assert_eq!(after_sweep, before_sweep);
    assert_eq!(
        app.count_sql(format!(
            "SELECT count(*) AS n FROM booking_history WHERE booking_id = '{id}' \
             AND to_status = 'expired'"
        ))
        .await,
        1
    );
    assert_eq!(me.booking(&id).await["status"], "expired");
    // Once only.
    assert_eq!(app.sweep().await.expired, 0);
    assert_eq!(me.history(&id).await, before_sweep);
    assert_eq!(app.seat(show, "A1").await["status"], "available");
}

#[tokio::test]
async fn a_seat_map_read_during_a_hold_shows_its_seats_free_once_it_expired() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let booking = app.as_admin().hold(show, &["A1"]).await;
    // Read while held (a client polling the map).
    let seat = app.seat(show, "A1").await;
    assert_eq!(seat["status"], "held", "{seat}");
    assert_eq!(
        micros(time_of(&seat["held_until"])),
        micros(time_of(&booking["expires_at"]))
    );

    app.clock.advance(past_the_hold());
    // Past the deadline the seat is free at once: a map that still says "held until" a time
    // that has passed is wrong.
    let seat = app.seat(show, "A1").await;
    assert_eq!(seat["status"], "available", "{seat}");
    assert_eq!(seat["held_until"], Value::Null, "{seat}");
}

#[tokio::test]
async fn another_customer_books_the_seats_of_a_past_due_hold_before_any_sweep() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let anns = app.as_user(&ann).hold(show, &["A1", "A2"]).await;
    let ann_id = id_of(&anns);

    let r = app.as_user(&bob).book_labels(show, &["A2", "A3"]).await;
    assert_error(&r, 409, "seat_unavailable");

    app.clock.advance(past_the_hold());
    let bobs = app.as_user(&bob).hold(show, &["A2", "A3"]).await;
    assert_eq!(bobs["status"], "held");
    // Priced on the occupancy without the past-due hold: both at the min price.
    assert_eq!(prices_of(&bobs), vec![100, 100]);
    assert_eq!(bobs["total_amount"], 200);

    // Ann's hold was written down as expired in Bob's transaction, once.
    assert_eq!(app.stored_status(&ann_id).await, "expired");
    let read = app.as_user(&ann).booking(&ann_id).await;
    assert_eq!(read["status"], "expired");
    let history = app.as_user(&ann).history(&ann_id).await;
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(expiry_rows(&history), 1, "{history:?}");
    assert_expiry_entry(&history[1], &read);

    // A1 is free, A2 and A3 are Bob's.
    assert_eq!(app.seat(show, "A1").await["status"], "available");
    for label in ["A2", "A3"] {
        let seat = app.seat(show, label).await;
        assert_eq!(seat["status"], "held", "{seat}");
        assert_eq!(
            micros(time_of(&seat["held_until"])),
            micros(time_of(&bobs["expires_at"]))
        );
    }
    // The sweep has nothing left to do for Ann and never touches Bob's running hold.
    assert_eq!(app.sweep().await.expired, 0);
    assert_eq!(expiry_rows(&app.as_user(&ann).history(&ann_id).await), 1);
    assert_eq!(
        app.as_user(&bob).booking(&id_of(&bobs)).await["status"],
        "held"
    );
    let carol = app.signup("carol@example.com", "customer").await;
    let carols = app.as_user(&carol).hold(show, &["A1"]).await;
    assert_eq!(carols["status"], "held");
}

#[tokio::test]
async fn general_admission_places_of_a_past_due_hold_come_back() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 3, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let qty = |n: i64| json!({"show_id": ga, "quantity": n});

    let (status, anns) = app.as_user(&ann).post_json("/bookings", &qty(3)).await;
    assert_eq!(status, StatusCode::CREATED, "{anns}");
    assert_eq!(anns["status"], "held");
    assert_eq!(anns["total_amount"], 1500);
    assert_eq!(app.show(ga).await["available_seats"], 0);
    let r = app.as_user(&bob).post_json("/bookings", &qty(1)).await;
    assert_error(&r, 409, "sold_out");

    app.clock.advance(past_the_hold());
    // The places read free before anything wrote the expiry down.
    assert_eq!(app.show(ga).await["available_seats"], 3);
    let (status, event_read) = app.get(&format!("/events/{event}")).await;
    assert_eq!(status, StatusCode::OK, "{event_read}");
    assert_eq!(event_read["available_seats"], 3, "{event_read}");

    let (status, bobs) = app.as_user(&bob).post_json("/bookings", &qty(2)).await;
    assert_eq!(status, StatusCode::CREATED, "{bobs}");
    assert_eq!(bobs["status"], "held");
    assert_eq!(bobs["total_amount"], 1000);
    assert_eq!(app.show(ga).await["available_seats"], 1);

    let ann_id = id_of(&anns);
    assert_eq!(app.stored_status(&ann_id).await, "expired");
    let read = app.as_user(&ann).booking(&ann_id).await;
    assert_eq!(read["status"], "expired");
    let history = app.as_user(&ann).history(&ann_id).await;
    assert_eq!(expiry_rows(&history), 1, "{history:?}");
    assert_expiry_entry(history.last().unwrap(), &read);

    // The sweep finds nothing more; the last place is still for sale, and only one.
    assert_eq!(app.sweep().await.expired, 0);
    assert_eq!(app.show(ga).await["available_seats"], 1);
    let r = app.as_user(&ann).post_json("/bookings", &qty(2)).await;
    assert_error(&r, 409, "sold_out");
    let (status, _) = app.as_user(&ann).post_json("/bookings", &qty(1)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.show(ga).await["available_seats"], 0);
}

#[tokio::test]
async fn the_sweep_expires_unpaid_holds_and_never_a_paid_booking() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let carol = app.signup("carol@example.com", "customer").await;
    // Ann does not pay, Bob pays, Carol's card is declined.
    let anns = app.as_user(&ann).hold(show, &["A1"]).await;
    let bobs = app.as_user(&bob).hold(show, &["A2"]).await;
    let carols = app.as_user(&carol).hold(show, &["A3"]).await;
    let paid = app.as_user(&bob).pay(&id_of(&bobs)).await;
    assert_eq!(paid["outcome"], "booking_confirmed");
    let (status, p) = app
        .as_user(&carol)
        .initiate(&id_of(&carols), "tok_declined")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_error(
        &app.as_user(&carol).confirm(&id_of(&p)).await,
        402,
        "card_declined",
    );

    app.clock.advance(past_the_hold());
    let report = app.sweep().await;
    assert_eq!(report.expired, 2, "{report:?}");
    assert_eq!(app.stored_status(&id_of(&anns)).await, "expired");
    assert_eq!(app.stored_status(&id_of(&carols)).await, "expired");
    assert_eq!(app.stored_status(&id_of(&bobs)).await, "confirmed");

    let bob_read = app.as_user(&bob).booking(&id_of(&bobs)).await;
    assert_eq!(bob_read["status"], "confirmed");
    assert_eq!(bob_read["payments"][0]["status"], "succeeded");
    assert_eq!(
        expiry_rows(&app.as_user(&bob).history(&id_of(&bobs)).await),
        0
    );
    let a2 = app.seat(show, "A2").await;
    assert_eq!(a2["status"], "booked", "{a2}");
    assert_eq!(a2["held_until"], Value::Null, "{a2}");
    assert_eq!(app.seat(show, "A1").await["status"], "available");
    assert_eq!(app.seat(show, "A3").await["status"], "available");

    // Much later, still nothing for the sweep to expire.
    app.clock.advance(Duration::hours(2));
    assert_eq!(app.sweep().await.expired, 0);
    assert_eq!(
        app.as_user(&bob).booking(&id_of(&bobs)).await["status"],
        "confirmed"
    );
}

#[tokio::test]
async fn the_sweep_completes_confirmed_bookings_of_shows_that_ended() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let seated = app
        .seated_show(
            event,
            &[ClassSpec {
                name: "A",
                prices: (Some(100), Some(200), Some(300)),
                rows: &["A"],
                seats_per_row: 10,
            }],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let free = app.ga_show(event, 10, None).await["id"].as_i64().unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);

    let paid = me.hold(seated, &["A1"]).await;
    me.pay(&id_of(&paid)).await;
    let (status, free_booking) = me
        .post_json("/bookings", &json!({"show_id": free, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{free_booking}");
    assert_eq!(free_booking["status"], "confirmed");
    let cancelled = me.hold(seated, &["A2"]).await;
    me.pay(&id_of(&cancelled)).await;
    let (status, _) = me
        .post_json(
            &format!("/bookings/{}/cancel", id_of(&cancelled)),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let unpaid = me.hold(seated, &["A3"]).await;

    // The shows have started (7 days) but not ended (8 days): nothing to complete.
    app.clock.advance(Duration::days(7) + Duration::hours(12));
    let report = app.sweep().await;
    assert_eq!(report.completed, 0, "{report:?}");
    assert_eq!(report.expired, 1, "the unpaid hold: {report:?}");
    assert_eq!(me.booking(&id_of(&paid)).await["status"], "confirmed");

    // Past the end.
    app.clock.advance(Duration::days(1));
    let report = app.sweep().await;
    assert_eq!(report.completed, 2, "{report:?}");
    assert_eq!(report.expired, 0, "{report:?}");
    for b in [&paid, &free_booking] {
        let id = id_of(b);
        assert_eq!(me.booking(&id).await["status"], "completed");
        assert_eq!(app.stored_status(&id).await, "completed");
        let history = me.history(&id).await;
        let last = history.last().unwrap();
        assert_eq!(last["entity"], "booking", "{last}");
        assert_eq!(last["entity_id"], id.as_str(), "{last}");
        assert_eq!(last["from"], "confirmed", "{last}");
        assert_eq!(last["to"], "completed", "{last}");
        assert_eq!(last["actor"], "system", "{last}");
        assert_eq!(last["reason"], "the show ended", "{last}");
    }
    assert_eq!(me.booking(&id_of(&cancelled)).await["status"], "cancelled");
    assert_eq!(me.booking(&id_of(&unpaid)).await["status"], "expired");
    // Once only.
    let report = app.sweep().await;
    assert_eq!((report.completed, report.expired), (0, 0), "{report:?}");
    assert_eq!(
        me.history(&id_of(&paid))
            .await
            .iter()
            .filter(|e| e["to"] == "completed")
            .count(),
        1
    );
}

#[tokio::test]
async fn the_history_of_a_hold_that_expired_stays_oldest_first() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let booking = me.hold(show, &["A1"]).await;
    let id = id_of(&booking);
    let (status, p) = me.initiate(&id, "tok_declined").await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    // The card is declined a minute after the hold ended.
    app.clock.advance(past_the_hold() + Duration::minutes(1));
    assert_error(&me.confirm(&id_of(&p)).await, 402, "card_declined");

    let check = |history: &[Value]| {
        assert_eq!(history.len(), 4, "{history:?}");
        assert_eq!(expiry_rows(history), 1, "{history:?}");
        let times: Vec<DateTime<Utc>> = history.iter().map(|e| time_of(&e["at"])).collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "not oldest first: {history:#?}"
        );
    };
    // Before the sweep (the expiry is shown, not stored) and after it (stored).
    check(&me.history(&id).await);
    assert_eq!(app.sweep().await.expired, 1);
    check(&me.history(&id).await);
}
