//! Seat pricing tiers: a class's price rises as the class fills up.
//!
//! Occupancy of a class = seats of that class in active bookings / seats of that class.
//! * occupancy < 40 %          → min price; if absent normal; if absent max.
//! * 40 % ≤ occupancy ≤ 60 %   → normal price; if absent max; if absent min.
//! * occupancy > 60 %          → max price; if absent normal; if absent min.
//!
//! A class with no price at all is not for sale.
//!
//! A quote ([`quote_booking`]) prices a prospective booking with the very decision the booking
//! makes ([`crate::booking::plan_seated`] / [`crate::booking::plan_general`]), on the same
//! snapshot read without locks: what the booking would charge if nothing changes meanwhile.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::{
    plan_general, plan_seated, BookingItem, ClassSnapshot, Places, SeatSnapshot, ShowSnapshot,
};
use crate::error::DomainError;
use crate::values::Currency;

/// The three optional prices of a seat class, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TierPrices {
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
}

/// Which tier is in force (the band the occupancy falls in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Min,
    Normal,
    Max,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Min, Tier::Normal, Tier::Max];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Min => "min",
            Tier::Normal => "normal",
            Tier::Max => "max",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "min" => Some(Tier::Min),
            "normal" => Some(Tier::Normal),
            "max" => Some(Tier::Max),
            _ => None,
        }
    }
}

/// The price of one seat and the band that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub tier: Tier,
    pub price: i64,
}

impl TierPrices {
    pub fn is_for_sale(&self) -> bool {
        self.min_price.is_some() || self.normal_price.is_some() || self.max_price.is_some()
    }

    /// The band for `sold` of `total` seats; integer arithmetic, boundaries inclusive in the middle.
    pub fn band(sold: u64, total: u64) -> Tier {
        if total == 0 {
            return Tier::Min;
        }
        let pct100 = u128::from(sold) * 100;
        let total = u128::from(total);
        if pct100 < 40 * total {
            Tier::Min
        } else if pct100 <= 60 * total {
            Tier::Normal
        } else {
            Tier::Max
        }
    }

    /// The price in force when `sold` of `total` seats of the class are in active bookings;
    /// `None` when the class has no price at all (not for sale).
    pub fn quote(&self, sold: u64, total: u64) -> Option<Quote> {
        let tier = Self::band(sold, total);
        let order = match tier {
            Tier::Min => [self.min_price, self.normal_price, self.max_price],
            Tier::Normal => [self.normal_price, self.max_price, self.min_price],
            Tier::Max => [self.max_price, self.normal_price, self.min_price],
        };
        order
            .into_iter()
            .flatten()
            .next()
            .map(|price| Quote { tier, price })
    }

    /// Prices `count` seats of one class bought together, one after another: the n-th seat is
    /// priced on the occupancy that includes the n-1 seats before it in the same booking.
    pub fn quote_sequence(
        &self,
        already_sold: u64,
        total: u64,
        count: usize,
    ) -> Option<Vec<Quote>> {
        (0..count as u64)
            .map(|i| self.quote(already_sold + i, total))
            .collect()
    }
}

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
    use super::*;

    fn p(min: Option<i64>, normal: Option<i64>, max: Option<i64>) -> TierPrices {
        TierPrices {
            min_price: min,
            normal_price: normal,
            max_price: max,
        }
    }

    const ALL: TierPrices = TierPrices {
        min_price: Some(100),
        normal_price: Some(200),
        max_price: Some(300),
    };

    #[test]
    fn bands_and_boundaries() {
        assert_eq!(TierPrices::band(0, 100), Tier::Min);
        assert_eq!(TierPrices::band(39, 100), Tier::Min);
        assert_eq!(TierPrices::band(40, 100), Tier::Normal);
        assert_eq!(TierPrices::band(60, 100), Tier::Normal);
        assert_eq!(TierPrices::band(61, 100), Tier::Max);
        assert_eq!(TierPrices::band(100, 100), Tier::Max);
        // 2 of 5 = exactly 40 %, 3 of 5 = exactly 60 %.
        assert_eq!(TierPrices::band(1, 5), Tier::Min);
        assert_eq!(TierPrices::band(2, 5), Tier::Normal);
        assert_eq!(TierPrices::band(3, 5), Tier::Normal);
        assert_eq!(TierPrices::band(4, 5), Tier::Max);
        // 1 of 3 = 33 %, 2 of 3 = 67 %.
        assert_eq!(TierPrices::band(1, 3), Tier::Min);
        assert_eq!(TierPrices::band(2, 3), Tier::Max);
        assert_eq!(TierPrices::band(0, 0), Tier::Min);
    }

    #[test]
    fn all_prices_present() {
        assert_eq!(
            ALL.quote(0, 10).unwrap(),
            Quote {
                tier: Tier::Min,
                price: 100
            }
        );
        assert_eq!(
            ALL.quote(5, 10).unwrap(),
            Quote {
                tier: Tier::Normal,
                price: 200
            }
        );
        assert_eq!(
            ALL.quote(7, 10).unwrap(),
            Quote {
                tier: Tier::Max,
                price: 300
            }
        );
    }

    #[test]
    fn low_band_fallbacks() {
        assert_eq!(
            p(None, Some(200), Some(300)).quote(0, 10).unwrap().price,
            200
        );
        assert_eq!(p(None, None, Some(300)).quote(0, 10).unwrap().price, 300);
        assert_eq!(p(Some(100), None, None).quote(0, 10).unwrap().price, 100);
    }

    #[test]
    fn middle_band_fallbacks() {
        assert_eq!(
            p(Some(100), None, Some(300)).quote(5, 10).unwrap().price,
            300
        );
        assert_eq!(p(Some(100), None, None).quote(5, 10).unwrap().price, 100);
        assert_eq!(p(None, Some(200), None).quote(5, 10).unwrap().price, 200);
        let q = p(None, None, Some(300)).quote(4, 10).unwrap();
        assert_eq!((q.tier, q.price), (Tier::Normal, 300));
    }

    #[test]
    fn high_band_fallbacks() {
        assert_eq!(
            p(Some(100), Some(200), None).quote(9, 10).unwrap().price,
            200
        );
        assert_eq!(p(Some(100), None, None).quote(9, 10).unwrap().price, 100);
        assert_eq!(p(None, None, Some(300)).quote(9, 10).unwrap().price, 300);
    }

    #[test]
    fn no_price_is_not_for_sale() {
        let none = TierPrices::default();
        assert!(!none.is_for_sale());
        assert!(none.quote(0, 10).is_none());
        assert!(none.quote_sequence(0, 10, 2).is_none());
        assert!(ALL.is_for_sale());
        assert!(p(None, None, Some(1)).is_for_sale());
    }

    #[test]
    fn sequence_prices_each_seat_on_the_occupancy_before_it() {
        // 10 seats, 3 sold: the 4 seats cost min (3/10), normal (4/10), normal (5/10), normal (6/10).
        let q = ALL.quote_sequence(3, 10, 4).unwrap();
        let prices: Vec<i64> = q.iter().map(|q| q.price).collect();
        assert_eq!(prices, [100, 200, 200, 200]);
        // the 5th would be on 7/10 → max
        let q = ALL.quote_sequence(3, 10, 5).unwrap();
        assert_eq!(
            q[4],
            Quote {
                tier: Tier::Max,
                price: 300
            }
        );
        assert!(ALL.quote_sequence(0, 10, 0).unwrap().is_empty());
    }

    #[test]
    fn tier_names_round_trip() {
        for t in [Tier::Min, Tier::Normal, Tier::Max] {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        assert_eq!(Tier::parse("other"), None);
    }

    mod quotes {
        use chrono::{Duration, TimeZone, Utc};

        use super::super::*;
        use super::ALL;
        use crate::booking::{parse_places_only, plan_seated, Places};
        use crate::catalog::ShowKind;
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
    }
}
