//! Unknown events and shows, and event ownership.

use super::*;

#[tokio::test]
async fn unknown_events_and_shows_are_404_but_only_after_authentication() {
    let app = spawn_app().await;
    let provider = app.signup("prov@example.com", "provider").await;
    let customer = app.signup("cust@example.com", "customer").await;
    let show_body = json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 5});
    let seats_csv = "id,seat_identifier,seat_class\r\n1,A1,A\r\n";
    let pricing_csv = "id,seat_class,min_price,normal_price,max_price\r\n1,A,100,200,300\r\n";

    let anon = app.anon();
    assert_error(
        &anon.post_json("/events/999999/shows", &show_body).await,
        401,
        "authentication_required",
    );
    assert_error(
        &anon
            .post_raw("/shows/999999/seats/import", "text/csv", seats_csv)
            .await,
        401,
        "authentication_required",
    );
    assert_error(
        &anon
            .post_raw("/shows/999999/pricing/import", "text/csv", pricing_csv)
            .await,
        401,
        "authentication_required",
    );

    // Existence is checked before the role: the same 404 for everyone signed in.
    for (who, caller) in [
        ("provider", app.as_user(&provider)),
        ("customer", app.as_user(&customer)),
        ("admin", app.as_admin()),
    ] {
        let r = caller.post_json("/events/999999/shows", &show_body).await;
        assert_eq!(r.0.as_u16(), 404, "{who} create show: {}", r.1);
        assert_eq!(r.1["error"]["code"], "not_found", "{who}: {}", r.1);
        let r = caller
            .post_raw("/shows/999999/seats/import", "text/csv", seats_csv)
            .await;
        assert_eq!(r.0.as_u16(), 404, "{who} seats import: {}", r.1);
        assert_eq!(r.1["error"]["code"], "not_found", "{who}: {}", r.1);
        let r = caller
            .post_raw("/shows/999999/pricing/import", "text/csv", pricing_csv)
            .await;
        assert_eq!(r.0.as_u16(), 404, "{who} pricing import: {}", r.1);
        assert_eq!(r.1["error"]["code"], "not_found", "{who}: {}", r.1);
    }
    // Booking an unknown event is public: 404 for a guest too.
    assert_error(
        &anon
            .post_json(
                "/events/999999/book",
                &json!({"name": "G", "email": "g@example.com"}),
            )
            .await,
        404,
        "not_found",
    );
}

fn class_a(show: &Value) -> Value {
    show["seat_classes"]
        .as_array()
        .expect("seat_classes")
        .iter()
        .find(|c| c["name"] == "A")
        .unwrap_or_else(|| panic!("no class A: {show}"))
        .clone()
}

#[tokio::test]
async fn providers_manage_only_their_own_events() {
    let app = spawn_app().await;
    let p1 = app.signup("p1@example.com", "provider").await;
    let p2 = app.signup("p2@example.com", "provider").await;
    let city = app.create_city().await;
    let p1c = app.as_user(&p1);
    let p2c = app.as_user(&p2);

    let created = event_as(&p1c, city, "P1's gig").await;
    let event = created["id"].as_i64().unwrap();
    assert_eq!(created["organizer_id"], p1.id.as_str());
    let (status, got) = app.anon().get(&format!("/events/{event}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["organizer_id"], p1.id.as_str(), "{got}");
    let (_, list) = app.anon().get("/events").await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event)
        .unwrap_or_else(|| panic!("event not listed: {list}"))
        .clone();
    assert_eq!(listed["organizer_id"], p1.id.as_str());
    let show = seated_show_as(&p1c, event, &["A"], 2).await;

    // P2 can touch none of it: shows, seat imports (raw and multipart), pricing imports.
    assert_error(
        &p2c.post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 5}),
        )
        .await,
        403,
        "forbidden",
    );
    let seats_csv = "id,seat_identifier,seat_class\r\n1,A1,B\r\n2,Q1,A\r\n";
    // Whole currency units: 5.00, 6.00, 7.00 → 500, 600, 700 minor units.
    let pricing_csv = "id,seat_class,min_price,normal_price,max_price\r\n1,A,5,6,7\r\n";
    assert_error(
        &p2c.post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            seats_csv,
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &p2c.post_raw(
            &format!("/shows/{show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await,
        403,
        "forbidden",
    );
    let part = reqwest::multipart::Part::bytes(pricing_csv.as_bytes().to_vec())
        .file_name("pricing.csv")
        .mime_str("text/csv")
        .unwrap();
    let multipart = p2c
        .send(
            p2c.request(
                reqwest::Method::POST,
                &format!("/shows/{show}/pricing/import"),
            )
            .multipart(reqwest::multipart::Form::new().part("file", part)),
        )
        .await;
    assert_error(&multipart, 403, "forbidden");
    // Nothing changed.
    let (_, detail) = app.get(&format!("/events/{event}")).await;
    assert_eq!(detail["shows"].as_array().unwrap().len(), 1, "{detail}");
    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 2);
    assert!(seats.iter().all(|s| s["class"] == "A"));
    let a = class_a(&app.show(show).await);
    assert_eq!(
        (&a["min_price"], &a["normal_price"], &a["max_price"]),
        (&json!(100), &json!(200), &json!(300))
    );

    // P2's own event is P2's; P1 cannot touch it either.
    let theirs = event_as(&p2c, city, "P2's gig").await;
    assert_eq!(theirs["organizer_id"], p2.id.as_str());
    let their_event = theirs["id"].as_i64().unwrap();
    let their_show = seated_show_as(&p2c, their_event, &["B"], 1).await;
    assert_error(
        &p1c.post_raw(
            &format!("/shows/{their_show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await,
        403,
        "forbidden",
    );

    // The organiser may import into their own show, and it takes effect.
    let (status, r) = p1c
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            seats_csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, r) = p1c
        .post_raw(
            &format!("/shows/{show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let a = class_a(&app.show(show).await);
    assert_eq!(
        (&a["min_price"], &a["normal_price"], &a["max_price"]),
        (&json!(500), &json!(600), &json!(700)),
        "{a}"
    );
    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 3);
    assert_eq!(
        seats.iter().find(|s| s["label"] == "A1").unwrap()["class"],
        "B"
    );

    // An admin-created event is organised by the admin, and admins manage any event.
    let (_, admin) = app.as_admin().get("/users/me").await;
    let admins = event_as(&app.as_admin(), city, "Admin's gig").await;
    assert_eq!(admins["organizer_id"], admin["id"], "{admins}");
    let (status, r) = app
        .as_admin()
        .post_raw(
            &format!("/shows/{their_show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
}
