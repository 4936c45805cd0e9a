//! The key promise: concurrent bookings never oversell.

use std::collections::HashSet;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Fires all `bodies` at POST `path` at once (one spawned task each).
async fn fire(app: &TestApp, path: &str, bodies: Vec<Value>) -> Vec<(StatusCode, Value)> {
    let url = app.url(path);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let tasks = bodies.into_iter().map(|body| {
        let client = app.client.clone();
        let url = url.clone();
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            decode(client.post(&url).json(&body).send().await.expect("POST")).await
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

fn count(results: &[(StatusCode, Value)], status: u16) -> usize {
    results.iter().filter(|r| r.0.as_u16() == status).count()
}

fn assert_only(results: &[(StatusCode, Value)], allowed: &[(u16, &str)]) {
    for r in results {
        let ok = allowed.iter().any(|(s, code)| {
            r.0.as_u16() == *s && (code.is_empty() || r.1["error"]["code"] == *code)
        });
        assert!(ok, "unexpected response {} {}", r.0, r.1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn general_admission_never_oversells() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 5, Some(100)).await["id"]
        .as_i64()
        .unwrap();
    let bodies = (0..50)
        .map(|i| {
            json!({"show_id": show, "quantity": 1, "name": format!("P{i}"),
                   "email": format!("p{i}@example.com")})
        })
        .collect();
    let results = fire(&app, "/bookings", bodies).await;
    assert_only(&results, &[(201, ""), (409, "sold_out")]);
    assert_eq!(count(&results, 201), 5);
    assert_eq!(count(&results, 409), 45);
    let detail = app.show(show).await;
    assert_eq!(detail["available_seats"], 0);
    assert_eq!(detail["total_seats"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_seat_twenty_buyers() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let seat = app.seat_ids(show, &["A5"]).await[0];
    let bodies = (0..20)
        .map(|i| {
            json!({"show_id": show, "seat_ids": [seat], "name": format!("P{i}"),
                   "email": format!("p{i}@example.com")})
        })
        .collect();
    let results = fire(&app, "/bookings", bodies).await;
    assert_only(&results, &[(201, ""), (409, "seat_unavailable")]);
    assert_eq!(count(&results, 201), 1);
    assert_eq!(count(&results, 409), 19);
    let seats = app.seats(show).await;
    let booked: Vec<&Value> = seats.iter().filter(|s| s["is_booked"] == true).collect();
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0]["label"], "A5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn event_booking_cancel_and_rebook() {
    let app = spawn_app().await;
    let city = app.create_city().await;
    let event = app.create_ga_event(city, 5, 1000).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/events/{event}/book");
    let bodies: Vec<Value> = (0..5)
        .map(|i| json!({"name": format!("P{i}"), "email": format!("p{i}@example.com")}))
        .collect();
    let results = fire(&app, &path, bodies).await;
    assert_eq!(count(&results, 201), 5, "{results:?}");
    let sixth = app
        .post_json(&path, &json!({"name": "Six", "email": "six@example.com"}))
        .await;
    assert_error(&sixth, 409, "sold_out");

    let first_id = results[0].1["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post_json(&format!("/bookings/{first_id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = app.get(&format!("/events/{event}")).await;
    assert_eq!(detail["available_seats"], 1);

    // Several race for the freed place: exactly one wins.
    let bodies: Vec<Value> = (0..8)
        .map(|i| json!({"name": format!("R{i}"), "email": format!("r{i}@example.com")}))
        .collect();
    let results = fire(&app, &path, bodies).await;
    assert_only(&results, &[(201, ""), (409, "sold_out")]);
    assert_eq!(count(&results, 201), 1);
    let seventh = app
        .post_json(
            &path,
            &json!({"name": "Seven", "email": "seven@example.com"}),
        )
        .await;
    assert_error(&seventh, 409, "sold_out");
    let (_, detail) = app.get(&format!("/events/{event}")).await;
    assert_eq!(detail["available_seats"], 0);
    assert_eq!(detail["total_seats"], 5);
}

/// Small deterministic PRNG (no extra dependency).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_multi_seat_requests() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let labels: Vec<String> = (1..=10).map(|n| format!("A{n}")).collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let ids = app.seat_ids(show, &label_refs).await;
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let bodies: Vec<Value> = (0..30)
        .map(|i| {
            let a = (xorshift(&mut rng) % 10) as usize;
            let mut b = (xorshift(&mut rng) % 9) as usize;
            if b >= a {
                b += 1;
            }
            json!({"show_id": show, "seat_ids": [ids[a], ids[b]], "name": format!("P{i}"),
                   "email": format!("p{i}@example.com")})
        })
        .collect();
    let results = fire(&app, "/bookings", bodies).await;
    assert_only(&results, &[(201, ""), (409, "seat_unavailable")]);
    let mut seen: HashSet<i64> = HashSet::new();
    let mut sold = 0;
    for (status, body) in &results {
        if *status == StatusCode::CREATED {
            for item in body["items"].as_array().unwrap() {
                let id = item["seat_id"].as_i64().unwrap();
                assert!(seen.insert(id), "seat {id} sold twice");
                sold += 1;
            }
        }
    }
    assert!(sold >= 2, "at least one booking succeeds");
    let seats = app.seats(show).await;
    let booked: HashSet<i64> = seats
        .iter()
        .filter(|s| s["is_booked"] == true)
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(booked.len(), sold);
    assert_eq!(booked, seen);
    // Unpaid: every sold seat is held, none booked yet.
    let detail = app.show(show).await;
    assert_eq!(detail["seat_classes"][0]["held_seats"], sold);
    assert_eq!(detail["seat_classes"][0]["booked_seats"], 0);

    // Paying all the bookings at once turns exactly those seats booked.
    let bookings: Vec<String> = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED)
        .map(|r| r.1["id"].as_str().unwrap().to_owned())
        .collect();
    let initiated = fire(
        &app,
        "/payments/initiate",
        bookings
            .iter()
            .map(|id| json!({"booking_id": id, "payment_method": "tok_success"}))
            .collect(),
    )
    .await;
    assert_only(&initiated, &[(201, "")]);
    let confirmed = fire(
        &app,
        "/payments/confirm",
        initiated
            .iter()
            .map(|(_, p)| json!({"payment_id": p["id"]}))
            .collect(),
    )
    .await;
    assert_only(&confirmed, &[(200, "")]);
    assert!(confirmed
        .iter()
        .all(|(_, p)| p["outcome"] == "booking_confirmed"));
    // (Seat by seat, not the seat map: a confirmed payment does not drop the seat map cached
    // before it, see catalog::seats_are_listed_in_natural_order.)
    let mut paid: HashSet<i64> = HashSet::new();
    for id in &ids {
        let (status, seat) = app.get(&format!("/seats/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{seat}");
        match seat["status"].as_str() {
            Some("booked") => {
                paid.insert(*id);
            }
            Some("available") => {}
            _ => panic!("seat {id} neither booked nor available after paying: {seat}"),
        }
    }
    assert_eq!(paid, seen);
    let detail = app.show(show).await;
    assert_eq!(detail["seat_classes"][0]["booked_seats"], sold);
    assert_eq!(detail["seat_classes"][0]["held_seats"], 0);
}

/// The striped sales counters that price seats stay equal to the active booking items through
/// concurrent bookings and cancellations, and the class seat counts equal the seats.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn occupancy_counters_match_the_bookings() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let labels: Vec<String> = (1..=10).map(|n| format!("A{n}")).collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let ids = app.seat_ids(show, &label_refs).await;
    let bodies: Vec<Value> = (0..20)
        .map(|i| {
            let a = i % 10;
            let b = (i * 3 + 1) % 10;
            let seats = if a == b {
                vec![ids[a]]
            } else {
                vec![ids[a], ids[b]]
            };
            json!({"show_id": show, "seat_ids": seats, "name": format!("C{i}"),
                   "email": format!("c{i}@example.com")})
        })
        .collect();
    let results = fire(&app, "/bookings", bodies).await;
    let booked: Vec<String> = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED)
        .map(|r| r.1["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!booked.is_empty());
    // Cancel half of them, concurrently.
    let cancels = booked.iter().step_by(2).map(|id| {
        let client = app.client.clone();
        let url = app.url(&format!("/bookings/{id}/cancel"));
        tokio::spawn(async move { client.post(url).send().await.expect("cancel").status() })
    });
    for s in join_all(cancels).await {
        assert_eq!(s.expect("task"), StatusCode::OK);
    }
    // One more round of bookings on the freed seats.
    let bodies: Vec<Value> = (0..10)
        .map(|i| json!({"show_id": show, "seat_ids": [ids[i]], "name": "D", "email": "d@example.com"}))
        .collect();
    fire(&app, "/bookings", bodies).await;

    let url = app.db_url().to_owned();
    let (counted, active, seat_count, seats) = tokio::task::spawn_blocking(move || {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            counted: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            active: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            seat_count: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            seats: i64,
        }
        let mut c = PgConnection::establish(&url).expect("connect");
        let r: Row = diesel::sql_query(
            "SELECT \
               (SELECT COALESCE(sum(sold), 0) FROM seat_class_sales)::bigint AS counted, \
               (SELECT count(*) FROM booking_items WHERE active AND seat_id IS NOT NULL) AS active, \
               (SELECT COALESCE(sum(seat_count), 0) FROM seat_classes)::bigint AS seat_count, \
               (SELECT count(*) FROM seats) AS seats",
        )
        .get_result(&mut c)
        .expect("query");
        (r.counted, r.active, r.seat_count, r.seats)
    })
    .await
    .unwrap();
    assert_eq!(
        counted, active,
        "sales counters drifted from the active items"
    );
    assert_eq!(seat_count, seats);
    // Nothing was paid: the active seats are all held.
    let detail = app.show(show).await;
    assert_eq!(detail["seat_classes"][0]["held_seats"], active);
    assert_eq!(detail["seat_classes"][0]["booked_seats"], 0);
}
