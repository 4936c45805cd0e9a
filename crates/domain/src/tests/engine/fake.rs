//! An in-memory [`BookingTx`]: plain tables (shows, seats, classes, bookings, items, payments,
//! refunds, history) and each port method doing exactly what its documentation says — reads,
//! "locks", writes — and nothing else. No rule is decided here: "past due" is
//! [`hold_past_due`], "counts against the payment" is [`RefundStatus::counts_against_payment`].
//! The database's own refusals (a second live payment, refunds above the payment, a seat in two
//! active bookings) are mirrored so that an engine bug shows up as the error PostgreSQL gives.
//!
//! One `Fake` is one open transaction that always commits: tests inspect its tables after the
//! use case ran. Bookings in [`Fake::locked`] are held by "another transaction":
//! `try_lock_bookings` skips them and `lock_booking` gives up as on a lock timeout.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::booking::{Booking, BookingStatus, PlannedItem, SeatSnapshot};
use crate::codes::ConflictCode;
use crate::engine::{HistoryRecord, LockedBooking, LockedPayment, ShowRecord};
use crate::error::DomainError;
use crate::marketplace::appointment::{slot_taken, AppointmentTime};
use crate::marketplace::catalog::Service;
use crate::marketplace::slots::ranges_overlap;
use crate::outbox::OutboxMessage;
use crate::payment::{Payment, Refund};
use crate::pricing::TierPrices;

mod port;

/// A seat class row (its seat count is the number of its seats).
#[derive(Debug, Clone)]
pub struct ClassRow {
    pub show_id: i64,
    pub name: String,
    pub prices: TierPrices,
}

/// A booking item row.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub booking_id: Uuid,
    pub item: PlannedItem,
    pub active: bool,
}

/// An appointment row: its time, and whether it is active (takes the time).
#[derive(Debug, Clone)]
pub struct AppointmentRow {
    pub time: AppointmentTime,
    pub active: bool,
}

/// A show row: the engine's record and, for general admission, its capacity (the database
/// keeps `free_places` within `0..=capacity`).
#[derive(Debug, Clone)]
pub struct ShowRow {
    pub record: ShowRecord,
    pub capacity: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Fake {
    pub shows: BTreeMap<i64, ShowRow>,
    /// Seats as read (`taken` is always false: the port reports holders separately).
    pub seats: BTreeMap<i64, SeatSnapshot>,
    pub classes: BTreeMap<i64, ClassRow>,
    /// Booking rows; their `items` and `payments` stay empty (those are tables of their own,
    /// put together by `load_booking`).
    pub bookings: BTreeMap<Uuid, Booking>,
    /// In insertion (id) order.
    pub items: Vec<ItemRow>,
    /// Payment rows; `refunds` stays empty (see `refunds`).
    pub payments: Vec<Payment>,
    /// In insertion order.
    pub refunds: Vec<Refund>,
    /// In insertion order.
    pub history: Vec<HistoryRecord>,
    /// Outbox messages, in insertion order.
    pub outbox: Vec<OutboxMessage>,
    /// The marketplace's services.
    pub services: BTreeMap<i64, Service>,
    /// Appointment rows by booking.
    pub appointments: BTreeMap<Uuid, AppointmentRow>,
    /// Bookings another transaction holds.
    pub locked: BTreeSet<Uuid>,
    /// The port methods called, in order (for lock-order checks).
    pub calls: Vec<&'static str>,
    /// Another transaction takes this many places of the show just before our next
    /// `take_places` (once): the race between a read of the show and the guarded update.
    pub race_take: Option<(i64, u32)>,
    next_id: u128,
    next_bits: u64,
}

fn payment_pending() -> DomainError {
    DomainError::Conflict {
        code: ConflictCode::PaymentPending,
        message: "the booking has a payment in progress or paid already".into(),
    }
}

fn refund_exceeds_payment() -> DomainError {
    DomainError::Conflict {
        code: ConflictCode::RefundExceedsPayment,
        message: "refunds would add up to more than was paid".into(),
    }
}

fn payment_not_succeeded() -> DomainError {
    DomainError::Conflict {
        code: ConflictCode::PaymentNotSucceeded,
        message: "only a succeeded payment can be refunded".into(),
    }
}

/// What the unique index on active seats answers.
fn seat_in_two_active_bookings() -> DomainError {
    DomainError::SeatsUnavailable { seats: vec![] }
}

impl Fake {
    pub fn new() -> Self {
        Self::default()
    }

    fn booking_row(&mut self, id: Uuid) -> Result<&mut Booking, DomainError> {
        self.bookings
            .get_mut(&id)
            .ok_or_else(|| DomainError::not_found("booking", id))
    }

    fn locked_booking(&self, b: &Booking) -> LockedBooking {
        LockedBooking {
            id: b.id,
            status: b.status,
            show_id: b.show_id,
            quantity: b.quantity,
            total_amount: b.total_amount,
            currency: b.currency,
            expires_at: b.expires_at,
        }
    }

    /// The pending and succeeded refunds of a payment (what the database's trigger keeps).
    pub fn refunded(&self, payment_id: Uuid) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r.payment_id == payment_id && r.status.counts_against_payment())
            .map(|r| r.amount)
            .sum()
    }

    fn payment_row(&mut self, id: Uuid) -> Result<&mut Payment, DomainError> {
        self.payments
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| DomainError::not_found("payment", id))
    }

    fn locked_payment(&self, p: &Payment) -> LockedPayment {
        LockedPayment {
            id: p.id,
            booking_id: p.booking_id,
            status: p.status,
            amount: p.amount,
            refunded: self.refunded(p.id),
            currency: p.currency,
            gateway_ref: p.gateway_ref.clone(),
        }
    }

    /// The unique index on active seats: no seat in two active items.
    fn check_active_seats(&self) -> Result<(), DomainError> {
        let mut seen = BTreeSet::new();
        for i in self.items.iter().filter(|i| i.active) {
            if let Some(seat) = i.item.seat_id {
                if !seen.insert(seat) {
                    return Err(seat_in_two_active_bookings());
                }
            }
        }
        Ok(())
    }

    /// The booking rows' own constraints.
    fn check_booking(b: &Booking) -> Result<(), DomainError> {
        if b.status == BookingStatus::Held && b.expires_at.is_none() {
            return Err(DomainError::invalid(
                "ck_bookings_held_expiry",
                "value breaks a rule of the data",
            ));
        }
        if b.quantity == 0 || b.total_amount < 0 {
            return Err(DomainError::invalid(
                "bookings",
                "value breaks a rule of the data",
            ));
        }
        Ok(())
    }

    /// The history rows of one booking, in the order written.
    pub fn history_of(&self, booking_id: Uuid) -> Vec<&HistoryRecord> {
        self.history
            .iter()
            .filter(|h| h.booking_id == booking_id)
            .collect()
    }

    /// The items of one booking, in the order written.
    pub fn items_of(&self, booking_id: Uuid) -> Vec<&ItemRow> {
        self.items
            .iter()
            .filter(|i| i.booking_id == booking_id)
            .collect()
    }

    /// What the database's `no_double_booking` exclusion constraint and `class_places` guard
    /// answer to `time` becoming active for booking `id`: another active appointment of the
    /// provider overlapping it in another slot, or more places in its slot than its service's
    /// capacity, is `slot_taken`.
    pub fn check_time(&self, id: Uuid, time: &AppointmentTime) -> Result<(), DomainError> {
        let mut places = time.places;
        for (other, row) in &self.appointments {
            if *other == id || !row.active || row.time.provider_id != time.provider_id {
                continue;
            }
            let same_slot =
                row.time.service_id == time.service_id && row.time.starts_at == time.starts_at;
            if same_slot {
                places += row.time.places;
            } else if ranges_overlap(row.time.occupied, time.occupied) {
                return Err(slot_taken());
            }
        }
        let capacity = self
            .services
            .get(&time.service_id)
            .map_or(1, |s| s.fields.availability.capacity);
        if places > capacity {
            return Err(slot_taken());
        }
        Ok(())
    }

    /// The free places of a general-admission show.
    pub fn free_places(&self, show_id: i64) -> Option<u32> {
        self.shows[&show_id].record.snapshot.free_places
    }
}
