//! A short-lived cache of rendered seat maps (`GET /shows/{id}/seats`), the hottest read.
//!
//! The booking transaction never reads it: it is only what a client *sees*. An entry lives at
//! most `ttl`; a booking, cancellation or import made through this instance drops the show's
//! entry at once (read-your-writes on one instance). Another instance's writes show up within
//! `ttl`. A per-show generation keeps a read that started before a write from storing its
//! stale result after the write invalidated the entry. `ttl` 0 disables the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;

#[derive(Default)]
struct Entry {
    generation: u64,
    value: Option<(Instant, Bytes)>,
}

pub struct SeatMapCache {
    ttl: Duration,
    entries: Mutex<HashMap<i64, Entry>>,
}

/// Most shows kept; beyond it the cache is cleared (seat maps are re-read on the next request).
const MAX_SHOWS: usize = 10_000;

impl SeatMapCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        // A panic while holding the lock cannot leave the map inconsistent: recover it.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached body if fresh, else the generation to pass to [`Self::store`].
    pub fn get(&self, show_id: i64) -> Result<Bytes, u64> {
        if self.ttl.is_zero() {
            return Err(0);
        }
        let map = self.lock();
        match map.get(&show_id) {
            Some(Entry {
                value: Some((at, body)),
                ..
            }) if at.elapsed() < self.ttl => Ok(body.clone()),
            Some(e) => Err(e.generation),
            None => Err(0),
        }
    }

    /// Stores `body` unless the show was invalidated since `generation` was read.
    pub fn store(&self, show_id: i64, generation: u64, body: Bytes) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= MAX_SHOWS && !map.contains_key(&show_id) {
            map.retain(|_, e| e.generation > 0);
            map.values_mut().for_each(|e| e.value = None);
        }
        let e = map.entry(show_id).or_default();
        if e.generation == generation {
            e.value = Some((Instant::now(), body));
        }
    }

    /// Drops the show's entry (after a write through this instance).
    pub fn invalidate(&self, show_id: i64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        let e = map.entry(show_id).or_default();
        e.generation += 1;
        e.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_fresh_entries_and_drops_invalidated_ones() {
        let c = SeatMapCache::new(Duration::from_secs(60));
        let g = c.get(1).unwrap_err();
        c.store(1, g, Bytes::from_static(b"v1"));
        assert_eq!(c.get(1).unwrap(), Bytes::from_static(b"v1"));
        c.invalidate(1);
        assert!(c.get(1).is_err());
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_stored() {
        let c = SeatMapCache::new(Duration::from_secs(60));
        let g = c.get(7).unwrap_err();
        c.invalidate(7); // a booking committed while the read was in flight
        c.store(7, g, Bytes::from_static(b"stale"));
        assert!(c.get(7).is_err());
        let g = c.get(7).unwrap_err();
        c.store(7, g, Bytes::from_static(b"fresh"));
        assert_eq!(c.get(7).unwrap(), Bytes::from_static(b"fresh"));
    }

    #[test]
    fn zero_ttl_disables() {
        let c = SeatMapCache::new(Duration::ZERO);
        c.store(1, 0, Bytes::from_static(b"x"));
        assert!(c.get(1).is_err());
        c.invalidate(1);
    }

    #[test]
    fn entries_expire() {
        let c = SeatMapCache::new(Duration::from_millis(1));
        let g = c.get(1).unwrap_err();
        c.store(1, g, Bytes::from_static(b"x"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.get(1).is_err());
    }
}
