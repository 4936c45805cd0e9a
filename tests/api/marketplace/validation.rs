//! Every field of a service is checked, every failure named (422 `validation_failed`), and
//! nothing is written.

use super::*;

#[tokio::test]
async fn every_failing_field_is_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let admin = app.as_admin();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"title": " "}), "title"),
        (json!({"title": "t".repeat(201)}), "title"),
        (json!({"title": "a\nb"}), "title"),
        (json!({"description": "d".repeat(10_001)}), "description"),
        (json!({"category_id": 0}), "category_id"),
        (json!({"price": -1}), "price"),
        (json!({"price": 1_000_000_000_001_i64}), "price"),
        (json!({"currency": "EURO"}), "currency"),
        (
            json!({"full_refund_hours_before": 8761}),
            "full_refund_hours_before",
        ),
        (json!({"late_refund_percent": 101}), "late_refund_percent"),
        (json!({"late_refund_percent": -1}), "late_refund_percent"),
        (
            json!({"reminder_minutes_before": 10_081}),
            "reminder_minutes_before",
        ),
        (
            json!({"image_urls": ["ftp://img.example.com/a.png"]}),
            "image_urls[0]",
        ),
        (
            json!({"image_urls": ["https://u:p@img.example.com/a.png"]}),
            "image_urls[0]",
        ),
        (
            json!({"image_urls": ["javascript:alert(1)"]}),
            "image_urls[0]",
        ),
        (
            json!({"image_urls": ["https://a.example/1", "https://a.example/1"]}),
            "image_urls[1]",
        ),
        (
            json!({"image_urls": (0..11).map(|n| format!("https://a.example/{n}")).collect::<Vec<_>>()}),
            "image_urls",
        ),
        (json!({"provider_id": "nope"}), "provider_id"),
        (json!({"colour": "red"}), "colour"),
        (
            json!({"availability": {"time_zone": "Mars/Olympus"}}),
            "availability.time_zone",
        ),
        (
            json!({"availability": {"time_zone": "europe/berlin"}}),
            "availability.time_zone",
        ),
        (
            json!({"availability": {"duration_minutes": 4}}),
            "availability.duration_minutes",
        ),
        (
            json!({"availability": {"duration_minutes": 1441}}),
            "availability.duration_minutes",
        ),
        (
            json!({"availability": {"duration_minutes": 60.5}}),
            "availability.duration_minutes",
        ),
        (
            json!({"availability": {"buffer_before_minutes": 241}}),
            "availability.buffer_before_minutes",
        ),
        (
            json!({"availability": {"buffer_after_minutes": -1}}),
            "availability.buffer_after_minutes",
        ),
        (
            json!({"availability": {"capacity": 0}}),
            "availability.capacity",
        ),
        (
            json!({"availability": {"capacity": 1001}}),
            "availability.capacity",
        ),
        (
            json!({"availability": {"min_notice_minutes": 43_201}}),
            "availability.min_notice_minutes",
        ),
        (
            json!({"availability": {"max_advance_days": 0}}),
            "availability.max_advance_days",
        ),
        (
            json!({"availability": {"max_advance_days": 731}}),
            "availability.max_advance_days",
        ),
        (
            json!({"availability": {"colour": 1}}),
            "availability.colour",
        ),
        (
            json!({"availability": {"weekly": [{"weekday": "Monday", "start": "09:00", "end": "10:00"}]}}),
            "availability.weekly[0].weekday",
        ),
        (
            json!({"availability": {"weekly": [{"weekday": "mon", "start": "9:00", "end": "10:00"}]}}),
            "availability.weekly[0].start",
        ),
        (
            json!({"availability": {"weekly": [{"weekday": "mon", "start": "09:00", "end": "24:00"}]}}),
            "availability.weekly[0].end",
        ),
        (
            json!({"availability": {"weekly": [{"weekday": "mon", "start": "12:00", "end": "09:00"}]}}),
            "availability.weekly[0].end",
        ),
        (
            json!({"availability": {"weekly": [
                {"weekday": "mon", "start": "09:00", "end": "12:00"},
                {"weekday": "mon", "start": "11:00", "end": "13:00"}
            ]}}),
            "availability.weekly[1]",
        ),
        (
            json!({"availability": {"weekly": (0..13).map(|h| json!(
                {"weekday": "fri", "start": format!("{h:02}:00"), "end": format!("{h:02}:30")}
            )).collect::<Vec<_>>()}}),
            "availability.weekly[12]",
        ),
        (
            json!({"availability": {"exceptions": [{"kind": "holiday", "date": "2030-12-24"}]}}),
            "availability.exceptions[0].kind",
        ),
        (
            json!({"availability": {"exceptions": [{"kind": "closed", "date": "2030-02-30"}]}}),
            "availability.exceptions[0].date",
        ),
        (
            json!({"availability": {"exceptions": [
                {"kind": "closed", "date": "2030-12-24", "start": "10:00"}
            ]}}),
            "availability.exceptions[0].start",
        ),
        (
            json!({"availability": {"exceptions": [{"kind": "extra", "date": "2030-12-24", "end": "10:00"}]}}),
            "availability.exceptions[0].start",
        ),
        (
            json!({"availability": {"exceptions": [
                {"kind": "extra", "date": "2030-12-24", "start": "14:00", "end": "10:00"}
            ]}}),
            "availability.exceptions[0].end",
        ),
        (
            json!({"availability": {"exceptions": [
                {"kind": "closed", "date": "2030-12-24"},
                {"kind": "closed", "date": "2030-12-24"}
            ]}}),
            "availability.exceptions[1].date",
        ),
        (
            json!({"availability": {"exceptions": (0..367).map(|n| json!(
                {"kind": "closed", "date": (chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()
                    + chrono::Days::new(n)).to_string()}
            )).collect::<Vec<_>>()}}),
            "availability.exceptions",
        ),
    ];
    for (change, field) in cases {
        let answer = admin
            .post_json("/services", &with(haircut(hair), change))
            .await;
        assert_invalid(&answer, field);
    }
    // Several at once: all named.
    let answer = admin
        .post_json(
            "/services",
            &with(
                haircut(hair),
                json!({"title": "", "price": -5, "availability": {"capacity": 0}}),
            ),
        )
        .await;
    for field in ["title", "price", "availability.capacity"] {
        assert_invalid(&answer, field);
    }
    // Missing required fields are named by their path.
    let mut no_duration = haircut(hair);
    no_duration["availability"]
        .as_object_mut()
        .unwrap()
        .remove("duration_minutes");
    assert_invalid(
        &admin.post_json("/services", &no_duration).await,
        "availability.duration_minutes",
    );
    let (_, found) = app.anon().get("/services").await;
    assert_eq!(found["total"], 0, "nothing was written: {found}");
    // A category that is not active: 422; unknown: 404.
    let closed = category(&app, "Closed").await;
    admin
        .patch_json(&format!("/categories/{closed}"), &json!({"active": false}))
        .await;
    assert_invalid(
        &admin.post_json("/services", &haircut(closed)).await,
        "category_id",
    );
    assert_error(
        &admin.post_json("/services", &haircut(999)).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_change_is_checked_like_a_new_service() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let admin = app.as_admin();
    let s = offer(&admin, &haircut(hair)).await;
    let path = format!("/services/{}", id_of(&s));
    for (change, field) in [
        (json!({"title": ""}), "title"),
        (json!({"price": -1}), "price"),
        (json!({"currency": "E1R"}), "currency"),
        (json!({"category_id": -3}), "category_id"),
        (json!({"late_refund_percent": 500}), "late_refund_percent"),
        (json!({"image_urls": ["not a url"]}), "image_urls[0]"),
        (
            json!({"availability": {"time_zone": ""}}),
            "availability.time_zone",
        ),
        (
            json!({"availability": {"capacity": 1001}}),
            "availability.capacity",
        ),
        (
            json!({"availability": {"weekly": [{"weekday": "sun", "start": "10:00", "end": "10:00"}]}}),
            "availability.weekly[0].end",
        ),
        (
            json!({"availability": {"colour": 1}}),
            "availability.colour",
        ),
        (json!({"provider_id": s["provider_id"]}), "provider_id"),
    ] {
        assert_invalid(&admin.patch_json(&path, &change).await, field);
    }
    let (_, unchanged) = app.anon().get(&path).await;
    assert_eq!(unchanged, s, "nothing was written");
}
