//! The seat charts this instance has read, kept for the next seat-map read of the same show
//! (ADR 0012). A chart is reused only when the show's `chart_version`, read in the same statement
//! as the seats' states, is still the chart's: every write to a show's seats or classes gives the
//! show a version never used before (triggers of migration `seat_chart_version`). So a kept
//! chart is never stale, across instances too; what bookings say of the seats is always read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use boxoffice_domain::seat_map::SeatChart;

/// How many seats the kept charts may hold in all (a few hundred bytes each): 100,000 seats is
/// about 20 MB, the charts of 200 shows of 500 seats.
pub const CHART_CACHE_SEATS: usize = 100_000;

/// Charts by show id, within a budget of seats.
#[derive(Debug)]
pub struct ChartCache {
    budget: usize,
    inner: Mutex<Charts>,
}

#[derive(Debug, Default)]
struct Charts {
    by_show: HashMap<i64, Arc<SeatChart>>,
    seats: usize,
}

impl Default for ChartCache {
    fn default() -> Self {
        Self::new(CHART_CACHE_SEATS)
    }
}

impl ChartCache {
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Charts::default()),
        }
    }

    /// The chart kept for the show, if any (its version says whether it is still current).
    pub fn get(&self, show_id: i64) -> Option<Arc<SeatChart>> {
        self.lock().by_show.get(&show_id).cloned()
    }

    /// Keeps `chart` as the show's, replacing an older one. A chart larger than the whole
    /// budget is not kept; otherwise other shows' charts are dropped until it fits.
    pub fn put(&self, show_id: i64, chart: Arc<SeatChart>) {
        let size = chart.len().max(1);
        let mut charts = self.lock();
        if let Some(old) = charts.by_show.remove(&show_id) {
            charts.seats -= old.len().max(1);
        }
        if size > self.budget {
            return;
        }
        while charts.seats + size > self.budget {
            let Some(victim) = charts.by_show.keys().next().copied() else {
                break;
            };
            if let Some(old) = charts.by_show.remove(&victim) {
                charts.seats -= old.len().max(1);
            }
        }
        charts.seats += size;
        charts.by_show.insert(show_id, chart);
    }

    /// Seats held by the kept charts.
    pub fn seats(&self) -> usize {
        self.lock().seats
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Charts> {
        // The map is consistent after every statement: a panic elsewhere cannot break it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use boxoffice_domain::seat_map::SeatPlace;

    fn chart(version: i64, seats: usize) -> Arc<SeatChart> {
        let places = (0..seats as i64)
            .map(|i| SeatPlace {
                id: i,
                label: format!("A{i}"),
                row: "A".into(),
                number: i as u32,
                class_id: 1,
                class: "Stalls".into(),
                external_ref: None,
            })
            .collect();
        Arc::new(SeatChart::new(version, places))
    }

    #[test]
    fn keeps_the_latest_chart_of_a_show() {
        let c = ChartCache::new(100);
        assert!(c.get(1).is_none());
        c.put(1, chart(5, 10));
        c.put(1, chart(6, 20));
        assert_eq!(c.get(1).map(|c| c.version()), Some(6));
        assert_eq!(c.seats(), 20);
    }

    #[test]
    fn drops_other_charts_to_stay_within_the_budget() {
        let c = ChartCache::new(100);
        c.put(1, chart(1, 60));
        c.put(2, chart(2, 30));
        c.put(3, chart(3, 50));
        assert!(c.seats() <= 100);
        assert_eq!(c.get(3).map(|c| c.version()), Some(3));
        assert!(c.get(1).is_none() || c.get(2).is_none());
        // Larger than the whole budget: not kept, and nothing else is dropped for it.
        let before = c.seats();
        c.put(4, chart(4, 101));
        assert!(c.get(4).is_none());
        assert_eq!(c.seats(), before);
    }

    #[test]
    fn a_show_without_seats_counts_as_one() {
        let c = ChartCache::new(2);
        c.put(1, chart(1, 0));
        c.put(2, chart(2, 0));
        c.put(3, chart(3, 0));
        assert_eq!(c.seats(), 2);
        assert!(c.get(3).is_some());
    }
}
