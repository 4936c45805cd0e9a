//! Seat pricing tiers: a class's price rises as the class fills up.
//!
//! Occupancy of a class = seats of that class in active bookings / seats of that class.
//! * occupancy < 40 %          → min price; if absent normal; if absent max.
//! * 40 % ≤ occupancy ≤ 60 %   → normal price; if absent max; if absent min.
//! * occupancy > 60 %          → max price; if absent normal; if absent min.
//!
//! A class with no price at all is not for sale.
//!
//! The quote of a whole prospective booking is in [`crate::quote`].

use serde::{Deserialize, Serialize};

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
}
