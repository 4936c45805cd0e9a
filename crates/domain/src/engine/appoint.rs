//! Appointments (issue 14): booking a slot of a service, the provider's accept and decline, and
//! moving an appointment to another slot — each one transaction through [`BookingTx`].
//!
//! The slot rule ([`check_slot`]) judges the start against the provider's booked time read in
//! the transaction (holds past due written down on the way, as a seat booking does); the
//! database's exclusion constraint and class guard then refuse whatever a concurrent
//! transaction took in between (`Conflict { slot_taken }` from the port), so a race can never
//! double-book. Lock order as the module's: the transaction's own booking → past-due holds of
//! others → payment → refunds.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::cancel::refund_due;
use super::expire::expire_these;
use super::{
    change_status, history, notice, BookingTx, Cancelled, LockedBooking, NewAppointment, NewBooking,
};
use crate::booking::{hold_deadline, reference_from, Booking, BookingAction};
use crate::cancellation::decline_refund;
use crate::codes::ConflictCode;
use crate::error::DomainError;
use crate::marketplace::appointment::{
    check_bookable, check_movable, initial_status, price_of, refusal_error, AppointmentCommand,
    AppointmentTime, REASON_ACCEPTED, REASON_DECLINED, REASON_MOVED,
};
use crate::marketplace::slots::{check_slot, BookedTime};
use crate::outbox::Topic;
use crate::payment::{HistoryEntity, PaymentStatus};

/// Books one slot: the service must take appointments ([`check_bookable`]), the start must be
/// a free slot of it now ([`check_slot`] on the provider's booked time), and the database must
/// agree. The booking starts `held` when there is something to pay, else as a payment would
/// leave it (`pending` or `confirmed`).
pub fn book_appointment(
    tx: &mut dyn BookingTx,
    command: &AppointmentCommand,
    now: DateTime<Utc>,
) -> Result<Booking, DomainError> {
    let service = tx.service(command.service_id)?;
    check_bookable(&service)?;
    let time = AppointmentTime::of(&service, command.starts_at);
    let booked = booked_around(tx, &time, None, now)?;
    check_slot(
        service.id,
        &service.fields.availability,
        &booked,
        command.starts_at,
        now,
    )
    .map_err(refusal_error)?;
    let (total_amount, currency) = price_of(&service, time.places);
    let status = initial_status(total_amount, service.fields.requires_acceptance);
    let id = tx.fresh_id();
    let reference = reference_from(tx.fresh_reference_bits());
    let notice = notice(tx, Topic::of_booking(None, status), id, now);
    let booking = NewBooking {
        id,
        reference,
        show_id: None,
        status,
        customer_name: command.buyer.name.as_str().to_owned(),
        phone: command.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        email: command.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        quantity: time.places,
        total_amount,
        currency,
        created_at: now,
        expires_at: hold_deadline(status, now, command.hold_for),
        user_id: command.user_id,
        guest_token_hash: command.guest_token_hash,
        actor: command.actor.clone(),
        items: vec![],
        appointment: Some(NewAppointment {
            time,
            notes: command.notes.clone(),
        }),
        notice,
    };
    tx.insert_bookings(std::slice::from_ref(&booking))?;
    tx.load_booking(id)
}

/// The provider accepts a pending appointment: it is confirmed.
pub fn accept(
    tx: &mut dyn BookingTx,
    id: Uuid,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Booking, DomainError> {
    let booking = lock_appointment(tx, id)?;
    let to = booking.status_at(now).apply(BookingAction::Accept)?;
    change_status(tx, &booking, to, actor, Some(REASON_ACCEPTED), now, now)?;
    tx.load_booking(id)
}

/// The provider declines a pending appointment: it is cancelled, its time is free at once, and
/// its payment is refunded in full ([`decline_refund`]), written `pending` for the gateway.
pub fn decline(
    tx: &mut dyn BookingTx,
    id: Uuid,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Cancelled, DomainError> {
    let booking = lock_appointment(tx, id)?;
    let to = booking.status_at(now).apply(BookingAction::Decline)?;
    let payment = tx.lock_payment_of_booking(id, PaymentStatus::Succeeded)?;
    change_status(tx, &booking, to, actor, Some(REASON_DECLINED), now, now)?;
    tx.release_places(&booking)?;
    let due = payment
        .as_ref()
        .map_or(0, |p| decline_refund(p.amount, p.refunded));
    let refund = refund_due(tx, payment.as_ref(), due, REASON_DECLINED, actor, now)?;
    Ok(Cancelled {
        booking: tx.load_booking(id)?,
        refund,
    })
}

/// Moves an appointment to another start of its service, atomically: the new start must be a
/// free slot now (its own old time does not count), the old time is free and the new one
/// taken in one write the database checks. Its status, price and payments stay.
pub fn move_slot(
    tx: &mut dyn BookingTx,
    id: Uuid,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Booking, DomainError> {
    let booking = lock_appointment(tx, id)?;
    let current = tx.appointment_time(id)?;
    let status = booking.status_at(now);
    check_movable(status, current.starts_at, now)?;
    let service = tx.service(current.service_id)?;
    check_bookable(&service)?;
    let time = AppointmentTime::of(&service, starts_at);
    let booked = booked_around(tx, &time, Some(id), now)?;
    check_slot(
        service.id,
        &service.fields.availability,
        &booked,
        starts_at,
        now,
    )
    .map_err(refusal_error)?;
    tx.move_appointment(id, &time, now)?;
    let reason = format!(
        "{REASON_MOVED}: {} → {}",
        current.starts_at.to_rfc3339(),
        starts_at.to_rfc3339()
    );
    tx.record(&history(
        id,
        HistoryEntity::Booking,
        id.to_string(),
        Some(status.as_str()),
        status.as_str(),
        actor,
        Some(&reason),
        now,
    ))?;
    let message = notice(tx, Topic::BookingRescheduled, id, now);
    tx.enqueue(&[message])?;
    tx.load_booking(id)
}

/// Locks a booking that must be an appointment (`Conflict { not_an_appointment }` otherwise).
fn lock_appointment(tx: &mut dyn BookingTx, id: Uuid) -> Result<LockedBooking, DomainError> {
    let booking = tx.lock_booking(id)?;
    if booking.show_id.is_some() {
        return Err(DomainError::Conflict {
            code: ConflictCode::NotAnAppointment,
            message: format!("booking {id} is a show's booking, not an appointment"),
        });
    }
    Ok(booking)
}

/// The provider's booked time that overlaps `time` (but `own`'s), after writing down the
/// past-due holds among it. A hold that was being paid while we looked (skipped) is read
/// again: still held past due, its time counts as free here, and the database decides.
pub(crate) fn booked_around(
    tx: &mut dyn BookingTx,
    time: &AppointmentTime,
    own: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<BookedTime>, DomainError> {
    let read = |tx: &mut dyn BookingTx| -> Result<Vec<_>, DomainError> {
        Ok(tx
            .provider_time(time.provider_id, time.occupied)?
            .into_iter()
            .filter(|h| Some(h.booking_id) != own)
            .collect::<Vec<_>>())
    };
    let found = read(tx)?;
    let mut due: Vec<Uuid> = found
        .iter()
        .filter(|h| crate::booking::hold_past_due(h.status, h.expires_at, now))
        .map(|h| h.booking_id)
        .collect();
    let found = if due.is_empty() {
        found
    } else {
        expire_these(tx, &mut due, now)?;
        read(tx)?
    };
    Ok(found
        .into_iter()
        .filter(|h| !crate::booking::hold_past_due(h.status, h.expires_at, now))
        .map(|h| h.time)
        .collect())
}
