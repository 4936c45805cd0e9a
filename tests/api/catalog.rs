//! Catalogue end to end: cities, venues, events, shows, seats and seat pricing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn cities_create_list_and_duplicate() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/cities",
            &json!({"name": "Paris", "country": "France", "latitude": 48.85, "longitude": 2.35}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["id"].as_i64().unwrap() > 0);
    assert_eq!(body["name"], "Paris");
    assert_eq!(body["country"], "France");
    app.create_city_named("Lyon").await;

    let (status, list) = app.get("/cities").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(list["limit"].as_i64().unwrap() >= 2);
    assert_eq!(list["offset"], 0);

    let (_, page) = app.get("/cities?limit=1&offset=1").await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["limit"], 1);
    assert_eq!(page["offset"], 1);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Same name and country, different case: a duplicate.
    let dup = app
        .post_json(
            "/cities",
            &json!({"name": "paris", "country": "FRANCE", "latitude": 1.0, "longitude": 1.0}),
        )
        .await;
    assert_error(&dup, 409, "duplicate");
    assert_eq!(app.get("/cities").await.1["total"], 2);
}

#[tokio::test]
async fn venues_need_a_known_city_and_filter_by_city() {
    let app = spawn_app().await;
    let c1 = app.create_city_named("Oslo").await;
    let c2 = app.create_city_named("Bergen").await;
    let v1 = app.create_venue(c1).await;
    app.create_venue(c2).await;
    app.create_venue(c2).await;

    let unknown = app
        .post_json(
            "/venues",
            &json!({"city_id": 999_999, "name": "Nowhere", "latitude": 0.0, "longitude": 0.0}),
        )
        .await;
    assert_error(&unknown, 404, "not_found");

    let (status, all) = app.get("/venues").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total"], 3);
    let (_, of_c1) = app.get(&format!("/venues?city_id={c1}")).await;
    assert_eq!(of_c1["total"], 1);
    assert_eq!(of_c1["items"][0]["id"], v1);
    assert_eq!(of_c1["items"][0]["city_id"], c1);
    assert_eq!(of_c1["items"][0]["address"], "1 Main St");
    let (_, of_c2) = app.get(&format!("/venues?city_id={c2}")).await;
    assert_eq!(of_c2["total"], 2);
    assert!(of_c2["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["city_id"] == c2));
}

#[tokio::test]
async fn a_venue_keeps_its_time_zone_and_an_unknown_zone_is_refused() {
    let app = spawn_app().await;
    let city = app.create_city_named("Berlin").await;
    let (status, berlin) = app
        .post_json(
            "/venues",
            &json!({"city_id": city, "name": "Columbiahalle", "latitude": 52.48,
                    "longitude": 13.39, "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{berlin}");
    assert_eq!(berlin["time_zone"], "Europe/Berlin");
    // Without one: UTC.
    let plain = app.create_venue(city).await;
    let (_, listed) = app.get(&format!("/venues?city_id={city}")).await;
    let zone_of = |id: &serde_json::Value| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| &v["id"] == id)
            .unwrap()["time_zone"]
            .clone()
    };
    assert_eq!(zone_of(&berlin["id"]), "Europe/Berlin");
    assert_eq!(zone_of(&json!(plain)), "UTC");

    for bad in ["Mars/Olympus_Mons", "", "europe/berlin"] {
        let refused = app
            .post_json(
                "/venues",
                &json!({"city_id": city, "name": "Nowhere", "latitude": 0.0, "longitude": 0.0,
                        "time_zone": bad}),
            )
            .await;
        assert_invalid(&refused, "time_zone");
    }
    assert_eq!(
        app.get(&format!("/venues?city_id={city}")).await.1["total"],
        2
    );
}

#[tokio::test]
async fn events_create_and_filters() {
    let app = spawn_app().await;
    let c1 = app.create_city_named("Rome").await;
    let c2 = app.create_city_named("Milan").await;
    let venue = app.create_venue(c1).await;

    // Plain event: no shows.
    let (status, plain) = app
        .post_json(
            "/events",
            &json!({"title": "Hamlet", "description": "Tragedy", "event_type": "theatre",
                    "city_id": c1, "venue_id": venue}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["title"], "Hamlet");
    assert_eq!(plain["event_type"], "theatre");
    assert_eq!(plain["venue_id"], venue);
    assert_eq!(plain["shows"].as_array().unwrap().len(), 0);
    assert_eq!(plain["total_seats"], 0);

    // With total_seats + date: one GA show.
    let ga = app.create_ga_event(c1, 300, 2500).await;
    let shows = ga["shows"].as_array().unwrap();
    assert_eq!(shows.len(), 1);
    assert_eq!(shows[0]["kind"], "general");
    assert_eq!(shows[0]["total_seats"], 300);
    assert_eq!(shows[0]["available_seats"], 300);
    assert_eq!(shows[0]["price"], 2500);
    assert_eq!(shows[0]["currency"], "USD");
    assert_eq!(ga["total_seats"], 300);
    assert_eq!(ga["available_seats"], 300);

    // An event in another city, with a show in 30 days.
    let (status, far) = app
        .post_json(
            "/events",
            &json!({"title": "Derby", "event_type": "sport", "city_id": c2,
                    "total_seats": 10, "date": in_days(30)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{far}");

    let (_, all) = app.get("/events").await;
    assert_eq!(all["total"], 3);
    let (_, in_c1) = app.get(&format!("/events?city_id={c1}")).await;
    assert_eq!(in_c1["total"], 2);
    let (_, sport) = app.get("/events?event_type=sport").await;
    assert_eq!(sport["total"], 1);
    assert_eq!(sport["items"][0]["title"], "Derby");
    let (_, theatre_c2) = app
        .get(&format!("/events?event_type=theatre&city_id={c2}"))
        .await;
    assert_eq!(theatre_c2["total"], 0);

    // from/to select on show start times (the plain event has no show).
    let from = urlencode(&in_days(20));
    let (status, late) = app.get(&format!("/events?from={from}")).await;
    assert_eq!(status, StatusCode::OK, "{late}");
    assert_eq!(late["total"], 1);
    assert_eq!(late["items"][0]["title"], "Derby");
    let to = urlencode(&in_days(20));
    let (_, early) = app.get(&format!("/events?to={to}")).await;
    assert_eq!(early["total"], 1);
    assert_eq!(early["items"][0]["title"], "Open air");
    let (_, window) = app
        .get(&format!(
            "/events?from={}&to={}",
            urlencode(&in_days(1)),
            urlencode(&in_days(60))
        ))
        .await;
    assert_eq!(window["total"], 2);

    // Pagination: total is the count of all matches.
    let (_, p1) = app.get("/events?limit=2&offset=0").await;
    let (_, p2) = app.get("/events?limit=2&offset=2").await;
    assert_eq!(p1["total"], 3);
    assert_eq!(p2["total"], 3);
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    let mut ids: Vec<i64> = p1["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["items"].as_array().unwrap())
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "pages overlap");

    // Unknown event type → 422; bad limit → 422.
    assert_eq!(app.get("/events?event_type=opera").await.0.as_u16(), 422);
    assert_eq!(app.get("/events?limit=0").await.0.as_u16(), 422);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn event_detail_sums_its_shows() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    app.ga_show(event, 50, Some(1000)).await;
    let seated = app
        .seated_show(
            event,
            &[ClassSpec {
                name: "Stalls",
                prices: (Some(100), None, None),
                rows: &["A", "B"],
                seats_per_row: 5,
            }],
        )
        .await;
    assert_eq!(seated["kind"], "seated");
    assert_eq!(seated["total_seats"], 10);
    let show_id = seated["id"].as_i64().unwrap();
    let (status, _) = app.book_labels(show_id, &["A1", "A2"]).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, detail) = app.get(&format!("/events/{event}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["shows"].as_array().unwrap().len(), 2);
    assert_eq!(detail["total_seats"], 60);
    assert_eq!(detail["available_seats"], 58);

    assert_error(&app.get("/events/987654").await, 404, "not_found");
    assert_error(&app.get("/events/abc").await, 404, "not_found");
}

#[tokio::test]
async fn create_shows_seated_explicit_and_general() {
    let app = spawn_app().await;
    let event = app.quick_event().await;

    // Seated with an explicit seat list (and a generated class too).
    let (status, show) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({
                "starts_at": in_days(3), "ends_at": in_days(4), "screen_name": "Screen 1",
                "currency": "eur",
                "seat_classes": [
                    {"name": "VIP", "min_price": 5000, "normal_price": 6000, "max_price": 7000},
                    {"name": "Std", "normal_price": 1000, "rows": ["C"], "seats_per_row": 3}
                ],
                "seats": [
                    {"label": "V1", "class": "VIP", "external_ref": "x-1"},
                    {"label": "V2", "class": "VIP"}
                ]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{show}");
    assert_eq!(show["kind"], "seated");
    assert_eq!(show["currency"], "EUR");
    assert_eq!(show["screen_name"], "Screen 1");
    assert_eq!(show["total_seats"], 5);
    assert_eq!(show["available_seats"], 5);
    let classes = show["seat_classes"].as_array().unwrap();
    assert_eq!(classes.len(), 2);
    let vip = classes.iter().find(|c| c["name"] == "VIP").unwrap();
    assert_eq!(vip["total_seats"], 2);
    assert_eq!(vip["current_price"], 5000);
    assert_eq!(vip["tier"], "min");
    assert_eq!(vip["for_sale"], true);
    let std = classes.iter().find(|c| c["name"] == "Std").unwrap();
    assert_eq!(std["total_seats"], 3);
    // Min tier without a min price: the normal price.
    assert_eq!(std["current_price"], 1000);

    let seats = app.seats(show["id"].as_i64().unwrap()).await;
    let v1 = seats.iter().find(|s| s["label"] == "V1").unwrap();
    assert_eq!(v1["external_ref"], "x-1");
    assert_eq!(v1["class"], "VIP");

    // General admission.
    let ga = app.ga_show(event, 40, Some(1500)).await;
    assert_eq!(ga["kind"], "general");
    assert_eq!(ga["total_seats"], 40);
    assert_eq!(ga["available_seats"], 40);
    assert_eq!(ga["price"], 1500);
    assert_eq!(ga["seat_classes"].as_array().unwrap().len(), 0);

    // Unknown event → 404.
    let r = app
        .post_json(
            "/events/424242/shows",
            &json!({"starts_at": in_days(3), "ends_at": in_days(4), "capacity": 10}),
        )
        .await;
    assert_error(&r, 404, "not_found");

    // Seat of an undeclared class, ends before start, both capacity and classes → 422.
    let r = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(3), "ends_at": in_days(4),
                    "seat_classes": [{"name": "A"}], "seats": [{"label": "Z1", "class": "Q"}]}),
        )
        .await;
    assert_invalid(&r, "seats");
    let r = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(4), "ends_at": in_days(3), "capacity": 10}),
        )
        .await;
    assert_invalid(&r, "ends_at");
    let r = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(3), "ends_at": in_days(4), "capacity": 10,
                    "seat_classes": [{"name": "A", "rows": ["A"], "seats_per_row": 2}]}),
        )
        .await;
    assert_invalid(&r, "capacity");
}

/// Pays `booking_id` in full through the API as the admin (initiate, then confirm with a card
/// that succeeds).
async fn pay(app: &TestApp, booking_id: &str) {
    let (status, payment) = app
        .post_json(
            "/payments/initiate",
            &json!({"booking_id": booking_id, "payment_method": "tok_success"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "initiate: {payment}");
    let (status, payment) = app
        .post_json("/payments/confirm", &json!({"payment_id": payment["id"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "confirm: {payment}");
    assert_eq!(payment["outcome"], "booking_confirmed", "{payment}");
}

/// An RFC 3339 time in microseconds (the 201 body carries nanoseconds, the database keeps
/// microseconds).
fn micros(t: &Value) -> i64 {
    t.as_str()
        .unwrap_or_else(|| panic!("not a time: {t}"))
        .parse::<chrono::DateTime<chrono::Utc>>()
        .expect("an RFC 3339 time")
        .timestamp_micros()
}

#[tokio::test]
async fn show_detail_counts_per_class() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app
        .seated_show(
            event,
            &[
                ClassSpec {
                    name: "Gold",
                    prices: (Some(500), Some(600), Some(700)),
                    rows: &["A"],
                    seats_per_row: 4,
                },
                ClassSpec {
                    name: "Silver",
                    prices: (Some(100), Some(200), Some(300)),
                    rows: &["B", "C"],
                    seats_per_row: 3,
                },
            ],
        )
        .await;
    let id = show["id"].as_i64().unwrap();
    let (status, booking) = app.book_labels(id, &["A1", "B2", "C3"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(booking["status"], "held");

    // Held until paid: the seats count as held (and sold, for the price), not booked.
    let detail = app.show(id).await;
    assert_eq!(detail["total_seats"], 10);
    assert_eq!(detail["available_seats"], 7);
    let classes = detail["seat_classes"].as_array().unwrap();
    let gold = classes.iter().find(|c| c["name"] == "Gold").unwrap();
    assert_eq!(gold["total_seats"], 4);
    assert_eq!(gold["held_seats"], 1);
    assert_eq!(gold["booked_seats"], 0);
    assert_eq!(gold["available_seats"], 3);
    // 1 of 4 = 25 % → min.
    assert_eq!(gold["tier"], "min");
    assert_eq!(gold["current_price"], 500);
    let silver = classes.iter().find(|c| c["name"] == "Silver").unwrap();
    assert_eq!(silver["total_seats"], 6);
    assert_eq!(silver["held_seats"], 2);
    assert_eq!(silver["booked_seats"], 0);
    assert_eq!(silver["available_seats"], 4);
    // 2 of 6 = 33 % → min.
    assert_eq!(silver["tier"], "min");

    // Paid: the same seats are booked.
    pay(&app, booking["id"].as_str().unwrap()).await;
    let detail = app.show(id).await;
    assert_eq!(detail["available_seats"], 7);
    let classes = detail["seat_classes"].as_array().unwrap();
    let gold = classes.iter().find(|c| c["name"] == "Gold").unwrap();
    assert_eq!(gold["booked_seats"], 1);
    assert_eq!(gold["held_seats"], 0);
    assert_eq!(gold["available_seats"], 3);
    assert_eq!(gold["tier"], "min");
    assert_eq!(gold["current_price"], 500);
    let silver = classes.iter().find(|c| c["name"] == "Silver").unwrap();
    assert_eq!(silver["booked_seats"], 2);
    assert_eq!(silver["held_seats"], 0);
    assert_eq!(silver["available_seats"], 4);
    assert_eq!(silver["tier"], "min");

    assert_error(&app.get("/shows/555555").await, 404, "not_found");
    assert_error(&app.get("/shows/0").await, 404, "not_found");
    assert_error(&app.get("/shows/555555/seats").await, 404, "not_found");
}

#[tokio::test]
async fn seats_are_listed_in_natural_order() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    // Class "B" declared first with row B; class "A" second with rows B and A (12 per row).
    let show = app
        .seated_show(
            event,
            &[
                ClassSpec {
                    name: "Balcony",
                    prices: (Some(100), None, None),
                    rows: &["B"],
                    seats_per_row: 2,
                },
                ClassSpec {
                    name: "Aisle",
                    prices: (None, Some(900), None),
                    rows: &["D", "C"],
                    seats_per_row: 12,
                },
            ],
        )
        .await;
    let id = show["id"].as_i64().unwrap();
    let (status, body) = app.get(&format!("/shows/{id}/seats")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 26);
    let labels: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = Vec::new();
    for row in ["C", "D"] {
        for n in 1..=12 {
            expected.push(format!("{row}{n}"));
        }
    }
    // Classes ordered by name: "Aisle" before "Balcony".
    expected.push("B1".into());
    expected.push("B2".into());
    assert_eq!(labels, expected);
    let pos = |l: &str| labels.iter().position(|x| x == l).unwrap();
    assert!(pos("C2") < pos("C10"));

    let first = &body["items"][0];
    assert_eq!(first["status"], "available");
    assert_eq!(first["is_booked"], false);
    assert_eq!(first["held_until"], Value::Null);
    assert_eq!(first["price"], 900);
    assert_eq!(first["row"], "C");
    assert_eq!(first["number"], 1);
    assert_eq!(first["class"], "Aisle");

    let (status, booking) = app.book_labels(id, &["C10"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    // Held until paid: the seat says until when.
    let seats = app.seats(id).await;
    let c10 = seats.iter().find(|s| s["label"] == "C10").unwrap();
    assert_eq!(c10["status"], "held");
    assert_eq!(c10["is_booked"], true);
    assert_eq!(
        micros(&c10["held_until"]),
        micros(&booking["expires_at"]),
        "{c10} {booking}"
    );
    // Paid: booked, no hold any more.
    pay(&app, booking["id"].as_str().unwrap()).await;
    let seats = app.seats(id).await;
    let c10 = seats.iter().find(|s| s["label"] == "C10").unwrap();
    assert_eq!(c10["status"], "booked");
    assert_eq!(c10["is_booked"], true);
    assert_eq!(c10["held_until"], Value::Null);
    let b1 = seats.iter().find(|s| s["label"] == "B1").unwrap();
    assert_eq!(b1["price"], 100);
}

#[tokio::test]
async fn seat_detail_shows_pricing() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ids = app.seat_ids(show, &["A1", "A10"]).await;
    let (status, seat) = app.get(&format!("/seats/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK, "{seat}");
    assert_eq!(seat["label"], "A1");
    assert_eq!(seat["show_id"], show);
    assert_eq!(seat["class"], "A");
    assert_eq!(seat["status"], "available");
    assert_eq!(seat["is_booked"], false);
    assert_eq!(seat["currency"], "USD");
    let p = &seat["pricing"];
    assert_eq!(p["current_price"], 100);
    assert_eq!(p["tier"], "min");
    assert_eq!(p["occupancy_percent"], 0.0);
    assert_eq!(p["sold_seats"], 0);
    assert_eq!(p["class_seats"], 10);
    assert_eq!(p["min_price"], 100);
    assert_eq!(p["normal_price"], 200);
    assert_eq!(p["max_price"], 300);
    assert_eq!(p["for_sale"], true);

    let (status, booking) = app.book_labels(show, &["A1", "A2", "A3", "A4"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    // Held seats are sold for the price already.
    let (_, a1) = app.get(&format!("/seats/{}", ids[0])).await;
    assert_eq!(a1["status"], "held");
    assert_eq!(a1["is_booked"], true);
    let (_, a10) = app.get(&format!("/seats/{}", ids[1])).await;
    assert_eq!(a10["pricing"]["sold_seats"], 4);
    assert_eq!(a10["pricing"]["occupancy_percent"], 40.0);
    assert_eq!(a10["pricing"]["tier"], "normal");
    assert_eq!(a10["pricing"]["current_price"], 200);
    // Paid: booked, the pricing unchanged.
    pay(&app, booking["id"].as_str().unwrap()).await;
    let (_, a1) = app.get(&format!("/seats/{}", ids[0])).await;
    assert_eq!(a1["status"], "booked");
    assert_eq!(a1["is_booked"], true);
    let (_, a10) = app.get(&format!("/seats/{}", ids[1])).await;
    assert_eq!(a10["status"], "available");
    assert_eq!(a10["pricing"]["sold_seats"], 4);
    assert_eq!(a10["pricing"]["current_price"], 200);

    assert_error(&app.get("/seats/99999999").await, 404, "not_found");
    assert_error(&app.get("/seats/nope").await, 404, "not_found");
}

#[tokio::test]
async fn ops_endpoints() {
    let app = spawn_app().await;
    let (status, body) = app.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
    let (status, body) = app.get("/api/v1/no-such-thing").await;
    assert_error(&(status, body), 404, "not_found");
}
