//! The route × caller matrix: every write route answers each caller as the contract says.

use super::*;

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
