//! A quote ([`quote_booking`]) prices a prospective booking with the very decision the booking
//! makes ([`crate::booking::plan_seated`] / [`crate::booking::plan_general`]), on the same
//! snapshot read without locks: what the booking would charge if nothing changes meanwhile.
//! Above `booking` (it runs the booking's plan), while the tiers it prices with are in
//! `pricing`, below it.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};

use crate::booking::{
    plan_general, plan_seated, BookingItem, ClassSnapshot, Places, SeatSnapshot, ShowSnapshot,
};
use crate::error::DomainError;
use crate::values::Currency;

/// What a quote needs, as the booking transaction would read it at `now` (without locks):
/// the show (general admission: free places counting past-due holds as free) and, for seats,
/// the requested ids (labels resolved), those seats (`taken` by an active booking at `now`)
/// and their classes with their occupancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteInputs {
    pub show: ShowSnapshot,
    pub requested: Vec<i64>,
    pub seats: Vec<SeatSnapshot>,
    pub classes: Vec<ClassSnapshot>,
}

/// The price of a prospective booking: the lines the booking would get (one per seat, in the
/// order they are priced, or one line of `quantity` places), the total and when it was priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingQuote {
    pub show_id: i64,
    pub items: Vec<BookingItem>,
    pub quantity: u32,
    pub total_amount: i64,
    pub currency: Currency,
    pub priced_at: DateTime<Utc>,
}

/// Prices `places` on `inputs` at `now` with the booking's own decision: the same lines,
/// tiers, total and refusals (409 `seat_unavailable`, `not_for_sale`, `sold_out`,
/// `show_started`) as a booking made at that moment.
pub fn quote_booking(
    inputs: &QuoteInputs,
    places: &Places,
    now: DateTime<Utc>,
) -> Result<BookingQuote, DomainError> {
    let plan = match places {
        Places::Quantity(q) => plan_general(&inputs.show, *q, now)?,
        Places::SeatIds(_) | Places::SeatLabels(_) => plan_seated(
            &inputs.show,
            &inputs.requested,
            &inputs.seats,
            &inputs.classes,
            now,
        )?,
    };
    let names: HashMap<i64, &str> = inputs
        .classes
        .iter()
        .map(|c| (c.id, c.name.as_str()))
        .collect();
    Ok(BookingQuote {
        show_id: inputs.show.id,
        items: plan
            .items
            .into_iter()
            .map(|i| BookingItem {
                seat_class: i
                    .class_id
                    .and_then(|c| names.get(&c).map(|n| (*n).to_owned())),
                seat_id: i.seat_id,
                label: i.label,
                quantity: i.quantity,
                price: i.price,
                tier: i.tier,
            })
            .collect(),
        quantity: plan.quantity,
        total_amount: plan.total_amount,
        currency: plan.currency,
        // Microseconds, the precision of every stored and answered timestamp.
        priced_at: now.trunc_subsecs(6),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::booking::{parse_places_only, plan_seated, Places};
    use crate::catalog::ShowKind;
    use crate::pricing::{Tier, TierPrices};
    use crate::values::SeatLabel;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
    }

    fn show(kind: ShowKind, free: Option<u32>, price: Option<i64>) -> ShowSnapshot {
        ShowSnapshot {
            id: 7,
            kind,
            starts_at: now() + Duration::days(1),
            currency: Currency::parse("USD").unwrap(),
            price,
            free_places: free,
        }
    }

    fn seat(id: i64, label: &str, taken: bool) -> SeatSnapshot {
        let l = SeatLabel::parse(label).unwrap();
        SeatSnapshot {
            id,
            show_id: 7,
            class_id: 1,
            label: label.to_owned(),
            row: l.row().to_owned(),
            number: l.number(),
            taken,
        }
    }

    /// Ten seats A1..A10 of one class priced 100/200/300, `sold` of them sold elsewhere;
    /// the quote asks for `ids`.
    fn seated(ids: &[i64], sold: u64, prices: TierPrices) -> QuoteInputs {
        QuoteInputs {
            show: show(ShowKind::Seated, None, None),
            requested: ids.to_vec(),
            seats: ids
                .iter()
                .map(|id| seat(*id, &format!("A{id}"), false))
                .collect(),
            classes: vec![ClassSnapshot {
                id: 1,
                name: "Stalls".into(),
                prices,
                total_seats: 10,
                sold_seats: sold,
            }],
        }
    }

    #[test]
    fn a_quote_is_the_plan_the_booking_makes_across_a_tier_edge() {
        // 3 of 10 sold: the 5 seats cost min (3/10), normal (4, 5, 6 of 10), max (7/10).
        let inputs = seated(&[8, 4, 5, 6, 7], 3, ALL);
        let places = Places::SeatIds(inputs.requested.clone());
        let q = quote_booking(&inputs, &places, now()).unwrap();
        let lines: Vec<(Option<&str>, i64, Option<Tier>)> = q
            .items
            .iter()
            .map(|i| (i.label.as_deref(), i.price, i.tier))
            .collect();
        assert_eq!(
            lines,
            [
                (Some("A4"), 100, Some(Tier::Min)),
                (Some("A5"), 200, Some(Tier::Normal)),
                (Some("A6"), 200, Some(Tier::Normal)),
                (Some("A7"), 200, Some(Tier::Normal)),
                (Some("A8"), 300, Some(Tier::Max)),
            ]
        );
        assert!(q
            .items
            .iter()
            .all(|i| i.seat_class.as_deref() == Some("Stalls")));
        assert_eq!((q.quantity, q.total_amount, q.priced_at), (5, 1000, now()));
        let plan = plan_seated(
            &inputs.show,
            &inputs.requested,
            &inputs.seats,
            &inputs.classes,
            now(),
        )
        .unwrap();
        assert_eq!(plan.total_amount, q.total_amount);
        assert_eq!(
            plan.items.iter().map(|i| i.price).collect::<Vec<_>>(),
            q.items.iter().map(|i| i.price).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_quote_refuses_what_the_booking_refuses() {
        let mut inputs = seated(&[1, 2], 0, ALL);
        inputs.seats[1].taken = true;
        let places = Places::SeatIds(vec![1, 2]);
        assert_eq!(
            quote_booking(&inputs, &places, now()),
            Err(DomainError::SeatsUnavailable {
                seats: vec!["A2".into()]
            })
        );
        let unpriced = seated(&[1], 0, TierPrices::default());
        assert_eq!(
            quote_booking(&unpriced, &Places::SeatIds(vec![1]), now()),
            Err(DomainError::NotForSale {
                seats: vec!["A1".into()]
            })
        );
        let started = now() + Duration::days(2);
        assert_eq!(
            quote_booking(&seated(&[1], 0, ALL), &Places::SeatIds(vec![1]), started),
            Err(DomainError::ShowStarted)
        );
    }

    #[test]
    fn a_general_admission_quote_prices_the_places() {
        let inputs = QuoteInputs {
            show: show(ShowKind::General, Some(5), Some(1500)),
            requested: vec![],
            seats: vec![],
            classes: vec![],
        };
        let q = quote_booking(&inputs, &Places::Quantity(3), now()).unwrap();
        assert_eq!((q.quantity, q.total_amount), (3, 4500));
        assert_eq!(q.items.len(), 1);
        assert_eq!((q.items[0].quantity, q.items[0].price), (3, 1500));
        assert_eq!(q.items[0].tier, None);
        assert_eq!(
            quote_booking(&inputs, &Places::Quantity(6), now()),
            Err(DomainError::SoldOut {
                requested: 6,
                available: 5
            })
        );
    }

    #[test]
    fn quote_places_follow_the_booking_rules() {
        assert_eq!(
            parse_places_only(None, None, Some(2), 10),
            Ok(Places::Quantity(2))
        );
        for (ids, labels, quantity) in [
            (None, None, None),
            (Some(vec![1]), None, Some(1)),
            (Some(vec![]), None, None),
            (Some(vec![1, 1]), None, None),
            (None, None, Some(11)),
        ] {
            assert!(matches!(
                parse_places_only(ids, labels, quantity, 10),
                Err(DomainError::Validation(_))
            ));
        }
        assert!(matches!(
            parse_places_only(None, Some(vec!["not a label!".into()]), None, 10),
            Err(DomainError::Validation(_))
        ));
    }

    const ALL: TierPrices = TierPrices {
        min_price: Some(100),
        normal_price: Some(200),
        max_price: Some(300),
    };
}
