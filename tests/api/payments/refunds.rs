//! Refunds: the cancellation policy, refunds in parts by the provider and admins, the cap.

use super::*;

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
