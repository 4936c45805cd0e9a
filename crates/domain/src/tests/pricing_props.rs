//! Property-style checks of the pricing tiers over small exhaustive ranges (no extra crates).

use crate::pricing::{Tier, TierPrices};

fn rank(t: Tier) -> u8 {
    match t {
        Tier::Min => 0,
        Tier::Normal => 1,
        Tier::Max => 2,
    }
}

/// Every combination of present/absent prices (distinct values so the source is identifiable).
fn all_price_sets() -> Vec<TierPrices> {
    let mut out = Vec::new();
    for mask in 0..8u8 {
        out.push(TierPrices {
            min_price: (mask & 1 != 0).then_some(100),
            normal_price: (mask & 2 != 0).then_some(200),
            max_price: (mask & 4 != 0).then_some(300),
        });
    }
    out
}

/// The band by exact rational comparison, independent of the implementation.
fn reference_band(sold: u64, total: u64) -> Tier {
    // sold/total < 2/5 → min; ≤ 3/5 → normal; else max
    if 5 * sold < 2 * total {
        Tier::Min
    } else if 5 * sold <= 3 * total {
        Tier::Normal
    } else {
        Tier::Max
    }
}

#[test]
fn band_is_monotonic_in_sold_and_matches_the_rational_rule() {
    for total in 1..=50u64 {
        let mut prev = Tier::Min;
        for sold in 0..=total {
            let b = TierPrices::band(sold, total);
            assert!(rank(b) >= rank(prev), "band went down at {sold}/{total}");
            assert_eq!(b, reference_band(sold, total), "{sold}/{total}");
            prev = b;
        }
        assert_eq!(TierPrices::band(0, total), Tier::Min, "empty class is min");
        assert_eq!(
            TierPrices::band(total, total),
            Tier::Max,
            "full class is max"
        );
    }
}

#[test]
fn band_is_antitonic_in_total() {
    // more seats with the same sales never raises the band
    for sold in 0..=50u64 {
        let mut prev = Tier::Max;
        for total in sold.max(1)..=100 {
            let b = TierPrices::band(sold, total);
            assert!(rank(b) <= rank(prev), "band went up at {sold}/{total}");
            prev = b;
        }
    }
}

#[test]
fn exact_boundaries_are_in_the_middle_band() {
    for k in 1..=20u64 {
        let total = 5 * k;
        assert_eq!(TierPrices::band(2 * k - 1, total), Tier::Min);
        assert_eq!(TierPrices::band(2 * k, total), Tier::Normal, "exactly 40 %");
        assert_eq!(TierPrices::band(3 * k, total), Tier::Normal, "exactly 60 %");
        assert_eq!(TierPrices::band(3 * k + 1, total), Tier::Max);
    }
}

#[test]
fn quote_is_one_of_the_present_prices_and_none_iff_no_price() {
    for prices in all_price_sets() {
        let present: Vec<i64> = [prices.min_price, prices.normal_price, prices.max_price]
            .into_iter()
            .flatten()
            .collect();
        for total in 1..=50u64 {
            for sold in 0..=total {
                match prices.quote(sold, total) {
                    None => assert!(present.is_empty(), "{prices:?} {sold}/{total}"),
                    Some(q) => {
                        assert!(
                            present.contains(&q.price),
                            "{prices:?} {sold}/{total} → {q:?}"
                        );
                        assert_eq!(q.tier, TierPrices::band(sold, total));
                    }
                }
            }
        }
        assert_eq!(prices.is_for_sale(), !present.is_empty());
    }
}

#[test]
fn quote_uses_the_band_price_when_present_else_the_documented_fallback() {
    for prices in all_price_sets() {
        for total in 1..=30u64 {
            for sold in 0..=total {
                let band = TierPrices::band(sold, total);
                let order = match band {
                    Tier::Min => [prices.min_price, prices.normal_price, prices.max_price],
                    Tier::Normal => [prices.normal_price, prices.max_price, prices.min_price],
                    Tier::Max => [prices.max_price, prices.normal_price, prices.min_price],
                };
                let expected = order.into_iter().flatten().next();
                assert_eq!(prices.quote(sold, total).map(|q| q.price), expected);
            }
        }
    }
}

#[test]
fn with_rising_prices_the_quote_never_falls_as_the_class_fills() {
    let prices = TierPrices {
        min_price: Some(100),
        normal_price: Some(200),
        max_price: Some(300),
    };
    for total in 1..=50u64 {
        let mut prev = 0;
        for sold in 0..=total {
            let p = prices.quote(sold, total).unwrap().price;
            assert!(p >= prev, "{sold}/{total}");
            prev = p;
        }
    }
}

#[test]
fn quote_sequence_equals_successive_quotes() {
    for prices in all_price_sets() {
        for total in 1..=20u64 {
            for already in 0..=total {
                let count = (total - already) as usize;
                let seq = prices.quote_sequence(already, total, count);
                if !prices.is_for_sale() && count > 0 {
                    assert!(seq.is_none());
                    continue;
                }
                let seq = seq.unwrap();
                assert_eq!(seq.len(), count);
                for (i, q) in seq.iter().enumerate() {
                    assert_eq!(Some(*q), prices.quote(already + i as u64, total));
                }
            }
        }
    }
}

#[test]
fn band_does_not_overflow_on_huge_counts() {
    assert_eq!(TierPrices::band(u64::MAX, u64::MAX), Tier::Max);
    assert_eq!(TierPrices::band(0, u64::MAX), Tier::Min);
    assert_eq!(TierPrices::band(u64::MAX / 2, u64::MAX), Tier::Normal);
}
