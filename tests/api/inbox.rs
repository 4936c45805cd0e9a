//! The in-app inbox (issue 12): a signed-in buyer's booking news reaches their inbox once per
//! message and only they (or an admin) read and mark it; an admin's announcement reaches the
//! named users or every active account, in the inbox and, when asked, by email.

use super::helpers::*;
use reqwest::StatusCode;

use super::notifications::MailDir;

#[tokio::test]
async fn an_account_s_bookings_reach_its_inbox_and_only_it_reads_and_marks_them() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann-inbox@example.com", "customer").await;
    let bob = app.signup("bob-inbox@example.com", "customer").await;
    let booking = app.as_user(&ann).hold(show, &["A6"]).await;
    app.as_user(&ann).pay(&id_of(&booking)).await;
    // A guest's booking reaches no inbox.
    app.anon().hold(show, &["A7"]).await;
    assert_eq!(app.deliver().await.delivered, 4);
    // A second pass (or a redelivery) adds nothing.
    app.deliver().await;

    let (status, count) = app.as_user(&ann).get("/notifications/unread-count").await;
    assert_eq!(status, StatusCode::OK, "{count}");
    assert_eq!(count["unread"], 3);
    let (_, inbox) = app.as_user(&ann).get("/notifications").await;
    assert_eq!(inbox["total"], 3, "{inbox}");
    let titles: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    let reference = booking["reference"].as_str().unwrap();
    assert_eq!(
        titles,
        [
            format!("Booking {reference} is confirmed").as_str(),
            &format!("Payment received for booking {reference}"),
            &format!("Your seats are held: booking {reference}"),
        ],
        "newest first"
    );
    let newest = &inbox["items"][0];
    assert_eq!(newest["booking_id"], booking["id"]);
    assert_eq!(newest["topic"], "booking.confirmed");
    assert_eq!(newest["read_at"], serde_json::Value::Null);
    let id = newest["id"].as_i64().unwrap();

    // Bob sees nothing of Ann's: an empty inbox, 404 for her notification, 403 for her list.
    let (_, empty) = app.as_user(&bob).get("/notifications").await;
    assert_eq!(empty["total"], 0);
    let r = app
        .as_user(&bob)
        .put_json(&format!("/notifications/{id}/read"), &serde_json::json!({}))
        .await;
    assert_error(&r, 404, "not_found");
    let (status, _) = app
        .as_user(&bob)
        .get(&format!("/users/{}/notifications", ann.id))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.anon().get("/notifications").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Ann marks one read; then the rest.
    let (status, read) = app
        .as_user(&ann)
        .put_json(&format!("/notifications/{id}/read"), &serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert!(read["read_at"].is_string());
    let (_, unread) = app
        .as_user(&ann)
        .get("/notifications?unread_only=true")
        .await;
    assert_eq!(unread["total"], 2);
    let (status, marked) = app
        .as_user(&ann)
        .post_json("/notifications/read-all", &serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    assert_eq!(marked["marked"], 2);
    let (_, count) = app.as_user(&ann).get("/notifications/unread-count").await;
    assert_eq!(count["unread"], 0);

    // An admin reads and marks anyone's.
    let (status, hers) = app
        .as_admin()
        .get(&format!("/users/{}/notifications", ann.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{hers}");
    assert_eq!(hers["total"], 3);
    let (status, again) = app
        .as_admin()
        .put_json(
            &format!("/users/{}/notifications/{id}/read", ann.id),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        again["read_at"], read["read_at"],
        "read once, kept as it was"
    );
}

#[tokio::test]
async fn an_admin_announces_to_named_users_or_to_all_in_the_inbox_and_by_email() {
    let mail = MailDir::new();
    let dir = mail.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s| {
        s.email.transport = "file".into();
        s.email.dir = dir;
    })
    .await;
    let ann = app.signup("ann-push@example.com", "customer").await;
    let bob = app.signup("bob-push@example.com", "customer").await;
    let push = |body: serde_json::Value| {
        let app = &app;
        async move { app.as_admin().post_json("/notifications/push", &body).await }
    };

    // Customers may not; bad requests write nothing.
    let (status, _) = app
        .as_user(&ann)
        .post_json(
            "/notifications/push",
            &serde_json::json!({"title": "t", "body": "b", "all": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = push(serde_json::json!({"title": "t", "body": "b",
        "user_ids": [ann.id, uuid::Uuid::new_v4()]}))
    .await;
    assert_invalid(&r, "user_ids");
    let r = push(serde_json::json!({"title": "t", "body": "b", "user_ids": [ann.id], "all": true}))
        .await;
    assert_invalid(&r, "user_ids");
    let r = push(serde_json::json!({"title": "", "body": "b", "all": true})).await;
    assert_invalid(&r, "title");
    let (_, none) = app.as_user(&ann).get("/notifications").await;
    assert_eq!(none["total"], 0);

    // To Ann, by email too.
    let (status, pushed) = push(serde_json::json!({"title": "Doors open early",
        "body": "Doors open at 18:00 tonight.", "user_ids": [ann.id], "email": true}))
    .await;
    assert_eq!(status, StatusCode::OK, "{pushed}");
    assert_eq!(pushed, serde_json::json!({"recipients": 1, "email": true}));
    let (_, inbox) = app.as_user(&ann).get("/notifications").await;
    assert_eq!(inbox["total"], 1);
    assert_eq!(inbox["items"][0]["topic"], "announcement");
    assert_eq!(inbox["items"][0]["title"], "Doors open early");
    assert_eq!(inbox["items"][0]["booking_id"], serde_json::Value::Null);
    let (_, bobs) = app.as_user(&bob).get("/notifications").await;
    assert_eq!(bobs["total"], 0);
    assert_eq!(app.deliver().await.delivered, 1);
    let emails = mail.emails();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].0, "Doors open early");
    assert!(
        emails[0].1.contains("To: ann-push@example.com"),
        "{}",
        emails[0].1
    );
    assert!(emails[0].1.contains("Doors open at 18:00 tonight."));

    // To every active account, in the inbox only: the admin, Ann and Bob.
    let (_, all) = push(
        serde_json::json!({"title": "Maintenance", "body": "Tonight.",
        "all": true}),
    )
    .await;
    assert_eq!(all["recipients"], 3, "{all}");
    assert_eq!(app.deliver().await, Default::default(), "no email asked");
    let (_, count) = app.as_user(&bob).get("/notifications/unread-count").await;
    assert_eq!(count["unread"], 1);
}
