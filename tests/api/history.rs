//! The history of a booking (`GET /api/v1/bookings/{id}/history`): every status change is
//! recorded in the transaction that makes it, listed oldest first to those who may read the
//! booking, and a booking that fails leaves nothing behind.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn history_path(id: &str) -> String {
    format!("/bookings/{id}/history")
}

/// The entries of a 200 history answer.
fn entries(resp: &(StatusCode, Value)) -> Vec<Value> {
    assert_eq!(resp.0, StatusCode::OK, "history: {}", resp.1);
    resp.1["items"].as_array().expect("items").clone()
}

fn at(entry: &Value) -> DateTime<Utc> {
    entry["at"]
        .as_str()
        .expect("at")
        .parse()
        .expect("an RFC 3339 time")
}

/// The admin's user id.
async fn admin_id(app: &TestApp) -> String {
    let (status, me) = app.as_admin().get("/users/me").await;
    assert_eq!(status, StatusCode::OK, "/users/me: {me}");
    me["id"].as_str().expect("id").to_owned()
}

/// Runs one `SELECT … AS n` (a bigint) on the app's database.
async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    let url = app.db_url().to_owned();
    tokio::task::spawn_blocking(move || {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = PgConnection::establish(&url).expect("connect");
        diesel::sql_query(sql)
            .get_result::<N>(&mut c)
            .expect("query")
            .n
    })
    .await
    .expect("blocking task")
}

#[tokio::test]
async fn a_booking_and_its_cancellation_are_listed_oldest_first() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let me = app.as_user(&ann);
    let (status, booking) = me.book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();
    let actor = format!("user:{}", ann.id);

    let created = entries(&me.get(&history_path(&id)).await);
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["entity"], "booking");
    assert_eq!(created[0]["entity_id"], id.as_str());
    assert_eq!(created[0]["from"], Value::Null);
    // Something to pay: the booking starts held.
    assert_eq!(created[0]["to"], "held");
    assert_eq!(created[0]["actor"], actor.as_str());
    assert_eq!(created[0]["reason"], Value::Null);

    let (status, cancelled) = me
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");

    let items = entries(&me.get(&history_path(&id)).await);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0], created[0], "the creation entry does not change");
    let cancel = &items[1];
    assert_eq!(cancel["entity"], "booking");
    assert_eq!(cancel["entity_id"], id.as_str());
    assert_eq!(cancel["from"], "held");
    assert_eq!(cancel["to"], "cancelled");
    assert_eq!(cancel["actor"], actor.as_str());
    assert_eq!(cancel["reason"], "cancelled by the customer");
    assert!(at(&items[0]) <= at(&items[1]), "oldest first: {items:?}");
    // The entry's time is the change's time.
    let cancelled_at: DateTime<Utc> = cancelled["cancelled_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(at(cancel), cancelled_at);
    let created_at: DateTime<Utc> = booking["created_at"].as_str().unwrap().parse().unwrap();
    // (The 201 body carries the clock's nanoseconds; the database keeps microseconds.)
    assert_eq!(
        at(&items[0]).timestamp_micros(),
        created_at.timestamp_micros()
    );

    // The exact shape of an entry: these seven fields and nothing else.
    let mut keys: Vec<&str> = cancel
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["actor", "at", "entity", "entity_id", "from", "reason", "to"]
    );

    // A second cancel is refused and records nothing.
    let again = me
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_error(&again, 409, "illegal_transition");
    assert_eq!(entries(&me.get(&history_path(&id)).await).len(), 2);
}

#[tokio::test]
async fn a_guest_booking_is_read_with_its_token_and_recorded_as_guest() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let (status, booking) = app.anon().book_labels(show, &["A2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();
    let token = booking["guest_token"]
        .as_str()
        .expect("guest token")
        .to_owned();
    let guest = app.anon().header("X-Booking-Token", &token);

    let items = entries(&guest.get(&history_path(&id)).await);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["from"], Value::Null);
    assert_eq!(items[0]["to"], "held");
    assert_eq!(items[0]["actor"], "guest");
    assert_eq!(items[0]["reason"], Value::Null);

    let (status, _) = guest.delete(&format!("/bookings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let items = entries(&guest.get(&history_path(&id)).await);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[1]["from"], "held");
    assert_eq!(items[1]["to"], "cancelled");
    assert_eq!(items[1]["actor"], "guest");
    assert_eq!(items[1]["reason"], "cancelled by the customer");
}

#[tokio::test]
async fn strangers_anonymous_callers_and_unknown_ids_get_404() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let (status, owned) = app.as_user(&ann).book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{owned}");
    let owned = owned["id"].as_str().unwrap().to_owned();
    let (status, guest) = app.anon().book_labels(show, &["A2"]).await;
    assert_eq!(status, StatusCode::CREATED, "{guest}");
    let guest_id = guest["id"].as_str().unwrap().to_owned();
    let guest_token = guest["guest_token"].as_str().unwrap().to_owned();

    // Someone else's booking: the same 404 as for an unknown id.
    assert_error(
        &app.as_user(&bob).get(&history_path(&owned)).await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon().get(&history_path(&owned)).await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", &guest_token)
            .get(&history_path(&owned))
            .await,
        404,
        "not_found",
    );
    // A guest booking without its token, or with a wrong one.
    assert_error(
        &app.anon().get(&history_path(&guest_id)).await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_user(&bob).get(&history_path(&guest_id)).await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", "not-the-token")
            .get(&history_path(&guest_id))
            .await,
        404,
        "not_found",
    );
    // Unknown and malformed ids, also for an admin.
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_error(
        &app.as_admin().get(&history_path(&unknown)).await,
        404,
        "not_found",
    );
    assert_error(
        &app.as_admin().get(&history_path("nope")).await,
        404,
        "not_found",
    );

    // Those who may read the booking may read its history.
    assert_eq!(
        entries(&app.as_user(&ann).get(&history_path(&owned)).await).len(),
        1
    );
    assert_eq!(
        entries(&app.as_admin().get(&history_path(&owned)).await).len(),
        1
    );
    assert_eq!(
        entries(&app.as_admin().get(&history_path(&guest_id)).await).len(),
        1
    );
}

#[tokio::test]
async fn an_admin_cancelling_is_recorded_with_the_admins_id() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let (status, booking) = app.as_user(&ann).book_labels(show, &["A3"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();

    let (status, body) = app
        .as_admin()
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let admin = format!("user:{}", admin_id(&app).await);
    // The owner sees who did it.
    let items = entries(&app.as_user(&ann).get(&history_path(&id)).await);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["actor"], format!("user:{}", ann.id));
    assert_eq!(items[1]["from"], "held");
    assert_eq!(items[1]["to"], "cancelled");
    assert_eq!(items[1]["actor"], admin.as_str());
    assert_eq!(items[1]["reason"], "cancelled by an admin");

    // A paid booking: the owner pays, the admin cancels it.
    let (status, booking) = app.as_user(&ann).book_labels(show, &["A4"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();
    pay(&app.as_user(&ann), &id).await;
    let (status, body) = app
        .as_admin()
        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    let items: Vec<Value> = entries(&app.as_user(&ann).get(&history_path(&id)).await)
        .into_iter()
        .filter(|e| e["entity"] == "booking")
        .collect();
    let owner = format!("user:{}", ann.id);
    let steps: Vec<(&Value, &Value, &str)> = items
        .iter()
        .map(|e| (&e["from"], &e["to"], e["actor"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        steps,
        [
            (&Value::Null, &json!("held"), owner.as_str()),
            (&json!("held"), &json!("confirmed"), owner.as_str()),
            (&json!("confirmed"), &json!("cancelled"), admin.as_str()),
        ],
        "{items:?}"
    );
    assert_eq!(items[2]["reason"], "cancelled by an admin");
}

/// Pays `booking_id` in full through the API as `caller` (initiate, then confirm with a card
/// that succeeds).
async fn pay(caller: &Caller<'_>, booking_id: &str) {
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
    assert_eq!(payment["outcome"], "booking_confirmed", "{payment}");
}

#[tokio::test]
async fn a_failed_booking_writes_no_history() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let (status, first) = app.book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM booking_history").await,
        1
    );

    // A seat taken (409), together with a free one: nothing of the booking is written.
    let taken = app.book_labels(show, &["A2", "A1"]).await;
    assert_error(&taken, 409, "seat_unavailable");
    let taken = app.anon().book_labels(show, &["A1"]).await;
    assert_error(&taken, 409, "seat_unavailable");
    // Sold out and unknown show.
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 2, Some(100)).await["id"]
        .as_i64()
        .unwrap();
    assert_error(&app.book_quantity(ga, 3).await, 409, "sold_out");
    assert_error(&app.book_quantity(987_654, 1).await, 404, "not_found");

    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM booking_history").await,
        1
    );
    assert_eq!(scalar(&app, "SELECT count(*) AS n FROM bookings").await, 1);
    // The only row is the first booking's creation.
    let items = entries(&app.get(&history_path(first["id"].as_str().unwrap())).await);
    assert_eq!(items.len(), 1);
    // A2 is still free: the failed booking left no seat behind either.
    let (status, _) = app.book_labels(show, &["A2"]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM booking_history").await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bookings_each_get_exactly_one_creation_row() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 6, Some(100)).await["id"]
        .as_i64()
        .unwrap();
    // 30 seated bookings that overlap (pairs of adjacent seats among A1..A10) and 20 general
    // admission bookings for 6 places, all at once.
    let mut bodies: Vec<Value> = (0..30)
        .map(|i| {
            let a = i % 9 + 1;
            json!({"show_id": show, "seat_labels": [format!("A{a}"), format!("A{}", a + 1)],
                   "name": format!("P{i}"), "email": format!("p{i}@example.com")})
        })
        .collect();
    bodies.extend((0..20).map(|i| {
        json!({"show_id": ga, "quantity": 1, "name": format!("G{i}"),
               "email": format!("g{i}@example.com")})
    }));
    let url = app.url("/bookings");
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
    let results: Vec<(StatusCode, Value)> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    for r in &results {
        assert!(
            r.0 == StatusCode::CREATED || r.0 == StatusCode::CONFLICT,
            "unexpected {} {}",
            r.0,
            r.1
        );
    }
    let created = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED)
        .count() as i64;
    assert!(
        created >= 6,
        "at least the 6 places and some seats: {created}"
    );

    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM bookings").await,
        created
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM booking_history").await,
        created,
        "one row per created booking, none for the refused ones"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) AS n FROM bookings b WHERE (SELECT count(*) FROM booking_history h \
             WHERE h.booking_id = b.id AND h.entity = 'booking' AND h.from_status IS NULL \
             AND h.to_status = b.status AND h.entity_id = b.id::text AND h.at = b.created_at) <> 1"
        )
        .await,
        0,
        "every booking has exactly one creation row matching it"
    );
}
