//! Appointments over HTTP (issue 14): free slots, booking one (never twice: 30 racers for one
//! slot, overlapping services of one provider, a class of 5 with 12 racers), the provider's
//! accept and decline with its refund, moves, the provider's calendar, availability edits that
//! report their conflicts, and the database's own refusal of overlapping time.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{category, id_of, offer, with};
use crate::helpers::*;

/// Every day 09:00–12:00 UTC: `duration` minutes, `capacity` per slot, 40.00 EUR.
fn daily(category_id: i64, title: &str, duration: i64, capacity: i64) -> Value {
    let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "12:00"}))
        .collect();
    json!({
        "title": title,
        "category_id": category_id,
        "price": 4000,
        "currency": "EUR",
        "availability": {
            "time_zone": "UTC",
            "weekly": weekly,
            "duration_minutes": duration,
            "capacity": capacity
        }
    })
}

/// The day after tomorrow at `h:m` UTC.
fn day_at(h: u32, m: u32) -> DateTime<Utc> {
    let d = (Utc::now() + Duration::days(2)).date_naive();
    d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap())
        .and_utc()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A provider with a service made from `body`: (provider, service id).
async fn provider_with(app: &TestApp, email: &str, body: Value) -> (TestUser, i64) {
    let provider = app.signup(email, "provider").await;
    let service = offer(&app.as_user(&provider), &body).await;
    (provider, id_of(&service))
}

fn slot_body(service_id: i64, at: DateTime<Utc>) -> Value {
    json!({"service_id": service_id, "starts_at": rfc(at), "notes": "first visit"})
}

/// `POST /bookings` of the slot as `caller`: (status, body).
async fn book(caller: &Caller<'_>, service_id: i64, at: DateTime<Utc>) -> (StatusCode, Value) {
    caller
        .post_json("/bookings", &slot_body(service_id, at))
        .await
}

async fn starts(
    app: &TestApp,
    service_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<String> {
    let (status, body) = app
        .anon()
        .get(&format!(
            "/services/{service_id}/slots?from={}&to={}",
            rfc(from),
            rfc(to)
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "slots: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect()
}

/// Fires `n` copies of `body` at `POST /bookings` at once, each as a new guest.
async fn race(app: &TestApp, body: Value, n: usize) -> Vec<(StatusCode, Value)> {
    let url = app.url("/bookings");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks = (0..n).map(|i| {
        let client = app.anon_client.clone();
        let url = url.clone();
        let barrier = barrier.clone();
        let body = with(
            body.clone(),
            json!({"name": format!("Racer {i}"), "email": format!("racer{i}@example.com")}),
        );
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

fn count(results: &[(StatusCode, Value)], status: u16, code: Option<&str>) -> usize {
    results
        .iter()
        .filter(|r| r.0.as_u16() == status && code.is_none_or(|c| r.1["error"]["code"] == c))
        .count()
}

#[tokio::test]
async fn a_customer_sees_free_slots_books_one_pays_and_the_slot_is_gone() {
    let app = spawn_app().await;
    let cat = category(&app, "Massage").await;
    let (provider, service) =
        provider_with(&app, "masseur@example.com", daily(cat, "Massage", 60, 1)).await;
    let (from, to) = (day_at(0, 0), day_at(23, 0));
    let (status, slots) = app
        .anon()
        .get(&format!(
            "/services/{service}/slots?from={}&to={}",
            rfc(from),
            rfc(to)
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{slots}");
    assert_eq!(slots["time_zone"], "UTC");
    let items = slots["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{slots}");
    assert_eq!(items[1]["starts_at"], rfc(day_at(10, 0)));
    assert_eq!(items[1]["ends_at"], rfc(day_at(11, 0)));
    assert_eq!(
        items[1]["local_start"],
        format!("{}T10:00:00", day_at(10, 0).date_naive())
    );
    assert_eq!(
        (
            items[1]["utc_offset_seconds"].as_i64(),
            items[1]["remaining"].as_i64()
        ),
        (Some(0), Some(1))
    );

    let customer = app.signup("client@example.com", "customer").await;
    let me = app.as_user(&customer);
    let (status, b) = book(&me, service, day_at(10, 0)).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(
        (b["kind"].as_str(), b["status"].as_str()),
        (Some("appointment"), Some("held"))
    );
    assert_eq!(
        (b["show_id"].clone(), b["event_id"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(b["total_amount"], 4000);
    assert_eq!(b["appointment"]["service_id"], service);
    assert_eq!(b["appointment"]["provider_id"], provider.id.as_str());
    assert_eq!(b["appointment"]["starts_at"], rfc(day_at(10, 0)));
    assert_eq!(b["appointment"]["notes"], "first visit");
    assert_eq!(b["appointment"]["service_title"], "Massage");
    let id = b["id"].as_str().unwrap().to_owned();
    // The slot is gone for everyone else.
    let left = starts(&app, service, from, to).await;
    assert_eq!(left, [rfc(day_at(9, 0)), rfc(day_at(11, 0))]);
    let paid = me.pay(&id).await;
    assert_eq!(paid["outcome"], "booking_confirmed");
    assert_eq!(me.booking(&id).await["status"], "confirmed");
    // The customer's history lists it; the provider reads it and sees it in the calendar.
    let (_, mine) = me.get("/bookings").await;
    assert_eq!(mine["items"][0]["id"], id.as_str());
    let prov = app.as_user(&provider);
    assert_eq!(
        prov.booking(&id).await["appointment"]["service_id"],
        service
    );
    let (status, cal) = prov.get("/providers/me/appointments").await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    assert_eq!(cal["total"], 1);
    assert_eq!(cal["items"][0]["id"], id.as_str());
    let (_, confirmed) = prov
        .get("/providers/me/appointments?status=confirmed")
        .await;
    assert_eq!(confirmed["total"], 1);
    let (_, pending) = prov.get("/providers/me/appointments?status=pending").await;
    assert_eq!(pending["total"], 0);
    assert_invalid(
        &prov.get("/providers/me/appointments?status=paid").await,
        "status",
    );
    assert_error(
        &me.get("/providers/me/appointments").await,
        403,
        "forbidden",
    );
    // A stranger cannot tell it exists.
    let stranger = app.signup("stranger@example.com", "customer").await;
    assert_error(
        &app.as_user(&stranger).get(&format!("/bookings/{id}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn thirty_requests_for_one_slot_give_one_booking_and_twenty_nine_slot_taken() {
    let app = spawn_app().await;
    let cat = category(&app, "Tutoring").await;
    let (_, service) =
        provider_with(&app, "tutor@example.com", daily(cat, "Tutoring", 60, 1)).await;
    let results = race(&app, slot_body(service, day_at(9, 0)), 30).await;
    assert_eq!(count(&results, 201, None), 1, "{results:?}");
    assert_eq!(count(&results, 409, Some("slot_taken")), 29, "{results:?}");
}

#[tokio::test]
async fn a_class_of_five_takes_five_of_twelve_racers() {
    let app = spawn_app().await;
    let cat = category(&app, "Yoga").await;
    let (_, service) = provider_with(&app, "yogi@example.com", daily(cat, "Yoga", 60, 5)).await;
    let results = race(&app, slot_body(service, day_at(11, 0)), 12).await;
    assert_eq!(count(&results, 201, None), 5, "{results:?}");
    assert_eq!(count(&results, 409, Some("slot_taken")), 7, "{results:?}");
    let (_, slots) = app
        .anon()
        .get(&format!(
            "/services/{service}/slots?from={}&to={}",
            rfc(day_at(0, 0)),
            rfc(day_at(23, 0))
        ))
        .await;
    assert!(
        slots["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["starts_at"] != rfc(day_at(11, 0))),
        "a full class is not offered: {slots}"
    );
}

#[tokio::test]
async fn overlapping_slots_of_two_services_of_one_provider_are_refused_even_when_raced() {
    let app = spawn_app().await;
    let cat = category(&app, "Repairs").await;
    let (provider, hour) =
        provider_with(&app, "fixer@example.com", daily(cat, "Visit", 60, 1)).await;
    let half = id_of(&offer(&app.as_user(&provider), &daily(cat, "Quick look", 30, 1)).await);
    let (status, b) = book(&app.anon().header("x-test", "1"), hour, day_at(9, 0)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a guest needs a name: {b}"
    );
    let guest = json!({"name": "Grace", "email": "grace@example.com"});
    let (status, b) = app
        .anon()
        .post_json(
            "/bookings",
            &with(slot_body(hour, day_at(9, 0)), guest.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let token = b["guest_token"].as_str().unwrap().to_owned();
    assert!(!token.is_empty());
    let (status, clash) = app
        .anon()
        .post_json(
            "/bookings",
            &with(slot_body(half, day_at(9, 30)), guest.clone()),
        )
        .await;
    assert_error(&(status, clash), 409, "slot_taken");
    assert_eq!(
        starts(&app, half, day_at(9, 0), day_at(10, 0)).await,
        Vec::<String>::new(),
        "the half-hour slots inside the hour are not offered"
    );
    // Raced: an hour at 11:00 and the half hour at 11:30 at once: exactly one wins.
    let bodies = [
        slot_body(hour, day_at(11, 0)),
        slot_body(half, day_at(11, 30)),
    ];
    let tasks = bodies.into_iter().map(|body| {
        let client = app.anon_client.clone();
        let url = app.url("/bookings");
        let body = with(body, guest.clone());
        tokio::spawn(
            async move { decode(client.post(&url).json(&body).send().await.unwrap()).await },
        )
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(count(&results, 201, None), 1, "{results:?}");
    assert_eq!(count(&results, 409, Some("slot_taken")), 1, "{results:?}");
}

#[tokio::test]
async fn bad_appointment_requests_are_refused_with_the_field() {
    let app = spawn_app().await;
    let cat = category(&app, "Coaching").await;
    let (provider, service) =
        provider_with(&app, "coach@example.com", daily(cat, "Coaching", 60, 1)).await;
    let me = app.as_admin();
    assert_invalid(&book(&me, service, day_at(9, 30)).await, "starts_at");
    assert_invalid(
        &book(&me, service, Utc::now() - Duration::days(1)).await,
        "starts_at",
    );
    assert_invalid(
        &book(&me, service, day_at(9, 0) + Duration::days(400)).await,
        "starts_at",
    );
    assert_invalid(
        &me.post_json("/bookings", &json!({"service_id": service}))
            .await,
        "starts_at",
    );
    assert_invalid(
        &me.post_json(
            "/bookings",
            &json!({"service_id": service, "show_id": 1, "starts_at": rfc(day_at(9, 0))}),
        )
        .await,
        "show_id",
    );
    assert_invalid(
        &me.post_json("/bookings", &json!({"name": "x"})).await,
        "show_id",
    );
    assert_invalid(
        &me.post_json(
            "/bookings",
            &json!({"service_id": service, "starts_at": rfc(day_at(9, 0)), "quantity": 2}),
        )
        .await,
        "service_id",
    );
    assert_invalid(
        &me.post_json(
            "/bookings",
            &with(
                slot_body(service, day_at(9, 0)),
                json!({"notes": "x".repeat(2001)}),
            ),
        )
        .await,
        "notes",
    );
    assert_error(&book(&me, 999_999, day_at(9, 0)).await, 404, "not_found");
    // An inactive service takes none and offers none.
    let (status, _) = app
        .as_user(&provider)
        .patch_json(&format!("/services/{service}"), &json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &book(&me, service, day_at(9, 0)).await,
        409,
        "service_inactive",
    );
    assert!(starts(&app, service, day_at(0, 0), day_at(23, 0))
        .await
        .is_empty());
    // A slot query's range.
    let (status, body) = app
        .anon()
        .get(&format!(
            "/services/{service}/slots?from={}&to={}",
            rfc(day_at(0, 0)),
            rfc(day_at(0, 0) + Duration::days(40))
        ))
        .await;
    assert_invalid(&(status, body), "to");
    assert_error(
        &app.anon().get("/services/999999/slots").await,
        404,
        "not_found",
    );
    // Nothing was written.
    let (_, mine) = me.get("/bookings").await;
    assert_eq!(mine["total"], 0);
}

#[tokio::test]
async fn the_provider_accepts_or_declines_and_a_decline_refunds_everything() {
    let app = spawn_app().await;
    let cat = category(&app, "Consulting").await;
    let body = with(
        daily(cat, "Advice", 60, 1),
        json!({"requires_acceptance": true}),
    );
    let (provider, service) = provider_with(&app, "advisor@example.com", body).await;
    let customer = app.signup("asker@example.com", "customer").await;
    let me = app.as_user(&customer);
    let prov = app.as_user(&provider);

    let (_, first) = book(&me, service, day_at(9, 0)).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    me.pay(&first_id).await;
    let b = me.booking(&first_id).await;
    assert_eq!(b["status"], "pending");
    // Only the provider (or an admin) answers.
    assert_error(
        &me.post_json(&format!("/bookings/{first_id}/accept"), &json!({}))
            .await,
        403,
        "forbidden",
    );
    let other = app.signup("other-provider@example.com", "provider").await;
    assert_error(
        &app.as_user(&other)
            .post_json(&format!("/bookings/{first_id}/decline"), &json!({}))
            .await,
        404,
        "not_found",
    );
    let (status, declined) = prov
        .post_json(&format!("/bookings/{first_id}/decline"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{declined}");
    assert_eq!(declined["status"], "cancelled");
    let payment = &declined["payments"][0];
    assert_eq!(payment["refunded_amount"], 4000, "{declined}");
    assert_error(
        &prov
            .post_json(&format!("/bookings/{first_id}/accept"), &json!({}))
            .await,
        409,
        "illegal_transition",
    );
    // Its time is free again.
    assert!(starts(&app, service, day_at(0, 0), day_at(23, 0))
        .await
        .contains(&rfc(day_at(9, 0))));

    let (_, second) = book(&me, service, day_at(10, 0)).await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    me.pay(&second_id).await;
    let (status, accepted) = prov
        .post_json(&format!("/bookings/{second_id}/accept"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "confirmed");
    let history = me.history(&second_id).await;
    let tos: Vec<&str> = history
        .iter()
        .filter(|h| h["entity"] == "booking")
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(tos, ["held", "pending", "confirmed"]);
    // A show's booking is not an appointment.
    let show = app.simple_seated_show().await;
    let seat = app.seat_ids(show, &["A1"]).await[0];
    let (_, sb) = app
        .as_admin()
        .post_json("/bookings", &json!({"show_id": show, "seat_ids": [seat]}))
        .await;
    assert_error(
        &app.as_admin()
            .post_json(
                &format!("/bookings/{}/accept", sb["id"].as_str().unwrap()),
                &json!({}),
            )
            .await,
        409,
        "not_an_appointment",
    );
}

#[tokio::test]
async fn an_appointment_moves_to_a_free_slot_atomically() {
    let app = spawn_app().await;
    let cat = category(&app, "Nails").await;
    let (_, service) = provider_with(&app, "nails@example.com", daily(cat, "Nails", 60, 1)).await;
    let guest = json!({"name": "Mover", "phone": "+4915112345678"});
    let (_, b) = app
        .anon()
        .post_json(
            "/bookings",
            &with(slot_body(service, day_at(9, 0)), guest.clone()),
        )
        .await;
    let id = b["id"].as_str().unwrap().to_owned();
    let token = b["guest_token"].as_str().unwrap().to_owned();
    let (_, other) = app
        .anon()
        .post_json("/bookings", &with(slot_body(service, day_at(11, 0)), guest))
        .await;
    assert!(other["id"].is_string(), "{other}");
    let owner = app.anon().header("X-Booking-Token", &token);
    let put = |at: DateTime<Utc>| {
        owner.send(
            owner
                .request(reqwest::Method::PUT, &format!("/bookings/{id}/slot"))
                .json(&json!({"starts_at": rfc(at)})),
        )
    };
    let (status, moved) = put(day_at(10, 0)).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["appointment"]["starts_at"], rfc(day_at(10, 0)));
    assert_eq!(moved["status"], "held");
    assert_error(&put(day_at(11, 0)).await, 409, "slot_taken");
    assert_invalid(&put(day_at(10, 30)).await, "starts_at");
    let left = starts(&app, service, day_at(0, 0), day_at(23, 0)).await;
    assert_eq!(
        left,
        [rfc(day_at(9, 0))],
        "09:00 is free again, 10:00 and 11:00 taken"
    );
    // Without the token: the 404 of an unknown booking.
    let (status, _) = app
        .anon()
        .send(
            app.anon()
                .request(reqwest::Method::PUT, &format!("/bookings/{id}/slot"))
                .json(&json!({"starts_at": rfc(day_at(9, 0))})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_availability_edit_keeps_appointments_and_lists_those_it_leaves_outside() {
    let app = spawn_app().await;
    let cat = category(&app, "Piano").await;
    let (provider, service) =
        provider_with(&app, "pianist@example.com", daily(cat, "Piano", 60, 1)).await;
    let (_, b) = book(&app.as_admin(), service, day_at(11, 0)).await;
    let id = b["id"].as_str().unwrap().to_owned();
    let weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [day_at(11, 0).weekday().num_days_from_monday() as usize];
    // Mornings end at 11:00 on that weekday now.
    let patch = json!({"availability": {"weekly": [{"weekday": weekday, "start": "09:00", "end": "11:00"}]}});
    let prov = app.as_user(&provider);
    let path = format!("/services/{service}");
    let (status, dry) = prov
        .patch_json(&format!("{path}?dry_run=true"), &patch)
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["saved"], false);
    assert_eq!(dry["availability_conflicts"][0]["booking_id"], id.as_str());
    assert_eq!(
        dry["service"]["availability"]["weekly"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, unchanged) = app.anon().get(&path).await;
    assert_eq!(
        unchanged["availability"]["weekly"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    let (status, saved) = prov.patch_json(&path, &patch).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["saved"], true);
    assert_eq!(saved["availability_conflicts"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.as_admin().booking(&id).await["status"],
        "held",
        "never cancelled"
    );
    // A change that leaves it inside reports nothing.
    let (_, fine) = prov
        .patch_json(&path, &json!({"title": "Piano lesson"}))
        .await;
    assert_eq!(
        fine["availability_conflicts"].as_array().unwrap().len(),
        1,
        "still outside"
    );
    let back = json!({"availability": {"weekly": [{"weekday": weekday, "start": "09:00", "end": "12:00"}]}});
    let (_, ok) = prov.patch_json(&path, &back).await;
    assert!(
        ok["availability_conflicts"].as_array().unwrap().is_empty(),
        "{ok}"
    );
}

#[tokio::test]
async fn the_database_itself_refuses_overlapping_time_and_a_full_slot() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let app = spawn_app().await;
    let cat = category(&app, "Dentist").await;
    let (_, service) =
        provider_with(&app, "dentist@example.com", daily(cat, "Check-up", 60, 1)).await;
    let (_, a) = book(&app.as_admin(), service, day_at(9, 0)).await;
    let (_, b) = book(&app.as_admin(), service, day_at(10, 0)).await;
    let (a, b) = (
        a["id"].as_str().unwrap().to_owned(),
        b["id"].as_str().unwrap().to_owned(),
    );
    let url = app.db_url().to_owned();
    let errors = tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).expect("connect");
        let overlap = diesel::sql_query(format!(
            "UPDATE appointments SET occupied = (SELECT occupied FROM appointments WHERE booking_id = '{a}') \
             WHERE booking_id = '{b}'"
        ))
        .execute(&mut c)
        .unwrap_err()
        .to_string();
        let same_slot = diesel::sql_query(format!(
            "UPDATE appointments SET (starts_at, ends_at, occupied) = \
             (SELECT starts_at, ends_at, occupied FROM appointments WHERE booking_id = '{a}') \
             WHERE booking_id = '{b}'"
        ))
        .execute(&mut c)
        .unwrap_err()
        .to_string();
        (overlap, same_slot)
    })
    .await
    .unwrap();
    assert!(errors.0.contains("no_double_booking"), "{}", errors.0);
    assert!(
        errors.1.contains("ck_class_places_capacity"),
        "{}",
        errors.1
    );
}

#[tokio::test]
async fn a_confirmed_appointment_is_reminded_once_by_email_in_the_providers_zone() {
    let mail = crate::notifications::MailDir::new();
    let dir = mail.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s| {
        s.email.transport = "file".into();
        s.email.dir = dir;
    })
    .await;
    let cat = category(&app, "Physio").await;
    let body = with(
        daily(cat, "Physio", 60, 1),
        json!({"reminder_minutes_before": 120}),
    );
    let (_, service) = provider_with(&app, "physio@example.com", body).await;
    let customer = app.signup("patient@example.com", "customer").await;
    let me = app.as_user(&customer);
    let (_, b) = book(&me, service, day_at(9, 0)).await;
    let id = b["id"].as_str().unwrap().to_owned();
    let reference = b["reference"].as_str().unwrap().to_owned();
    me.pay(&id).await;
    // Another one, never paid: no reminder.
    let (status, unpaid) = book(&me, service, day_at(11, 0)).await;
    assert_eq!(status, StatusCode::CREATED, "{unpaid}");
    app.deliver().await;
    assert_eq!(app.sweep().await.reminded, 0, "not due yet");
    // 90 minutes before the start: inside the 120-minute reminder time.
    let until = day_at(9, 0) - Duration::minutes(90) - Utc::now();
    app.clock.advance(until);
    assert_eq!(app.sweep().await.reminded, 1);
    assert_eq!(app.sweep().await.reminded, 0, "once");
    app.deliver().await;
    let subject = format!("Reminder: your appointment {reference} is soon");
    let reminders: Vec<_> = mail
        .emails()
        .into_iter()
        .filter(|(s, _)| *s == subject)
        .collect();
    assert_eq!(reminders.len(), 1, "{:?}", mail.emails());
    let text = &reminders[0].1;
    assert!(text.contains("Appointment: "), "{text}");
    assert!(text.contains("09:00 (UTC)"), "{text}");
    assert!(text.contains("Physio (until 10:00)"), "{text}");
}

#[tokio::test]
async fn the_search_finds_services_free_on_a_date_and_orders_by_the_soonest_free_slot() {
    let app = spawn_app().await;
    let cat = category(&app, "Lessons").await;
    let p = app.signup("teacher@example.com", "provider").await;
    let me = app.as_user(&p);
    let a = id_of(&offer(&me, &daily(cat, "Daily A", 60, 1)).await);
    let later = Utc::now() + Duration::days(5);
    let weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [later.weekday().num_days_from_monday() as usize];
    let b_body = with(
        daily(cat, "Weekly B", 60, 1),
        json!({"availability": {"weekly": [{"weekday": weekday, "start": "09:00", "end": "12:00"}]}}),
    );
    let b = id_of(&offer(&me, &b_body).await);
    // C is the same provider's: A's bookings take C's time too. D is another provider's.
    let c = id_of(&offer(&me, &daily(cat, "Daily C", 60, 1)).await);
    let q = app.signup("other-teacher@example.com", "provider").await;
    let d = id_of(&offer(&app.as_user(&q), &daily(cat, "Daily D", 60, 1)).await);
    for h in [9, 10, 11] {
        let (status, body) = book(&app.as_admin(), a, day_at(h, 0)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let ids =
        |v: &Value| -> Vec<i64> { v["items"].as_array().unwrap().iter().map(id_of).collect() };
    let date = day_at(0, 0).date_naive();
    let (status, free) = app
        .anon()
        .get(&format!("/services?category_id={cat}&available_on={date}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{free}");
    assert_eq!(
        ids(&free),
        [d],
        "A and C: the provider is booked out; B does not work then"
    );
    assert_eq!(free["total"], 1);
    let (_, soonest) = app
        .anon()
        .get(&format!("/services?category_id={cat}&sort=soonest"))
        .await;
    let order = ids(&soonest);
    assert_eq!(
        order.last(),
        Some(&b),
        "B's first free slot is days away: {soonest}"
    );
    assert_eq!(order.len(), 4, "{soonest}");
    assert!(order.contains(&c) && order.contains(&a), "{soonest}");
    let (_, paged) = app
        .anon()
        .get(&format!(
            "/services?category_id={cat}&sort=soonest&limit=1&offset=3"
        ))
        .await;
    assert_eq!((ids(&paged), paged["total"].as_i64()), (vec![b], Some(4)));
    assert_invalid(&app.anon().get("/services?sort=latest").await, "sort");
    let (status, _) = app.anon().get("/services?available_on=tomorrow").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
