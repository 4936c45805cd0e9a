//! A short-lived cache of rendered seat maps (`GET /shows/{id}/seats`), the hottest read.
//!
//! The booking transaction never reads it: it is only what a client *sees*. An entry lives at
//! most `ttl`; a booking, cancellation or import made through this instance drops the show's
//! entry at once (read-your-writes on one instance). Another instance's writes show up within
//! `ttl`. A per-show generation keeps a read that started before a write from storing its
//! stale result after the write invalidated the entry. An entry never outlives the first hold
//! it shows (its seats are free at that instant). Payments, which may confirm or revive any
//! show's booking, drop every entry. `ttl` 0 disables the cache.
//!
//! An entry is the rendered body with its `ETag` ([`Rendered`]), so a conditional request
//! answered from memory (`If-None-Match` → 304) costs no hashing either.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};

/// A rendered seat map: the JSON body and its strong validator.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub body: Bytes,
    /// `"<32 hex digits>"`: the 128-bit XXH3 hash of the body (a fixed, specified
    /// algorithm), so equal bodies have equal tags on every instance and any change of the
    /// body changes the tag. Not cryptographic: nothing secret rests on it. (About 20 times
    /// cheaper than SHA-256 on a 75 kB map, and computed on every uncached read.)
    pub etag: HeaderValue,
}

impl Rendered {
    pub fn new(body: Bytes) -> Self {
        let tag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&body));
        let etag = HeaderValue::from_str(&tag).expect("hex digits are a valid header value");
        Self { body, etag }
    }
}

#[derive(Default)]
struct Entry {
    generation: u64,
    /// The body, the instant it stops being served, and the end of the first hold it shows
    /// (on the service's clock).
    value: Option<(Instant, Option<DateTime<Utc>>, Rendered)>,
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

    /// The cached map if fresh at `now` (the service's clock), else the generation to pass
    /// to [`Self::store`].
    pub fn get(&self, show_id: i64, now: DateTime<Utc>) -> Result<Rendered, u64> {
        if self.ttl.is_zero() {
            return Err(0);
        }
        let map = self.lock();
        match map.get(&show_id) {
            Some(Entry {
                value: Some((until, hold_ends, body)),
                ..
            }) if Instant::now() < *until && hold_ends.is_none_or(|h| now < h) => Ok(body.clone()),
            Some(e) => Err(e.generation),
            None => Err(0),
        }
    }

    /// Stores `body` unless the show was invalidated since `generation` was read.
    pub fn store(&self, show_id: i64, generation: u64, body: Rendered) {
        self.store_until(show_id, generation, body, None);
    }

    /// [`Self::store`] of a map whose first hold ends at `hold_ends`: not served from then on.
    pub fn store_until(
        &self,
        show_id: i64,
        generation: u64,
        body: Rendered,
        hold_ends: Option<DateTime<Utc>>,
    ) {
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
            e.value = Some((Instant::now() + self.ttl, hold_ends, body));
        }
    }

    /// Drops every entry (a payment may change any show's seats).
    pub fn invalidate_all(&self) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        for e in map.values_mut() {
            e.generation += 1;
            e.value = None;
        }
    }

    /// Drops the show's entry (after a write through this instance).
    /// Drops the show's entry (nothing for `None`: an appointment has no seat map).
    pub fn invalidate(&self, show_id: impl Into<Option<i64>>) {
        let Some(show_id) = show_id.into() else {
            return;
        };
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

    fn r(body: &'static [u8]) -> Rendered {
        Rendered::new(Bytes::from_static(body))
    }

    #[test]
    fn the_etag_is_a_strong_tag_of_the_body() {
        let a = r(b"{\"items\":[]}");
        assert_eq!(a.etag.len(), 34);
        let tag = a.etag.to_str().unwrap();
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert!(tag[1..33].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, r(b"{\"items\":[]}"), "same body, same tag");
        assert_ne!(a.etag, r(b"{\"items\":[1]}").etag);
        // XXH3-128 of the empty input (the reference value of the specification).
        assert_eq!(r(b"").etag, "\"99aa06d3014798d86001c324468d497f\"");
    }

    #[test]
    fn serves_fresh_entries_and_drops_invalidated_ones() {
        let c = SeatMapCache::new(Duration::from_secs(60));
        let g = c.get(1, Utc::now()).unwrap_err();
        c.store(1, g, r(b"v1"));
        assert_eq!(c.get(1, Utc::now()).unwrap(), r(b"v1"));
        c.invalidate(1);
        assert!(c.get(1, Utc::now()).is_err());
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_stored() {
        let c = SeatMapCache::new(Duration::from_secs(60));
        let g = c.get(7, Utc::now()).unwrap_err();
        c.invalidate(7); // a booking committed while the read was in flight
        c.store(7, g, r(b"stale"));
        assert!(c.get(7, Utc::now()).is_err());
        let g = c.get(7, Utc::now()).unwrap_err();
        c.store(7, g, r(b"fresh"));
        assert_eq!(c.get(7, Utc::now()).unwrap(), r(b"fresh"));
    }

    #[test]
    fn an_entry_is_not_served_past_its_first_hold_and_payments_drop_all() {
        let c = SeatMapCache::new(Duration::from_secs(60));
        let now = Utc::now();
        let g = c.get(1, now).unwrap_err();
        c.store_until(1, g, r(b"held"), Some(now + chrono::Duration::minutes(1)));
        assert!(c.get(1, now).is_ok());
        assert!(
            c.get(1, now + chrono::Duration::minutes(1)).is_err(),
            "a hold that ended is not served from memory"
        );
        c.invalidate(1);
        let g1 = c.get(1, Utc::now()).unwrap_err();
        c.store(1, g1, r(b"a"));
        let g2 = c.get(2, Utc::now()).unwrap_err();
        c.store(2, g2, r(b"b"));
        assert!(c.get(1, Utc::now()).is_ok() && c.get(2, Utc::now()).is_ok());
        c.invalidate_all();
        assert!(c.get(1, Utc::now()).is_err() && c.get(2, Utc::now()).is_err());
    }

    #[test]
    fn zero_ttl_disables() {
        let c = SeatMapCache::new(Duration::ZERO);
        c.store(1, 0, r(b"x"));
        assert!(c.get(1, Utc::now()).is_err());
        c.invalidate(1);
    }

    #[test]
    fn entries_expire() {
        let c = SeatMapCache::new(Duration::from_millis(1));
        let g = c.get(1, Utc::now()).unwrap_err();
        c.store(1, g, r(b"x"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.get(1, Utc::now()).is_err());
    }
}
