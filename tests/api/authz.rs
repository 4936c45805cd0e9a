//! Authorisation: who may call which write route (a full route × caller matrix), unknown ids,
//! booking access (no IDOR, guest tokens), the scope of booking lists, and event ownership.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

// ---------- shared set-up ----------

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Customer,
    /// The provider who organises the set-up events.
    Organiser,
    /// A provider who organises nothing here.
    OtherProvider,
    Admin,
}

const CALLERS: [Who; 5] = [
    Who::Anonymous,
    Who::Customer,
    Who::Organiser,
    Who::OtherProvider,
    Who::Admin,
];

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Anonymous => "anonymous",
            Who::Customer => "customer",
            Who::Organiser => "organising provider",
            Who::OtherProvider => "other provider",
            Who::Admin => "admin",
        }
    }
}

/// Users and catalogue of the matrix: one seated event and one general-admission event, both
/// organised by `organiser`, in a city the admin made.
struct World {
    customer: TestUser,
    organiser: TestUser,
    other: TestUser,
    city: i64,
    /// Organised by `organiser`; has the seated show `show`.
    event: i64,
    /// Seated, one class `A` (A1..A60) priced 100/200/300.
    show: i64,
    /// Organised by `organiser`; exactly one general-admission show of 100 places.
    ga_event: i64,
}

impl World {
    fn caller<'a>(&self, app: &'a TestApp, who: Who) -> Caller<'a> {
        match who {
            Who::Anonymous => app.anon(),
            Who::Customer => app.as_user(&self.customer),
            Who::Organiser => app.as_user(&self.organiser),
            Who::OtherProvider => app.as_user(&self.other),
            Who::Admin => app.as_admin(),
        }
    }
}

#[track_caller]
fn expect_status(resp: &(StatusCode, Value), status: u16, what: &str) {
    assert_eq!(resp.0.as_u16(), status, "{what}: {}", resp.1);
}

fn seated_show_body(rows: &[&str], seats_per_row: i64) -> Value {
    json!({"starts_at": in_days(7), "ends_at": in_days(8),
           "seat_classes": [{"name": "A", "min_price": 100, "normal_price": 200,
                             "max_price": 300, "rows": rows, "seats_per_row": seats_per_row}]})
}

/// An event organised by `user` (a provider or admin) in `city`; checks the 201.
async fn event_as(user: &Caller<'_>, city: i64, title: &str) -> Value {
    let r = user
        .post_json(
            "/events",
            &json!({"title": title, "event_type": "concert", "city_id": city}),
        )
        .await;
    expect_status(&r, 201, "create event");
    r.1
}

/// A seated show (class A on `rows` × `seats_per_row`) of `event`, created by `user`.
async fn seated_show_as(user: &Caller<'_>, event: i64, rows: &[&str], seats_per_row: i64) -> i64 {
    let r = user
        .post_json(
            &format!("/events/{event}/shows"),
            &seated_show_body(rows, seats_per_row),
        )
        .await;
    expect_status(&r, 201, "create seated show");
    r.1["id"].as_i64().expect("show id")
}

async fn world(app: &TestApp) -> World {
    let customer = app.signup("customer@example.com", "customer").await;
    let organiser = app.signup("organiser@example.com", "provider").await;
    let other = app.signup("other@example.com", "provider").await;
    let city = app.create_city().await;
    let org = app.as_user(&organiser);
    let event = event_as(&org, city, "Seated night").await["id"]
        .as_i64()
        .expect("event id");
    let show = seated_show_as(&org, event, &["A"], 60).await;
    let ga = org
        .post_json(
            "/events",
            &json!({"title": "Open air", "event_type": "concert", "city_id": city,
                    "total_seats": 100, "date": in_days(7), "price": 500}),
        )
        .await;
    expect_status(&ga, 201, "create GA event");
    assert_eq!(
        ga.1["shows"].as_array().expect("shows").len(),
        1,
        "{}",
        ga.1
    );
    assert_eq!(ga.1["organizer_id"], organiser.id.as_str());
    World {
        customer,
        organiser,
        other,
        city,
        event,
        show,
        ga_event: ga.1["id"].as_i64().expect("GA event id"),
    }
}

/// Books seat `label` of `show` as `caller` (name and email given); returns the booking.
async fn book_seat(caller: &Caller<'_>, show: i64, label: &str) -> Value {
    let r = caller
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": [label], "name": "Ann",
                    "email": "ann@example.com"}),
        )
        .await;
    expect_status(&r, 201, &format!("book {label}"));
    r.1
}

fn booking_id(b: &Value) -> String {
    b["id"].as_str().expect("booking id").to_owned()
}

// ---------- 1. the route × caller matrix ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    CreateCity,
    CreateVenue,
    CreateEvent,
    CreateShow,
    ImportSeats,
    ImportPricing,
    CreateBooking,
    BookEvent,
    CancelBooking,
    DeleteBooking,
    PatchUser,
    PatchMe,
}

const ROUTES: [Route; 12] = [
    Route::CreateCity,
    Route::CreateVenue,
    Route::CreateEvent,
    Route::CreateShow,
    Route::ImportSeats,
    Route::ImportPricing,
    Route::CreateBooking,
    Route::BookEvent,
    Route::CancelBooking,
    Route::DeleteBooking,
    Route::PatchUser,
    Route::PatchMe,
];

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::CreateCity => "POST /cities",
            Route::CreateVenue => "POST /venues",
            Route::CreateEvent => "POST /events",
            Route::CreateShow => "POST /events/{id}/shows",
            Route::ImportSeats => "POST /shows/{id}/seats/import",
            Route::ImportPricing => "POST /shows/{id}/pricing/import",
            Route::CreateBooking => "POST /bookings",
            Route::BookEvent => "POST /events/{id}/book",
            Route::CancelBooking => "POST /bookings/{id}/cancel (customer's)",
            Route::DeleteBooking => "DELETE /bookings/{id} (customer's)",
            Route::PatchUser => "PATCH /users/{id} (customer's)",
            Route::PatchMe => "PATCH /users/me",
        }
    }

    /// The contract: status and, for refusals, the error code.
    fn expected(self, who: Who) -> (u16, Option<&'static str>) {
        const UNAUTH: (u16, Option<&str>) = (401, Some("authentication_required"));
        const FORBIDDEN: (u16, Option<&str>) = (403, Some("forbidden"));
        const NOT_FOUND: (u16, Option<&str>) = (404, Some("not_found"));
        use Who::*;
        match (self, who) {
            (_, Anonymous)
                if !matches!(
                    self,
                    Route::CreateBooking
                        | Route::BookEvent
                        | Route::CancelBooking
                        | Route::DeleteBooking
                ) =>
            {
                UNAUTH
            }
            (Route::CreateCity | Route::CreateVenue, Admin) => (201, None),
            (Route::CreateCity | Route::CreateVenue, _) => FORBIDDEN,
            (Route::CreateEvent, Customer) => FORBIDDEN,
            (Route::CreateEvent, _) => (201, None),
            (Route::CreateShow, Organiser | Admin) => (201, None),
            (Route::ImportSeats | Route::ImportPricing, Organiser | Admin) => (200, None),
            (Route::CreateShow | Route::ImportSeats | Route::ImportPricing, _) => FORBIDDEN,
            (Route::CreateBooking | Route::BookEvent, _) => (201, None),
            // A booking of the customer: its owner and admins; everyone else cannot see it.
            (Route::CancelBooking | Route::DeleteBooking, Customer | Admin) => (200, None),
            (Route::CancelBooking | Route::DeleteBooking, _) => NOT_FOUND,
            (Route::PatchUser, Admin) => (200, None),
            (Route::PatchUser, _) => FORBIDDEN,
            (Route::PatchMe, _) => (200, None),
        }
    }
}

/// One matrix case, run with fresh data: `n` makes names, labels and seats unique.
struct Case {
    route: Route,
    who: Who,
    expected: (u16, Option<&'static str>),
    got: (StatusCode, Value),
    /// For cancel/delete: the id of the customer's booking the case acted on.
    booking: Option<String>,
}

impl Case {
    fn code(&self) -> &str {
        self.got.1["error"]["code"].as_str().unwrap_or("")
    }

    fn passed(&self) -> bool {
        let (status, code) = self.expected;
        if self.got.0.as_u16() != status {
            return false;
        }
        match code {
            Some(code) => self.code() == code,
            // A success carries a real body, not an error.
            None => self.got.1.is_object() && self.got.1.get("error").is_none(),
        }
    }
}

async fn run_case(app: &TestApp, w: &World, route: Route, who: Who, n: usize) -> Case {
    let caller = w.caller(app, who);
    let mut booking = None;
    let got =
        match route {
            Route::CreateCity => caller
                .post_json(
                    "/cities",
                    &json!({"name": format!("Matrix City {n} {}", uuid::Uuid::new_v4().simple()),
                            "country": "Testland", "latitude": 48.1, "longitude": 11.6}),
                )
                .await,
            Route::CreateVenue => {
                caller
                    .post_json(
                        "/venues",
                        &json!({"city_id": w.city, "name": format!("Hall {n}"),
                            "address": format!("{n} Main St"), "latitude": 48.1,
                            "longitude": 11.6}),
                    )
                    .await
            }
            Route::CreateEvent => {
                caller
                    .post_json(
                        "/events",
                        &json!({"title": format!("Matrix event {n}"), "event_type": "concert",
                            "city_id": w.city}),
                    )
                    .await
            }
            Route::CreateShow => {
                caller
                    .post_json(
                        &format!("/events/{}/shows", w.event),
                        &json!({"starts_at": in_days(9), "ends_at": in_days(10), "capacity": 10,
                            "price": 100}),
                    )
                    .await
            }
            Route::ImportSeats => {
                caller
                    .post_raw(
                        &format!("/shows/{}/seats/import", w.show),
                        "text/csv",
                        &format!("id,seat_identifier,seat_class\r\n{},Z{n},A\r\n", 1000 + n),
                    )
                    .await
            }
            Route::ImportPricing => {
                caller
                    .post_raw(
                        &format!("/shows/{}/pricing/import", w.show),
                        "text/csv",
                        "id,seat_class,min_price,normal_price,max_price\r\n1,A,100,200,300\r\n",
                    )
                    .await
            }
            Route::CreateBooking => {
                caller
                    .post_json(
                        "/bookings",
                        &json!({"show_id": w.show, "seat_labels": [format!("A{n}")],
                            "name": "Matrix", "email": "matrix@example.com"}),
                    )
                    .await
            }
            Route::BookEvent => {
                caller
                    .post_json(
                        &format!("/events/{}/book", w.ga_event),
                        &json!({"name": "Matrix", "email": "matrix@example.com"}),
                    )
                    .await
            }
            Route::CancelBooking | Route::DeleteBooking => {
                // A fresh booking of the customer's for every case.
                let b = book_seat(&app.as_user(&w.customer), w.show, &format!("A{n}")).await;
                let id = booking_id(&b);
                booking = Some(id.clone());
                if route == Route::CancelBooking {
                    caller
                        .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
                        .await
                } else {
                    caller.delete(&format!("/bookings/{id}")).await
                }
            }
            Route::PatchUser => {
                caller
                    .patch_json(
                        &format!("/users/{}", w.customer.id),
                        &json!({"first_name": format!("Patched{n}")}),
                    )
                    .await
            }
            Route::PatchMe => {
                caller
                    .patch_json("/users/me", &json!({"first_name": format!("Me{n}")}))
                    .await
            }
        };
    Case {
        route,
        who,
        expected: route.expected(who),
        got,
        booking,
    }
}

fn table(cases: &[&Case]) -> String {
    let mut out = format!(
        "{:<42} {:<20} {:<34} {:<34} body\n",
        "route", "caller", "expected", "got"
    );
    for c in cases {
        let expected = match c.expected {
            (s, Some(code)) => format!("{s} {code}"),
            (s, None) => s.to_string(),
        };
        let got = format!("{} {}", c.got.0.as_u16(), c.code());
        let mut body = c.got.1.to_string();
        if body.len() > 300 {
            body.truncate(300);
            body.push('…');
        }
        let _ = writeln!(
            out,
            "{:<42} {:<20} {:<34} {:<34} {body}",
            c.route.name(),
            c.who.name(),
            expected,
            got
        );
    }
    out
}

/// Total of a list endpoint (admin view).
async fn total(app: &TestApp, path: &str) -> i64 {
    let (status, body) = app.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("{path}: {body}"))
}

#[tokio::test]
async fn every_write_route_answers_each_caller_as_the_contract_says() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, admin) = app.as_admin().get("/users/me").await;
    let admin_id = admin["id"].as_str().expect("admin id").to_owned();
    let cities_before = total(&app, "/cities").await;
    let venues_before = total(&app, "/venues").await;
    let events_before = total(&app, "/events").await;

    let mut cases = Vec::new();
    let mut n = 0;
    for route in ROUTES {
        for who in CALLERS {
            n += 1;
            cases.push(run_case(&app, &w, route, who, n).await);
        }
    }
    assert_eq!(cases.len(), ROUTES.len() * CALLERS.len());
    let failed: Vec<&Case> = cases.iter().filter(|c| !c.passed()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} (route, caller) cases differ from the contract:\n{}",
        failed.len(),
        cases.len(),
        table(&failed)
    );

    // Successes did what they say; refusals changed nothing.
    for (i, c) in cases.iter().enumerate() {
        let n = i + 1;
        let body = &c.got.1;
        match (c.route, c.expected.0) {
            (Route::CreateEvent, 201) => {
                let organiser = match c.who {
                    Who::Organiser => &w.organiser.id,
                    Who::OtherProvider => &w.other.id,
                    _ => &admin_id,
                };
                assert_eq!(body["organizer_id"], organiser.as_str(), "{}", table(&[c]));
            }
            (Route::CreateBooking | Route::BookEvent, 201) => {
                let expected_user = match c.who {
                    Who::Anonymous => Value::Null,
                    Who::Customer => json!(w.customer.id),
                    Who::Organiser => json!(w.organiser.id),
                    Who::OtherProvider => json!(w.other.id),
                    Who::Admin => json!(admin_id),
                };
                assert_eq!(body["user_id"], expected_user, "{}", table(&[c]));
                assert_eq!(
                    body.get("guest_token").is_some(),
                    c.who == Who::Anonymous,
                    "{}",
                    table(&[c])
                );
            }
            (Route::PatchUser, 200) => {
                assert_eq!(body["id"], w.customer.id.as_str(), "{}", table(&[c]));
                assert_eq!(body["first_name"], format!("Patched{n}"), "{}", table(&[c]));
            }
            (Route::PatchMe, 200) => {
                let email = match c.who {
                    Who::Customer => w.customer.email.as_str(),
                    Who::Organiser => w.organiser.email.as_str(),
                    Who::OtherProvider => w.other.email.as_str(),
                    _ => ADMIN_EMAIL,
                };
                assert_eq!(body["email"], email, "{}", table(&[c]));
                assert_eq!(body["first_name"], format!("Me{n}"), "{}", table(&[c]));
            }
            (Route::CancelBooking | Route::DeleteBooking, 200) => {
                assert_eq!(body["status"], "cancelled", "{}", table(&[c]));
            }
            (Route::CancelBooking | Route::DeleteBooking, _) => {
                let id = c.booking.as_ref().expect("booking id");
                let (status, b) = app.get(&format!("/bookings/{id}")).await;
                assert_eq!(status, StatusCode::OK, "{b}");
                // Unpaid, so still held (not cancelled).
                assert_eq!(
                    b["status"],
                    "held",
                    "a refused cancel must leave the booking active: {}",
                    table(&[c])
                );
            }
            _ => {}
        }
    }
    // One admin city, one admin venue; three events (organiser, other provider, admin).
    assert_eq!(total(&app, "/cities").await, cities_before + 1);
    assert_eq!(total(&app, "/venues").await, venues_before + 1);
    assert_eq!(total(&app, "/events").await, events_before + 3);
    // The seated event gained the organiser's and the admin's shows only.
    let (_, event) = app.get(&format!("/events/{}", w.event)).await;
    assert_eq!(
        event["shows"].as_array().expect("shows").len(),
        3,
        "{event}"
    );
    // Seats imported by the organiser and the admin only.
    let labels: BTreeSet<String> = app
        .seats(w.show)
        .await
        .iter()
        .filter_map(|s| s["label"].as_str().map(str::to_owned))
        .filter(|l| l.starts_with('Z'))
        .collect();
    let allowed: BTreeSet<String> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.route == Route::ImportSeats && c.expected.0 == 200)
        .map(|(i, _)| format!("Z{}", i + 1))
        .collect();
    assert_eq!(labels, allowed);
    // Refused PATCHes changed nothing: the customer's profile has their own last PATCH /users/me.
    let (_, me) = app.as_user(&w.customer).get("/users/me").await;
    let me_case = cases
        .iter()
        .position(|c| c.route == Route::PatchMe && c.who == Who::Customer)
        .expect("case");
    assert_eq!(me["first_name"], format!("Me{}", me_case + 1), "{me}");
}

// ---------- 2. unknown ids ----------

#[tokio::test]
async fn unknown_events_and_shows_are_404_but_only_after_authentication() {
    let app = spawn_app().await;
    let provider = app.signup("prov@example.com", "provider").await;
    let customer = app.signup("cust@example.com", "customer").await;
    let show_body = json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 5});
    let seats_csv = "id,seat_identifier,seat_class\r\n1,A1,A\r\n";
    let pricing_csv = "id,seat_class,min_price,normal_price,max_price\r\n1,A,100,200,300\r\n";

    let anon = app.anon();
    assert_error(
        &anon.post_json("/events/999999/shows", &show_body).await,
        401,
        "authentication_required",
    );
    assert_error(
        &anon
            .post_raw("/shows/999999/seats/import", "text/csv", seats_csv)
            .await,
        401,
        "authentication_required",
    );
    assert_error(
        &anon
            .post_raw("/shows/999999/pricing/import", "text/csv", pricing_csv)
            .await,
        401,
        "authentication_required",
    );

    // Existence is checked before the role: the same 404 for everyone signed in.
    for (who, caller) in [
        ("provider", app.as_user(&provider)),
        ("customer", app.as_user(&customer)),
        ("admin", app.as_admin()),
    ] {
        let r = caller.post_json("/events/999999/shows", &show_body).await;
        assert_eq!(r.0.as_u16(), 404, "{who} create show: {}", r.1);
        assert_eq!(r.1["error"]["code"], "not_found", "{who}: {}", r.1);
        let r = caller
            .post_raw("/shows/999999/seats/import", "text/csv", seats_csv)
            .await;
        assert_eq!(r.0.as_u16(), 404, "{who} seats import: {}", r.1);
        assert_eq!(r.1["error"]["code"], "not_found", "{who}: {}", r.1);
        let r = caller
            .post_raw("/shows/999999/pricing/import", "text/csv", pricing_csv)
            .await;
        assert_eq!(r.0.as_u16(), 404, "{who} pricing import: {}", r.1);
        assert_eq!(r.1["error"]["code"], "not_found", "{who}: {}", r.1);
    }
    // Booking an unknown event is public: 404 for a guest too.
    assert_error(
        &anon
            .post_json(
                "/events/999999/book",
                &json!({"name": "G", "email": "g@example.com"}),
            )
            .await,
        404,
        "not_found",
    );
}

// ---------- 3. no IDOR on bookings ----------

/// An error body with `id` replaced, to compare the shape of two 404s.
fn without_id(body: &Value, id: &str) -> String {
    body.to_string().replace(id, "<id>")
}

/// GET, cancel, DELETE or start paying of one booking.
async fn booking_op(caller: &Caller<'_>, op: &str, id: &str) -> (StatusCode, Value) {
    match op {
        "GET" => caller.get(&format!("/bookings/{id}")).await,
        "cancel" => {
            caller
                .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
                .await
        }
        "DELETE" => caller.delete(&format!("/bookings/{id}")).await,
        "pay" => {
            caller
                .post_json(
                    "/payments/initiate",
                    &json!({"booking_id": id, "payment_method": "tok_success"}),
                )
                .await
        }
        _ => unreachable!("{op}"),
    }
}

#[tokio::test]
async fn other_people_cannot_see_or_cancel_a_booking_by_id() {
    let app = spawn_app().await;
    let a = app.signup("alice@example.com", "customer").await;
    let b = app.signup("bob@example.com", "customer").await;
    let provider = app.signup("prov@example.com", "provider").await;
    let show = app.simple_seated_show().await;
    let booking = book_seat(&app.as_user(&a), show, "A1").await;
    let id = booking_id(&booking);
    assert_eq!(booking["user_id"], a.id.as_str());
    let random = uuid::Uuid::new_v4().to_string();

    for (who, caller) in [
        ("customer B", app.as_user(&b)),
        ("anonymous", app.anon()),
        ("provider", app.as_user(&provider)),
        (
            "customer B with a made-up booking token",
            app.as_user(&b).header("X-Booking-Token", "not-the-token"),
        ),
    ] {
        for op in ["GET", "cancel", "DELETE", "pay"] {
            let theirs = booking_op(&caller, op, &id).await;
            let unknown = booking_op(&caller, op, &random).await;
            assert_eq!(theirs.0.as_u16(), 404, "{who} {op}: {}", theirs.1);
            assert_eq!(theirs.1["error"]["code"], "not_found", "{who} {op}");
            assert_eq!(unknown.0.as_u16(), 404, "{who} {op} unknown: {}", unknown.1);
            assert_eq!(
                without_id(&theirs.1, &id),
                without_id(&unknown.1, &random),
                "{who} {op}: someone else's booking must look exactly like an unknown id"
            );
        }
    }

    // The owner and an admin see it; it is still active (held: unpaid) and its seat still taken.
    let owner = app.as_user(&a).get(&format!("/bookings/{id}")).await;
    expect_status(&owner, 200, "owner GET");
    let (status, seen) = app.as_admin().get(&format!("/bookings/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["status"], "held", "{seen}");
    assert_eq!(seen["cancelled_at"], Value::Null);
    assert_eq!(
        seen["payments"],
        json!([]),
        "no one else started paying it: {seen}"
    );
    assert_eq!(seen["user_id"], a.id.as_str());
    assert_eq!(seen["reference"], booking["reference"]);
    let a1 = app
        .seats(show)
        .await
        .into_iter()
        .find(|s| s["label"] == "A1")
        .expect("A1");
    assert_eq!(a1["is_booked"], true);
    assert_eq!(a1["status"], "held");
}

// ---------- 4. guest bookings ----------

#[tokio::test]
async fn guest_bookings_are_reached_with_their_own_token_only() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let anon = app.anon();

    let first = book_seat(&anon, show, "A1").await;
    let second = book_seat(&anon, show, "A2").await;
    let token = first["guest_token"]
        .as_str()
        .expect("guest_token")
        .to_owned();
    let other_token = second["guest_token"]
        .as_str()
        .expect("guest_token")
        .to_owned();
    assert!(!token.is_empty());
    assert_ne!(token, other_token);
    assert_eq!(first["user_id"], Value::Null);
    assert!(first.as_object().unwrap().contains_key("user_id"));
    let id = booking_id(&first);
    let path = format!("/bookings/{id}");

    // With its token: readable, and the token is never shown again.
    let (status, got) = app
        .anon()
        .header("X-Booking-Token", &token)
        .get(&path)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["user_id"], Value::Null);
    assert!(
        !got.as_object().unwrap().contains_key("guest_token"),
        "GET must not show the guest token: {got}"
    );

    // Without, with a wrong one, or with another booking's token: as if it did not exist.
    assert_error(&app.anon().get(&path).await, 404, "not_found");
    assert_error(
        &app.anon()
            .header("X-Booking-Token", "wrong-token")
            .get(&path)
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", &other_token)
            .get(&path)
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", &other_token)
            .post_json(&format!("{path}/cancel"), &json!({}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", "wrong-token")
            .delete(&path)
            .await,
        404,
        "not_found",
    );

    // A signed-in customer holding the token may read it too.
    let customer = app.signup("carol@example.com", "customer").await;
    assert_error(&app.as_user(&customer).get(&path).await, 404, "not_found");
    let (status, got) = app
        .as_user(&customer)
        .header("X-Booking-Token", &token)
        .get(&path)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert!(!got.as_object().unwrap().contains_key("guest_token"));

    // Still held (unpaid) after all the refused attempts; then cancelled with the token.
    let (_, before) = app.as_admin().get(&path).await;
    assert_eq!(before["status"], "held", "{before}");
    assert_eq!(before["cancelled_at"], Value::Null);
    let (status, cancelled) = app
        .anon()
        .header("X-Booking-Token", &token)
        .post_json(&format!("{path}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(!cancelled.as_object().unwrap().contains_key("guest_token"));
    let a1 = app
        .seats(show)
        .await
        .into_iter()
        .find(|s| s["label"] == "A1")
        .expect("A1");
    assert_eq!(a1["is_booked"], false);
    // The other guest booking is untouched; its own token deletes it.
    let second_id = booking_id(&second);
    let (status, deleted) = app
        .anon()
        .header("X-Booking-Token", &other_token)
        .delete(&format!("/bookings/{second_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["status"], "cancelled");

    // A guest must say who they are.
    let r = app
        .anon()
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": ["A5"]}),
        )
        .await;
    assert_error(&r, 422, "validation_failed");

    // Signed in: the booking is the user's, without a guest token, with the profile's contact.
    let (status, me) = app
        .as_user(&customer)
        .patch_json(
            "/users/me",
            &json!({"first_name": "Carol", "last_name": "Danvers"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, mine) = app
        .as_user(&customer)
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": ["A3"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["user_id"], customer.id.as_str());
    assert!(
        !mine.as_object().unwrap().contains_key("guest_token"),
        "{mine}"
    );
    assert_eq!(mine["email"], customer.email.as_str());
    assert_eq!(mine["name"], "Carol Danvers");
    let (status, got) = app
        .as_user(&customer)
        .get(&format!("/bookings/{}", booking_id(&mine)))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["user_id"], customer.id.as_str());

    // The same through POST /events/{id}/book.
    let city = app.create_city().await;
    let ga = app.create_ga_event(city, 10, 700).await["id"]
        .as_i64()
        .unwrap();
    let (status, guest) = app
        .anon()
        .post_json(
            &format!("/events/{ga}/book"),
            &json!({"name": "Gus", "phone": "+1 555 000 1111"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{guest}");
    assert_eq!(guest["user_id"], Value::Null);
    let guest_token = guest["guest_token"].as_str().expect("guest_token");
    let (status, _) = app
        .anon()
        .header("X-Booking-Token", guest_token)
        .get(&format!("/bookings/{}", booking_id(&guest)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, signed) = app
        .as_user(&customer)
        .post_json(&format!("/events/{ga}/book"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    assert_eq!(signed["user_id"], customer.id.as_str());
    assert_eq!(signed["email"], customer.email.as_str());
    assert!(!signed.as_object().unwrap().contains_key("guest_token"));
}

// ---------- 5. listing ----------

fn ids(list: &Value) -> BTreeSet<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {list}"))
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn booking_lists_show_only_what_the_caller_may_see() {
    let app = spawn_app().await;
    let a = app.signup("alice@example.com", "customer").await;
    let b = app.signup("bob@example.com", "customer").await;
    let city = app.create_city().await;
    let ga = app.create_ga_event(city, 100, 300).await["shows"][0]["id"]
        .as_i64()
        .expect("show id");
    let mut a_ids = BTreeSet::new();
    for _ in 0..2 {
        let r = app
            .as_user(&a)
            .post_json("/bookings", &json!({"show_id": ga, "quantity": 1}))
            .await;
        expect_status(&r, 201, "A books");
        assert_eq!(r.1["email"], "alice@example.com");
        a_ids.insert(booking_id(&r.1));
    }
    let r = app
        .as_user(&b)
        .post_json("/bookings", &json!({"show_id": ga, "quantity": 2}))
        .await;
    expect_status(&r, 201, "B books");
    let b_id = booking_id(&r.1);
    // A guest using A's email address: not A's booking.
    let r = app
        .anon()
        .post_json(
            "/bookings",
            &json!({"show_id": ga, "quantity": 1, "name": "Guest",
                    "email": "Alice@Example.com"}),
        )
        .await;
    expect_status(&r, 201, "guest books");
    let guest_id = booking_id(&r.1);

    // Anonymous: no list without a contact, none with one either.
    assert_error(
        &app.anon().get("/bookings").await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.anon().get("/bookings?email=alice@example.com").await,
        401,
        "authentication_required",
    );

    // Signed in: own bookings only (not the guest one with the same email).
    let (status, mine) = app.as_user(&a).get("/bookings").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(ids(&mine), a_ids, "{mine}");
    assert_eq!(mine["total"], 2);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["user_id"] == a.id.as_str()));
    let (_, bobs) = app.as_user(&b).get("/bookings").await;
    assert_eq!(ids(&bobs), BTreeSet::from([b_id.clone()]));
    assert_eq!(bobs["total"], 1);

    // Pagination over A's own bookings.
    let (_, p1) = app.as_user(&a).get("/bookings?limit=1").await;
    let (_, p2) = app.as_user(&a).get("/bookings?limit=1&offset=1").await;
    assert_eq!(p1["total"], 2, "{p1}");
    assert_eq!(p2["total"], 2, "{p2}");
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    let both: BTreeSet<String> = ids(&p1).union(&ids(&p2)).cloned().collect();
    assert_eq!(both, a_ids);

    // By contact: someone else's → 403; one's own → one's own bookings with it.
    assert_error(
        &app.as_user(&a).get("/bookings?email=bob@example.com").await,
        403,
        "forbidden",
    );
    let (status, own) = app
        .as_user(&a)
        .get("/bookings?email=ALICE@example.com")
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(ids(&own), a_ids, "{own}");
    assert_eq!(own["total"], 2);

    // Admins: anyone's bookings by contact, guests included; their own (none) otherwise.
    let (status, all) = app
        .as_admin()
        .get("/bookings?email=alice@example.com")
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let mut expected = a_ids.clone();
    expected.insert(guest_id.clone());
    assert_eq!(ids(&all), expected, "{all}");
    assert_eq!(all["total"], 3);
    let (_, paged) = app
        .as_admin()
        .get("/bookings?email=alice@example.com&limit=2")
        .await;
    assert_eq!(paged["total"], 3);
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    let (status, admins_own) = app.as_admin().get("/bookings").await;
    assert_eq!(status, StatusCode::OK, "{admins_own}");
    assert_eq!(admins_own["total"], 0, "{admins_own}");

    // GET /users/{id}/bookings: that user or an admin.
    let path = format!("/users/{}/bookings", a.id);
    let (status, by_a) = app.as_user(&a).get(&path).await;
    assert_eq!(status, StatusCode::OK, "{by_a}");
    assert_eq!(ids(&by_a), a_ids);
    assert_eq!(by_a["total"], 2);
    assert_error(&app.as_user(&b).get(&path).await, 403, "forbidden");
    assert_error(&app.anon().get(&path).await, 401, "authentication_required");
    let (status, by_admin) = app.as_admin().get(&path).await;
    assert_eq!(status, StatusCode::OK, "{by_admin}");
    assert_eq!(ids(&by_admin), a_ids);
    assert_eq!(by_admin["total"], 2);
    let (_, page) = app
        .as_admin()
        .get(&format!("{path}?limit=1&offset=1"))
        .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(!ids(&page).contains(&guest_id));
}

// ---------- 6. event ownership ----------

fn class_a(show: &Value) -> Value {
    show["seat_classes"]
        .as_array()
        .expect("seat_classes")
        .iter()
        .find(|c| c["name"] == "A")
        .unwrap_or_else(|| panic!("no class A: {show}"))
        .clone()
}

#[tokio::test]
async fn providers_manage_only_their_own_events() {
    let app = spawn_app().await;
    let p1 = app.signup("p1@example.com", "provider").await;
    let p2 = app.signup("p2@example.com", "provider").await;
    let city = app.create_city().await;
    let p1c = app.as_user(&p1);
    let p2c = app.as_user(&p2);

    let created = event_as(&p1c, city, "P1's gig").await;
    let event = created["id"].as_i64().unwrap();
    assert_eq!(created["organizer_id"], p1.id.as_str());
    let (status, got) = app.anon().get(&format!("/events/{event}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["organizer_id"], p1.id.as_str(), "{got}");
    let (_, list) = app.anon().get("/events").await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event)
        .unwrap_or_else(|| panic!("event not listed: {list}"))
        .clone();
    assert_eq!(listed["organizer_id"], p1.id.as_str());
    let show = seated_show_as(&p1c, event, &["A"], 2).await;

    // P2 can touch none of it: shows, seat imports (raw and multipart), pricing imports.
    assert_error(
        &p2c.post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "capacity": 5}),
        )
        .await,
        403,
        "forbidden",
    );
    let seats_csv = "id,seat_identifier,seat_class\r\n1,A1,B\r\n2,Q1,A\r\n";
    // Whole currency units: 5.00, 6.00, 7.00 → 500, 600, 700 minor units.
    let pricing_csv = "id,seat_class,min_price,normal_price,max_price\r\n1,A,5,6,7\r\n";
    assert_error(
        &p2c.post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            seats_csv,
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &p2c.post_raw(
            &format!("/shows/{show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await,
        403,
        "forbidden",
    );
    let part = reqwest::multipart::Part::bytes(pricing_csv.as_bytes().to_vec())
        .file_name("pricing.csv")
        .mime_str("text/csv")
        .unwrap();
    let multipart = p2c
        .send(
            p2c.request(
                reqwest::Method::POST,
                &format!("/shows/{show}/pricing/import"),
            )
            .multipart(reqwest::multipart::Form::new().part("file", part)),
        )
        .await;
    assert_error(&multipart, 403, "forbidden");
    // Nothing changed.
    let (_, detail) = app.get(&format!("/events/{event}")).await;
    assert_eq!(detail["shows"].as_array().unwrap().len(), 1, "{detail}");
    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 2);
    assert!(seats.iter().all(|s| s["class"] == "A"));
    let a = class_a(&app.show(show).await);
    assert_eq!(
        (&a["min_price"], &a["normal_price"], &a["max_price"]),
        (&json!(100), &json!(200), &json!(300))
    );

    // P2's own event is P2's; P1 cannot touch it either.
    let theirs = event_as(&p2c, city, "P2's gig").await;
    assert_eq!(theirs["organizer_id"], p2.id.as_str());
    let their_event = theirs["id"].as_i64().unwrap();
    let their_show = seated_show_as(&p2c, their_event, &["B"], 1).await;
    assert_error(
        &p1c.post_raw(
            &format!("/shows/{their_show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await,
        403,
        "forbidden",
    );

    // The organiser may import into their own show, and it takes effect.
    let (status, r) = p1c
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            seats_csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, r) = p1c
        .post_raw(
            &format!("/shows/{show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let a = class_a(&app.show(show).await);
    assert_eq!(
        (&a["min_price"], &a["normal_price"], &a["max_price"]),
        (&json!(500), &json!(600), &json!(700)),
        "{a}"
    );
    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 3);
    assert_eq!(
        seats.iter().find(|s| s["label"] == "A1").unwrap()["class"],
        "B"
    );

    // An admin-created event is organised by the admin, and admins manage any event.
    let (_, admin) = app.as_admin().get("/users/me").await;
    let admins = event_as(&app.as_admin(), city, "Admin's gig").await;
    assert_eq!(admins["organizer_id"], admin["id"], "{admins}");
    let (status, r) = app
        .as_admin()
        .post_raw(
            &format!("/shows/{their_show}/pricing/import"),
            "text/csv",
            pricing_csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
}
