//! Real time (issue 12): what a live seat-map stream says, and when a reconnecting reader can
//! resume. Pure: the adapters move the signals (PostgreSQL `LISTEN/NOTIFY`) and the bytes (SSE).
//!
//! - [`Signal`]: the small message one instance sends every instance after a commit — which
//!   shows' seats changed, which users got a notification — with its wire form
//!   ([`Signal::payloads`], [`Signal::parse`]). Readers fetch the details themselves.
//! - [`ShowState`]: what a seat-map stream shows of a show (its counts, and every seat's state
//!   for a seated show), [`ShowState::digest`] (the same state → the same digest on every
//!   instance) and [`ShowState::changes_since`] (the seats and counts that changed).
//! - [`ReplayLog`]: the last changes a stream sent, by version, and the rule for a reader that
//!   comes back with `Last-Event-ID` ([`ReplayLog::resume`]).
//!
//! Versions: a show's stream version names ONE state of the show, the same on every instance.
//! Writers do not count them (a counter row per show would make every booking of the show
//! queue on it); a reader that sees a new state asks the storage for the version of that state
//! ([`crate::ports::LiveStore::stamp`]): the current one when its digest is the stored one,
//! else the next number. So versions only grow, and a version never names two states.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::account::{secret_expired, Actor, TokenHash};
use crate::catalog::{SeatClassAvailability, SeatStatus, ShowDetail};
use crate::codes::AuthCode;
use crate::error::DomainError;
use crate::ports::{Clock, LiveStore, TokenGenerator};
use crate::seat_map::SeatMap;

/// The channel of [`Signal::Seats`].
pub const SEATS_CHANNEL: &str = "boxoffice_seats";
/// The channel of [`Signal::Inbox`].
pub const INBOX_CHANNEL: &str = "boxoffice_inbox";

/// The longest payload PostgreSQL's `NOTIFY` takes is 8000 bytes: a signal is cut in pieces
/// of at most this many.
const MAX_PAYLOAD: usize = 7_900;

/// What changed, as one instance tells the others after its transaction committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The seats or counts of these shows may have changed.
    Seats(Vec<i64>),
    /// These users have new notifications.
    Inbox(Vec<Uuid>),
    /// Signals may have been missed (the listener reconnected): everything may have changed.
    Resync,
}

impl Signal {
    /// The `(channel, payload)` pairs that carry the signal: comma-separated ids, cut so
    /// that no payload exceeds PostgreSQL's limit. `Resync` is never sent.
    pub fn payloads(&self) -> Vec<(&'static str, String)> {
        fn cut<T: ToString>(channel: &'static str, ids: &[T]) -> Vec<(&'static str, String)> {
            let mut out = Vec::new();
            let mut current = String::new();
            for id in ids {
                let id = id.to_string();
                if !current.is_empty() && current.len() + 1 + id.len() > MAX_PAYLOAD {
                    out.push((channel, std::mem::take(&mut current)));
                }
                if !current.is_empty() {
                    current.push(',');
                }
                current.push_str(&id);
            }
            if !current.is_empty() {
                out.push((channel, current));
            }
            out
        }
        match self {
            Signal::Seats(shows) => cut(SEATS_CHANNEL, shows),
            Signal::Inbox(users) => cut(INBOX_CHANNEL, users),
            Signal::Resync => Vec::new(),
        }
    }

    /// The signal a payload on `channel` carries; `None` for another channel or a payload
    /// that is not a list of ids (ignored: a signal is only a hint to read again).
    pub fn parse(channel: &str, payload: &str) -> Option<Signal> {
        let parts = payload.split(',').filter(|p| !p.is_empty());
        match channel {
            SEATS_CHANNEL => parts
                .map(|p| p.parse::<i64>().ok())
                .collect::<Option<Vec<_>>>()
                .map(Signal::Seats),
            INBOX_CHANNEL => parts
                .map(|p| Uuid::parse_str(p).ok())
                .collect::<Option<Vec<_>>>()
                .map(Signal::Inbox),
            _ => None,
        }
    }
}

/// Where the signals of other instances (and this one's) arrive: the live streams and the
/// caches of this instance.
pub trait SignalSink: Send + Sync + 'static {
    fn signal(&self, signal: Signal);
}

/// What a live stream shows of a show: for a seated show its seat map (every seat's state,
/// the class counts), for a general-admission show its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowState {
    Seated(SeatMap),
    General(ShowDetail),
}

/// A seat whose state changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatChange {
    pub id: i64,
    pub status: SeatStatus,
    pub held_until: Option<DateTime<Utc>>,
}

/// What changed between two states of a show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// Nothing a reader would see.
    None,
    /// The seats themselves changed (an import): the reader needs a new snapshot.
    Chart,
    /// These seats changed state; these classes' counts or prices changed; the show's
    /// available places are now `available`.
    Some {
        seats: Vec<SeatChange>,
        classes: Vec<SeatClassAvailability>,
        available: u64,
    },
}

impl ShowState {
    pub fn detail(&self) -> &ShowDetail {
        match self {
            ShowState::Seated(map) => &map.show,
            ShowState::General(show) => show,
        }
    }

    /// A digest of everything a stream shows of the state (seat states, class counts and
    /// prices, places): equal states have equal digests, on every instance.
    pub fn digest(&self) -> i64 {
        let mut h = Sha256::new();
        let show = self.detail();
        h.update(show.show.id.to_le_bytes());
        h.update(show.available_places().to_le_bytes());
        h.update(show.total_places().to_le_bytes());
        for c in &show.classes {
            h.update(c.id.to_le_bytes());
            h.update(c.total_seats.to_le_bytes());
            h.update(c.held_seats.to_le_bytes());
            h.update(c.booked_seats.to_le_bytes());
            h.update(c.current_quote().map_or(-1, |q| q.price).to_le_bytes());
        }
        if let ShowState::Seated(map) = self {
            h.update(map.chart().version().to_le_bytes());
            for (seat, state) in map.seats() {
                h.update(seat.id.to_le_bytes());
                h.update([state.status() as u8]);
                h.update(
                    state
                        .held_until()
                        .map_or(0, |t| t.timestamp_micros())
                        .to_le_bytes(),
                );
            }
        }
        let d = h.finalize();
        i64::from_le_bytes(d[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
    }

    /// What changed from `old` to `self`.
    pub fn changes_since(&self, old: &ShowState) -> Changes {
        let (new_show, old_show) = (self.detail(), old.detail());
        let seats = match (self, old) {
            (ShowState::Seated(new), ShowState::Seated(old)) => {
                if new.chart().version() != old.chart().version() {
                    return Changes::Chart;
                }
                new.seats()
                    .zip(old.seats())
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((seat, state), _)| SeatChange {
                        id: seat.id,
                        status: state.status(),
                        held_until: state.held_until(),
                    })
                    .collect()
            }
            (ShowState::General(_), ShowState::General(_)) => Vec::new(),
            _ => return Changes::Chart,
        };
        let class_ids = |s: &ShowDetail| s.classes.iter().map(|c| c.id).collect::<Vec<_>>();
        if class_ids(new_show) != class_ids(old_show) {
            return Changes::Chart;
        }
        let classes: Vec<SeatClassAvailability> = new_show
            .classes
            .iter()
            .zip(&old_show.classes)
            .filter(|(a, b)| {
                (
                    a.total_seats,
                    a.held_seats,
                    a.booked_seats,
                    a.current_quote(),
                ) != (
                    b.total_seats,
                    b.held_seats,
                    b.booked_seats,
                    b.current_quote(),
                )
            })
            .map(|(a, _)| a.clone())
            .collect();
        let available = new_show.available_places();
        if seats.is_empty()
            && classes.is_empty()
            && available == old_show.available_places()
            && new_show.total_places() == old_show.total_places()
        {
            return Changes::None;
        }
        Changes::Some {
            seats,
            classes,
            available,
        }
    }
}

/// What a reader coming back with the last version it saw gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume<T> {
    /// It has the current state: nothing to send.
    UpToDate,
    /// The changes after its version, in order.
    Replay(Vec<T>),
    /// Its version is not one this log can continue from: a fresh snapshot.
    Snapshot,
}

/// The last changes a stream sent (`from` version → `to` version, with what was sent), at
/// most `capacity` of them.
#[derive(Debug, Clone)]
pub struct ReplayLog<T> {
    capacity: usize,
    entries: VecDeque<(i64, i64, T)>,
}

impl<T: Clone> ReplayLog<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
        }
    }

    /// Records the change from version `from` to `to`. A change that does not continue the
    /// last one (the stream re-read the show after a gap) starts the log again.
    pub fn push(&mut self, from: i64, to: i64, item: T) {
        if self
            .entries
            .back()
            .is_some_and(|(_, last, _)| *last != from)
        {
            self.entries.clear();
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((from, to, item));
    }

    /// Forgets every change (the state was re-read from scratch).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// For a reader whose last version is `seen`, the stream being at `current`: up to date
    /// when `seen` is `current`; the changes after `seen` when the log holds them all (a
    /// version names one state on every instance, so this holds whichever instance sent
    /// `seen`); otherwise a snapshot.
    pub fn resume(&self, seen: i64, current: i64) -> Resume<T> {
        if seen == current {
            return Resume::UpToDate;
        }
        match self.entries.iter().position(|(from, _, _)| *from == seen) {
            Some(at) => Resume::Replay(self.entries.iter().skip(at).map(|e| e.2.clone()).collect()),
            None => Resume::Snapshot,
        }
    }
}

/// Single-use stream tickets: a browser's `EventSource` cannot send an `Authorization` header,
/// so a signed-in client first asks for a ticket and opens the stream with it in the query.
/// A ticket is good once, for `ttl`; only its hash is stored.
#[derive(Clone)]
pub struct StreamTickets {
    store: Arc<dyn LiveStore>,
    tokens: Arc<dyn TokenGenerator>,
    clock: Arc<dyn Clock>,
    ttl: chrono::Duration,
}

impl StreamTickets {
    pub fn new(
        store: Arc<dyn LiveStore>,
        tokens: Arc<dyn TokenGenerator>,
        clock: Arc<dyn Clock>,
        ttl: chrono::Duration,
    ) -> Self {
        Self {
            store,
            tokens,
            clock,
            ttl,
        }
    }

    /// A new ticket of the signed-in caller, and when it stops being good.
    pub async fn issue(&self, actor: &Actor) -> Result<(String, DateTime<Utc>), DomainError> {
        let user = actor.require_user()?;
        let ticket = self.tokens.token();
        let now = self.clock.now();
        let expires_at = now + self.ttl;
        self.store
            .store_ticket(TokenHash::of(&ticket), user.id, expires_at, now)
            .await?;
        Ok((ticket, expires_at))
    }

    /// The user of a ticket presented now; the ticket is used up. 401
    /// `invalid_stream_ticket` for an unknown, used or expired one.
    pub async fn redeem(&self, ticket: &str) -> Result<Uuid, DomainError> {
        let invalid = || {
            DomainError::unauthorized(
                AuthCode::InvalidStreamTicket,
                "unknown, used or expired stream ticket",
            )
        };
        match self.store.take_ticket(TokenHash::of(ticket)).await? {
            Some((user, expires_at)) if !secret_expired(expires_at, self.clock.now()) => Ok(user),
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip_and_are_cut_under_the_payload_limit() {
        let s = Signal::Seats(vec![1, 22, 333]);
        assert_eq!(s.payloads(), vec![(SEATS_CHANNEL, "1,22,333".to_owned())]);
        assert_eq!(Signal::parse(SEATS_CHANNEL, "1,22,333"), Some(s));
        let users: Vec<Uuid> = (0..500).map(|_| Uuid::new_v4()).collect();
        let payloads = Signal::Inbox(users.clone()).payloads();
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|(_, p)| p.len() <= MAX_PAYLOAD));
        let back: Vec<Uuid> = payloads
            .iter()
            .flat_map(|(c, p)| match Signal::parse(c, p) {
                Some(Signal::Inbox(u)) => u,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(back, users);
        assert!(Signal::Resync.payloads().is_empty());
        assert_eq!(Signal::parse(SEATS_CHANNEL, "1,x"), None);
        assert_eq!(Signal::parse("other", "1"), None);
        assert_eq!(
            Signal::parse(SEATS_CHANNEL, ""),
            Some(Signal::Seats(vec![]))
        );
    }

    #[test]
    fn a_log_replays_what_follows_a_known_version_and_snapshots_otherwise() {
        let mut log = ReplayLog::new(3);
        log.push(1, 2, "a");
        log.push(2, 5, "b");
        log.push(5, 6, "c");
        assert_eq!(log.resume(6, 6), Resume::UpToDate);
        assert_eq!(log.resume(2, 6), Resume::Replay(vec!["b", "c"]));
        assert_eq!(log.resume(1, 6), Resume::Replay(vec!["a", "b", "c"]));
        assert_eq!(
            log.resume(3, 6),
            Resume::Snapshot,
            "never a version of this log"
        );
        assert_eq!(log.resume(7, 6), Resume::Snapshot, "from the future");
        log.push(6, 7, "d");
        assert_eq!(log.resume(1, 7), Resume::Snapshot, "fell out of the log");
        assert_eq!(log.resume(2, 7), Resume::Replay(vec!["b", "c", "d"]));
        log.push(9, 10, "e");
        assert_eq!(
            log.resume(6, 10),
            Resume::Snapshot,
            "a gap starts the log again"
        );
        assert_eq!(log.resume(9, 10), Resume::Replay(vec!["e"]));
    }
}
