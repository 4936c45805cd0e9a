//! `plan_seat_change`: own seats count as free, repricing across tiers, the rules of
//! `plan_seated`.

use super::*;

const MIN: i64 = 1_000;
const NORMAL: i64 = 2_000;
const MAX: i64 = 3_000;

fn all_prices() -> TierPrices {
    TierPrices {
        min_price: Some(MIN),
        normal_price: Some(NORMAL),
        max_price: Some(MAX),
    }
}

fn seated_show() -> ShowSnapshot {
    ShowSnapshot {
        id: SHOW_ID,
        kind: ShowKind::Seated,
        starts_at: t0() + Duration::days(2),
        currency: usd(),
        price: None,
        free_places: None,
    }
}

fn seat(id: i64, label: &str, class_id: i64, taken: bool) -> SeatSnapshot {
    let l = SeatLabel::parse(label).unwrap();
    SeatSnapshot {
        id,
        show_id: SHOW_ID,
        class_id,
        label: label.to_owned(),
        row: l.row().to_owned(),
        number: l.number(),
        taken,
    }
}

fn class(id: i64, total: u64, sold: u64) -> ClassSnapshot {
    ClassSnapshot {
        id,
        name: format!("class{id}"),
        prices: all_prices(),
        total_seats: total,
        sold_seats: sold,
    }
}

#[test]
fn own_seats_count_as_free_and_leave_the_occupancy_for_pricing() {
    // Class 1: 10 seats, 5 in active bookings, of which A1 and A2 are this booking's.
    // Without its own two, 3 are sold: A1 at 3/10 (min), A3 at 4/10 (normal).
    let seats = [seat(1, "A1", 1, true), seat(3, "A3", 1, false)];
    let plan = plan_seat_change(
        &seated_show(),
        &[3, 1],
        &seats,
        &[class(1, 10, 5)],
        &[(1, 1), (2, 1)],
        t0(),
    )
    .unwrap();
    let labels: Vec<_> = plan
        .items
        .iter()
        .map(|i| i.label.clone().unwrap())
        .collect();
    assert_eq!(labels, ["A1", "A3"]);
    let prices: Vec<_> = plan.items.iter().map(|i| i.price).collect();
    assert_eq!(prices, [MIN, NORMAL]);
    assert_eq!(plan.total_amount, MIN + NORMAL);
    assert_eq!(plan.quantity, 2);
    assert_eq!(plan.status, BookingStatus::Held);
    assert_eq!(plan.currency, usd());
}

#[test]
fn keeping_the_same_seats_is_allowed_and_priced_as_before() {
    // 10 seats, 2 sold: both are this booking's. Re-planning them prices at 0/10 and 1/10.
    let seats = [seat(1, "A1", 1, true), seat(2, "A2", 1, true)];
    let plan = plan_seat_change(
        &seated_show(),
        &[1, 2],
        &seats,
        &[class(1, 10, 2)],
        &[(1, 1), (2, 1)],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.total_amount, 2 * MIN);
    assert!(plan.items.iter().all(|i| i.tier == Some(Tier::Min)));
}

#[test]
fn a_seat_change_is_repriced_across_a_tier_boundary() {
    // 10 seats, 7 sold (B1, B2 are this booking's): 70 % would be max. Without its own two
    // the new seats are priced at 5/10 and 6/10: normal, normal.
    let seats = [seat(5, "A5", 1, false), seat(6, "A6", 1, false)];
    let plan = plan_seat_change(
        &seated_show(),
        &[5, 6],
        &seats,
        &[class(1, 10, 7)],
        &[(11, 1), (12, 1)],
        t0(),
    )
    .unwrap();
    let tiers: Vec<_> = plan.items.iter().map(|i| i.tier.unwrap()).collect();
    assert_eq!(tiers, [Tier::Normal, Tier::Normal]);
    assert_eq!(plan.total_amount, 2 * NORMAL);
    // Moving only one seat away: 6 sold without the own one → 60 % normal, then 70 % max.
    let plan = plan_seat_change(
        &seated_show(),
        &[5, 6],
        &seats,
        &[class(1, 10, 7)],
        &[(11, 1)],
        t0(),
    )
    .unwrap();
    let tiers: Vec<_> = plan.items.iter().map(|i| i.tier.unwrap()).collect();
    assert_eq!(tiers, [Tier::Normal, Tier::Max]);
    assert_eq!(plan.total_amount, NORMAL + MAX);
}

#[test]
fn own_seats_of_another_class_do_not_lower_this_class_occupancy() {
    // Class 1: 10 seats, 4 sold (none of them this booking's) → A5 at 40 % (normal).
    // Class 2 holds the booking's old seat.
    let seats = [seat(5, "A5", 1, false)];
    let plan = plan_seat_change(
        &seated_show(),
        &[5],
        &seats,
        &[class(1, 10, 4), class(2, 10, 1)],
        &[(20, 2)],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.items[0].price, NORMAL);
    assert_eq!(plan.items[0].tier, Some(Tier::Normal));
}

#[test]
fn a_seat_of_someone_else_stays_taken() {
    let seats = [
        seat(1, "A1", 1, true),
        seat(3, "A3", 1, true),
        seat(4, "A4", 1, false),
    ];
    let err = plan_seat_change(
        &seated_show(),
        &[1, 3, 4],
        &seats,
        &[class(1, 10, 5)],
        &[(1, 1)],
        t0(),
    )
    .unwrap_err();
    // A1 is the booking's own, A3 someone else's.
    assert_eq!(
        err,
        DomainError::SeatsUnavailable {
            seats: vec!["A3".into()]
        }
    );
}

#[test]
fn more_own_seats_than_sold_never_underflow() {
    let seats = [seat(1, "A1", 1, true)];
    let plan = plan_seat_change(
        &seated_show(),
        &[1],
        &seats,
        &[class(1, 10, 0)],
        &[(1, 1), (2, 1)],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.items[0].price, MIN);
}

#[test]
fn a_seat_change_keeps_the_booking_rules_of_plan_seated() {
    let seats = [seat(1, "A1", 1, true)];
    // The show started.
    let started = ShowSnapshot {
        starts_at: t0(),
        ..seated_show()
    };
    assert_eq!(
        plan_seat_change(&started, &[1], &seats, &[class(1, 10, 1)], &[(1, 1)], t0()),
        Err(DomainError::ShowStarted)
    );
    // An unknown seat.
    assert_eq!(
        plan_seat_change(
            &seated_show(),
            &[1, 99],
            &seats,
            &[class(1, 10, 1)],
            &[(1, 1)],
            t0()
        ),
        Err(DomainError::not_found("seat", 99))
    );
}
