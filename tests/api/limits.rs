//! The limits on input (docs/api.md "Limits"): each input that used to answer 500 now answers
//! 4xx naming the field, and nothing is written.
//!
//! * money: amounts above the ceiling (10^12 minor units) are refused at every entry; a total
//!   that still overflows (a price stored before the ceiling) is 422 on `total`;
//! * text: NUL and other control characters are 422 naming the field, CSV cells too;
//! * timestamps: years 1 to 9998 only, answered as RFC 3339 with exactly six decimals, the same
//!   in the 201 and in a later GET;
//! * passwords: at most 72 bytes (what bcrypt reads), never silently cut.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const HUGE_PRICE: i64 = 4_611_686_018_427_387_904;
const CEILING: i64 = boxoffice_domain::limits::MAX_AMOUNT;

/// Runs one statement on the app's database (to plant data the API now refuses).
async fn execute_sql(app: &TestApp, sql: &'static str) {
    use diesel::{Connection, RunQueryDsl};
    let url = app.db_url().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut c = diesel::PgConnection::establish(&url).expect("connect");
        diesel::sql_query(sql).execute(&mut c).expect("statement")
    })
    .await
    .expect("blocking task");
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.count_sql(format!("SELECT count(*) AS n FROM {table}"))
        .await
}

/// The number of shows of an event, as the API reads it.
async fn shows_of(app: &TestApp, event: i64) -> usize {
    let (status, body) = app.get(&format!("/events/{event}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["shows"].as_array().expect("shows").len()
}

fn shows_path(event: i64) -> String {
    format!("/events/{event}/shows")
}

// ---------- money ----------

#[tokio::test]
async fn amounts_above_the_ceiling_are_refused_at_creation_and_nothing_is_written() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let r = app
        .post_json(
            &shows_path(event),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 10,
                    "price": HUGE_PRICE}),
        )
        .await;
    assert_invalid(&r, "price");
    let r = app
        .post_json(
            &shows_path(event),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8),
                    "seat_classes": [{"name": "A", "min_price": i64::MAX, "rows": ["A"],
                                      "seats_per_row": 2}]}),
        )
        .await;
    assert_invalid(&r, "seat_classes[0].min_price");
    assert_eq!(shows_of(&app, event).await, 0);
    // The ceiling itself is accepted.
    let ok = app.ga_show(event, 10, Some(CEILING)).await;
    assert_eq!(ok["price"], CEILING);

    let (_, before) = app.get("/events").await;
    let city = app.create_city().await;
    let r = app
        .post_json(
            "/events",
            &json!({"title": "Dear", "event_type": "concert", "city_id": city,
                    "total_seats": 2, "date": in_days(7), "price": CEILING + 1}),
        )
        .await;
    assert_invalid(&r, "price");
    let (_, after) = app.get("/events").await;
    assert_eq!(before["total"], after["total"], "no event written");

    // CSV: the same ceiling, with line and column.
    let show = app.simple_seated_show().await;
    let csv = "id,seat_class,min_price,normal_price,max_price\n1,A,1,2,$10000000000.01\n";
    let r = app
        .post_raw(
            &format!("/shows/{show}/pricing/import"),
            "text/csv",
            csv.to_owned(),
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    assert_eq!(r.1["error"]["details"]["line"], 2);
    assert_eq!(r.1["error"]["details"]["column"], "max_price");
    assert_eq!(app.show(show).await["seat_classes"][0]["max_price"], 300);

    // A payment amount above the ceiling is refused before anything is written.
    let admin = app.as_admin();
    let booking = admin.hold(show, &["A1"]).await;
    let r = admin
        .post_json(
            "/payments/initiate",
            &json!({"booking_id": id_of(&booking), "payment_method": "tok_success",
                    "amount": CEILING + 1}),
        )
        .await;
    assert_invalid(&r, "amount");
    assert_eq!(count(&app, "payments").await, 0);
}

#[tokio::test]
async fn a_total_that_overflows_is_422_on_total_and_books_nothing() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 10, Some(100)).await["id"]
        .as_i64()
        .expect("id");
    let seated = app.simple_seated_show().await;
    // Prices stored before the ceiling existed: only SQL can write them now.
    execute_sql(
        &app,
        "UPDATE shows SET price = 4611686018427387904 WHERE kind = 'general'",
    )
    .await;
    execute_sql(
        &app,
        "UPDATE seat_classes SET min_price = 9223372036854775807",
    )
    .await;

    let r = app.book_quantity(ga, 2).await;
    assert_invalid(&r, "total");
    let r = app.book_labels(seated, &["A1", "A2"]).await;
    assert_invalid(&r, "total");
    assert_eq!(count(&app, "bookings").await, 0);
    assert_eq!(app.show(ga).await["available_seats"], 10);
    assert!(app
        .seats(seated)
        .await
        .iter()
        .all(|s| s["status"] == "available"));
}

// ---------- text ----------

#[tokio::test]
async fn nul_and_control_characters_are_422_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let city = app.create_city().await;

    let r = app
        .post_json(
            "/cities",
            &json!({"name": "Nul\u{0}ville", "country": "X", "latitude": 0, "longitude": 0}),
        )
        .await;
    assert_invalid(&r, "name");
    let (_, venues_before) = app.get("/venues").await;
    let r = app
        .post_json(
            "/venues",
            &json!({"city_id": city, "name": "Hall", "address": "1 Main St\u{0}",
                    "latitude": 0, "longitude": 0}),
        )
        .await;
    assert_invalid(&r, "address");
    let (_, venues_after) = app.get("/venues").await;
    assert_eq!(venues_before["total"], venues_after["total"]);
    // Multi-line fields keep line breaks and tabs.
    let (status, venue) = app
        .post_json(
            "/venues",
            &json!({"city_id": city, "name": "Hall", "address": "1 Main St\n\tSpringfield",
                    "latitude": 0, "longitude": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    assert_eq!(venue["address"], "1 Main St\n\tSpringfield");

    let (_, events_before) = app.get("/events").await;
    let r = app
        .post_json(
            "/events",
            &json!({"title": "T", "description": "about\u{0}", "event_type": "concert",
                    "city_id": city}),
        )
        .await;
    assert_invalid(&r, "description");
    let r = app
        .post_json(
            "/events",
            &json!({"title": "T\u{1b}[31m", "event_type": "concert", "city_id": city}),
        )
        .await;
    assert_invalid(&r, "title");
    let (_, events_after) = app.get("/events").await;
    assert_eq!(events_before["total"], events_after["total"]);

    let event = app.create_event(city, "concert", "Texts").await;
    let r = app
        .post_json(
            &shows_path(event),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 5,
                    "screen_name": "Hall\u{0}1"}),
        )
        .await;
    assert_invalid(&r, "screen_name");
    let r = app
        .post_json(
            &shows_path(event),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8),
                    "seat_classes": [{"name": "A", "min_price": 100}],
                    "seats": [{"label": "A1", "class": "A", "external_ref": "ext\u{0}"}]}),
        )
        .await;
    assert_invalid(&r, "seats[0].external_ref");
    assert_eq!(shows_of(&app, event).await, 0);

    // Bookings: the buyer's name and contact.
    let show = app.simple_seated_show().await;
    let r = app
        .anon()
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": ["A1"], "name": "Ada\u{0}",
                    "email": "ada@example.com"}),
        )
        .await;
    assert_invalid(&r, "name");
    let r = app
        .anon()
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": ["A1"], "name": "Ada",
                    "email": "ada\u{0}@example.com"}),
        )
        .await;
    assert_invalid(&r, "email");
    assert_eq!(count(&app, "bookings").await, 0);

    // Query strings.
    assert_invalid(
        &app.get("/bookings?email=ada%00%40example.com").await,
        "email",
    );
    assert_invalid(
        &app.get("/events?event_type=concert%00").await,
        "event_type",
    );

    // Accounts: profile fields at signup and later.
    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "nul@example.com", "password": "correct horse",
                    "first_name": "Nul\u{0}"}),
        )
        .await;
    assert_invalid(&r, "first_name");
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM users WHERE email = 'nul@example.com'".into())
            .await,
        0
    );
    let ann = app.signup("ann@example.com", "customer").await;
    let r = app
        .as_user(&ann)
        .patch_json("/users/me", &json!({"address": "1 Main St\u{0}"}))
        .await;
    assert_invalid(&r, "address");
    let r = app
        .as_user(&ann)
        .patch_json("/users/me", &json!({"last_name": "Line\nbreak"}))
        .await;
    assert_invalid(&r, "last_name");

    // CSV cells, with line and column; nothing is imported.
    let csv = "id,seat_identifier,seat_class\n1,B1,A\n2,B2,A\u{0}\n";
    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            csv.to_owned(),
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    assert_eq!(r.1["error"]["details"]["line"], 3);
    assert_eq!(r.1["error"]["details"]["column"], "seat_class");
    let csv = "id,seat_identifier,seat_class\nx\u{0}y,B1,A\n";
    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            csv.to_owned(),
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    assert_eq!(r.1["error"]["details"]["column"], "id");
    assert_eq!(app.seats(show).await.len(), 10);
}

#[tokio::test]
async fn a_refund_reason_with_nul_is_422_and_refunds_nothing() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let admin = app.as_admin();
    let booking = admin.hold(show, &["A1"]).await;
    let paid = admin.pay(&id_of(&booking)).await;
    let pid = id_of(&paid);
    let r = admin.refund(&pid, None, "moved\u{0}").await;
    assert_invalid(&r, "reason");
    let r = admin.refund(&pid, Some(CEILING + 1), "moved").await;
    assert_invalid(&r, "amount");
    assert_eq!(count(&app, "refunds").await, 0);
    // A reason of several lines is fine.
    let (status, body) = admin.refund(&pid, Some(10), "moved\nto next week").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["refunds"][0]["reason"], "moved\nto next week");
}

// ---------- timestamps ----------

/// Every timestamp-valued field in `v` (keys ending in `_at`, `at`, `held_until`), recursively.
fn timestamps(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let is_time = k.ends_with("_at") || k == "at" || k == "held_until";
                match x {
                    Value::String(s) if is_time => out.push(s.clone()),
                    _ => timestamps(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| timestamps(x, out)),
        _ => {}
    }
}

#[track_caller]
fn assert_micro_rfc3339(v: &Value) {
    let mut found = Vec::new();
    timestamps(v, &mut found);
    assert!(!found.is_empty(), "no timestamps in {v}");
    for s in found {
        let b = s.as_bytes();
        let shape_ok = s.len() == 27
            && b[4] == b'-'
            && b[10] == b'T'
            && b[19] == b'.'
            && b[26] == b'Z'
            && b[20..26].iter().all(u8::is_ascii_digit);
        assert!(shape_ok, "not RFC 3339 with six decimals in UTC: {s}");
        assert!(chrono::DateTime::parse_from_rfc3339(&s).is_ok(), "{s}");
    }
}

#[tokio::test]
async fn timestamps_are_bounded_and_answered_with_microseconds_everywhere() {
    let app = spawn_app().await;
    let event = app.quick_event().await;

    // A nanosecond input is stored and answered truncated to the microsecond, the same in the
    // 201 and in later reads.
    let (status, created) = app
        .post_json(
            &shows_path(event),
            &json!({"starts_at": "2030-01-02T03:04:05.123456789Z",
                    "ends_at": "2030-01-02T05:04:05.9999999Z", "capacity": 5, "price": 100}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["starts_at"], "2030-01-02T03:04:05.123456Z");
    assert_eq!(created["ends_at"], "2030-01-02T05:04:05.999999Z");
    let id = created["id"].as_i64().expect("id");
    let read = app.show(id).await;
    assert_eq!(read["starts_at"], created["starts_at"]);
    assert_eq!(read["ends_at"], created["ends_at"]);
    let (_, detail) = app.get(&format!("/events/{event}")).await;
    assert_eq!(detail["shows"][0]["starts_at"], created["starts_at"]);
    assert_micro_rfc3339(&detail);
    assert_micro_rfc3339(&created);

    // Bookings, payments and their history: one format.
    let seated = app.simple_seated_show().await;
    let admin = app.as_admin();
    let booking = admin.hold(seated, &["A1"]).await;
    assert_micro_rfc3339(&booking);
    // The seat map (held_until of the held seat), cities and venues.
    let (_, seat_map) = app.get(&format!("/shows/{seated}/seats")).await;
    assert_micro_rfc3339(&seat_map);
    assert!(seat_map["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|s| s["held_until"].is_string()));
    let venue_city = app.create_city().await;
    app.create_venue(venue_city).await;
    assert_micro_rfc3339(&app.get("/cities").await.1);
    assert_micro_rfc3339(&app.get("/venues").await.1);
    let paid = admin.pay(&id_of(&booking)).await;
    assert_micro_rfc3339(&paid);
    let (_, history) = admin
        .get(&format!("/bookings/{}/history", id_of(&booking)))
        .await;
    assert_micro_rfc3339(&history);
    let (_, me) = admin.get("/users/me").await;
    assert_micro_rfc3339(&me);

    // Out of years 1..=9998: 422 naming the field, nothing written.
    for (starts, ends, field) in [
        ("9999-12-31T20:00:00Z", "9999-12-31T22:00:00Z", "starts_at"),
        ("2030-01-01T00:00:00Z", "9999-01-01T00:00:00Z", "ends_at"),
        ("0000-06-01T00:00:00Z", "2030-01-01T00:00:00Z", "starts_at"),
    ] {
        let r = app
            .post_json(
                &shows_path(event),
                &json!({"starts_at": starts, "ends_at": ends, "capacity": 5}),
            )
            .await;
        assert_invalid(&r, field);
    }
    assert_eq!(shows_of(&app, event).await, 1);
    let city = app.create_city().await;
    let (_, before) = app.get("/events").await;
    for (date, ends_at, field) in [
        ("9999-12-31T23:00:00Z", None, "date"),
        ("0000-01-01T00:00:00Z", None, "date"),
        (
            "2030-01-01T00:00:00Z",
            Some("9999-01-01T00:00:00Z"),
            "ends_at",
        ),
    ] {
        let r = app
            .post_json(
                "/events",
                &json!({"title": "Far", "event_type": "concert", "city_id": city,
                        "total_seats": 5, "date": date, "ends_at": ends_at}),
            )
            .await;
        assert_invalid(&r, field);
    }
    let (_, after) = app.get("/events").await;
    assert_eq!(before["total"], after["total"]);
    assert_invalid(&app.get("/events?from=0000-01-01T00:00:00Z").await, "from");
    assert_invalid(&app.get("/events?to=9999-06-01T00:00:00Z").await, "to");

    // The last permitted year, with the default end two hours later, still reads as RFC 3339.
    let (status, far) = app
        .post_json(
            "/events",
            &json!({"title": "Far", "event_type": "concert", "city_id": city,
                    "total_seats": 5, "date": "9998-12-31T23:30:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{far}");
    assert_eq!(far["shows"][0]["ends_at"], "9999-01-01T01:30:00.000000Z");
    assert_micro_rfc3339(&far);
}

// ---------- passwords ----------

#[tokio::test]
async fn passwords_over_72_bytes_are_refused_never_cut() {
    let app = spawn_app().await;
    let long = "p".repeat(73);
    for password in [long.clone(), "é".repeat(37)] {
        let r = app
            .anon()
            .post_json(
                "/auth/signup",
                &json!({"email": "long@example.com", "password": password}),
            )
            .await;
        assert_invalid(&r, "password");
        let message = r.1["error"]["details"]["fields"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains("72 bytes"), "{message}");
    }
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM users WHERE email = 'long@example.com'".into())
            .await,
        0
    );

    // 72 bytes sign up and in; the same 72 bytes plus more do not sign in.
    let exact = "q".repeat(72);
    let (status, body) = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "exact@example.com", "password": exact}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let login = |password: String| {
        let app = &app;
        async move {
            app.anon()
                .post_json(
                    "/auth/login",
                    &json!({"email": "exact@example.com", "password": password}),
                )
                .await
        }
    };
    assert_eq!(login(exact.clone()).await.0, StatusCode::OK);
    assert_error(
        &login(format!("{exact}-and-more")).await,
        401,
        "invalid_credentials",
    );

    // Password reset: the new password is checked before the token.
    let r = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": "whatever", "new_password": long}),
        )
        .await;
    assert_invalid(&r, "new_password");

    // create-admin refuses it too.
    let out = crate::auth::run_create_admin(&app, "ops@example.com", &long).await;
    assert!(!out.status.success(), "create-admin accepted 73 bytes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("72 bytes"), "{stderr}");
    assert_eq!(
        app.count_sql("SELECT count(*) AS n FROM users WHERE email = 'ops@example.com'".into())
            .await,
        0
    );
}
