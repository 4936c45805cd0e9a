//! Bookings: pricing through HTTP, booking by ids/labels/quantity, lookups and cancellation.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn prices(booking: &Value) -> Vec<(String, i64)> {
    booking["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap_or("").to_owned(),
                i["price"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Pays `booking_id` in full through the API as `caller` (initiate, then confirm with a card
/// that succeeds); returns the succeeded payment.
async fn pay(caller: &Caller<'_>, booking_id: &str) -> Value {
    let (status, payment) = caller
        .post_json(
            "/payments/initiate",
            &json!({"booking_id": booking_id, "payment_method": "tok_success"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "initiate: {payment}");
    let (status, payment) = caller
        .post_json("/payments/confirm", &json!({"payment_id": payment["id"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "confirm: {payment}");
    assert_eq!(payment["status"], "succeeded", "{payment}");
    assert_eq!(payment["outcome"], "booking_confirmed", "{payment}");
    payment
}

fn time(booking: &Value, key: &str) -> chrono::DateTime<chrono::Utc> {
    booking[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key}: {booking}"))
        .parse()
        .expect("an RFC 3339 time")
}

fn hold_end(booking: &Value) -> chrono::DateTime<chrono::Utc> {
    time(booking, "expires_at")
}

/// `expires_at - created_at` of a booking.
fn hold_length(booking: &Value) -> chrono::Duration {
    hold_end(booking) - time(booking, "created_at")
}

#[tokio::test]
async fn tiered_pricing_follows_occupancy() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;

    let (status, first) = app.book_labels(show, &["A3", "A1", "A2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        prices(&first),
        vec![("A1".into(), 100), ("A2".into(), 100), ("A3".into(), 100)]
    );
    assert_eq!(first["total_amount"], 300);
    assert!(first["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["tier"] == "min" && i["seat_class"] == "A" && i["quantity"] == 1));

    // 3 sold: the 4th seat at 3/10 (min), then 4/10, 5/10, 6/10 (normal).
    let (status, second) = app.book_labels(show, &["A10", "A4", "A5", "A6"]).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(
        prices(&second),
        vec![
            ("A4".into(), 100),
            ("A5".into(), 200),
            ("A6".into(), 200),
            ("A10".into(), 200)
        ]
    );
    let tiers: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers, ["min", "normal", "normal", "normal"]);
    assert_eq!(second["total_amount"], 700);
    assert_eq!(second["quantity"], 4);

    // 7 of 10 sold (held seats count) → max tier.
    let seats = app.seats(show).await;
    assert_eq!(seats.iter().filter(|s| s["is_booked"] == true).count(), 7);
    assert_eq!(seats.iter().filter(|s| s["status"] == "held").count(), 7);
    assert!(seats.iter().all(|s| s["price"] == 300));
    let a7 = app.seat_ids(show, &["A7"]).await[0];
    let (_, seat) = app.get(&format!("/seats/{a7}")).await;
    assert_eq!(seat["pricing"]["tier"], "max");
    assert_eq!(seat["pricing"]["current_price"], 300);
    assert_eq!(seat["pricing"]["occupancy_percent"], 70.0);
    let detail = app.show(show).await;
    assert_eq!(detail["seat_classes"][0]["tier"], "max");
    assert_eq!(detail["seat_classes"][0]["held_seats"], 7);
    assert_eq!(detail["seat_classes"][0]["booked_seats"], 0);
    assert_eq!(detail["seat_classes"][0]["available_seats"], 3);

    // Paying the first booking turns its 3 seats from held to booked; the tier stays.
    pay(&app.as_admin(), first["id"].as_str().unwrap()).await;
    let detail = app.show(show).await;
    assert_eq!(detail["seat_classes"][0]["tier"], "max");
    assert_eq!(detail["seat_classes"][0]["held_seats"], 4);
    assert_eq!(detail["seat_classes"][0]["booked_seats"], 3);
    assert_eq!(detail["seat_classes"][0]["available_seats"], 3);

    let (status, third) = app.book_labels(show, &["A7"]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(third["items"][0]["price"], 300);
    assert_eq!(third["items"][0]["tier"], "max");
}

#[tokio::test]
async fn a_class_without_price_is_not_for_sale() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app
        .seated_show(
            event,
            &[
                ClassSpec {
                    name: "Comp",
                    prices: (None, None, None),
                    rows: &["Z"],
                    seats_per_row: 2,
                },
                ClassSpec {
                    name: "Paid",
                    prices: (Some(10), Some(20), Some(30)),
                    rows: &["P"],
                    seats_per_row: 2,
                },
            ],
        )
        .await;
    let id = show["id"].as_i64().unwrap();
    let comp = show["seat_classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Comp")
        .unwrap()
        .clone();
    assert_eq!(comp["for_sale"], false);
    assert_eq!(comp["current_price"], Value::Null);

    let r = app.book_labels(id, &["Z1"]).await;
    assert_error(&r, 409, "not_for_sale");
    assert_eq!(r.1["error"]["details"]["seats"], json!(["Z1"]));
    // Mixed with a priced seat: still refused, nothing booked.
    let r = app.book_labels(id, &["P1", "Z2"]).await;
    assert_error(&r, 409, "not_for_sale");
    assert!(app.seats(id).await.iter().all(|s| s["is_booked"] == false));
    let z1 = app
        .seats(id)
        .await
        .into_iter()
        .find(|s| s["label"] == "Z1")
        .unwrap();
    assert_eq!(z1["price"], Value::Null);
}

#[tokio::test]
async fn book_by_ids_and_labels() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ids = app.seat_ids(show, &["A1", "A2"]).await;

    let (status, b) = app
        .book(json!({"show_id": show, "seat_ids": ids, "name": "Bob",
                     "email": "Bob@Example.com", "phone": "+1 555 123 4567"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert!(uuid::Uuid::parse_str(b["id"].as_str().unwrap()).is_ok());
    assert!(b["reference"].as_str().unwrap().starts_with("BX-"));
    // Something to pay: held until paid, for the configured hold time.
    assert_eq!(b["status"], "held");
    assert_eq!(
        hold_length(&b),
        chrono::Duration::minutes(app.settings.booking.hold_minutes)
    );
    assert_eq!(b["payments"], json!([]));
    assert_eq!(b["show_id"], show);
    assert_eq!(b["name"], "Bob");
    assert_eq!(b["email"], "bob@example.com");
    assert_eq!(b["phone"], "+15551234567");
    assert_eq!(b["total_amount"], 200);
    assert_eq!(b["currency"], "USD");
    assert_eq!(b["quantity"], 2);
    assert_eq!(b["items"][0]["seat_id"], ids[0]);
    assert_eq!(b["items"][1]["seat_id"], ids[1]);
    assert_eq!(b["cancelled_at"], Value::Null);

    let (status, c) = app.book_labels(show, &["A3"]).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["items"][0]["label"], "A3");
    assert_ne!(b["reference"], c["reference"]);

    // Taken seats → 409 naming them (in label order), nothing else booked.
    let r = app.book_labels(show, &["A4", "A3", "A1"]).await;
    assert_error(&r, 409, "seat_unavailable");
    assert_eq!(r.1["error"]["details"]["seats"], json!(["A1", "A3"]));
    let a4 = app
        .seats(show)
        .await
        .into_iter()
        .find(|s| s["label"] == "A4")
        .unwrap();
    assert_eq!(a4["is_booked"], false);

    let (status, fetched) = app
        .get(&format!("/bookings/{}", b["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["reference"], b["reference"]);
    assert_eq!(fetched["items"], b["items"]);
    assert_eq!(fetched["total_amount"], 200);
    assert_eq!(fetched["status"], "held");
    // (The 201 body carries the clock's nanoseconds; the database keeps microseconds.)
    assert_eq!(
        hold_end(&fetched).timestamp_micros(),
        hold_end(&b).timestamp_micros()
    );
}

#[tokio::test]
async fn general_admission_quantities() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 5, Some(1250)).await;
    let id = ga["id"].as_i64().unwrap();

    let (status, b) = app.book_quantity(id, 3).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["quantity"], 3);
    assert_eq!(b["total_amount"], 3750);
    assert_eq!(b["items"].as_array().unwrap().len(), 1);
    assert_eq!(b["items"][0]["quantity"], 3);
    assert_eq!(b["items"][0]["price"], 1250);
    assert_eq!(b["items"][0]["seat_id"], Value::Null);
    assert_eq!(b["status"], "held");
    assert!(b["expires_at"].is_string(), "{b}");
    assert_eq!(app.show(id).await["available_seats"], 2);

    let r = app.book_quantity(id, 3).await;
    assert_error(&r, 409, "sold_out");
    assert_eq!(r.1["error"]["details"]["requested"], 3);
    assert_eq!(r.1["error"]["details"]["available"], 2);
    assert_eq!(app.show(id).await["available_seats"], 2);

    let (status, _) = app.book_quantity(id, 2).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.show(id).await["available_seats"], 0);
    assert_error(&app.book_quantity(id, 1).await, 409, "sold_out");

    // Free GA show: total 0.
    let free = app.ga_show(event, 10, None).await;
    let (status, b) = app.book_quantity(free["id"].as_i64().unwrap(), 2).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(b["total_amount"], 0);
    // Nothing to pay: confirmed at once, no hold.
    assert_eq!(b["status"], "confirmed", "{b}");
    assert_eq!(b["expires_at"], Value::Null);

    // Seats on a GA show (with free places) / quantity on a seated show → 422.
    let r = app.book_labels(free["id"].as_i64().unwrap(), &["A1"]).await;
    assert_eq!(r.0.as_u16(), 422, "{}", r.1);
    let seated = app.simple_seated_show().await;
    assert_eq!(app.book_quantity(seated, 1).await.0.as_u16(), 422);
}

#[tokio::test]
async fn book_event_endpoint() {
    let app = spawn_app().await;
    let city = app.create_city().await;
    let ev = app.create_ga_event(city, 2, 900).await;
    let id = ev["id"].as_i64().unwrap();
    let body = json!({"name": "Cy", "phone": "555-123-4567"});

    let (status, b) = app.post_json(&format!("/events/{id}/book"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["quantity"], 1);
    assert_eq!(b["total_amount"], 900);
    assert_eq!(b["event_id"], id);
    assert_eq!(b["phone"], "5551234567");
    let (status, _) = app.post_json(&format!("/events/{id}/book"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let full = app.post_json(&format!("/events/{id}/book"), &body).await;
    assert_error(&full, 409, "sold_out");

    assert_error(
        &app.post_json("/events/777777/book", &body).await,
        404,
        "not_found",
    );
    // An event without a show → 409 no_show; two shows → 409 ambiguous_show.
    let bare = app.create_event(city, "movie", "Bare").await;
    assert_error(
        &app.post_json(&format!("/events/{bare}/book"), &body).await,
        409,
        "no_show",
    );
    app.ga_show(id, 10, None).await;
    assert_error(
        &app.post_json(&format!("/events/{id}/book"), &body).await,
        409,
        "ambiguous_show",
    );
    // Missing contact → 422.
    let r = app
        .post_json(&format!("/events/{bare}/book"), &json!({"name": "Cy"}))
        .await;
    assert!(r.0.as_u16() == 422 || r.0.as_u16() == 409, "{}", r.1);
}

#[tokio::test]
async fn list_bookings_by_contact() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 100, Some(100)).await["id"]
        .as_i64()
        .unwrap();
    for (name, email, phone) in [
        ("A", Some("Alice@Example.com"), None),
        ("A2", Some("alice@example.com"), Some("+44 20 7946 0000")),
        ("B", None, Some("+44 20 7946 0000")),
        ("C", Some("carol@example.com"), None),
    ] {
        let (status, b) = app
            .book(
                json!({"show_id": ga, "quantity": 1, "name": name, "email": email,
                         "phone": phone}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
    }
    let (status, alice) = app.get("/bookings?email=ALICE@example.COM").await;
    assert_eq!(status, StatusCode::OK, "{alice}");
    assert_eq!(alice["total"], 2);
    assert_eq!(alice["items"].as_array().unwrap().len(), 2);
    assert!(alice["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["email"] == "alice@example.com"));
    let (_, by_phone) = app.get("/bookings?phone=%2B442079460000").await;
    assert_eq!(by_phone["total"], 2);
    let (_, nobody) = app.get("/bookings?email=nobody@example.com").await;
    assert_eq!(nobody["total"], 0);
    assert_eq!(nobody["items"], json!([]));
    let (_, paged) = app.get("/bookings?email=alice@example.com&limit=1").await;
    assert_eq!(paged["total"], 2);
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);

    // Both filters are checked when given, even though email wins.
    assert_error(
        &app.get("/bookings?email=alice@example.com&phone=nope")
            .await,
        422,
        "validation_failed",
    );

    // Anonymous callers: no list, with or without a contact (401).
    assert_error(
        &app.anon().get("/bookings").await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.anon().get("/bookings?email=").await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.anon().get("/bookings?email=alice@example.com").await,
        401,
        "authentication_required",
    );
}

#[tokio::test]
async fn get_unknown_booking() {
    let app = spawn_app().await;
    let id = uuid::Uuid::new_v4();
    assert_error(&app.get(&format!("/bookings/{id}")).await, 404, "not_found");
    assert_error(&app.get("/bookings/not-a-uuid").await, 404, "not_found");
    assert_error(
        &app.post_json(&format!("/bookings/{id}/cancel"), &json!({}))
            .await,
        404,
        "not_found",
    );
    assert_error(&app.delete("/bookings/xyz").await, 404, "not_found");
}

#[tokio::test]
async fn cancel_frees_seats_at_once() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let (_, b) = app.book_labels(show, &["A1", "A2"]).await;
    let id = b["id"].as_str().unwrap().to_owned();

    let (status, cancelled) = app
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(
        app.get(&format!("/bookings/{id}")).await.1["status"],
        "cancelled"
    );
    assert!(app
        .seats(show)
        .await
        .iter()
        .all(|s| s["is_booked"] == false));

    let (status, again) = app.book_labels(show, &["A1", "A2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    // Occupancy counts active bookings only: still the min price.
    assert_eq!(again["total_amount"], 200);

    let r = app
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_error(&r, 409, "illegal_transition");
    assert_eq!(r.1["error"]["details"]["status"], "cancelled");
    assert_error(
        &app.delete(&format!("/bookings/{id}")).await,
        409,
        "illegal_transition",
    );
}

#[tokio::test]
async fn delete_cancels_a_general_admission_booking() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 4, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let (_, b) = app.book_quantity(ga, 4).await;
    assert_eq!(app.show(ga).await["available_seats"], 0);
    let id = b["id"].as_str().unwrap();

    let (status, cancelled) = app.delete(&format!("/bookings/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(app.show(ga).await["available_seats"], 4);
    let (status, _) = app.book_quantity(ga, 4).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_error(
        &app.delete(&format!("/bookings/{id}")).await,
        409,
        "illegal_transition",
    );
}

#[tokio::test]
async fn a_started_show_cannot_be_booked() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let (status, seated) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(-1), "ends_at": in_days(1),
                    "seat_classes": [{"name": "A", "min_price": 100, "rows": ["A"],
                                      "seats_per_row": 2}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{seated}");
    let r = app
        .book_labels(seated["id"].as_i64().unwrap(), &["A1"])
        .await;
    assert_error(&r, 409, "show_started");

    let (status, ga) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(-1), "ends_at": in_days(1), "capacity": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ga}");
    let ga_id = ga["id"].as_i64().unwrap();
    assert_error(&app.book_quantity(ga_id, 1).await, 409, "show_started");
    assert_eq!(app.show(ga_id).await["available_seats"], 10);
}

#[tokio::test]
async fn seats_on_a_full_general_admission_show_are_a_validation_error() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 1, Some(100)).await["id"]
        .as_i64()
        .unwrap();
    let (status, _) = app.book_quantity(ga, 1).await;
    assert_eq!(status, StatusCode::CREATED);
    let r = app.book_labels(ga, &["A1"]).await;
    assert_error(&r, 422, "validation_failed");
}
