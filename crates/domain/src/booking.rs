//! The booking aggregate: its state machine and the request a customer makes. The pure decisions
//! that turn a request plus a snapshot of the show (read inside the booking transaction) into the
//! rows to write are in [`crate::plan`], re-exported here.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::account::TokenHash;
use crate::error::{DomainError, Violations};
use crate::payment::{HistoryEntity, HistoryEntry, Payment};
use crate::pricing::Tier;
use crate::values::{Currency, Email, Name, Phone, SeatLabel};

pub use crate::plan::{
    plan_general, plan_seat_change, plan_seated, BookingPlan, ClassSnapshot, PlannedItem,
    SeatSnapshot, ShowSnapshot,
};
pub use crate::status::{hold_past_due, status_at, BookingAction, BookingStatus};

impl BookingStatus {
    /// The state after `action`, or `IllegalTransition`.
    pub fn apply(self, action: BookingAction) -> Result<BookingStatus, DomainError> {
        use BookingAction as A;
        use BookingStatus as S;
        match (self, action) {
            (S::Held, A::Pay) => Ok(S::Confirmed),
            (S::Held, A::Expire) => Ok(S::Expired),
            (S::Held | S::Pending | S::Confirmed, A::Cancel) => Ok(S::Cancelled),
            (S::Held, A::Submit) => Ok(S::Pending),
            (S::Pending, A::Accept) => Ok(S::Confirmed),
            (S::Pending, A::Decline) => Ok(S::Cancelled),
            (S::Confirmed, A::Complete) => Ok(S::Completed),
            (S::Expired, A::Revive) => Ok(S::Confirmed),
            (from, action) => Err(DomainError::IllegalTransition {
                from,
                action: action.past_tense(),
            }),
        }
    }
}

/// The buyer of a booking (this issue: a guest with a name and at least one contact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub name: Name,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
}

/// Which places a booking asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Places {
    SeatIds(Vec<i64>),
    SeatLabels(Vec<SeatLabel>),
    Quantity(u32),
}

/// A validated booking request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingCommand {
    pub show_id: i64,
    pub places: Places,
    pub buyer: Buyer,
    /// The signed-in owner, set by the use case (never from the request body).
    pub user_id: Option<Uuid>,
    /// For a guest booking: the hash of the guest token handed out in the 201 response.
    pub guest_token_hash: Option<TokenHash>,
    /// Who books, as the history records it ([`crate::account::Actor::history_label`]); set by
    /// the use case (`guest` until then).
    pub actor: String,
    /// How long a hold lasts (a booking with something to pay is held until `now + hold_for`);
    /// set by the use case from the rules ([`DEFAULT_HOLD_MINUTES`] until then).
    pub hold_for: chrono::Duration,
}

/// The default hold time (config `booking.hold_minutes`).
pub const DEFAULT_HOLD_MINUTES: i64 = 10;

/// When a new booking's hold ends: `hold_for` after `now` for a booking that starts `held`
/// (it has something to pay), none for one confirmed at once.
pub fn hold_deadline(
    status: BookingStatus,
    now: DateTime<Utc>,
    hold_for: chrono::Duration,
) -> Option<DateTime<Utc>> {
    (status == BookingStatus::Held).then(|| now + hold_for)
}

/// The history actor of changes the service makes on its own (expiry, completion).
pub const HISTORY_ACTOR_SYSTEM: &str = "system";
/// The history reason of an expiry.
pub const REASON_HOLD_EXPIRED: &str = "the hold expired before it was paid";
/// The history reason of a completion.
pub const REASON_SHOW_ENDED: &str = "the show ended";

/// A confirmed booking is completed once its show has ended: at or after `ends_at`. SQL that
/// selects the bookings to complete uses `infra-postgres`'s `rules::show_ended_sql`.
pub fn show_has_ended(ends_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    ends_at <= now
}

/// The raw request as it arrives at the edge, before parsing.
#[derive(Debug, Clone, Default)]
pub struct BookingRequest {
    pub show_id: i64,
    pub seat_ids: Option<Vec<i64>>,
    pub seat_labels: Option<Vec<String>>,
    pub quantity: Option<i64>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The places of a booking request (or a quote): exactly one of `seat_ids`, `seat_labels` or
/// `quantity`, 1..=`max_places` of them, distinct and well-formed. Failures go to `v`.
pub fn parse_places(
    seat_ids: Option<Vec<i64>>,
    seat_labels: Option<Vec<String>>,
    quantity: Option<i64>,
    max_places: u32,
    v: &mut Violations,
) -> Option<Places> {
    let count_rule = |n: usize, field: &str, v: &mut Violations| {
        if n == 0 {
            v.add(field, "ask for at least one seat");
        } else if n > max_places as usize {
            v.add(
                field,
                format!("at most {max_places} seats or places per booking"),
            );
        }
    };
    let given = [
        seat_ids.is_some(),
        seat_labels.is_some(),
        quantity.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        v.add(
            "seat_ids",
            "give exactly one of seat_ids, seat_labels (seated shows) or quantity (general admission)",
        );
        None
    } else if let Some(ids) = seat_ids {
        count_rule(ids.len(), "seat_ids", v);
        let distinct: HashSet<i64> = ids.iter().copied().collect();
        if distinct.len() != ids.len() {
            v.add("seat_ids", "seats must be distinct");
        }
        if ids.iter().any(|id| *id <= 0) {
            v.add("seat_ids", "seat ids are positive integers");
        }
        Some(Places::SeatIds(ids))
    } else if let Some(labels) = seat_labels {
        count_rule(labels.len(), "seat_labels", v);
        let parsed: Vec<SeatLabel> = labels
            .iter()
            .filter_map(|l| v.check("seat_labels", SeatLabel::parse(l)))
            .collect();
        let distinct: HashSet<&str> = parsed.iter().map(SeatLabel::as_str).collect();
        if distinct.len() != parsed.len() {
            v.add("seat_labels", "seats must be distinct");
        }
        Some(Places::SeatLabels(parsed))
    } else {
        let q = quantity.unwrap_or(0);
        if q <= 0 {
            v.add("quantity", "quantity must be at least 1");
        } else if q > i64::from(max_places) {
            v.add(
                "quantity",
                format!("at most {max_places} seats or places per booking"),
            );
        }
        Some(Places::Quantity(q.clamp(0, i64::from(u32::MAX)) as u32))
    }
}

/// [`parse_places`] alone, for a quote: the places and nothing else.
pub fn parse_places_only(
    seat_ids: Option<Vec<i64>>,
    seat_labels: Option<Vec<String>>,
    quantity: Option<i64>,
    max_places: u32,
) -> Result<Places, DomainError> {
    let mut v = Violations::new();
    let places = parse_places(seat_ids, seat_labels, quantity, max_places, &mut v);
    v.finish()?;
    places.ok_or_else(|| DomainError::Internal("unreachable: violations empty".into()))
}

fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The buyer of a booking: a name and at least one of phone or email, all well-formed (blank
/// contacts count as absent). Failures go to `v`.
pub fn parse_buyer(
    name: &str,
    phone: &Option<String>,
    email: &Option<String>,
    v: &mut Violations,
) -> Option<Buyer> {
    let name = v.check("name", Name::parse(name));
    let phone_v = blank_to_none(phone).and_then(|p| v.check("phone", Phone::parse(p)));
    let email_v = blank_to_none(email).and_then(|e| v.check("email", Email::parse(e)));
    if blank_to_none(phone).is_none() && blank_to_none(email).is_none() {
        v.add("email", "give at least one of phone or email");
    }
    name.map(|name| Buyer {
        name,
        phone: phone_v,
        email: email_v,
    })
}

impl BookingRequest {
    /// Parses the request into a command: a booking has 1..=`max_places` distinct seats or
    /// places, a name, and at least one of phone/email, all well-formed.
    pub fn parse(self, max_places: u32) -> Result<BookingCommand, DomainError> {
        let mut v = Violations::new();
        let buyer = parse_buyer(&self.name, &self.phone, &self.email, &mut v);
        let places = parse_places(
            self.seat_ids,
            self.seat_labels,
            self.quantity,
            max_places,
            &mut v,
        );
        if self.show_id <= 0 {
            v.add("show_id", "show_id is a positive integer");
        }
        v.finish()?;
        match (buyer, places) {
            (Some(buyer), Some(places)) => Ok(BookingCommand {
                show_id: self.show_id,
                places,
                buyer,
                user_id: None,
                guest_token_hash: None,
                actor: crate::account::HISTORY_ACTOR_GUEST.to_owned(),
                hold_for: chrono::Duration::minutes(DEFAULT_HOLD_MINUTES),
            }),
            _ => Err(DomainError::Internal(
                "unreachable: violations empty".into(),
            )),
        }
    }
}

/// One line of a booking: a seat, or n general-admission places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookingItem {
    pub seat_id: Option<i64>,
    pub label: Option<String>,
    pub seat_class: Option<String>,
    pub quantity: u32,
    /// Price of one seat/place in minor units.
    pub price: i64,
    pub tier: Option<Tier>,
}

/// `Conflict { code: booking_not_held }` for a booking that is `status` now: only a held booking
/// whose hold still runs can be paid or have its seats changed.
pub fn not_held(id: Uuid, status: BookingStatus) -> DomainError {
    DomainError::Conflict {
        code: crate::codes::ConflictCode::BookingNotHeld,
        message: format!(
            "booking {id} is {status}: only a held booking whose hold still runs can be paid or changed"
        ),
    }
}

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: Uuid,
    pub reference: String,
    /// The show of a booking of seats or places; `None` for an appointment.
    pub show_id: Option<i64>,
    /// The event of that show; `None` for an appointment.
    pub event_id: Option<i64>,
    /// The slot of an appointment (kind `appointment`); `None` for a show's booking.
    pub appointment: Option<crate::marketplace::appointment::Appointment>,
    pub status: BookingStatus,
    pub customer_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub quantity: u32,
    pub total_amount: i64,
    pub currency: Currency,
    pub items: Vec<BookingItem>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The account that owns it; `None` for a guest booking.
    pub user_id: Option<Uuid>,
    /// Hash of a guest booking's token (never shown).
    pub guest_token_hash: Option<TokenHash>,
    /// When a hold ends (set for bookings that were held; kept after they are paid or expire).
    pub expires_at: Option<DateTime<Utc>>,
    /// The booking's payments, oldest first, each with its refunds.
    pub payments: Vec<Payment>,
}

/// What a booking books: a show's seats or places, or a provider's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Show,
    Appointment,
}

impl BookingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingKind::Show => "show",
            BookingKind::Appointment => "appointment",
        }
    }
}

impl Booking {
    /// A show's booking or an appointment.
    pub fn kind(&self) -> BookingKind {
        if self.appointment.is_some() {
            BookingKind::Appointment
        } else {
            BookingKind::Show
        }
    }

    /// A hold that is past its deadline: it is expired, whether or not that has been written.
    pub fn hold_is_past_due(&self, now: DateTime<Utc>) -> bool {
        hold_past_due(self.status, self.expires_at, now)
    }

    /// The booking as it stands at `now`: a past-due hold reads as `expired` at once (its seats
    /// are free for everyone else already; the reaper or the next booking of its seats writes
    /// it down).
    pub fn as_of(mut self, now: DateTime<Utc>) -> Booking {
        if self.hold_is_past_due(now) {
            self.status = BookingStatus::Expired;
        }
        self
    }

    /// Whether a payment may be started for it now: held, and the hold still runs.
    pub fn accepts_payment(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        let status = crate::status::status_at(self.status, self.expires_at, now);
        if status == BookingStatus::Held {
            Ok(())
        } else {
            Err(not_held(self.id, status))
        }
    }

    /// The history entry that a past-due hold gets when it expires (at its deadline, by the
    /// system); the reaper and the booking transaction write exactly this, and reads show it
    /// before either has run.
    pub fn expiry_entry(&self) -> Option<HistoryEntry> {
        Some(HistoryEntry {
            at: self.expires_at?,
            entity: HistoryEntity::Booking,
            entity_id: self.id.to_string(),
            from: Some(BookingStatus::Held.as_str().to_owned()),
            to: BookingStatus::Expired.as_str().to_owned(),
            actor: Some(HISTORY_ACTOR_SYSTEM.to_owned()),
            reason: Some(REASON_HOLD_EXPIRED.to_owned()),
        })
    }
}

/// A short human booking reference such as `BX-7KQ2M9AB3F` from random bytes: 10 characters of
/// Crockford base32 (no I, L, O, U), 50 bits. The database keeps references unique.
pub fn reference_from(random: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut s = String::from("BX-");
    let mut r = random;
    for _ in 0..10 {
        s.push(ALPHABET[(r & 31) as usize] as char);
        r >>= 5;
    }
    s
}
