//! The pure booking decisions `plan_seated` and `plan_general`.

use chrono::{Duration, TimeZone, Utc};

use crate::booking::{
    plan_general, plan_seated, BookingStatus, ClassSnapshot, SeatSnapshot, ShowSnapshot,
};
use crate::catalog::ShowKind;
use crate::error::DomainError;
use crate::pricing::{Tier, TierPrices};
use crate::values::{Currency, SeatLabel};

use super::support::{failing_fields, t0, usd};

const SHOW: i64 = 1;
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
        id: SHOW,
        kind: ShowKind::Seated,
        starts_at: t0() + Duration::hours(2),
        currency: usd(),
        price: None,
        free_places: None,
    }
}

fn general_show(free: u32, price: Option<i64>) -> ShowSnapshot {
    ShowSnapshot {
        id: SHOW,
        kind: ShowKind::General,
        starts_at: t0() + Duration::hours(2),
        currency: usd(),
        price,
        free_places: Some(free),
    }
}

fn seat(id: i64, label: &str, class_id: i64) -> SeatSnapshot {
    let l = SeatLabel::parse(label).unwrap();
    SeatSnapshot {
        id,
        show_id: SHOW,
        class_id,
        label: label.to_owned(),
        row: l.row().to_owned(),
        number: l.number(),
        taken: false,
    }
}

fn taken(mut s: SeatSnapshot) -> SeatSnapshot {
    s.taken = true;
    s
}

fn class(id: i64, total: u64, sold: u64, prices: TierPrices) -> ClassSnapshot {
    ClassSnapshot {
        id,
        name: format!("class{id}"),
        prices,
        total_seats: total,
        sold_seats: sold,
    }
}

fn labels(plan: &crate::booking::BookingPlan) -> Vec<String> {
    plan.items
        .iter()
        .map(|i| i.label.clone().unwrap())
        .collect()
}

fn prices(plan: &crate::booking::BookingPlan) -> Vec<i64> {
    plan.items.iter().map(|i| i.price).collect()
}

// --- plan_seated: refusals ---------------------------------------------------------------------

#[test]
fn missing_seat_is_not_found() {
    let seats = [seat(10, "A1", 1)];
    let err = plan_seated(
        &seated_show(),
        &[10, 99],
        &seats,
        &[class(1, 10, 0, all_prices())],
        t0(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DomainError::NotFound {
            entity: "seat",
            id: "99".into()
        }
    );
}

#[test]
fn missing_seat_is_reported_before_the_show_start() {
    let mut show = seated_show();
    show.starts_at = t0() - Duration::hours(1);
    let err = plan_seated(&show, &[5], &[], &[], t0()).unwrap_err();
    assert!(
        matches!(err, DomainError::NotFound { entity: "seat", .. }),
        "{err:?}"
    );
}

#[test]
fn seat_of_another_show_is_a_validation_error() {
    let mut foreign = seat(11, "A2", 1);
    foreign.show_id = SHOW + 1;
    let seats = [seat(10, "A1", 1), foreign];
    let res = plan_seated(
        &seated_show(),
        &[10, 11],
        &seats,
        &[class(1, 10, 0, all_prices())],
        t0(),
    );
    let err = res.clone().unwrap_err();
    assert_eq!(failing_fields(res), ["seat_ids"]);
    assert!(err.to_string().contains("11"), "{err}");
}

#[test]
fn started_show_cannot_be_booked() {
    let seats = [seat(10, "A1", 1)];
    let classes = [class(1, 10, 0, all_prices())];
    // starts exactly now → started
    let mut show = seated_show();
    show.starts_at = t0();
    assert_eq!(
        plan_seated(&show, &[10], &seats, &classes, t0()),
        Err(DomainError::ShowStarted)
    );
    // started an hour ago
    show.starts_at = t0() - Duration::hours(1);
    assert_eq!(
        plan_seated(&show, &[10], &seats, &classes, t0()),
        Err(DomainError::ShowStarted)
    );
    // starts in one second → fine
    show.starts_at = t0() + Duration::seconds(1);
    assert!(plan_seated(&show, &[10], &seats, &classes, t0()).is_ok());
}

#[test]
fn taken_seats_are_listed_exactly_in_natural_order() {
    let seats = [
        taken(seat(1, "A10", 1)),
        seat(2, "A1", 1),
        taken(seat(3, "B1", 1)),
        taken(seat(4, "A2", 1)),
        seat(5, "A3", 1),
    ];
    let err = plan_seated(
        &seated_show(),
        &[1, 2, 3, 4, 5],
        &seats,
        &[class(1, 20, 3, all_prices())],
        t0(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DomainError::SeatsUnavailable {
            seats: vec!["A2".into(), "A10".into(), "B1".into()]
        }
    );
}

#[test]
fn class_without_any_price_is_not_for_sale() {
    let seats = [seat(1, "A1", 1), seat(2, "B2", 2), seat(3, "B1", 2)];
    let classes = [
        class(1, 10, 0, all_prices()),
        class(2, 10, 0, TierPrices::default()),
    ];
    let err = plan_seated(&seated_show(), &[1, 2, 3], &seats, &classes, t0()).unwrap_err();
    assert_eq!(
        err,
        DomainError::NotForSale {
            seats: vec!["B1".into(), "B2".into()]
        }
    );
}

#[test]
fn seat_whose_class_is_unknown_is_not_for_sale() {
    let seats = [seat(1, "A1", 42)];
    let err = plan_seated(
        &seated_show(),
        &[1],
        &seats,
        &[class(1, 10, 0, all_prices())],
        t0(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DomainError::NotForSale {
            seats: vec!["A1".into()]
        }
    );
}

#[test]
fn general_show_given_to_plan_seated_is_a_validation_error() {
    let seats = [seat(1, "A1", 1)];
    let res = plan_seated(
        &general_show(5, Some(100)),
        &[1],
        &seats,
        &[class(1, 10, 0, all_prices())],
        t0(),
    );
    assert_eq!(failing_fields(res), ["quantity"]);
}

// --- plan_seated: pricing ----------------------------------------------------------------------

#[test]
fn sequential_pricing_crosses_the_40_percent_boundary_within_one_booking() {
    // 10 seats, 3 sold: 3/10 → min, 4/10 → normal, 5/10 → normal, 6/10 → normal.
    let seats = [
        seat(1, "A1", 1),
        seat(2, "A2", 1),
        seat(3, "A3", 1),
        seat(4, "A4", 1),
    ];
    let plan = plan_seated(
        &seated_show(),
        &[1, 2, 3, 4],
        &seats,
        &[class(1, 10, 3, all_prices())],
        t0(),
    )
    .unwrap();
    assert_eq!(prices(&plan), [MIN, NORMAL, NORMAL, NORMAL]);
    let tiers: Vec<Tier> = plan.items.iter().map(|i| i.tier.unwrap()).collect();
    assert_eq!(tiers, [Tier::Min, Tier::Normal, Tier::Normal, Tier::Normal]);
    assert_eq!(plan.total_amount, MIN + 3 * NORMAL);
    assert_eq!(plan.quantity, 4);
    // Something to pay: a hold.
    assert_eq!(plan.status, BookingStatus::Held);
    assert_eq!(plan.currency, usd());
}

#[test]
fn sequential_pricing_crosses_the_60_percent_boundary() {
    // 10 seats, 5 sold: 5/10 → normal, 6/10 → normal, 7/10 → max.
    let seats = [seat(1, "A1", 1), seat(2, "A2", 1), seat(3, "A3", 1)];
    let plan = plan_seated(
        &seated_show(),
        &[1, 2, 3],
        &seats,
        &[class(1, 10, 5, all_prices())],
        t0(),
    )
    .unwrap();
    assert_eq!(prices(&plan), [NORMAL, NORMAL, MAX]);
    assert_eq!(plan.total_amount, 2 * NORMAL + MAX);
}

#[test]
fn each_class_is_priced_on_its_own_occupancy() {
    // class 1: 10 seats, 3 sold → A1 at 3/10 (min), A2 at 4/10 (normal)
    // class 2: 4 seats, 2 sold → B1 at 2/4 = 50 % (normal), B2 at 3/4 = 75 % (max)
    let p2 = TierPrices {
        min_price: Some(10),
        normal_price: Some(20),
        max_price: Some(30),
    };
    let seats = [
        seat(1, "B2", 2),
        seat(2, "A2", 1),
        seat(3, "B1", 2),
        seat(4, "A1", 1),
    ];
    let plan = plan_seated(
        &seated_show(),
        &[1, 2, 3, 4],
        &seats,
        &[class(1, 10, 3, all_prices()), class(2, 4, 2, p2)],
        t0(),
    )
    .unwrap();
    assert_eq!(labels(&plan), ["A1", "A2", "B1", "B2"]);
    assert_eq!(prices(&plan), [MIN, NORMAL, 20, 30]);
    let classes: Vec<i64> = plan.items.iter().map(|i| i.class_id.unwrap()).collect();
    assert_eq!(classes, [1, 1, 2, 2]);
    assert_eq!(plan.total_amount, MIN + NORMAL + 20 + 30);
}

#[test]
fn natural_label_order_decides_the_price_regardless_of_request_order() {
    // 5 seats, 1 sold: first seat at 1/5 (min), second at 2/5 = 40 % (normal).
    let seats = [seat(1, "A10", 1), seat(2, "A2", 1)];
    let classes = [class(1, 5, 1, all_prices())];
    for requested in [[1, 2], [2, 1]] {
        let plan = plan_seated(&seated_show(), &requested, &seats, &classes, t0()).unwrap();
        assert_eq!(labels(&plan), ["A2", "A10"]);
        assert_eq!(plan.items[0].seat_id, Some(2));
        assert_eq!(plan.items[0].price, MIN);
        assert_eq!(plan.items[1].seat_id, Some(1));
        assert_eq!(plan.items[1].price, NORMAL);
    }
}

#[test]
fn fallback_prices_are_used_in_a_booking() {
    // only a max price: every band falls back to it
    let only_max = TierPrices {
        min_price: None,
        normal_price: None,
        max_price: Some(MAX),
    };
    let seats = [seat(1, "A1", 1), seat(2, "A2", 1)];
    let plan = plan_seated(
        &seated_show(),
        &[1, 2],
        &seats,
        &[class(1, 4, 0, only_max)],
        t0(),
    )
    .unwrap();
    assert_eq!(prices(&plan), [MAX, MAX]);
    assert_eq!(plan.items[0].tier, Some(Tier::Min));
    assert_eq!(plan.items[1].tier, Some(Tier::Min));
    assert_eq!(plan.total_amount, 2 * MAX);
}

#[test]
fn every_item_is_one_seat_with_its_id_label_and_class() {
    let seats = [seat(7, "C3", 9)];
    let plan = plan_seated(
        &seated_show(),
        &[7],
        &seats,
        &[class(9, 100, 0, all_prices())],
        t0(),
    )
    .unwrap();
    assert_eq!(plan.items.len(), 1);
    let it = &plan.items[0];
    assert_eq!(it.seat_id, Some(7));
    assert_eq!(it.class_id, Some(9));
    assert_eq!(it.label.as_deref(), Some("C3"));
    assert_eq!(it.quantity, 1);
    assert_eq!(it.price, MIN);
    assert_eq!(it.tier, Some(Tier::Min));
}

#[test]
fn the_show_currency_is_the_plan_currency() {
    let mut show = seated_show();
    show.currency = Currency::parse("eur").unwrap();
    let seats = [seat(1, "A1", 1)];
    let plan = plan_seated(&show, &[1], &seats, &[class(1, 10, 0, all_prices())], t0()).unwrap();
    assert_eq!(plan.currency.as_str(), "EUR");
}

// --- plan_general -------------------------------------------------------------------------------

#[test]
fn general_total_is_price_times_quantity() {
    let plan = plan_general(&general_show(5, Some(2_550)), 3, t0()).unwrap();
    assert_eq!(plan.total_amount, 7_650);
    assert_eq!(plan.quantity, 3);
    assert_eq!(plan.status, BookingStatus::Held);
    assert_eq!(plan.items.len(), 1);
    let it = &plan.items[0];
    assert_eq!(
        (it.seat_id, it.class_id, it.label.as_deref()),
        (None, None, None)
    );
    assert_eq!((it.quantity, it.price, it.tier), (3, 2_550, None));
}

#[test]
fn general_all_free_places_can_be_booked() {
    let plan = plan_general(&general_show(5, Some(100)), 5, t0()).unwrap();
    assert_eq!(plan.total_amount, 500);
}

#[test]
fn general_without_price_is_free() {
    let plan = plan_general(&general_show(5, None), 4, t0()).unwrap();
    assert_eq!(plan.total_amount, 0);
    assert_eq!(plan.items[0].price, 0);
}

#[test]
fn general_more_than_free_is_sold_out() {
    assert_eq!(
        plan_general(&general_show(5, Some(100)), 6, t0()),
        Err(DomainError::SoldOut {
            requested: 6,
            available: 5
        })
    );
    assert_eq!(
        plan_general(&general_show(0, Some(100)), 1, t0()),
        Err(DomainError::SoldOut {
            requested: 1,
            available: 0
        })
    );
    let mut unknown = general_show(0, None);
    unknown.free_places = None;
    assert_eq!(
        plan_general(&unknown, 1, t0()),
        Err(DomainError::SoldOut {
            requested: 1,
            available: 0
        })
    );
}

#[test]
fn general_started_show_cannot_be_booked() {
    let mut show = general_show(5, Some(100));
    show.starts_at = t0();
    assert_eq!(plan_general(&show, 1, t0()), Err(DomainError::ShowStarted));
    show.starts_at = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(plan_general(&show, 1, t0()), Err(DomainError::ShowStarted));
}

#[test]
fn seated_show_given_to_plan_general_is_a_validation_error() {
    assert_eq!(
        failing_fields(plan_general(&seated_show(), 1, t0())),
        ["seat_ids"]
    );
}

// Prices above the ceiling are refused at every entry; a total that still overflows (a price
// stored before the ceiling existed) is a 422 on `total`, never an internal error.

#[test]
fn general_total_overflow_is_a_validation_error_on_total() {
    let res = plan_general(&general_show(10, Some(4_611_686_018_427_387_904)), 2, t0());
    assert_eq!(failing_fields(res), ["total"]);
}

#[test]
fn seated_total_overflow_is_a_validation_error_on_total() {
    let dear = TierPrices {
        min_price: Some(i64::MAX),
        normal_price: None,
        max_price: None,
    };
    let res = plan_seated(
        &seated_show(),
        &[1, 2],
        &[seat(1, "A1", 7), seat(2, "A2", 7)],
        &[class(7, 100, 0, dear)],
        t0(),
    );
    assert_eq!(failing_fields(res), ["total"]);
}

#[test]
fn the_largest_permitted_booking_does_not_overflow() {
    let places = u32::try_from(crate::catalog::MAX_SEATS_PER_SHOW).unwrap();
    let plan = plan_general(
        &general_show(places, Some(crate::limits::MAX_AMOUNT)),
        places,
        t0(),
    )
    .unwrap();
    assert_eq!(
        plan.total_amount,
        crate::limits::MAX_AMOUNT * i64::from(places)
    );
}

// --- booking references ---------------------------------------------------------------------------

#[test]
fn references_are_bx_plus_ten_crockford_characters() {
    use crate::booking::reference_from;
    for r in [0u64, 1, 31, 32, u64::MAX, 0xDEAD_BEEF] {
        let s = reference_from(r);
        assert_eq!(s.len(), 13, "{s}");
        assert!(s.starts_with("BX-"), "{s}");
        assert!(
            s[3..]
                .chars()
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))),
            "{s}"
        );
    }
    // least significant 5 bits first
    assert_eq!(reference_from(0), "BX-0000000000");
    assert_eq!(reference_from(31), "BX-Z000000000");
    assert_eq!(reference_from(32), "BX-0100000000");
    assert_eq!(reference_from(1), reference_from(1));
    assert_ne!(reference_from(1), reference_from(2));
    // 50 bits are used: inputs differing only in bit 49 differ, in bit 50 do not
    assert_ne!(reference_from(0), reference_from(1 << 49));
    assert_eq!(reference_from(0), reference_from(1 << 50));
}
