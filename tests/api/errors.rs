//! Validation and error mapping: 400/404/409/422 with the documented bodies, never a 500.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn booking(show: i64, extra: Value) -> Value {
    let mut b = json!({"show_id": show, "name": "Ann", "email": "ann@example.com"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            b.as_object_mut().unwrap().remove(k);
        } else {
            b[k] = v.clone();
        }
    }
    b
}

#[tokio::test]
async fn booking_validation() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 100, Some(10)).await["id"]
        .as_i64()
        .unwrap();
    let event2 = app.quick_event_in_new_city("Elsewhere").await;
    let seated = app
        .seated_show(
            event2,
            &[ClassSpec {
                name: "A",
                prices: (Some(1), Some(2), Some(3)),
                rows: &["A", "B"],
                seats_per_row: 8,
            }],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let other = app.simple_seated_show().await;
    let other_seat = app.seat_ids(other, &["A1"]).await[0];
    let ids = app.seat_ids(seated, &["A1", "A2"]).await;

    let cases: Vec<(Value, &str)> = vec![
        (booking(ga, json!({"quantity": 0})), "quantity"),
        (booking(ga, json!({"quantity": -3})), "quantity"),
        (booking(ga, json!({"quantity": 11})), "quantity"),
        (booking(ga, json!({"quantity": 1, "name": "  "})), "name"),
        (
            booking(ga, json!({"quantity": 1, "email": "not-an-email"})),
            "email",
        ),
        (
            booking(ga, json!({"quantity": 1, "email": null, "phone": "12ab"})),
            "phone",
        ),
        (booking(ga, json!({"quantity": 1, "email": null})), "email"),
        (
            booking(ga, json!({"quantity": 1, "email": "", "phone": " "})),
            "email",
        ),
        (booking(seated, json!({"seat_ids": []})), "seat_ids"),
        (
            booking(
                seated,
                json!({"seat_labels": ["A1","A2","A3","A4","A5","A6","A7","A8","B1","B2","B3"]}),
            ),
            "seat_labels",
        ),
        (
            booking(seated, json!({"seat_ids": [ids[0], ids[1], ids[0]]})),
            "seat_ids",
        ),
        (
            booking(seated, json!({"seat_labels": ["A1", "A1"]})),
            "seat_labels",
        ),
        (
            booking(seated, json!({"seat_labels": ["A1", "Z99"]})),
            "seat_labels",
        ),
        (
            booking(seated, json!({"seat_labels": ["bad label!"]})),
            "seat_labels",
        ),
        (
            booking(seated, json!({"seat_ids": [ids[0], other_seat]})),
            "seat_ids",
        ),
        (
            booking(seated, json!({"seat_ids": [ids[0]], "quantity": 1})),
            "seat_ids",
        ),
        (booking(ga, json!({})), "seat_ids"),
        (
            booking(ga, json!({"quantity": 1, "colour": "red"})),
            "colour",
        ),
        (booking(ga, json!({"quantity": 1.5})), "quantity"),
        (booking(ga, json!({"quantity": "2"})), "quantity"),
        (booking(ga, json!({"name": null, "quantity": 1})), "name"),
    ];
    for (body, field) in cases {
        // As a guest: a signed-in caller's name and contact default to the profile.
        let r = app.anon().post_json("/bookings", &body).await;
        assert_eq!(r.0.as_u16(), 422, "{body} → {}", r.1);
        assert_invalid(&r, field);
    }
    // Nothing was booked by any of them.
    assert_eq!(app.show(ga).await["available_seats"], 100);
    assert!(app
        .seats(seated)
        .await
        .iter()
        .all(|s| s["is_booked"] == false));
    assert!(app
        .seats(other)
        .await
        .iter()
        .all(|s| s["is_booked"] == false));

    // Exactly 10 is fine.
    let ten: Vec<String> = (1..=8)
        .map(|n| format!("A{n}"))
        .chain(["B1".into(), "B2".into()])
        .collect();
    let (status, b) = app.book(booking(seated, json!({"seat_labels": ten}))).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["quantity"], 10);
}

#[tokio::test]
async fn malformed_and_unknown_references() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;

    let r = app
        .post_raw(
            "/bookings",
            "application/json",
            r#"{"show_id": 1, "name": "#,
        )
        .await;
    assert_error(&r, 400, "bad_request");
    let r = app
        .post_raw("/cities", "application/json", "not json")
        .await;
    assert_error(&r, 400, "bad_request");

    let r = app.book(booking(987_654, json!({"quantity": 1}))).await;
    assert_error(&r, 404, "not_found");
    let r = app
        .book(booking(show, json!({"seat_ids": [987_654]})))
        .await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.1["error"]["details"]["entity"], "seat");

    // Floats where integers are expected.
    let r = app
        .post_json(
            &format!(
                "/events/{}/shows",
                app.quick_event_in_new_city("Floaty").await
            ),
            &json!({"starts_at": in_days(3), "ends_at": in_days(4), "capacity": 10,
                    "price": 12.5}),
        )
        .await;
    assert_eq!(r.0.as_u16(), 422, "{}", r.1);
    assert_error(&r, 422, "validation_failed");
    let r = app
        .post_json(
            "/events",
            &json!({"title": "T", "event_type": "movie", "city_id": 1, "price": 9.99,
                    "total_seats": 5, "date": in_days(2)}),
        )
        .await;
    assert_error(&r, 422, "validation_failed");

    // Unknown fields are named.
    let r = app
        .post_json(
            "/cities",
            &json!({"name": "X", "country": "Y", "latitude": 0, "longitude": 0, "mayor": "Z"}),
        )
        .await;
    assert_invalid(&r, "mayor");
    // Missing fields are named.
    let r = app.post_json("/cities", &json!({"name": "X"})).await;
    assert_invalid(&r, "country");
}

#[tokio::test]
async fn catalogue_validation() {
    let app = spawn_app().await;
    let city = app.create_city().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/cities",
            json!({"name": "", "country": "Y", "latitude": 0, "longitude": 0}),
            "name",
        ),
        (
            "/cities",
            json!({"name": "X", "country": "Y", "latitude": 91, "longitude": 0}),
            "latitude",
        ),
        (
            "/venues",
            json!({"city_id": city, "name": "V", "latitude": 0, "longitude": 181}),
            "longitude",
        ),
        (
            "/events",
            json!({"title": "", "event_type": "movie", "city_id": city}),
            "title",
        ),
        (
            "/events",
            json!({"title": "T", "event_type": "circus", "city_id": city}),
            "event_type",
        ),
        (
            "/events",
            json!({"title": "T", "event_type": "movie", "city_id": city, "total_seats": 0,
                   "date": in_days(1)}),
            "total_seats",
        ),
        (
            "/events",
            json!({"title": "T", "event_type": "movie", "city_id": city, "total_seats": 5}),
            "date",
        ),
        (
            "/events",
            json!({"title": "T", "event_type": "movie", "city_id": city, "total_seats": 5,
                   "date": in_days(1), "currency": "dollars"}),
            "currency",
        ),
    ];
    for (path, body, field) in cases {
        let r = app.post_json(path, &body).await;
        assert_invalid(&r, field);
    }
    assert_error(
        &app.post_json(
            "/events",
            &json!({"title": "T", "event_type": "movie", "city_id": 4242}),
        )
        .await,
        404,
        "not_found",
    );
    let (_, events) = app.get("/events").await;
    assert_eq!(events["total"], 0);
}

#[tokio::test]
async fn nothing_answers_500() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let huge = i64::MAX.to_string();
    let gets = [
        "/cities?limit=-1".to_owned(),
        "/cities?limit=abc".to_owned(),
        "/cities?offset=-5".to_owned(),
        "/cities?limit=100000".to_owned(),
        "/venues?city_id=abc".to_owned(),
        format!("/venues?city_id={huge}"),
        "/events?from=yesterday".to_owned(),
        "/events?city_id=-1&event_type=".to_owned(),
        format!("/events/{huge}"),
        "/events/-1".to_owned(),
        "/events/99999999999999999999999".to_owned(),
        format!("/shows/{huge}/seats"),
        "/shows/-3".to_owned(),
        format!("/seats/{huge}"),
        "/bookings?email=%00".to_owned(),
        "/bookings?phone=abc&limit=0".to_owned(),
        "/bookings/00000000-0000-0000-0000-000000000000".to_owned(),
        "/swagger/nope.js".to_owned(),
        "/swagger/../../etc/passwd".to_owned(),
    ];
    for path in &gets {
        let (status, body) = app.get(path).await;
        assert!(status.as_u16() < 500, "GET {path} → {status} {body}");
    }
    let posts: Vec<(String, Value)> = vec![
        (
            "/bookings".into(),
            json!({"show_id": i64::MAX, "quantity": 1, "name": "A",
                                    "email": "a@b.co"}),
        ),
        (
            "/bookings".into(),
            json!({"show_id": show, "quantity": i64::MAX, "name": "A",
                                    "email": "a@b.co"}),
        ),
        (
            "/bookings".into(),
            json!({"show_id": show, "seat_ids": [i64::MAX], "name": "A",
                                    "email": "a@b.co"}),
        ),
        (
            "/bookings".into(),
            json!({"show_id": show, "seat_labels": ["A1"], "name": "x".repeat(5000),
                                    "email": "a@b.co"}),
        ),
        (
            "/bookings".into(),
            json!({"show_id": show, "seat_labels": ["A".repeat(500)], "name": "A",
                                    "email": "a@b.co"}),
        ),
        (
            "/bookings".into(),
            json!({"show_id": show, "seat_labels": ["A1"], "name": "A",
                                    "email": format!("{}@b.co", "a".repeat(300))}),
        ),
        ("/bookings".into(), json!([1, 2, 3])),
        ("/bookings".into(), json!(null)),
        (
            "/cities".into(),
            json!({"name": "x".repeat(201), "country": "Y", "latitude": 0,
                                  "longitude": 0}),
        ),
        (
            "/cities".into(),
            json!({"name": "N", "country": "Y", "latitude": 1e308,
                                  "longitude": 0}),
        ),
        (
            "/venues".into(),
            json!({"city_id": -1, "name": "V", "latitude": 0, "longitude": 0}),
        ),
        (
            "/venues".into(),
            json!({"city_id": 1, "name": "V", "latitude": 0, "longitude": 0,
                                  "address": "a".repeat(600)}),
        ),
        (
            "/events".into(),
            json!({"title": "T", "event_type": "movie", "city_id": 1,
                                  "venue_id": 999_999}),
        ),
        (
            "/events".into(),
            json!({"title": "T", "event_type": "movie", "city_id": 1,
                                  "description": "d".repeat(20_000)}),
        ),
        (
            "/events".into(),
            json!({"title": "T", "event_type": "movie", "city_id": 1,
                                  "total_seats": i64::MAX, "date": in_days(1)}),
        ),
        (
            "/events".into(),
            json!({"title": "T", "event_type": "movie", "city_id": 1,
                                  "total_seats": 5, "date": in_days(1), "price": -5}),
        ),
        (
            format!("/events/{huge}/book"),
            json!({"name": "A", "email": "a@b.co"}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "capacity": 2_000_000_000}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "seat_classes": [{"name": "A", "rows": ["A"],
                                                            "seats_per_row": 100_000}]}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "seat_classes": [{"name": "A", "rows": ["1"],
                                                            "seats_per_row": 2}]}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "seat_classes": [{"name": "A", "min_price": -1,
                                                            "rows": ["A"], "seats_per_row": 2}]}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "seat_classes": [{"name": "A"}, {"name": "A"}],
                                          "seats": [{"label": "A1", "class": "A"}]}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "screen_name": "s".repeat(300), "capacity": 1}),
        ),
        (
            "/events/1/shows".into(),
            json!({"starts_at": in_days(1), "ends_at": in_days(2),
                                          "venue_id": 999_999, "capacity": 1}),
        ),
        (format!("/shows/{show}/seats/import"), json!({"not": "csv"})),
        ("/bookings/not-a-uuid/cancel".into(), json!({})),
    ];
    for (path, body) in &posts {
        let (status, resp) = app.post_json(path, body).await;
        assert!(
            status.as_u16() < 500,
            "POST {path} {body} → {status} {resp}"
        );
    }
    let raws: Vec<(String, &str, Vec<u8>)> = vec![
        (
            format!("/shows/{show}/seats/import"),
            "text/csv",
            b"".to_vec(),
        ),
        (
            format!("/shows/{show}/seats/import"),
            "text/csv",
            b"\xff\xfe\x00garbage".to_vec(),
        ),
        (
            format!("/shows/{show}/seats/import"),
            "text/csv",
            b"id,seat_identifier\n1,A1\n".to_vec(),
        ),
        (
            format!("/shows/{show}/pricing/import"),
            "text/csv",
            b"id,seat_class,min_price,normal_price,max_price\n1,A,-5,,\n".to_vec(),
        ),
        (
            format!("/shows/{show}/pricing/import"),
            "text/csv",
            b"id,seat_class,min_price,normal_price,max_price\n1,A,99999999999999999999,,\n"
                .to_vec(),
        ),
        (
            format!("/shows/{show}/pricing/import"),
            "multipart/form-data; boundary=x",
            b"--x\r\nbroken".to_vec(),
        ),
        (
            format!("/shows/{show}/pricing/import"),
            "image/png",
            b"abc".to_vec(),
        ),
        (
            "/shows/999999/seats/import".into(),
            "text/csv",
            b"id,seat_identifier,seat_class\n1,A1,A\n".to_vec(),
        ),
        ("/bookings".into(), "text/plain", b"hello".to_vec()),
    ];
    for (path, ct, body) in raws {
        let (status, resp) = app.post_raw(&path, ct, body).await;
        assert!(
            status.as_u16() < 500,
            "POST {path} ({ct}) → {status} {resp}"
        );
    }
    // And the service still works afterwards.
    let (status, _) = app.book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.get("/ready").await.0, StatusCode::OK);
}

#[tokio::test]
async fn wrong_type_names_the_field() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let r = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(3), "ends_at": in_days(4), "capacity": 10,
                    "price": 12.5}),
        )
        .await;
    assert_invalid(&r, "price");
    let r = app
        .book(json!({"show_id": 1, "quantity": 1.5, "name": "A", "email": "a@b.co"}))
        .await;
    assert_invalid(&r, "quantity");
}
