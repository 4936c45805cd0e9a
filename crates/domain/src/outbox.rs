//! The transactional outbox (issue 12): what is worth telling someone about, and how often a
//! delivery is retried.
//!
//! Every change the booking engine makes writes one history row; [`topic_of`] says which of
//! those changes become an outbox message ([`OutboxMessage`]), and the engine hands the messages
//! to the same transaction ([`crate::engine::BookingTx::enqueue`]), so a message exists exactly
//! when its change committed — never for a change that was rolled back. Delivery happens later,
//! at least once, by a worker; [`RetryPolicy`] is when it tries again and when it gives up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::payment::HistoryEntity;
use crate::payment_model::{PaymentStatus, RefundStatus};
use crate::status::BookingStatus;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    BookingHeld,
    BookingConfirmed,
    BookingCancelled,
    BookingExpired,
    BookingCompleted,
    BookingSeatsChanged,
    /// An appointment paid (or free) and waiting for its provider's acceptance.
    BookingPending,
    /// An appointment moved to another slot.
    BookingRescheduled,
    /// An appointment starts soon (the service's reminder time before it).
    AppointmentReminder,
    PaymentSucceeded,
    PaymentFailed,
    RefundIssued,
    /// An admin's message to users (`POST /api/v1/notifications/push`).
    Announcement,
    /// A password-reset token to email (`POST /api/v1/auth/password-reset`).
    PasswordResetRequested,
    /// A partner webhook's delivery (about a webhook delivery; its event is the delivery's own,
    /// `crate::webhooks`).
    Webhook,
}

impl Topic {
    pub const ALL: [Topic; 15] = [
        Topic::BookingHeld,
        Topic::BookingConfirmed,
        Topic::BookingCancelled,
        Topic::BookingExpired,
        Topic::BookingCompleted,
        Topic::BookingSeatsChanged,
        Topic::BookingPending,
        Topic::BookingRescheduled,
        Topic::AppointmentReminder,
        Topic::PaymentSucceeded,
        Topic::PaymentFailed,
        Topic::RefundIssued,
        Topic::Announcement,
        Topic::PasswordResetRequested,
        Topic::Webhook,
    ];

    /// The stored name (`outbox.topic`).
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::BookingHeld => "booking.held",
            Topic::BookingConfirmed => "booking.confirmed",
            Topic::BookingCancelled => "booking.cancelled",
            Topic::BookingExpired => "booking.expired",
            Topic::BookingCompleted => "booking.completed",
            Topic::BookingSeatsChanged => "booking.seats_changed",
            Topic::BookingPending => "booking.pending",
            Topic::BookingRescheduled => "booking.rescheduled",
            Topic::AppointmentReminder => "appointment.reminder",
            Topic::PaymentSucceeded => "payment.succeeded",
            Topic::PaymentFailed => "payment.failed",
            Topic::RefundIssued => "refund.issued",
            Topic::Announcement => "announcement",
            Topic::PasswordResetRequested => "password.reset_requested",
            Topic::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The topic of a booking reaching `to` from `from` (`None`: a new booking). A held
    /// booking that stays held had its seats changed.
    pub fn of_booking(from: Option<BookingStatus>, to: BookingStatus) -> Topic {
        match to {
            BookingStatus::Held if from == Some(BookingStatus::Held) => Topic::BookingSeatsChanged,
            BookingStatus::Held => Topic::BookingHeld,
            BookingStatus::Pending => Topic::BookingPending,
            BookingStatus::Confirmed => Topic::BookingConfirmed,
            BookingStatus::Cancelled => Topic::BookingCancelled,
            BookingStatus::Expired => Topic::BookingExpired,
            BookingStatus::Completed => Topic::BookingCompleted,
        }
    }
}

/// The topic of a history row (entity, old and new status as stored), if it is one: every
/// booking status change (a held booking staying held is a seat change), a payment's final
/// answer, a refund that went through. A payment started or a refund still pending or failed
/// is nobody's news.
pub fn topic_of(entity: HistoryEntity, from: Option<&str>, to: &str) -> Option<Topic> {
    match entity {
        HistoryEntity::Booking => {
            let to = BookingStatus::parse(to)?;
            let from = match from {
                None => None,
                Some(f) => Some(BookingStatus::parse(f)?),
            };
            Some(Topic::of_booking(from, to))
        }
        HistoryEntity::Payment => {
            match PaymentStatus::ALL.into_iter().find(|s| s.as_str() == to)? {
                PaymentStatus::Succeeded => Some(Topic::PaymentSucceeded),
                PaymentStatus::Failed => Some(Topic::PaymentFailed),
                PaymentStatus::Initiated => None,
            }
        }
        HistoryEntity::Refund => match RefundStatus::ALL.into_iter().find(|s| s.as_str() == to)? {
            RefundStatus::Succeeded => Some(Topic::RefundIssued),
            RefundStatus::Pending | RefundStatus::Failed => None,
        },
    }
}

/// One message to deliver: a stable id (a redelivery carries the same one, so a receiver can
/// tell), what it is about, and the booking it concerns. Its content is read when it is
/// delivered, not stored: the row stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub message_id: Uuid,
    pub topic: Topic,
    pub booking_id: Uuid,
    /// When the change happened.
    pub at: DateTime<Utc>,
}

/// What a stored message is about: a booking (its content read when it is delivered), an
/// inbox notification (an announcement: its title and body are the notification's), an
/// account (a password reset), or a partner webhook's delivery (its body kept with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Booking(Uuid),
    Notification(i64),
    /// An account's own message (a password reset: its token travels sealed with the row).
    Account(Uuid),
    /// One delivery of a partner webhook (`webhook_deliveries`, `crate::webhooks`).
    WebhookDelivery(Uuid),
}

/// What becomes of a message whose delivery just failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: the message is dead (kept with its last error for an admin to retry).
    Dead,
}

/// Exponential backoff: the n-th failed attempt (1-based) waits `base × 2^(n-1)`, at most `cap`;
/// after `max_attempts` failed attempts the message is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 10 s, 20 s, 40 s … at most 30 min; dead after 10 attempts (about 1 h 55 min of trying).
    fn default() -> Self {
        Self {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(30 * 60),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// After the `attempts`-th failed attempt (1-based) at `now`.
    pub fn after_failure(&self, attempts: u32, now: DateTime<Utc>) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::Dead;
        }
        let shift = attempts.saturating_sub(1).min(31);
        let wait = self
            .base
            .checked_mul(1u32 << shift)
            .unwrap_or(self.cap)
            .min(self.cap);
        let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        AfterFailure::RetryAt(
            now.checked_add_signed(wait)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }
}

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    Pending,
    Delivered,
    Dead,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 3] = [
        OutboxStatus::Pending,
        OutboxStatus::Delivered,
        OutboxStatus::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        OutboxStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether an admin may send the message again: a dead one (it gave up) or a pending one
    /// (tried at once, instead of at its backoff time); a delivered one stays delivered.
    pub fn can_retry(self) -> bool {
        self != OutboxStatus::Delivered
    }
}

/// A stored message with its delivery state (the admin's view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub message_id: Uuid,
    pub topic: Topic,
    pub about: About,
    /// When the change it announces happened.
    pub at: DateTime<Utc>,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}
