//! A service's life: offered (the JSON shape and its defaults), read, changed field by field
//! and part by part, deleted softly.

use super::*;

#[tokio::test]
async fn a_provider_offers_a_service_and_reads_it_back_with_every_field() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let p = app.signup("p@example.com", "provider").await;
    let body = with(
        haircut(hair),
        json!({
            "availability": {
                "exceptions": [
                    {"kind": "closed", "date": "2030-12-24"},
                    {"kind": "extra", "date": "2030-12-27", "start": "10:00", "end": "14:00"}
                ],
                "buffer_before_minutes": 5,
                "buffer_after_minutes": 10,
                "capacity": 2,
                "min_notice_minutes": 120,
                "max_advance_days": 60
            },
            "requires_acceptance": true,
            "full_refund_hours_before": 48,
            "late_refund_percent": 20,
            "reminder_minutes_before": 90,
            "image_urls": ["https://img.example.com/cut.jpg", "HTTP://Img.Example.com"]
        }),
    );
    let s = offer(&app.as_user(&p), &body).await;
    let id = id_of(&s);
    assert_eq!(s["provider_id"], p.id.as_str());
    assert_eq!(s["title"], "Haircut");
    assert_eq!(s["description"], "Wash, cut\nand dry");
    assert_eq!(
        (s["category_id"].as_i64(), s["price"].as_i64()),
        (Some(hair), Some(2500))
    );
    assert_eq!(s["currency"], "EUR");
    assert_eq!(
        s["availability"],
        json!({
            "time_zone": "Europe/Berlin",
            "weekly": [
                {"weekday": "mon", "start": "09:00", "end": "12:30"},
                {"weekday": "tue", "start": "09:00", "end": "12:30"}
            ],
            "exceptions": [
                {"kind": "closed", "date": "2030-12-24", "start": null, "end": null},
                {"kind": "extra", "date": "2030-12-27", "start": "10:00", "end": "14:00"}
            ],
            "duration_minutes": 60,
            "buffer_before_minutes": 5,
            "buffer_after_minutes": 10,
            "capacity": 2,
            "min_notice_minutes": 120,
            "max_advance_days": 60
        })
    );
    assert_eq!(s["requires_acceptance"], true);
    assert_eq!(
        (
            s["full_refund_hours_before"].as_i64(),
            s["late_refund_percent"].as_i64()
        ),
        (Some(48), Some(20))
    );
    assert_eq!(s["reminder_minutes_before"], 90);
    assert_eq!(
        s["image_urls"],
        json!(["https://img.example.com/cut.jpg", "http://img.example.com/"])
    );
    assert_eq!(
        (&s["active"], &s["deleted_at"]),
        (&json!(true), &Value::Null)
    );
    assert_eq!(s["created_at"], s["updated_at"]);
    // Anyone reads it, the same.
    let (status, read) = app.anon().get(&format!("/services/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read, s);
}

#[tokio::test]
async fn a_new_service_takes_the_defaults_of_what_it_leaves_out() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let mut body = haircut(hair);
    body.as_object_mut().unwrap().remove("currency");
    body.as_object_mut().unwrap().remove("description");
    // An admin without provider_id offers it themself.
    let s = offer(&app.as_admin(), &body).await;
    let (_, me) = app.as_admin().get("/users/me").await;
    assert_eq!(s["provider_id"], me["id"]);
    assert_eq!(
        s["currency"],
        app.settings.booking.default_currency.as_str()
    );
    assert_eq!(s["description"], "");
    let a = &s["availability"];
    assert_eq!(a["exceptions"], json!([]));
    assert_eq!(
        [
            &a["buffer_before_minutes"],
            &a["buffer_after_minutes"],
            &a["capacity"],
            &a["min_notice_minutes"],
            &a["max_advance_days"]
        ],
        [&json!(0), &json!(0), &json!(1), &json!(0), &json!(90)]
    );
    assert_eq!(s["requires_acceptance"], false);
    assert_eq!(
        (&s["full_refund_hours_before"], &s["late_refund_percent"]),
        (&json!(24), &json!(50))
    );
    assert_eq!(s["reminder_minutes_before"], Value::Null);
    assert_eq!(s["image_urls"], json!([]));
    assert_eq!(s["active"], true);
    // A reminder of 0 is no reminder; null fields read as absent.
    let s = offer(
        &app.as_admin(),
        &with(
            haircut(hair),
            json!({"reminder_minutes_before": 0, "image_urls": null, "active": null}),
        ),
    )
    .await;
    assert_eq!(
        (&s["reminder_minutes_before"], &s["active"]),
        (&Value::Null, &json!(true))
    );
}

#[tokio::test]
async fn a_change_replaces_the_fields_and_availability_parts_it_gives() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let nails = category(&app, "Nails").await;
    let p = app.signup("p@example.com", "provider").await;
    let me = app.as_user(&p);
    let s = offer(
        &me,
        &with(haircut(hair), json!({"reminder_minutes_before": 30})),
    )
    .await;
    let id = id_of(&s);
    app.clock.advance(chrono::Duration::seconds(5));
    let (status, changed) = me
        .patch_json(
            &format!("/services/{id}"),
            &json!({
                "title": "Manicure",
                "category_id": nails,
                "price": 3000,
                "availability": {
                    "weekly": [{"weekday": "sat", "start": "10:00", "end": "16:00"}],
                    "capacity": 3
                },
                "reminder_minutes_before": 0,
                "active": false
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["availability_conflicts"], json!([]));
    let changed = changed["service"].clone();
    assert_eq!(changed["title"], "Manicure");
    assert_eq!(
        (changed["category_id"].as_i64(), changed["price"].as_i64()),
        (Some(nails), Some(3000))
    );
    assert_eq!(
        changed["availability"]["weekly"],
        json!([{"weekday": "sat", "start": "10:00", "end": "16:00"}])
    );
    assert_eq!(changed["availability"]["capacity"], 3);
    // The parts not given stay.
    assert_eq!(changed["availability"]["time_zone"], "Europe/Berlin");
    assert_eq!(changed["availability"]["duration_minutes"], 60);
    assert_eq!(changed["description"], s["description"]);
    assert_eq!(changed["currency"], "EUR");
    assert_eq!(changed["reminder_minutes_before"], Value::Null);
    assert_eq!(changed["active"], false);
    assert_eq!(changed["created_at"], s["created_at"]);
    assert_ne!(changed["updated_at"], s["updated_at"]);
    // An empty change changes nothing but the time.
    let (status, same) = me.patch_json(&format!("/services/{id}"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    let same = same["service"].clone();
    assert_eq!(same["availability"], changed["availability"]);
    assert_eq!(same["title"], "Manicure");
    // A change is checked as a whole: a duration longer than allowed, an overlap.
    let bad = me
        .patch_json(
            &format!("/services/{id}"),
            &json!({"availability": {"weekly": [
                {"weekday": "sat", "start": "10:00", "end": "16:00"},
                {"weekday": "sat", "start": "15:00", "end": "17:00"}
            ]}}),
        )
        .await;
    assert_invalid(&bad, "availability.weekly[1]");
    // Into an inactive category: 422; an unknown one: 404.
    let closed = category(&app, "Closed").await;
    app.as_admin()
        .patch_json(&format!("/categories/{closed}"), &json!({"active": false}))
        .await;
    assert_invalid(
        &me.patch_json(&format!("/services/{id}"), &json!({"category_id": closed}))
            .await,
        "category_id",
    );
    assert_error(
        &me.patch_json(&format!("/services/{id}"), &json!({"category_id": 999}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &me.patch_json("/services/999", &json!({"price": 1})).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_deleted_service_is_kept_for_its_provider_and_admins_and_gone_for_everyone_else() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let p = app.signup("p@example.com", "provider").await;
    let me = app.as_user(&p);
    let s = offer(&me, &haircut(hair)).await;
    let id = id_of(&s);
    let path = format!("/services/{id}");
    let (status, body) = me.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Its provider and admins still read it, with when it was deleted.
    let (status, kept) = me.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert!(kept["deleted_at"].as_str().is_some(), "{kept}");
    assert_eq!(kept["title"], "Haircut");
    let (status, _) = app.as_admin().get(&path).await;
    assert_eq!(status, StatusCode::OK);
    // Everyone else: an unknown id.
    let customer = app.signup("c@example.com", "customer").await;
    let other = app.signup("q@example.com", "provider").await;
    assert_error(&app.anon().get(&path).await, 404, "not_found");
    assert_error(&app.as_user(&customer).get(&path).await, 404, "not_found");
    assert_error(&app.as_user(&other).get(&path).await, 404, "not_found");
    // It leaves the search, its provider's own included.
    let (_, found) = me
        .get(&format!(
            "/services?provider_id={}&include_inactive=true",
            p.id
        ))
        .await;
    assert_eq!(found["total"], 0, "{found}");
    // Nobody changes it; deleting it again changes nothing.
    assert_error(
        &me.patch_json(&path, &json!({"price": 1})).await,
        404,
        "not_found",
    );
    let (status, _) = me.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, again) = me.get(&path).await;
    assert_eq!(again["deleted_at"], kept["deleted_at"]);
    assert_error(&me.delete("/services/999").await, 404, "not_found");
    assert_error(&me.delete("/services/0").await, 404, "not_found");
}
