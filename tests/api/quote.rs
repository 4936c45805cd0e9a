//! `POST /shows/{id}/quote`: the price of a prospective booking equals what the booking then
//! charges, seat by seat, across tier edges; nothing is held; the booking's refusals.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn quote(app: &TestApp, show: i64, body: Value) -> (StatusCode, Value) {
    app.anon()
        .post_json(&format!("/shows/{show}/quote"), &body)
        .await
}

/// (label, price, tier) of each line of a quote or a booking.
fn lines(v: &Value) -> Vec<(Value, i64, Value)> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
        .iter()
        .map(|i| {
            (
                i["label"].clone(),
                i["price"].as_i64().unwrap(),
                i["tier"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_quote_across_a_tier_edge_is_what_the_booking_charges() {
    let app = spawn_app().await;
    // Class A: A1..A10 at 100 (under 40 %), 200 (40–60 %), 300 (over 60 %).
    let show = app.simple_seated_show().await;
    let first = app.anon().hold(show, &["A1", "A2", "A3"]).await;
    assert_eq!(first["total_amount"], 300);

    // 3 of 10 sold: A4 on 3/10 (min), A5..A7 on 4..6/10 (normal), A8 on 7/10 (max).
    let labels = ["A8", "A4", "A6", "A5", "A7"];
    let (status, q) = quote(&app, show, json!({"seat_labels": labels})).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(
        lines(&q),
        [
            (json!("A4"), 100, json!("min")),
            (json!("A5"), 200, json!("normal")),
            (json!("A6"), 200, json!("normal")),
            (json!("A7"), 200, json!("normal")),
            (json!("A8"), 300, json!("max")),
        ]
    );
    assert_eq!(q["total_amount"], 1000);
    assert_eq!((&q["quantity"], &q["currency"]), (&json!(5), &json!("USD")));
    assert_eq!(q["show_id"], show);
    assert!(q["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["seat_class"] == "A"));
    assert!(time_of(&q["priced_at"]) <= chrono::Utc::now());
    // Microseconds, like every timestamp the API answers.
    let priced_at = q["priced_at"].as_str().unwrap();
    let fraction = priced_at.split('.').nth(1).unwrap_or("Z");
    assert!(fraction.len() <= "123456Z".len(), "{priced_at}");

    // Nothing was held: the seats are still free, and the class counts did not move.
    let seats = app.seats(show).await;
    for l in labels {
        let s = seats.iter().find(|s| s["label"] == l).unwrap();
        assert_eq!(s["status"], "available", "{s}");
    }

    // The same seats by id quote the same; the booking then charges exactly that.
    let ids = app.seat_ids(show, &labels).await;
    let (status, by_id) = quote(&app, show, json!({"seat_ids": ids})).await;
    assert_eq!(status, StatusCode::OK, "{by_id}");
    assert_eq!(lines(&by_id), lines(&q));
    let booked = app.anon().hold(show, &labels).await;
    assert_eq!(booked["total_amount"], q["total_amount"]);
    assert_eq!(lines(&booked), lines(&q));

    // Now 8 of 10 are sold: the last two seats are both priced on the max tier.
    let (status, rest) = quote(&app, show, json!({"seat_labels": ["A9", "A10"]})).await;
    assert_eq!(status, StatusCode::OK, "{rest}");
    assert_eq!(
        lines(&rest),
        [
            (json!("A9"), 300, json!("max")),
            (json!("A10"), 300, json!("max"))
        ]
    );
}

#[tokio::test]
async fn a_quote_prices_each_class_on_its_own_occupancy() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app
        .seated_show(
            event,
            &[
                ClassSpec {
                    name: "Stalls",
                    prices: (Some(1000), Some(1500), Some(2000)),
                    rows: &["A"],
                    seats_per_row: 5,
                },
                ClassSpec {
                    name: "Box",
                    prices: (None, Some(5000), None),
                    rows: &["B"],
                    seats_per_row: 2,
                },
            ],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // Stalls: 0/5 min, 1/5 min, 2/5 = 40 % normal; Box: normal whatever the band.
    let labels = ["A1", "A2", "A3", "B1", "B2"];
    let (status, q) = quote(&app, show, json!({"seat_labels": labels})).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let prices: Vec<i64> = lines(&q).iter().map(|l| l.1).collect();
    assert_eq!(prices, [1000, 1000, 1500, 5000, 5000]);
    assert_eq!(q["total_amount"], 13500);
    let booked = app.anon().hold(show, &labels).await;
    assert_eq!(booked["total_amount"], q["total_amount"]);
    assert_eq!(lines(&booked), lines(&q));
}

#[tokio::test]
async fn a_general_admission_quote_is_what_the_booking_charges() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 5, Some(2500)).await["id"]
        .as_i64()
        .unwrap();
    let (status, q) = quote(&app, show, json!({"quantity": 3})).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["total_amount"], 7500);
    assert_eq!(q["quantity"], 3);
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (&items[0]["quantity"], &items[0]["price"]),
        (&json!(3), &json!(2500))
    );
    assert!(items[0]["seat_id"].is_null() && items[0]["tier"].is_null());
    // Nothing taken: all 5 places are still free.
    assert_eq!(app.show(show).await["available_seats"], 5);
    let (status, booked) = app.book_quantity(show, 3).await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["total_amount"], q["total_amount"]);
    // Two left: three more is what the booking would refuse.
    assert_error(
        &quote(&app, show, json!({"quantity": 3})).await,
        409,
        "sold_out",
    );
    assert_error(&app.book_quantity(show, 3).await, 409, "sold_out");
}

#[tokio::test]
async fn a_quote_refuses_what_the_booking_refuses() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    app.anon().hold(show, &["A1"]).await;
    let taken = quote(&app, show, json!({"seat_labels": ["A1", "A2"]})).await;
    assert_error(&taken, 409, "seat_unavailable");
    assert_eq!(taken.1["error"]["details"]["seats"], json!(["A1"]));

    // A class without prices is not for sale (a CSV import adds a class without prices).
    let (status, imported) = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            "id,seat_identifier,seat_class\n1,Z1,Free\n",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_error(
        &quote(&app, show, json!({"seat_labels": ["Z1"]})).await,
        409,
        "not_for_sale",
    );

    // Unknown show → 404; unknown seat id → 404; unknown label → 422.
    assert_error(
        &quote(&app, 999_999, json!({"quantity": 1})).await,
        404,
        "not_found",
    );
    assert_error(
        &quote(&app, 0, json!({"quantity": 1})).await,
        404,
        "not_found",
    );
    assert_error(
        &quote(&app, show, json!({"seat_ids": [999_999]})).await,
        404,
        "not_found",
    );
    assert_invalid(
        &quote(&app, show, json!({"seat_labels": ["Q9"]})).await,
        "seat_labels",
    );

    // Places under the booking's rules: exactly one kind, 1..=max, distinct; seats of a seated
    // show, a quantity of a general-admission one; no unknown fields.
    assert_invalid(&quote(&app, show, json!({})).await, "seat_ids");
    assert_invalid(
        &quote(&app, show, json!({"seat_ids": [1], "quantity": 1})).await,
        "seat_ids",
    );
    assert_invalid(
        &quote(&app, show, json!({"seat_labels": ["A2", "A2"]})).await,
        "seat_labels",
    );
    // A quantity of a seated show: the same 422 as the booking's.
    let q = quote(&app, show, json!({"quantity": 2})).await;
    assert_invalid(&q, "seat_ids");
    assert_eq!(
        q.1,
        app.anon()
            .post_json(
                "/bookings",
                &json!({"show_id": show,
        "quantity": 2, "name": "Ann", "email": "ann@example.com"})
            )
            .await
            .1
    );
    let many: Vec<String> = (1..=11).map(|n| format!("A{n}")).collect();
    assert_invalid(
        &quote(&app, show, json!({"seat_labels": many})).await,
        "seat_labels",
    );
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 5, None).await["id"].as_i64().unwrap();
    assert_invalid(
        &quote(&app, ga, json!({"seat_labels": ["A1"]})).await,
        "seat_ids",
    );
    let unknown = quote(&app, show, json!({"quantity": 1, "name": "Ann"})).await;
    assert_eq!(unknown.0.as_u16(), 422, "{}", unknown.1);

    // A show that has started is no longer for sale.
    app.clock.advance(chrono::Duration::days(8));
    assert_error(
        &quote(&app, show, json!({"seat_labels": ["A2"]})).await,
        409,
        "show_started",
    );
}

#[tokio::test]
async fn a_quote_is_public_but_a_bad_token_is_refused() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let body = json!({"seat_labels": ["A1"]});
    let path = format!("/shows/{show}/quote");
    let (status, q) = app.post_json(&path, &body).await; // as the admin
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["total_amount"], 100);
    let bad = app.with_token("not-a-token").post_json(&path, &body).await;
    assert_eq!(bad.0, StatusCode::UNAUTHORIZED, "{}", bad.1);
    // A past-due hold frees its seat for the quote at once, as for the booking.
    app.anon().hold(show, &["A1"]).await;
    assert_error(
        &app.anon().post_json(&path, &body).await,
        409,
        "seat_unavailable",
    );
    app.clock.advance(past_the_hold());
    let (status, q) = app.anon().post_json(&path, &body).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["items"][0]["tier"], "min");
}
