//! Authorisation: who may call which write route (a full route × caller matrix), unknown ids,
//! booking access (no IDOR, guest tokens), the scope of booking lists, and event ownership.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

mod bookings;
mod events;
mod matrix;

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
