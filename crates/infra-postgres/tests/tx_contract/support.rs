//! The world of the contract tests: a fresh database with two shows (seated: classes `stalls`
//! with A1..A10 and `balcony` with B1..B5; general admission: 10 places at 2500), a second
//! seated show with one seat, and builders of rows for the port.

use boxoffice_domain::booking::{BookingStatus, PlannedItem};
use boxoffice_domain::engine::NewBooking;
use boxoffice_domain::outbox::{OutboxMessage, Topic};
use boxoffice_domain::pricing::Tier;
use boxoffice_domain::values::Currency;
use boxoffice_testdb::TestDb;
use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use uuid::Uuid;

pub const SHOW: i64 = 1;
pub const GA: i64 = 2;
pub const OTHER_SHOW: i64 = 3;
pub const EVENT: i64 = 10;
pub const STALLS: i64 = 11;
pub const BALCONY: i64 = 12;
/// The one seat of [`OTHER_SHOW`].
pub const OTHER_SEAT: i64 = 3_001;

/// Seat `n` of a class: 1101..1110 for the stalls, 1201..1205 for the balcony.
pub fn seat(class_id: i64, n: i64) -> i64 {
    class_id * 100 + n
}

/// 2030-06-01 20:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 20, 0, 0).unwrap()
}

pub fn starts() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 7, 1, 20, 0, 0).unwrap()
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh migrated database with the world in it, and a connection to it.
pub fn world() -> (TestDb, PgConnection) {
    let db = TestDb::create(&database_url())
        .expect("test database (is PostgreSQL running? set DATABASE_URL)");
    let mut conn = PgConnection::establish(db.url()).expect("connect");
    conn.batch_execute(
        "INSERT INTO cities (id, name, country, latitude, longitude) VALUES (1, 'Town', 'XX', 0, 0);
         INSERT INTO events (id, title, event_type, city_id) VALUES (10, 'Play', 'theatre', 1);
         INSERT INTO shows (id, event_id, starts_at, ends_at, kind, currency) VALUES
           (1, 10, '2030-07-01T20:00:00Z', '2030-07-01T22:00:00Z', 'seated', 'USD'),
           (3, 10, '2030-07-02T20:00:00Z', '2030-07-02T22:00:00Z', 'seated', 'USD');
         INSERT INTO shows (id, event_id, starts_at, ends_at, kind, currency, capacity,
                            free_places, price) VALUES
           (2, 10, '2030-07-01T20:00:00Z', '2030-07-01T22:00:00Z', 'general', 'USD', 10, 10, 2500);
         INSERT INTO seat_classes (id, show_id, name, min_price, normal_price, max_price,
                                   seat_count) VALUES
           (11, 1, 'stalls', 1000, 2000, 3000, 10),
           (12, 1, 'balcony', 500, NULL, 1200, 5),
           (31, 3, 'other', 1, 2, 3, 1);
         INSERT INTO seats (id, show_id, seat_class_id, label, row_label, seat_number)
           SELECT 1100 + n, 1, 11, 'A' || n, 'A', n FROM generate_series(1, 10) n;
         INSERT INTO seats (id, show_id, seat_class_id, label, row_label, seat_number)
           SELECT 1200 + n, 1, 12, 'B' || n, 'B', n FROM generate_series(1, 5) n;
         INSERT INTO seats (id, show_id, seat_class_id, label, row_label, seat_number)
           VALUES (3001, 3, 31, 'A1', 'A', 1);",
    )
    .expect("seed");
    (db, conn)
}

/// An item of seat `n` of a class, at `price`.
pub fn seat_item(class_id: i64, n: i64, price: i64) -> PlannedItem {
    let row = if class_id == STALLS { "A" } else { "B" };
    PlannedItem {
        seat_id: Some(seat(class_id, n)),
        class_id: Some(class_id),
        label: Some(format!("{row}{n}")),
        quantity: 1,
        price,
        tier: Some(Tier::Min),
    }
}

/// The one item of `quantity` general-admission places at 2500.
pub fn places(quantity: u32) -> PlannedItem {
    PlannedItem {
        seat_id: None,
        class_id: None,
        label: None,
        quantity,
        price: 2_500,
        tier: None,
    }
}

/// A new booking `n` (id and reference derived from it) of `show` with `items`, created at
/// [`now`] by `guest`.
pub fn booking(
    n: u128,
    show_id: i64,
    status: BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    items: Vec<PlannedItem>,
) -> NewBooking {
    NewBooking {
        id: Uuid::from_u128(n),
        reference: format!("BX-TEST{n:05}"),
        show_id: Some(show_id),
        appointment: None,
        status,
        customer_name: "Ada Lovelace".into(),
        phone: None,
        email: Some("ada@example.com".into()),
        quantity: items.iter().map(|i| i.quantity).sum(),
        total_amount: items.iter().map(|i| i.price * i64::from(i.quantity)).sum(),
        currency: usd(),
        created_at: now(),
        expires_at,
        user_id: None,
        guest_token_hash: None,
        actor: "guest".into(),
        items,
        notice: OutboxMessage {
            message_id: Uuid::from_u128(n + (1 << 64)),
            topic: Topic::of_booking(None, status),
            booking_id: Uuid::from_u128(n),
            at: now(),
        },
    }
}

/// A held booking `n` of one stalls seat with its deadline.
pub fn hold(n: u128, seat_n: i64, expires_at: DateTime<Utc>) -> NewBooking {
    booking(
        n,
        SHOW,
        BookingStatus::Held,
        Some(expires_at),
        vec![seat_item(STALLS, seat_n, 1_000)],
    )
}

/// A guest's request for seat `seat` of [`SHOW`], held 10 minutes (for the repository-level
/// tests, `batch.rs` and `outbox.rs`; the port's contract tests do not book through it).
#[allow(dead_code)]
pub fn request(seat: &str) -> boxoffice_domain::booking::BookingCommand {
    let mut c = boxoffice_domain::booking::BookingRequest {
        show_id: SHOW,
        seat_labels: Some(vec![seat.to_owned()]),
        name: "Ada".into(),
        email: Some("ada@example.com".into()),
        ..Default::default()
    }
    .parse(10)
    .expect("a valid request");
    c.hold_for = minutes(10);
    c
}
