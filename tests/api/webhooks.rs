//! Partner webhooks over HTTP (docs/webhooks.md): registration and its rules, who sees what,
//! and deliveries to a real receiver on the loopback interface (allowed by the test profile's
//! `webhooks.allow_hosts`) — retried after failures with a signature that verifies with the
//! secret shown at creation, logged, redelivered.

use boxoffice_domain::ports::Clock;
use boxoffice_domain::webhook::verify_webhook;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::webhook_receiver::Receiver;

/// `POST /webhooks` as `caller`, expecting 201.
async fn register(caller: &Caller<'_>, url: &str, events: &[&str]) -> Value {
    let (status, body) = caller
        .post_json("/webhooks", &json!({"url": url, "events": events}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "register {url}: {body}");
    body
}

/// A free general-admission event of `provider` (a booking of it is confirmed at once).
async fn free_event_of(app: &TestApp, provider: &TestUser) -> i64 {
    let city = app.create_city().await;
    let (status, body) = app
        .as_user(provider)
        .post_json(
            "/events",
            &json!({"title": "Free gig", "event_type": "concert", "city_id": city,
                    "total_seats": 50, "date": in_days(7), "price": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "event: {body}");
    body["id"].as_i64().expect("event id")
}

/// A guest's booking of one place of `event`: confirmed at once (free).
async fn book(app: &TestApp, event: i64) -> Value {
    let (status, b) = app
        .anon()
        .post_json(
            &format!("/events/{event}/book"),
            &json!({"name": "Ada", "email": "ada@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "book: {b}");
    assert_eq!(b["status"], "confirmed", "{b}");
    b
}

async fn deliveries(caller: &Caller<'_>, webhook: &str) -> Vec<Value> {
    let (status, body) = caller.get(&format!("/webhooks/{webhook}/deliveries")).await;
    assert_eq!(status, StatusCode::OK, "deliveries: {body}");
    body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn providers_and_admins_register_list_read_and_delete_their_own_webhooks() {
    let app = spawn_app().await;
    let p = app.signup("p@example.com", "provider").await;
    let q = app.signup("q@example.com", "provider").await;
    let c = app.signup("c@example.com", "customer").await;
    let created = register(
        &app.as_user(&p),
        "https://hooks.example.com/boxoffice",
        &["booking.confirmed", "refund.issued", "booking.confirmed"],
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["owner_id"], p.id.as_str());
    assert_eq!(created["url"], "https://hooks.example.com/boxoffice");
    assert_eq!(
        created["events"],
        json!(["booking.confirmed", "refund.issued"])
    );
    assert_eq!(created["active"], true);
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    // The caller's own secret is kept; it is shown only in the answer to the registration.
    let (status, own) = app
        .as_user(&p)
        .post_json(
            "/webhooks",
            &json!({"url": "https://hooks.example.com/2", "events": ["booking.held"],
                    "secret": "my-own-secret-value"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["secret"], "my-own-secret-value");

    let (status, mine) = app.as_user(&p).get("/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (mine["total"].as_i64(), mine["limit"].as_i64()),
        (Some(2), Some(50))
    );
    assert_eq!(mine["items"][0]["id"], own["id"], "newest first");
    let (status, one) = app.as_user(&p).get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["events"], created["events"]);
    for w in mine["items"].as_array().unwrap().iter().chain([&one]) {
        assert!(w.get("secret").is_none(), "the secret is shown once: {w}");
    }
    let (_, page) = app.as_user(&p).get("/webhooks?limit=1&offset=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], id.as_str());

    // Another provider: sees none of them, and each is 404 to them.
    let (_, theirs) = app.as_user(&q).get("/webhooks").await;
    assert_eq!(theirs["total"], 0);
    for r in [
        app.as_user(&q).get(&format!("/webhooks/{id}")).await,
        app.as_user(&q).delete(&format!("/webhooks/{id}")).await,
        app.as_user(&q)
            .get(&format!("/webhooks/{id}/deliveries"))
            .await,
        app.as_user(&q)
            .post_json(
                &format!(
                    "/webhooks/{id}/deliveries/{}/redeliver",
                    uuid::Uuid::new_v4()
                ),
                &json!({}),
            )
            .await,
    ] {
        assert_error(&r, 404, "not_found");
    }
    // An admin sees everyone's.
    let (_, all) = app.as_admin().get("/webhooks").await;
    assert_eq!(all["total"], 2);
    assert_eq!(
        app.as_admin().get(&format!("/webhooks/{id}")).await.0,
        StatusCode::OK
    );
    // A customer may not; an anonymous caller must sign in.
    let body = json!({"url": "https://hooks.example.com/c", "events": ["booking.held"]});
    assert_error(
        &app.as_user(&c).post_json("/webhooks", &body).await,
        403,
        "forbidden",
    );
    assert_error(&app.as_user(&c).get("/webhooks").await, 403, "forbidden");
    assert_error(
        &app.as_user(&c).get(&format!("/webhooks/{id}")).await,
        403,
        "forbidden",
    );
    assert_error(
        &app.as_user(&c).get("/webhooks/not-a-uuid").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.anon().post_json("/webhooks", &body).await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.anon().get("/webhooks").await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.as_user(&p).get("/webhooks/not-a-uuid").await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_user(&p)
            .get(&format!("/webhooks/{}", uuid::Uuid::new_v4()))
            .await,
        404,
        "not_found",
    );

    // Deleted: gone.
    let (status, _) = app.as_user(&p).delete(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &app.as_user(&p).get(&format!("/webhooks/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_user(&p).delete(&format!("/webhooks/{id}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_bad_url_event_or_secret_is_422_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let p = app.signup("p@example.com", "provider").await;
    let caller = app.as_user(&p);
    let post = |body: Value| {
        let caller = &caller;
        async move { caller.post_json("/webhooks", &body).await }
    };
    let events = json!(["booking.confirmed"]);
    for url in [
        "ftp://hooks.example.com/x",
        "hooks.example.com/x",
        "https://user:pass@hooks.example.com/x",
        "http://10.0.0.7/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/x",
        "http://[::ffff:192.168.0.1]/x",
        "",
    ] {
        assert_invalid(&post(json!({"url": url, "events": events})).await, "url");
    }
    let long = format!("https://hooks.example.com/{}", "a".repeat(2048));
    assert_invalid(&post(json!({"url": long, "events": events})).await, "url");
    for bad in [
        json!([]),
        json!(["announcement"]),
        json!(["booking.teleported"]),
    ] {
        assert_invalid(
            &post(json!({"url": "https://h.example.com", "events": bad})).await,
            "events",
        );
    }
    for secret in ["short", "has blanks in it, long enough"] {
        assert_invalid(
            &post(json!({"url": "https://h.example.com", "events": events, "secret": secret}))
                .await,
            "secret",
        );
    }
    // Every failing field at once.
    let r = post(json!({"url": "gopher://x", "events": ["nope"], "secret": "x"})).await;
    for field in ["url", "events", "secret"] {
        assert_invalid(&r, field);
    }
    // The shape: a missing or unknown field, a wrong type.
    assert_error(
        &post(json!({"url": "https://h.example.com"})).await,
        422,
        "validation_failed",
    );
    assert_error(
        &post(json!({"url": "https://h.example.com", "events": events, "extra": 1})).await,
        422,
        "validation_failed",
    );
    assert_error(
        &post(json!({"url": "https://h.example.com", "events": "booking.held"})).await,
        422,
        "validation_failed",
    );
    let (_, list) = caller.get("/webhooks").await;
    assert_eq!(list["total"], 0, "nothing was written");
}

#[tokio::test]
async fn a_loopback_url_is_refused_when_the_allow_list_is_empty() {
    let app = spawn_app_with(|s| s.webhooks.allow_hosts.clear()).await;
    let p = app.signup("p@example.com", "provider").await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost:9000/hook",
        "http://[::1]:9000/hook",
        "http://[::ffff:127.0.0.1]:9000/hook",
        "http://2130706433:9000/hook",
    ] {
        let r = app
            .as_user(&p)
            .post_json(
                "/webhooks",
                &json!({"url": url, "events": ["booking.held"]}),
            )
            .await;
        assert_invalid(&r, "url");
        assert!(
            r.1.to_string().contains("public addresses only"),
            "{url}: {}",
            r.1
        );
    }
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_third_try_with_a_verifiable_signature() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[500, 500]).await;
    let p = app.signup("p@example.com", "provider").await;
    let event = free_event_of(&app, &p).await;
    let hook = register(
        &app.as_user(&p),
        &receiver.url("/hooks/boxoffice"),
        &["booking.confirmed"],
    )
    .await;
    let (hook_id, secret) = (
        hook["id"].as_str().unwrap().to_owned(),
        hook["secret"].as_str().unwrap().to_owned(),
    );
    let booking = book(&app, event).await;

    // The booking's message is delivered and fans out; the webhook's delivery is due next pass.
    app.deliver().await;
    assert!(receiver.received().is_empty());
    let report = app.deliver().await;
    assert_eq!((report.retried, report.delivered), (1, 0), "{report:?}");
    let log = deliveries(&app.as_user(&p), &hook_id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 500);
    assert!(log[0]["last_error"].as_str().unwrap().contains("500"));
    assert!(log[0]["next_attempt_at"].is_string());
    // Not before its backoff (10 s after the first failure, 20 s after the second).
    app.deliver().await;
    assert_eq!(receiver.received().len(), 1);
    app.clock.advance(Duration::seconds(11));
    app.deliver().await;
    assert_eq!(receiver.received().len(), 2);
    app.clock.advance(Duration::seconds(21));
    let report = app.deliver().await;
    assert_eq!(report.delivered, 1, "{report:?}");

    let got = receiver.received();
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    let third = &got[2];
    assert_eq!(
        (third.method.as_str(), third.path.as_str()),
        ("POST", "/hooks/boxoffice")
    );
    assert_eq!(third.header("content-type"), Some("application/json"));
    assert_eq!(third.header("x-boxoffice-event"), Some("booking.confirmed"));
    let delivery_id = third.header("x-boxoffice-delivery").unwrap().to_owned();
    // The same delivery and body every time.
    for r in &got {
        assert_eq!(r.header("x-boxoffice-delivery"), Some(delivery_id.as_str()));
        assert_eq!(r.body, third.body);
    }
    // The signature verifies with the secret given at creation (the receiver's check).
    let signature = third.header("x-boxoffice-signature").unwrap();
    let now = app.clock.now().timestamp();
    verify_webhook(secret.as_bytes(), signature, &third.body, now, 300).expect("a valid signature");
    assert!(verify_webhook(b"not the secret", signature, &third.body, now, 300).is_err());
    let body = third.json();
    assert_eq!(body["id"], delivery_id.as_str());
    assert_eq!(body["type"], "booking.confirmed");
    let data = &body["data"]["booking"];
    assert_eq!(data["id"], booking["id"]);
    assert_eq!(data["reference"], booking["reference"]);
    assert_eq!(data["status"], "confirmed");
    assert_eq!(data["event_id"], event);
    assert_eq!(
        (data["total_amount"].as_i64(), data["currency"].as_str()),
        (Some(0), Some("USD"))
    );
    assert!(
        !third.body.windows(3).any(|w| w == b"Ada"),
        "no personal data"
    );

    // The log: three attempts, then delivered.
    let log = deliveries(&app.as_user(&p), &hook_id).await;
    let d = &log[0];
    assert_eq!(d["id"], delivery_id.as_str());
    assert_eq!(d["event"], "booking.confirmed");
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_status_code"], 200);
    assert!(d["last_error"].is_null() && d["next_attempt_at"].is_null());
    assert!(d["delivered_at"].is_string());
    assert_eq!(d["payload"], body);
    // Nothing more is sent.
    app.clock.advance(Duration::minutes(5));
    app.deliver().await;
    assert_eq!(receiver.received().len(), 3);

    // Redelivered on request: the same delivery again, at the next pass.
    let (status, again) = app
        .as_user(&p)
        .post_json(
            &format!("/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (again["status"].as_str(), again["id"].as_str()),
        (Some("pending"), Some(delivery_id.as_str()))
    );
    app.deliver().await;
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert_eq!(
        got[3].header("x-boxoffice-delivery"),
        Some(delivery_id.as_str())
    );
    assert_eq!(got[3].body, third.body);
    let d = &deliveries(&app.as_user(&p), &hook_id).await[0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64()),
        (Some("delivered"), Some(4))
    );
    // An unknown delivery (or one of another webhook) is 404; an admin may redeliver too.
    assert_error(
        &app.as_user(&p)
            .post_json(
                &format!(
                    "/webhooks/{hook_id}/deliveries/{}/redeliver",
                    uuid::Uuid::new_v4()
                ),
                &json!({}),
            )
            .await,
        404,
        "not_found",
    );
    let (status, _) = app
        .as_admin()
        .post_json(
            &format!("/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The admin's outbox shows the delivery's row.
    let (_, rows) = app.get("/admin/outbox").await;
    assert!(rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["topic"] == "webhook" && m["webhook_delivery_id"] == delivery_id.as_str()));
}

#[tokio::test]
async fn a_provider_hears_of_its_own_events_bookings_and_an_admin_of_every_booking() {
    let app = spawn_app().await;
    let (mine, theirs, admins) = (
        Receiver::start(&[]).await,
        Receiver::start(&[]).await,
        Receiver::start(&[]).await,
    );
    let p = app.signup("p@example.com", "provider").await;
    let q = app.signup("q@example.com", "provider").await;
    let event = free_event_of(&app, &p).await;
    register(&app.as_user(&p), &mine.url("/p"), &["booking.confirmed"]).await;
    register(
        &app.as_user(&q),
        &theirs.url("/q"),
        &["booking.confirmed", "booking.cancelled"],
    )
    .await;
    let admin_hook = register(&app.as_admin(), &admins.url("/a"), &["booking.cancelled"]).await;
    let booking = book(&app, event).await;
    // Cancelled by its guest, with the booking token.
    let token = booking["guest_token"]
        .as_str()
        .expect("a guest token")
        .to_owned();
    let (status, _) = app
        .anon()
        .header("X-Booking-Token", &token)
        .post_json(
            &format!("/bookings/{}/cancel", booking["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.deliver().await;
    app.deliver().await;
    // The organiser hears of the confirmation (subscribed) but not the cancellation (not
    // subscribed); the other provider of nothing; the admin of the cancellation only.
    let topics = |r: &Receiver| -> Vec<String> {
        r.received()
            .iter()
            .map(|x| x.header("x-boxoffice-event").unwrap().to_owned())
            .collect()
    };
    assert_eq!(topics(&mine), ["booking.confirmed"]);
    assert!(topics(&theirs).is_empty());
    assert_eq!(topics(&admins), ["booking.cancelled"]);

    // A deleted webhook is sent nothing more, not even what was due.
    book(&app, event).await;
    app.deliver().await; // fans out to `mine`
    let (status, _) = app
        .as_admin()
        .delete(&format!("/webhooks/{}", admin_hook["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = app.as_user(&p).get("/webhooks").await;
    let p_hook = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app.as_user(&p).delete(&format!("/webhooks/{p_hook}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.deliver().await;
    assert_eq!(
        topics(&mine),
        ["booking.confirmed"],
        "nothing after the deletion"
    );
}

#[tokio::test]
async fn an_address_refused_at_delivery_time_is_not_sent_and_the_log_says_why() {
    let mut app = spawn_app().await;
    let receiver = Receiver::start(&[]).await;
    let p = app.signup("p@example.com", "provider").await;
    let event = free_event_of(&app, &p).await;
    let hook = register(
        &app.as_user(&p),
        &receiver.url("/h"),
        &["booking.confirmed"],
    )
    .await;
    book(&app, event).await;
    app.deliver().await;
    // The worker's allow-list no longer names the loopback address.
    app.settings.webhooks.allow_hosts.clear();
    let report = app.deliver().await;
    assert_eq!(report.retried, 1, "{report:?}");
    assert!(receiver.received().is_empty());
    let log = deliveries(&app.as_user(&p), hook["id"].as_str().unwrap()).await;
    assert_eq!(log[0]["status"], "pending");
    assert!(log[0]["last_status_code"].is_null());
    assert!(
        log[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("public addresses only"),
        "{}",
        log[0]
    );
}
