//! Test worlds for the engine over the [`Fake`]: a seated show with classes and seats, a
//! general-admission show, requests, and short ways to arrange a state through the engine
//! itself (book, pay) or by writing rows directly.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::fake::{ClassRow, Fake, ShowRow};
use crate::booking::{
    Booking, BookingCommand, BookingStatus, Buyer, Places, PlannedItem, SeatSnapshot, ShowSnapshot,
};
use crate::catalog::ShowKind;
use crate::engine::settle::{create_payment, settle, SettleStep};
use crate::engine::{book, BookingTx, HistoryRecord, NewBooking, ShowRecord};
use crate::error::DomainError;
use crate::payment::{GatewayOutcome, PaymentMethod};
use crate::ports::NewPayment;
use crate::pricing::TierPrices;
use crate::values::{Email, Name, SeatLabel};

pub use super::super::support::{t0, usd};

/// The seated show, its event, and its classes.
pub const SHOW: i64 = 1;
pub const EVENT: i64 = 10;
/// 10 seats `A1`..`A10` (ids 1101..1110), 1000 / 2000 / 3000.
pub const STALLS: i64 = 11;
/// 5 seats `B1`..`B5` (ids 1201..1205), 500 / 800 / 1200.
pub const BALCONY: i64 = 12;
/// The general-admission show (price 2500, 10 places) and its event.
pub const GA: i64 = 2;
pub const GA_EVENT: i64 = 20;
pub const GA_PRICE: i64 = 2_500;
pub const GA_CAPACITY: u32 = 10;
/// The default hold in these tests.
pub const HOLD_MINUTES: i64 = 10;

/// When the shows start: 30 days after [`t0`].
pub fn starts() -> DateTime<Utc> {
    t0() + Duration::days(30)
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn prices(min: i64, normal: i64, max: i64) -> TierPrices {
    TierPrices {
        min_price: Some(min),
        normal_price: Some(normal),
        max_price: Some(max),
    }
}

/// The id of seat `n` (1-based) of a class made by [`Fake::class`].
pub fn seat(class_id: i64, n: i64) -> i64 {
    class_id * 100 + n
}

impl Fake {
    pub fn seated_show(&mut self, id: i64, event_id: i64, starts_at: DateTime<Utc>) {
        self.shows.insert(
            id,
            ShowRow {
                record: ShowRecord {
                    event_id,
                    snapshot: ShowSnapshot {
                        id,
                        kind: ShowKind::Seated,
                        starts_at,
                        currency: usd(),
                        price: None,
                        free_places: None,
                    },
                },
                capacity: None,
            },
        );
    }

    pub fn general_show(
        &mut self,
        id: i64,
        event_id: i64,
        price: Option<i64>,
        capacity: u32,
        starts_at: DateTime<Utc>,
    ) {
        self.shows.insert(
            id,
            ShowRow {
                record: ShowRecord {
                    event_id,
                    snapshot: ShowSnapshot {
                        id,
                        kind: ShowKind::General,
                        starts_at,
                        currency: usd(),
                        price,
                        free_places: Some(capacity),
                    },
                },
                capacity: Some(capacity),
            },
        );
    }

    /// A class of `show` with `n` seats `<row>1..<row>n`, ids [`seat`]`(class_id, 1..=n)`.
    pub fn class(
        &mut self,
        show_id: i64,
        class_id: i64,
        name: &str,
        prices: TierPrices,
        row: &str,
        n: i64,
    ) {
        self.classes.insert(
            class_id,
            ClassRow {
                show_id,
                name: name.to_owned(),
                prices,
            },
        );
        for k in 1..=n {
            let label = format!("{row}{k}");
            let parsed = SeatLabel::parse(&label).expect("label");
            let id = seat(class_id, k);
            self.seats.insert(
                id,
                SeatSnapshot {
                    id,
                    show_id,
                    class_id,
                    label,
                    row: parsed.row().to_owned(),
                    number: parsed.number(),
                    taken: false,
                },
            );
        }
    }

    /// A row written straight into the tables (no engine): a booking of `seats` (or of
    /// `quantity` places of a general-admission show) in `status`, each item at `price`.
    pub fn put_booking(
        &mut self,
        show_id: i64,
        places: &Places,
        status: BookingStatus,
        expires_at: Option<DateTime<Utc>>,
    ) -> Uuid {
        let id = self.fresh_id();
        let items: Vec<PlannedItem> = match places {
            Places::SeatIds(ids) => ids
                .iter()
                .map(|s| PlannedItem {
                    seat_id: Some(*s),
                    class_id: Some(self.seats[s].class_id),
                    label: Some(self.seats[s].label.clone()),
                    quantity: 1,
                    price: 100,
                    tier: None,
                })
                .collect(),
            Places::Quantity(q) => vec![PlannedItem {
                seat_id: None,
                class_id: None,
                label: None,
                quantity: *q,
                price: 100,
                tier: None,
            }],
            Places::SeatLabels(_) => panic!("put_booking takes seat ids"),
        };
        let quantity = items.iter().map(|i| i.quantity).sum();
        let row = NewBooking {
            id,
            reference: format!("BX-PUT{:06}", self.bookings.len()),
            show_id: Some(show_id),
            appointment: None,
            status,
            customer_name: "Someone Else".into(),
            phone: None,
            email: Some("else@example.com".into()),
            quantity,
            total_amount: 100 * i64::from(quantity),
            currency: usd(),
            created_at: t0() - Duration::days(1),
            expires_at,
            user_id: None,
            guest_token_hash: None,
            actor: "guest".into(),
            items,
            notice: crate::outbox::OutboxMessage {
                message_id: Uuid::from_u128(u128::MAX - id.as_u128()),
                topic: crate::outbox::Topic::of_booking(None, status),
                booking_id: id,
                at: t0() - Duration::days(1),
            },
        };
        self.insert_bookings(&[row]).expect("put booking");
        if let Places::Quantity(q) = places {
            assert!(self.take_places(show_id, *q).expect("take"), "places");
        }
        self.calls.clear();
        id
    }
}

/// The seated show [`SHOW`] with [`STALLS`] and [`BALCONY`].
pub fn seated() -> Fake {
    let mut f = Fake::new();
    f.seated_show(SHOW, EVENT, starts());
    f.class(SHOW, STALLS, "stalls", prices(1_000, 2_000, 3_000), "A", 10);
    f.class(SHOW, BALCONY, "balcony", prices(500, 800, 1_200), "B", 5);
    f
}

/// The general-admission show [`GA`] (and nothing else).
pub fn general() -> Fake {
    let mut f = Fake::new();
    f.general_show(GA, GA_EVENT, Some(GA_PRICE), GA_CAPACITY, starts());
    f
}

pub fn ids(v: &[i64]) -> Places {
    Places::SeatIds(v.to_vec())
}

pub fn labels(v: &[&str]) -> Places {
    Places::SeatLabels(v.iter().map(|l| SeatLabel::parse(l).unwrap()).collect())
}

/// A guest's request for `places` of `show_id`, held for [`HOLD_MINUTES`].
pub fn request(show_id: i64, places: Places) -> BookingCommand {
    BookingCommand {
        show_id,
        places,
        buyer: Buyer {
            name: Name::parse("Ada Lovelace").unwrap(),
            phone: None,
            email: Some(Email::parse("ada@example.com").unwrap()),
        },
        user_id: None,
        guest_token_hash: None,
        actor: "guest".into(),
        hold_for: minutes(HOLD_MINUTES),
    }
}

/// Books through the engine; panics when refused.
pub fn book_ok(f: &mut Fake, show_id: i64, places: Places, now: DateTime<Utc>) -> Booking {
    book::book(f, &request(show_id, places), now).expect("booking")
}

/// Starts a payment of the booking's total (`tok_success`) by `guest`; returns its id.
pub fn start_payment(f: &mut Fake, booking_id: Uuid, now: DateTime<Utc>) -> Uuid {
    let id = f.fresh_id();
    create_payment(
        f,
        &NewPayment {
            id,
            booking_id,
            method: PaymentMethod::Success,
            expected_amount: None,
            actor: "guest".into(),
        },
        now,
    )
    .expect("payment");
    id
}

pub fn succeeded(gateway_ref: &str) -> GatewayOutcome {
    GatewayOutcome::Succeeded {
        gateway_ref: gateway_ref.into(),
    }
}

/// Pays a held booking at `now` (its hold running): returns the payment id.
pub fn pay(f: &mut Fake, booking_id: Uuid, now: DateTime<Utc>) -> Uuid {
    let id = start_payment(f, booking_id, now);
    match settle(f, id, &succeeded("pay_1"), now, "gateway").expect("settle") {
        SettleStep::Done(_) => id,
        other => panic!("expected the payment to confirm, got {other:?}"),
    }
}

/// A history row as a tuple: (entity, from, to, actor, reason, at).
pub type Row = (
    &'static str,
    Option<String>,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
);

pub fn rows(f: &Fake, booking_id: Uuid) -> Vec<Row> {
    f.history_of(booking_id).into_iter().map(row).collect()
}

pub fn row(h: &HistoryRecord) -> Row {
    (
        h.entity.as_str(),
        h.from.clone(),
        h.to.clone(),
        h.actor.clone(),
        h.reason.clone(),
        h.at,
    )
}

/// The expected history row.
pub fn hist(
    entity: &'static str,
    from: Option<&str>,
    to: &str,
    actor: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Row {
    (
        entity,
        from.map(str::to_owned),
        to.to_owned(),
        actor.to_owned(),
        reason.map(str::to_owned),
        at,
    )
}

/// The code of a `Conflict`; panics on anything else.
pub fn conflict_code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
    match r {
        Err(DomainError::Conflict { code, .. }) => code.as_str(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Whether the seat is in an active item, and of which booking.
pub fn holder(f: &Fake, seat_id: i64) -> Option<Uuid> {
    f.items
        .iter()
        .find(|i| i.active && i.item.seat_id == Some(seat_id))
        .map(|i| i.booking_id)
}

/// The (label, price, tier) of the booking's items, in order.
pub fn priced(b: &Booking) -> Vec<(String, i64, Option<crate::pricing::Tier>)> {
    b.items
        .iter()
        .map(|i| (i.label.clone().unwrap_or_default(), i.price, i.tier))
        .collect()
}
