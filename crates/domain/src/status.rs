//! The states of a booking and what can happen to it, and the one rule of "a hold is past due".
//! Shared by the booking aggregate, payments and the errors (`IllegalTransition`), so it sits
//! below all of them; `booking` re-exports it. The transition itself ([`BookingStatus::apply`])
//! answers a `DomainError` and is in `booking.rs`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Booking states (ARCHITECTURE.md, docs/lifecycle.md):
/// `held --pay--> confirmed --show ends--> completed`, `held --expire--> expired`,
/// `expired --revive--> confirmed` (a payment that arrived after the hold expired, while the same
/// seats were still free), `held|confirmed --cancel--> cancelled`. Appointments of a service
/// whose provider accepts each one first (issue 14): `held --submit--> pending` (paid, or free),
/// `pending --accept--> confirmed`, `pending --decline|cancel--> cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Held,
    /// Paid (or free), waiting for the provider to accept or decline (appointments only).
    Pending,
    Confirmed,
    Completed,
    Expired,
    Cancelled,
}

/// What can happen to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingAction {
    Pay,
    Expire,
    Cancel,
    Complete,
    /// A late payment brings an expired booking back (its seats were still free).
    Revive,
    /// Paid (or free) and sent to the provider, who accepts each appointment first.
    Submit,
    /// The provider accepts a pending appointment.
    Accept,
    /// The provider declines a pending appointment.
    Decline,
}

impl BookingAction {
    pub fn past_tense(self) -> &'static str {
        match self {
            BookingAction::Pay => "paid",
            BookingAction::Expire => "expired",
            BookingAction::Cancel => "cancelled",
            BookingAction::Complete => "completed",
            BookingAction::Revive => "revived",
            BookingAction::Submit => "submitted",
            BookingAction::Accept => "accepted",
            BookingAction::Decline => "declined",
        }
    }
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 6] = [
        BookingStatus::Held,
        BookingStatus::Pending,
        BookingStatus::Confirmed,
        BookingStatus::Completed,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Held => "held",
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Completed => "completed",
            BookingStatus::Expired => "expired",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Held, pending and confirmed bookings occupy their seats, places or time.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            BookingStatus::Held | BookingStatus::Pending | BookingStatus::Confirmed
        )
    }

    /// The status a new booking starts in: a hold when there is something to pay, confirmed at
    /// once when it is free.
    pub fn initial(total_amount: i64) -> BookingStatus {
        if total_amount > 0 {
            BookingStatus::Held
        } else {
            BookingStatus::Confirmed
        }
    }
}

/// The one rule of "a hold is past due": a booking stored as `held` whose deadline is at or
/// before `now`. It is expired from that instant, whether or not that has been written yet: its
/// places are free for everyone else. SQL that must filter by it uses
/// `infra-postgres`'s `rules::past_due_sql`, which states exactly this.
pub fn hold_past_due(
    stored: BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    stored == BookingStatus::Held && expires_at.is_some_and(|e| e <= now)
}

/// The status of a stored booking as it stands at `now` ([`hold_past_due`] reads as expired).
pub fn status_at(
    stored: BookingStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> BookingStatus {
    if hold_past_due(stored, expires_at, now) {
        BookingStatus::Expired
    } else {
        stored
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
