//! Idempotency keys: a client sends an `Idempotency-Key` with a write; a retry of the same
//! request with the same key gets the first answer again instead of doing the work twice.
//!
//! The rules live here, pure: what a key may look like ([`IdempotencyKey::parse`]), whose keys
//! are whose ([`IdempotencyScope`]), what makes two requests "the same" ([`request_hash`]), what
//! to do when a key is seen again ([`decide`]) and which answers are kept ([`keeps`]). The
//! storage is a port ([`crate::ports::IdempotencyStore`]); the HTTP edge wraps a handler's work
//! with [`crate::idempotency_service::IdempotencyService`] (see `docs/api.md`, "Idempotency").

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::account::{Actor, TokenHash};

/// The longest key accepted, in characters (bytes: keys are ASCII).
pub const MAX_KEY_LEN: usize = 255;

/// The shortest key accepted from an anonymous caller: for a guest the key is the secret that
/// guards the stored answer (which carries a `guest_token`), so `1` or `order-42` will not do.
/// A UUID has 36 characters.
pub const MIN_GUEST_KEY_LEN: usize = 16;

/// A client's idempotency key: 1 to [`MAX_KEY_LEN`] visible ASCII characters (`!` to `~`; no
/// spaces, no control characters, nothing outside ASCII).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKey {
    #[error("the Idempotency-Key header is empty")]
    Empty,
    #[error("the Idempotency-Key header is longer than 255 characters")]
    TooLong,
    #[error("the Idempotency-Key header may only hold visible ASCII characters (no spaces)")]
    NotVisibleAscii,
    #[error(
        "a guest's Idempotency-Key must be at least 16 characters: send a random value (a UUID)"
    )]
    TooShortForGuest,
}

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidKey> {
        Self::parse_bytes(raw.as_bytes())
    }

    /// Parses the raw bytes of a header value (which may be anything but UTF-8 is not
    /// guaranteed).
    pub fn parse_bytes(raw: &[u8]) -> Result<Self, InvalidKey> {
        if raw.is_empty() {
            return Err(InvalidKey::Empty);
        }
        if !raw.iter().all(|b| (0x21..=0x7e).contains(b)) {
            return Err(InvalidKey::NotVisibleAscii);
        }
        if raw.len() > MAX_KEY_LEN {
            return Err(InvalidKey::TooLong);
        }
        // Only ASCII bytes are left, so this cannot fail.
        String::from_utf8(raw.to_vec())
            .map(Self)
            .map_err(|_| InvalidKey::NotVisibleAscii)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the key may be used by an anonymous caller ([`MIN_GUEST_KEY_LEN`]).
    pub fn check_for_guest(&self) -> Result<(), InvalidKey> {
        if self.0.len() < MIN_GUEST_KEY_LEN {
            return Err(InvalidKey::TooShortForGuest);
        }
        Ok(())
    }
}

/// Whose keys these are: a key means something only together with its scope, so two callers
/// using the same key never see each other's answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyScope(String);

impl IdempotencyScope {
    /// The keys of one account.
    pub fn user(id: Uuid) -> Self {
        Self(format!("user:{id}"))
    }

    /// The keys of whoever holds one booking's guest token (for routes that identify an
    /// anonymous caller by it, e.g. paying a guest booking).
    pub fn guest_booking(booking_id: Uuid) -> Self {
        Self(format!("booking:{booking_id}"))
    }

    /// The keys of whoever holds one guest token (the hash identifies the holder without
    /// storing the token): only the holder can replay the answers kept under it.
    pub fn guest_token(hash: &TokenHash) -> Self {
        let hex: String = hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("guest:{hex}"))
    }

    /// The scope of a caller's account when signed in. Anonymous callers have none: nothing
    /// tells one guest from another, so their keys are scoped to the request instead
    /// ([`IdempotencyScope::guest_request`]).
    pub fn for_actor(actor: &Actor) -> Option<Self> {
        match actor {
            Actor::User(u) => Some(Self::user(u.id)),
            Actor::Anonymous => None,
        }
    }

    /// The keys of an anonymous caller, for one request: the scope is a fingerprint of the
    /// request — its [`request_hash`] (method, path, exact body bytes) and the hash of the
    /// `X-Booking-Token` it presents, if any. A replay therefore needs the key AND the
    /// byte-identical request (and token): a guest booking's answer, which carries its
    /// `guest_token`, goes only to whoever sends the same random key with the same body
    /// (`docs/security.md`). The same key with another body is simply another request.
    pub fn guest_request(request: &RequestHash, booking_token: Option<&TokenHash>) -> Self {
        let mut h = Sha256::new();
        h.update(b"guest-request\0");
        h.update(request.as_bytes());
        match booking_token {
            Some(t) => {
                h.update([1]);
                h.update(t.as_bytes());
            }
            None => h.update([0]),
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("anon:{hex}"))
    }

    /// The scope of `actor`'s key for a request: the account when signed in, else
    /// [`IdempotencyScope::guest_request`].
    pub fn for_request(
        actor: &Actor,
        request: &RequestHash,
        booking_token: Option<&TokenHash>,
    ) -> Self {
        Self::for_actor(actor).unwrap_or_else(|| Self::guest_request(request, booking_token))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a request: what makes a retry "the same request".
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestHash([u8; 32]);

impl RequestHash {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From stored bytes; `None` unless exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for RequestHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestHash(")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…)")
    }
}

/// The hash of a request: SHA-256 over the method, the path and the raw body bytes, each
/// preceded by its length (8 bytes, big-endian) so that no two different requests can be
/// framed into the same input. The body is hashed as sent: a byte-identical retry matches; the
/// same JSON with other spacing or key order does not.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> RequestHash {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    RequestHash(h.finalize().into())
}

/// An answer as it is kept and replayed: status, body bytes and content type.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

impl fmt::Debug for StoredResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies may carry personal data; never in logs.
        f.debug_struct("StoredResponse")
            .field("status", &self.status)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Whether an answer of `status` is kept for replays. Answers the client should see again on
/// a retry — successes and refusals (2xx, 3xx, 4xx) — are kept; a server failure (5xx) is not:
/// the key is released so that a retry does the work again.
pub fn keeps(status: u16) -> bool {
    status < 500
}

/// Where a key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// A request with this key is being worked on (since the record's `started_at`).
    InProgress,
    /// The first request's answer.
    Completed(StoredResponse),
}

/// What is stored about one (scope, key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: RequestHash,
    pub state: KeyState,
    /// When the current attempt began (the first request, or the one that took over).
    pub started_at: DateTime<Utc>,
    /// After this the record counts as absent and may be deleted.
    pub expires_at: DateTime<Utc>,
}

/// Timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyRules {
    /// How long a key is kept after its answer was stored (and after its attempt began, while
    /// it is in progress). At least 24 hours.
    pub ttl: Duration,
    /// An attempt still in progress after this long is taken to be abandoned (its process
    /// died); the next request with the key takes it over and does the work.
    pub takeover_after: Duration,
    /// How long a request waits for a concurrent request with the same key to finish before
    /// it answers 409 `request_in_progress`.
    pub wait_for_concurrent: Duration,
}

impl Default for IdempotencyRules {
    fn default() -> Self {
        Self {
            ttl: Duration::hours(24),
            takeover_after: Duration::seconds(60),
            wait_for_concurrent: Duration::seconds(2),
        }
    }
}

/// What to do with a request whose key has been seen (`decide`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing (alive) is stored: record the key as in progress and do the work.
    Start,
    /// An abandoned attempt of the same request: take the key over and do the work.
    TakeOver,
    /// The same request was answered: give that answer again.
    Replay(StoredResponse),
    /// The same request is being worked on right now.
    InProgress,
    /// The key was used for a different request (422 `idempotency_key_reused`).
    Mismatch,
}

/// The one rule of a kept answer's life: it is gone at or after `expires_at` (a request with the
/// key starts afresh, and the row may be deleted). SQL that deletes expired keys uses
/// `infra-postgres`'s `rules::key_expired_sql`.
pub fn key_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires_at <= now
}

/// The decision for a request with hash `request_hash` given what is stored for its key.
///
/// An expired record counts as absent. Otherwise the key is bound to the request it was first
/// used with: another request is a `Mismatch` whatever the record's state. The same request
/// replays a completed answer, waits for an attempt in progress, or takes over an attempt that
/// began `takeover_after` ago or earlier.
pub fn decide(
    existing: Option<&IdempotencyRecord>,
    request_hash: &RequestHash,
    now: DateTime<Utc>,
    rules: &IdempotencyRules,
) -> Decision {
    let Some(record) = existing else {
        return Decision::Start;
    };
    if key_expired(record.expires_at, now) {
        return Decision::Start;
    }
    if record.request_hash != *request_hash {
        return Decision::Mismatch;
    }
    match &record.state {
        KeyState::Completed(response) => Decision::Replay(response.clone()),
        KeyState::InProgress if record.started_at + rules.takeover_after <= now => {
            Decision::TakeOver
        }
        KeyState::InProgress => Decision::InProgress,
    }
}

/// Identifies one attempt at a key (issued by the store when the attempt begins): only that
/// attempt may complete or release the key, so a slow request whose key was taken over cannot
/// overwrite the answer of the request that took it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease(pub Uuid);

/// The outcome of [`crate::ports::IdempotencyStore::begin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// This request owns the key now (recorded as in progress, committed): do the work, then
    /// `complete` or `abandon` with the lease.
    Begun(Lease),
    /// Give this stored answer instead of doing the work.
    Replay(StoredResponse),
    /// Another request with this key is being worked on.
    InProgress,
    /// The key belongs to a different request.
    Mismatch,
}
