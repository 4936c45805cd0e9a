//! The booking engine: the use cases that change bookings — [`book`](book::book_batch),
//! [`change_seats`](change::change_seats), [`cancel`](cancel::cancel),
//! [`expire_due`](expire::expire_due), and the payment steps of [`settle`] — written once, here,
//! against [`BookingTx`], a small synchronous port of storage primitives inside ONE open
//! transaction.
//!
//! The adapter (`infra-postgres`) opens the transaction, hands these functions its
//! implementation of the port, and commits what they return; it decides nothing: no status, no
//! deadline, no price, no refund. Every rule these functions apply lives in the domain modules
//! they call (`booking`, `pricing`, `payment`), each in one function. The in-memory fake in the
//! domain's tests implements the same port, so every rule is tested here without a database;
//! `crates/infra-postgres/tests/tx_contract.rs` checks each MUST below against PostgreSQL.
//!
//! Lock order (every implementation and every use case keeps it, so two transactions cannot
//! deadlock): seat rows (id order) → the transaction's own booking → past-due holds of others
//! (id order, skipping rows another transaction holds) → payment → refund rows → the show row
//! and the class sales counters.

pub mod appoint;
pub mod book;
pub mod cancel;
pub mod change;
pub mod expire;
pub mod quote;
pub mod settle;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::TokenHash;
use crate::booking::{Booking, BookingStatus, PlannedItem, SeatSnapshot, ShowSnapshot};
use crate::error::DomainError;
use crate::marketplace::appointment::AppointmentTime;
use crate::marketplace::catalog::Service;
use crate::marketplace::slots::BookedTime;
use crate::outbox::{topic_of, OutboxMessage, Topic};
use crate::payment::{HistoryEntity, Payment, PaymentOutcome, PaymentStatus, RefundStatus};
use crate::values::{Currency, SeatLabel};

pub use crate::ports::{Cancelled, PendingRefund, Settled};

/// A show as the engine reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowRecord {
    pub event_id: i64,
    pub snapshot: ShowSnapshot,
}

/// A booking row, locked by the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedBooking {
    pub id: Uuid,
    /// As stored (a past-due hold is still `held` here: see [`Self::status_at`]).
    pub status: BookingStatus,
    /// `None` for an appointment.
    pub show_id: Option<i64>,
    pub quantity: u32,
    pub total_amount: i64,
    pub currency: Currency,
    pub expires_at: Option<DateTime<Utc>>,
}

impl LockedBooking {
    /// [`crate::booking::hold_past_due`] of this row.
    pub fn is_past_due(&self, now: DateTime<Utc>) -> bool {
        crate::booking::hold_past_due(self.status, self.expires_at, now)
    }

    /// [`crate::booking::status_at`] of this row.
    pub fn status_at(&self, now: DateTime<Utc>) -> BookingStatus {
        crate::booking::status_at(self.status, self.expires_at, now)
    }
}

/// An active item of a seat and the stored state of the booking that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatHolder {
    pub seat_id: i64,
    pub booking_id: Uuid,
    pub status: BookingStatus,
    pub expires_at: Option<DateTime<Utc>>,
}

/// An item of a booking as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    pub seat_id: Option<i64>,
    pub class_id: Option<i64>,
    pub label: Option<String>,
}

/// A new booking to write, with its items and the creation row of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub id: Uuid,
    pub reference: String,
    /// `None` for an appointment (then `appointment` is set and `items` is empty).
    pub show_id: Option<i64>,
    pub appointment: Option<NewAppointment>,
    pub status: BookingStatus,
    pub customer_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub quantity: u32,
    pub total_amount: i64,
    pub currency: Currency,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub user_id: Option<Uuid>,
    pub guest_token_hash: Option<TokenHash>,
    /// The history actor of the creation (from nothing to `status`, at `created_at`).
    pub actor: String,
    pub items: Vec<PlannedItem>,
    /// The outbox message of the creation, written with the booking.
    pub notice: OutboxMessage,
}

/// The appointment row of a new appointment booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    pub time: AppointmentTime,
    pub notes: String,
}

/// An active appointment of a provider and the stored state of its booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeHolder {
    pub booking_id: Uuid,
    pub status: BookingStatus,
    pub expires_at: Option<DateTime<Utc>>,
    pub time: BookedTime,
}

/// What a booking's payment and cancellation depend on besides the booking row: when it starts,
/// and for an appointment its service's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingTerms {
    /// The show's or the appointment's start.
    pub starts_at: DateTime<Utc>,
    /// The service's cancellation terms (`None`: the platform's, a show's booking).
    pub refund_policy: Option<crate::payment::RefundPolicy>,
    /// The provider accepts each appointment first (never for a show).
    pub requires_acceptance: bool,
}

/// One row of a booking's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRecord {
    pub booking_id: Uuid,
    pub entity: HistoryEntity,
    pub entity_id: String,
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// A booking's status change: the row gets `to` (`updated_at = now`, `cancelled_at` as given)
/// and its history a row `from → to` at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub booking_id: Uuid,
    pub from: BookingStatus,
    pub to: BookingStatus,
    pub actor: String,
    pub reason: Option<String>,
    /// When it happened, for the history (an expiry happened at the deadline).
    pub at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// A payment row, locked by the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPayment {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub status: PaymentStatus,
    pub amount: i64,
    /// Pending and succeeded refunds so far.
    pub refunded: i64,
    pub currency: Currency,
    pub gateway_ref: Option<String>,
}

/// A payment to write `initiated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentRow {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub amount: i64,
    pub currency: Currency,
    pub method: String,
    pub now: DateTime<Utc>,
}

/// What the gateway's answer does to a payment row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentChange {
    pub id: Uuid,
    pub status: PaymentStatus,
    pub gateway_ref: String,
    pub failure_code: Option<String>,
    pub outcome: Option<PaymentOutcome>,
    pub now: DateTime<Utc>,
}

/// A refund to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefundRow {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub status: RefundStatus,
    pub reason: String,
    pub now: DateTime<Utc>,
}

/// What the gateway's answer does to a refund row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundChange {
    pub id: Uuid,
    pub status: RefundStatus,
    pub gateway_ref: Option<String>,
    pub failure_code: Option<String>,
    pub now: DateTime<Utc>,
}

/// Whether a read of seats locks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// `FOR UPDATE`, in seat id order: waits for a transaction that holds one.
    ForUpdate,
    /// A plain read (a quote).
    None,
}

/// The storage primitives of one open transaction. Every method reads, locks or writes and
/// nothing else; the use cases in this module decide. Errors: `NotFound` naming the entity for
/// an unknown id where the method says so; a failure of the storage is `Unavailable` or
/// `Internal` and rolls the transaction back.
pub trait BookingTx {
    /// A fresh booking, payment or refund id.
    fn fresh_id(&mut self) -> Uuid;
    /// 64 random bits for a booking reference ([`crate::booking::reference_from`]).
    fn fresh_reference_bits(&mut self) -> u64;

    /// MUST return `NotFound("show")` for an unknown show.
    fn show(&mut self, id: i64) -> Result<ShowRecord, DomainError>;
    /// The ids of the seats of the show with these labels; labels not in the show are absent.
    fn seat_ids_by_label(
        &mut self,
        show_id: i64,
        labels: &[SeatLabel],
    ) -> Result<HashMap<String, i64>, DomainError>;
    /// The seats with these ids that exist (any show), in id order, `taken: false`; with
    /// [`Lock::ForUpdate`] each row is locked.
    fn seats(&mut self, ids: &[i64], lock: Lock) -> Result<Vec<SeatSnapshot>, DomainError>;
    /// The classes `ids` of the show with their prices, seat count and occupancy: the seats in
    /// active items, not counting those of holds past due at `now`.
    fn classes(
        &mut self,
        show_id: i64,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::booking::ClassSnapshot>, DomainError>;
    /// The active items among the seats `ids`, with their booking's stored status and deadline.
    fn seat_holders(&mut self, ids: &[i64]) -> Result<Vec<SeatHolder>, DomainError>;

    /// Locks one booking. MUST return `NotFound("booking")` for an unknown id.
    fn lock_booking(&mut self, id: Uuid) -> Result<LockedBooking, DomainError>;
    /// Locks the bookings among `ids` that no other transaction holds (id order), skipping the
    /// others; returns those it locked.
    fn try_lock_bookings(&mut self, ids: &[Uuid]) -> Result<Vec<LockedBooking>, DomainError>;
    /// The show of a booking (`None` for an appointment). MUST return `NotFound("booking")`
    /// for an unknown booking.
    fn show_of_booking(&mut self, id: Uuid) -> Result<Option<i64>, DomainError>;
    /// Up to `limit` bookings of the show (all shows with `None`) that are holds past due at
    /// `now`, earliest deadline first.
    fn past_due_holds(
        &mut self,
        show_id: Option<i64>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, DomainError>;

    /// The general-admission places of the show's holds past due at `now` (free already,
    /// though not yet written down).
    fn past_due_places(&mut self, show_id: i64, now: DateTime<Utc>) -> Result<u32, DomainError>;

    /// Writes the bookings, their items (active) or appointment (active), their creation
    /// history rows and their creation outbox messages (`notice`). An appointment whose time
    /// the database refuses (its exclusion constraint, the class's capacity) MUST give
    /// `Conflict { code: SlotTaken }`.
    fn insert_bookings(&mut self, bookings: &[NewBooking]) -> Result<(), DomainError>;

    /// A service, deleted or not. MUST return `NotFound("service")` for an unknown id.
    fn service(&mut self, id: i64) -> Result<Service, DomainError>;
    /// The active appointments of the provider whose occupied range overlaps `range`
    /// (PostgreSQL's `&&`), with their booking's stored status and deadline.
    fn provider_time(
        &mut self,
        provider_id: Uuid,
        range: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<TimeHolder>, DomainError>;
    /// The time of a booking's appointment as stored. MUST return `NotFound("appointment")`
    /// for a booking without one.
    fn appointment_time(&mut self, booking_id: Uuid) -> Result<AppointmentTime, DomainError>;
    /// Writes the appointment's new time (it stays active). A time the database refuses MUST
    /// give `Conflict { code: SlotTaken }` and change nothing.
    fn move_appointment(
        &mut self,
        booking_id: Uuid,
        time: &AppointmentTime,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError>;
    /// Makes an inactive appointment's time active again if the database lets it; `false`,
    /// changing nothing, when its exclusion constraint or class capacity refuses.
    fn try_reactivate_appointment(&mut self, booking_id: Uuid) -> Result<bool, DomainError>;
    /// When a locked booking starts and on which terms.
    fn terms(&mut self, booking: &LockedBooking) -> Result<BookingTerms, DomainError>;
    /// Writes outbox messages (pending, due at once), in this transaction: they exist exactly
    /// when the change that made them commits.
    fn enqueue(&mut self, messages: &[OutboxMessage]) -> Result<(), DomainError>;
    /// Writes a status change and its history row.
    fn set_status(&mut self, change: &StatusChange) -> Result<(), DomainError>;
    /// Writes one history row.
    fn record(&mut self, row: &HistoryRecord) -> Result<(), DomainError>;
    /// Makes the booking's active items (or its appointment) inactive and, for general
    /// admission, gives its `quantity` places back to the show.
    fn release_places(&mut self, booking: &LockedBooking) -> Result<(), DomainError>;
    /// Makes all the booking's items active again (a revival).
    fn reactivate_items(&mut self, booking_id: Uuid) -> Result<(), DomainError>;
    /// Takes `quantity` places of a general-admission show if at least that many are free
    /// (a guarded update); `false`, changing nothing, otherwise.
    fn take_places(&mut self, show_id: i64, quantity: u32) -> Result<bool, DomainError>;
    /// The booking's active items.
    fn active_items(&mut self, booking_id: Uuid) -> Result<Vec<StoredItem>, DomainError>;
    /// The seats of all the booking's items (active or not), in id order.
    fn item_seats(&mut self, booking_id: Uuid) -> Result<Vec<i64>, DomainError>;
    /// Replaces the booking's items by `items` (active) and sets its quantity and total.
    fn replace_items(
        &mut self,
        booking: &LockedBooking,
        items: &[PlannedItem],
        quantity: u32,
        total_amount: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError>;
    /// The booking as stored, with items and payments.
    fn load_booking(&mut self, id: Uuid) -> Result<Booking, DomainError>;

    /// The booking of a payment. MUST return `NotFound("payment")` for an unknown payment.
    fn booking_of_payment(&mut self, payment_id: Uuid) -> Result<Uuid, DomainError>;
    /// Locks a payment. MUST return `NotFound("payment")` for an unknown id.
    fn lock_payment(&mut self, id: Uuid) -> Result<LockedPayment, DomainError>;
    /// Locks the booking's payment in `status`, if any.
    fn lock_payment_of_booking(
        &mut self,
        booking_id: Uuid,
        status: PaymentStatus,
    ) -> Result<Option<LockedPayment>, DomainError>;
    /// Writes a payment `initiated` (the database refuses a second live payment of a booking:
    /// `Conflict { code: ConflictCode::PaymentPending }`).
    fn insert_payment(&mut self, payment: &NewPaymentRow) -> Result<(), DomainError>;
    /// Writes the gateway's answer to a payment (`gateway_ref` only when the status stays).
    fn update_payment(&mut self, change: &PaymentChange) -> Result<(), DomainError>;
    /// The payment with its refunds.
    fn load_payment(&mut self, id: Uuid) -> Result<Payment, DomainError>;
    /// Writes a refund (the database caps the refunds of a payment at its amount:
    /// `Conflict { code: ConflictCode::RefundExceedsPayment }`).
    fn insert_refund(&mut self, refund: &NewRefundRow) -> Result<(), DomainError>;
    /// Locks a refund. MUST return `NotFound("refund")` for an unknown id.
    fn lock_refund(&mut self, id: Uuid) -> Result<crate::payment::Refund, DomainError>;
    /// Writes the gateway's answer to a refund.
    fn update_refund(&mut self, change: &RefundChange) -> Result<(), DomainError>;
}

/// The classes of the show that `seats` are in, with their prices and occupancy at `now`
/// (none asked for when no seat is of the show).
pub(crate) fn classes_of(
    tx: &mut dyn BookingTx,
    show_id: i64,
    seats: &[SeatSnapshot],
    now: DateTime<Utc>,
) -> Result<Vec<crate::booking::ClassSnapshot>, DomainError> {
    let mut ids: Vec<i64> = seats
        .iter()
        .filter(|s| s.show_id == show_id)
        .map(|s| s.class_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    tx.classes(show_id, &ids, now)
}

/// Records a history row of `entity` for a booking, with the common fields.
#[allow(clippy::too_many_arguments)]
pub(crate) fn history(
    booking_id: Uuid,
    entity: HistoryEntity,
    entity_id: String,
    from: Option<&str>,
    to: &str,
    actor: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> HistoryRecord {
    HistoryRecord {
        booking_id,
        entity,
        entity_id,
        from: from.map(str::to_owned),
        to: to.to_owned(),
        actor: actor.to_owned(),
        reason: reason.map(str::to_owned),
        at,
    }
}

/// Changes a locked booking's status with its history row, at `now`.
pub(crate) fn change_status(
    tx: &mut dyn BookingTx,
    booking: &LockedBooking,
    to: BookingStatus,
    actor: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    tx.set_status(&StatusChange {
        booking_id: booking.id,
        from: booking.status,
        to,
        actor: actor.to_owned(),
        reason: reason.map(str::to_owned),
        at,
        now,
        // Only a cancelled booking has `cancelled_at`; nothing leaves `cancelled`.
        cancelled_at: (to == BookingStatus::Cancelled).then_some(now),
    })?;
    let message = notice(
        tx,
        Topic::of_booking(Some(booking.status), to),
        booking.id,
        at,
    );
    tx.enqueue(&[message])
}

/// A new outbox message about `booking_id`, with a fresh id.
pub(crate) fn notice(
    tx: &mut dyn BookingTx,
    topic: Topic,
    booking_id: uuid::Uuid,
    at: DateTime<Utc>,
) -> OutboxMessage {
    OutboxMessage {
        message_id: tx.fresh_id(),
        topic,
        booking_id,
        at,
    }
}

/// Writes a history row and, when the change is news ([`topic_of`]), its outbox message.
pub(crate) fn record(tx: &mut dyn BookingTx, row: &HistoryRecord) -> Result<(), DomainError> {
    tx.record(row)?;
    if let Some(topic) = topic_of(row.entity, row.from.as_deref(), &row.to) {
        let message = notice(tx, topic, row.booking_id, row.at);
        tx.enqueue(&[message])?;
    }
    Ok(())
}

/// The history row of a gateway's answer or a new payment.
pub(crate) fn payment_history(
    booking_id: Uuid,
    payment_id: Uuid,
    from: Option<PaymentStatus>,
    to: PaymentStatus,
    actor: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> HistoryRecord {
    history(
        booking_id,
        HistoryEntity::Payment,
        payment_id.to_string(),
        from.map(PaymentStatus::as_str),
        to.as_str(),
        actor,
        reason,
        at,
    )
}
