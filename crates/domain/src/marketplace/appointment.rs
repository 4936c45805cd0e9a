//! Appointments (issue 14, ADR 0016): a booking of one slot of a service. It is a booking like
//! any other (reference, contact, status, payments, refunds, history, outbox) whose places are
//! the provider's time instead of seats. This module holds its request, what is stored with
//! the booking, and the rules that are an appointment's own: which start can be booked (the
//! slot rule, [`super::slots`]), when it is moved, what its cancellation refunds, and when its
//! reminder is due. The use cases that write are in [`crate::engine::appoint`].

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use uuid::Uuid;

use super::catalog::Service;
use super::slots::{occupied_range, SlotRefusal};
use crate::account::TokenHash;
use crate::booking::{parse_buyer, BookingAction, BookingStatus, Buyer, DEFAULT_HOLD_MINUTES};
use crate::codes::ConflictCode;
use crate::error::{DomainError, Violations};
use crate::payment::RefundPolicy;
use crate::time_zone::TimeZone;
use crate::values::Currency;

/// The longest note a customer leaves with an appointment.
pub const NOTES_MAX_CHARS: usize = 2_000;

/// Places one appointment takes (one customer; a class takes one place per booking).
pub const PLACES_PER_APPOINTMENT: u32 = 1;

/// An appointment as stored with its booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub service_id: i64,
    pub service_title: String,
    pub provider_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The provider's zone (the service's), in which the local times are told.
    pub time_zone: TimeZone,
    pub places: u32,
    pub notes: String,
}

impl Appointment {
    /// `starts_at` on the provider's wall clock.
    pub fn local_start(&self) -> NaiveDateTime {
        self.starts_at
            .with_timezone(&self.time_zone.tz())
            .naive_local()
    }

    /// `ends_at` on the provider's wall clock.
    pub fn local_end(&self) -> NaiveDateTime {
        self.ends_at
            .with_timezone(&self.time_zone.tz())
            .naive_local()
    }
}

/// The time of an appointment to write (a new one, or a move): the slot, with the occupied
/// range the database's exclusion constraint compares ([`occupied_range`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentTime {
    pub service_id: i64,
    pub provider_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    /// `[starts_at - buffer_before, ends_at + buffer_after)`.
    pub occupied: (DateTime<Utc>, DateTime<Utc>),
    pub places: u32,
}

impl AppointmentTime {
    /// The time of one slot of `service` starting at `starts_at`: `duration` long, with the
    /// service's buffers.
    pub fn of(service: &Service, starts_at: DateTime<Utc>) -> AppointmentTime {
        let a = &service.fields.availability;
        let ends_at = starts_at
            .checked_add_signed(Duration::minutes(i64::from(a.duration_minutes)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        AppointmentTime {
            service_id: service.id,
            provider_id: service.provider_id,
            starts_at,
            ends_at,
            buffer_before_minutes: a.buffer_before_minutes,
            buffer_after_minutes: a.buffer_after_minutes,
            occupied: occupied_range(
                starts_at,
                ends_at,
                a.buffer_before_minutes,
                a.buffer_after_minutes,
            ),
            places: PLACES_PER_APPOINTMENT,
        }
    }
}

/// The raw request as it arrives at the edge (`POST /bookings` with `service_id`).
#[derive(Debug, Clone, Default)]
pub struct AppointmentRequest {
    pub service_id: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A validated appointment request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentCommand {
    pub service_id: i64,
    pub starts_at: DateTime<Utc>,
    pub notes: String,
    pub buyer: Buyer,
    /// The signed-in owner, set by the use case.
    pub user_id: Option<Uuid>,
    /// For a guest: the hash of the guest token handed out in the 201 response.
    pub guest_token_hash: Option<TokenHash>,
    /// The history actor.
    pub actor: String,
    /// How long a hold lasts.
    pub hold_for: Duration,
}

impl AppointmentRequest {
    /// A positive `service_id`, a `starts_at`, notes of at most [`NOTES_MAX_CHARS`] characters
    /// (trimmed), a name and at least one of phone/email, all well-formed.
    pub fn parse(self) -> Result<AppointmentCommand, DomainError> {
        let mut v = Violations::new();
        let buyer = parse_buyer(&self.name, &self.phone, &self.email, &mut v);
        if self.service_id <= 0 {
            v.add("service_id", "service_id is a positive integer");
        }
        if self.starts_at.is_none() {
            v.add(
                "starts_at",
                "give the slot's start (a starts_at of GET /services/{id}/slots)",
            );
        }
        let notes = self.notes.as_deref().map(str::trim).unwrap_or_default();
        if notes.chars().count() > NOTES_MAX_CHARS {
            v.add("notes", format!("at most {NOTES_MAX_CHARS} characters"));
        }
        v.finish()?;
        match (buyer, self.starts_at) {
            (Some(buyer), Some(starts_at)) => Ok(AppointmentCommand {
                service_id: self.service_id,
                starts_at,
                notes: notes.to_owned(),
                buyer,
                user_id: None,
                guest_token_hash: None,
                actor: crate::account::HISTORY_ACTOR_GUEST.to_owned(),
                hold_for: Duration::minutes(DEFAULT_HOLD_MINUTES),
            }),
            _ => Err(DomainError::Internal(
                "unreachable: violations empty".into(),
            )),
        }
    }
}

/// Whether `service` takes new appointments: a deleted one is unknown (`NotFound`), an inactive
/// one is `Conflict { service_inactive }`.
pub fn check_bookable(service: &Service) -> Result<(), DomainError> {
    if service.is_deleted() {
        return Err(DomainError::not_found("service", service.id));
    }
    if !service.fields.active {
        return Err(DomainError::Conflict {
            code: ConflictCode::ServiceInactive,
            message: format!("service {} is not taking appointments", service.id),
        });
    }
    Ok(())
}

/// The error of a start the slot rule refuses: a start that is not a slot or is outside the
/// booking window is invalid input (422 on `starts_at`); a taken one is `Conflict {
/// slot_taken }` (409), as the database's refusal of a racing request is.
pub fn refusal_error(refusal: SlotRefusal) -> DomainError {
    match refusal {
        SlotRefusal::Taken => slot_taken(),
        other => DomainError::invalid("starts_at", other.to_string()),
    }
}

/// `Conflict { slot_taken }`: the provider is busy then, or the class is full.
pub fn slot_taken() -> DomainError {
    DomainError::Conflict {
        code: ConflictCode::SlotTaken,
        message: "this slot is taken: pick another one (GET /services/{id}/slots)".into(),
    }
}

/// The status a new appointment starts in: held while there is something to pay; free, it is
/// at once what a payment would make it ([`status_after_payment`]).
pub fn initial_status(total_amount: i64, requires_acceptance: bool) -> BookingStatus {
    match BookingStatus::initial(total_amount) {
        BookingStatus::Held => BookingStatus::Held,
        _ => status_after_payment(requires_acceptance),
    }
}

/// What paying a held booking makes it: `pending` when the provider accepts each appointment
/// first, else `confirmed` (a show's booking: never `pending`).
pub fn status_after_payment(requires_acceptance: bool) -> BookingStatus {
    BookingStatus::Held
        .apply(payment_action(requires_acceptance))
        .unwrap_or(BookingStatus::Confirmed)
}

/// The state-machine action of a payment that goes through: `Submit` to a provider who
/// accepts each appointment first, `Pay` otherwise.
pub fn payment_action(requires_acceptance: bool) -> BookingAction {
    if requires_acceptance {
        BookingAction::Submit
    } else {
        BookingAction::Pay
    }
}

/// A service's own cancellation terms as a refund policy.
pub fn refund_policy_of(service: &Service) -> RefundPolicy {
    RefundPolicy {
        full_refund_before: Duration::hours(i64::from(service.fields.full_refund_hours_before)),
        late_refund_percent: service.fields.late_refund_percent,
    }
}

/// The one rule of "a reminder is due": the appointment starts within `reminder_minutes`
/// of `now` and has not started yet. SQL that selects due reminders uses `infra-postgres`'s
/// `rules::reminder_due_sql`, which states exactly this.
pub fn reminder_due(starts_at: DateTime<Utc>, reminder_minutes: u32, now: DateTime<Utc>) -> bool {
    now < starts_at && starts_at - Duration::minutes(i64::from(reminder_minutes)) <= now
}

/// Whether an appointment in `status` gets its reminder: a confirmed one (a hold is not booked
/// yet; a pending one waits for its provider).
pub fn reminded(status: BookingStatus) -> bool {
    status == BookingStatus::Confirmed
}

/// The price of an appointment: the service's price per place.
pub fn price_of(service: &Service, places: u32) -> (i64, Currency) {
    (
        service.fields.price.saturating_mul(i64::from(places)),
        service.fields.currency,
    )
}

/// Whether an appointment that is `status` now and starts at `starts_at` may move to another
/// slot: it must be active (held, pending or confirmed — `IllegalTransition` otherwise) and
/// not have started (`Conflict { booking_not_held }`… no: `IllegalTransition` as well, since
/// a started appointment is past changing).
pub fn check_movable(
    status: BookingStatus,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if !status.is_active() || starts_at <= now {
        return Err(DomainError::IllegalTransition {
            from: status,
            action: "moved",
        });
    }
    Ok(())
}

/// The history reason of a provider's decline.
pub const REASON_DECLINED: &str = "the provider declined the appointment";
/// The history reason of a provider's acceptance.
pub const REASON_ACCEPTED: &str = "the provider accepted the appointment";
/// The history reason of a move.
pub const REASON_MOVED: &str = "the appointment moved to another slot";

#[cfg(test)]
#[path = "appointment/tests.rs"]
mod tests;
