//! Appointments through the engine (`crate::engine::appoint`) over the fake, whose
//! `check_time` mirrors the database's exclusion constraint and class guard: booking a slot,
//! the provider's answer, moves, and an appointment's payment, cancellation and expiry.

use chrono::{DateTime, NaiveTime, TimeZone as _, Utc, Weekday};
use uuid::Uuid;

use super::fake::Fake;
use super::world::{conflict_code, pay, rows, start_payment, succeeded, usd, HOLD_MINUTES};
use crate::booking::{Booking, BookingStatus, Buyer};
use crate::cancellation::decline_refund;
use crate::engine::appoint::{accept, book_appointment, decline, move_slot};
use crate::engine::cancel::cancel;
use crate::engine::expire::expire_due;
use crate::engine::settle::{revive, settle, SettleStep};
use crate::error::DomainError;
use crate::marketplace::appointment::AppointmentCommand;
use crate::marketplace::availability::{Availability, WeeklyInterval};
use crate::marketplace::catalog::{NewService, Service};
use crate::outbox::Topic;
use crate::payment::{PaymentOutcome, RefundPolicy, RefundStatus};
use crate::time_zone::TimeZone;
use crate::values::{Email, Name};

const PROVIDER: Uuid = Uuid::from_u128(0xB0B);
const TEACHER: Uuid = Uuid::from_u128(0x7EAC);
/// An hour, 15 minutes of buffer after, 40.00: slots 09:00, 10:15, 11:30, … UTC every day.
const HOUR: i64 = 1;
/// Half an hour, no buffers, same provider: slots 09:00, 09:30, … UTC.
const HALF: i64 = 2;
/// A class of 3 of another provider: 18:00–19:00 UTC.
const CLASS: i64 = 3;

/// 2030-06-01 08:00 UTC (a Saturday).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 8, 0, 0).unwrap()
}

/// Monday 2030-06-03 at `h:m` UTC.
fn monday(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 3, h, m, 0).unwrap()
}

fn every_day(start: u32, end: u32) -> Vec<WeeklyInterval> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .map(|weekday| WeeklyInterval {
        weekday,
        start: NaiveTime::from_hms_opt(start, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(end, 0, 0).unwrap(),
    })
    .collect()
}

#[allow(clippy::too_many_arguments)]
fn service(
    id: i64,
    provider_id: Uuid,
    price: i64,
    (start, end): (u32, u32),
    duration_minutes: u32,
    buffer_after_minutes: u32,
    capacity: u32,
    requires_acceptance: bool,
) -> Service {
    Service {
        id,
        provider_id,
        fields: NewService {
            title: format!("Service {id}"),
            description: String::new(),
            category_id: 1,
            price,
            currency: usd(),
            availability: Availability {
                time_zone: TimeZone::UTC,
                weekly: every_day(start, end),
                exceptions: vec![],
                duration_minutes,
                buffer_before_minutes: 0,
                buffer_after_minutes,
                capacity,
                min_notice_minutes: 60,
                max_advance_days: 60,
            },
            requires_acceptance,
            full_refund_hours_before: 48,
            late_refund_percent: 25,
            reminder_minutes_before: None,
            image_urls: vec![],
            active: true,
        },
        deleted_at: None,
        created_at: now(),
        updated_at: now(),
    }
}

fn world(requires_acceptance: bool) -> Fake {
    let mut f = Fake::new();
    for s in [
        service(
            HOUR,
            PROVIDER,
            4_000,
            (9, 17),
            60,
            15,
            1,
            requires_acceptance,
        ),
        service(HALF, PROVIDER, 2_000, (9, 17), 30, 0, 1, false),
        service(CLASS, TEACHER, 1_500, (18, 19), 60, 0, 3, false),
    ] {
        f.services.insert(s.id, s);
    }
    f
}

fn ask(service_id: i64, starts_at: DateTime<Utc>) -> AppointmentCommand {
    AppointmentCommand {
        service_id,
        starts_at,
        notes: "first visit".into(),
        buyer: Buyer {
            name: Name::parse("Ada Lovelace").unwrap(),
            phone: None,
            email: Some(Email::parse("ada@example.com").unwrap()),
        },
        user_id: None,
        guest_token_hash: None,
        actor: "guest".into(),
        hold_for: chrono::Duration::minutes(HOLD_MINUTES),
    }
}

fn book(f: &mut Fake, service_id: i64, starts_at: DateTime<Utc>) -> Result<Booking, DomainError> {
    book_appointment(f, &ask(service_id, starts_at), now())
}

fn is_field(r: Result<Booking, DomainError>, field: &str) -> bool {
    matches!(r, Err(DomainError::Validation(fs)) if fs[0].field == field)
}

#[test]
fn a_free_slot_is_held_with_its_time_price_and_notice() {
    let mut f = world(false);
    let b = book(&mut f, HOUR, monday(10, 15)).unwrap();
    assert_eq!(b.status, BookingStatus::Held);
    assert_eq!(
        b.expires_at,
        Some(now() + chrono::Duration::minutes(HOLD_MINUTES))
    );
    assert_eq!((b.total_amount, b.currency, b.quantity), (4_000, usd(), 1));
    assert_eq!((b.show_id, b.event_id), (None, None));
    assert!(b.items.is_empty());
    let a = b.appointment.clone().unwrap();
    assert_eq!((a.service_id, a.provider_id), (HOUR, PROVIDER));
    assert_eq!((a.starts_at, a.ends_at), (monday(10, 15), monday(11, 15)));
    assert_eq!((a.notes.as_str(), a.places), ("first visit", 1));
    let row = &f.appointments[&b.id];
    assert!(row.active);
    assert_eq!(row.time.occupied, (monday(10, 15), monday(11, 30)));
    assert_eq!(f.outbox.last().unwrap().topic, Topic::BookingHeld);
    assert_eq!(rows(&f, b.id).len(), 1);
}

#[test]
fn a_taken_slot_and_an_overlapping_slot_of_another_service_are_refused() {
    let mut f = world(false);
    book(&mut f, HOUR, monday(9, 0)).unwrap();
    assert_eq!(
        conflict_code(book(&mut f, HOUR, monday(9, 0))),
        "slot_taken"
    );
    // The half hour at 10:00 falls into the first hour's buffer (until 10:15)…
    assert_eq!(
        conflict_code(book(&mut f, HALF, monday(10, 0))),
        "slot_taken"
    );
    // … and 10:30 does not.
    assert!(book(&mut f, HALF, monday(10, 30)).is_ok());
    assert_eq!(f.appointments.len(), 2);
}

#[test]
fn the_database_refuses_time_a_hold_being_paid_still_has() {
    // A past-due hold that another transaction holds (its payment is being settled) is
    // skipped: the use case counts its time as free, and the database's constraint decides.
    let mut f = world(false);
    let first = book(&mut f, HOUR, monday(9, 0)).unwrap();
    f.locked.insert(first.id);
    let later = now() + chrono::Duration::minutes(HOLD_MINUTES);
    let r = book_appointment(&mut f, &ask(HOUR, monday(9, 0)), later);
    assert_eq!(conflict_code(r), "slot_taken");
    assert_eq!(f.bookings[&first.id].status, BookingStatus::Held);
    assert_eq!(f.appointments.len(), 1);
}

#[test]
fn a_start_off_the_grid_or_outside_the_window_is_invalid_input() {
    let mut f = world(false);
    assert!(is_field(book(&mut f, HOUR, monday(9, 30)), "starts_at"));
    assert!(is_field(
        book(&mut f, HOUR, now() + chrono::Duration::minutes(30)),
        "starts_at"
    ));
    assert!(is_field(
        book(&mut f, HOUR, monday(9, 0) + chrono::Duration::days(70)),
        "starts_at"
    ));
    assert!(matches!(
        book(&mut f, 42, monday(9, 0)),
        Err(DomainError::NotFound {
            entity: "service",
            ..
        })
    ));
    f.services.get_mut(&HOUR).unwrap().fields.active = false;
    assert_eq!(
        conflict_code(book(&mut f, HOUR, monday(9, 0))),
        "service_inactive"
    );
    assert!(f.bookings.is_empty());
}

#[test]
fn a_past_due_hold_gives_its_slot_to_the_next_customer() {
    let mut f = world(false);
    let first = book(&mut f, HOUR, monday(9, 0)).unwrap();
    let later = now() + chrono::Duration::minutes(HOLD_MINUTES);
    let second = book_appointment(&mut f, &ask(HOUR, monday(9, 0)), later).unwrap();
    assert_eq!(f.bookings[&first.id].status, BookingStatus::Expired);
    assert!(!f.appointments[&first.id].active);
    assert!(f.appointments[&second.id].active);
}

#[test]
fn a_class_takes_as_many_customers_as_its_capacity() {
    let mut f = world(false);
    let at = monday(18, 0);
    for _ in 0..3 {
        book(&mut f, CLASS, at).unwrap();
    }
    assert_eq!(conflict_code(book(&mut f, CLASS, at)), "slot_taken");
}

#[test]
fn paying_confirms_or_sends_the_appointment_to_the_provider() {
    let mut f = world(false);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    pay(&mut f, b.id, now());
    assert_eq!(f.bookings[&b.id].status, BookingStatus::Confirmed);

    let mut f = world(true);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    pay(&mut f, b.id, now());
    assert_eq!(f.bookings[&b.id].status, BookingStatus::Pending);
    assert_eq!(f.outbox.last().unwrap().topic, Topic::BookingPending);
    assert!(
        f.appointments[&b.id].active,
        "a pending appointment keeps its time"
    );
    let b = accept(&mut f, b.id, now(), "user:provider").unwrap();
    assert_eq!(b.status, BookingStatus::Confirmed);
    assert_eq!(f.outbox.last().unwrap().topic, Topic::BookingConfirmed);
    // Only a pending one is accepted.
    assert!(matches!(
        accept(&mut f, b.id, now(), "user:provider"),
        Err(DomainError::IllegalTransition { .. })
    ));
}

#[test]
fn a_free_appointment_of_a_provider_who_accepts_first_is_pending_at_once() {
    let mut f = world(true);
    f.services.get_mut(&HOUR).unwrap().fields.price = 0;
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    assert_eq!((b.status, b.expires_at), (BookingStatus::Pending, None));
}

#[test]
fn a_decline_cancels_frees_the_time_and_refunds_everything() {
    let mut f = world(true);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    let payment = pay(&mut f, b.id, now());
    let late = monday(8, 30);
    let c = decline(&mut f, b.id, late, "user:provider").unwrap();
    assert_eq!(c.booking.status, BookingStatus::Cancelled);
    assert!(!f.appointments[&b.id].active);
    let refund = c.refund.unwrap().refund;
    assert_eq!(refund.payment_id, payment);
    assert_eq!(
        (refund.amount, refund.status),
        (decline_refund(4_000, 0), RefundStatus::Pending)
    );
    assert_eq!(refund.amount, 4_000);
    // The slot is free again.
    assert!(book_appointment(&mut f, &ask(HOUR, monday(10, 15)), now()).is_ok());
    assert!(matches!(
        decline(&mut f, b.id, late, "user:provider"),
        Err(DomainError::IllegalTransition { .. })
    ));
}

#[test]
fn a_cancellation_refunds_by_the_services_own_terms() {
    let mut f = world(false);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    pay(&mut f, b.id, now());
    // 30 minutes before the start: the service's late 25 %, not the platform's 50 %.
    let platform = RefundPolicy::default();
    let c = cancel(
        &mut f,
        b.id,
        monday(8, 30),
        "guest",
        "cancelled by the customer",
        &platform,
    )
    .unwrap();
    assert_eq!(c.refund.unwrap().refund.amount, 1_000);
    assert!(!f.appointments[&b.id].active);
}

#[test]
fn a_move_takes_the_new_slot_and_frees_the_old_one_or_changes_nothing() {
    let mut f = world(false);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    let other = book(&mut f, HOUR, monday(11, 30)).unwrap();
    let moved = move_slot(&mut f, b.id, monday(10, 15), now(), "guest").unwrap();
    let a = moved.appointment.unwrap();
    assert_eq!((a.starts_at, a.ends_at), (monday(10, 15), monday(11, 15)));
    assert_eq!(f.outbox.last().unwrap().topic, Topic::BookingRescheduled);
    let last = rows(&f, b.id).pop().unwrap();
    assert_eq!((last.1.as_deref(), last.2.as_str()), (Some("held"), "held"));
    // Its old slot is free again; the slot of the other one is not.
    assert!(book(&mut f, HALF, monday(9, 30)).is_ok());
    assert_eq!(
        conflict_code(move_slot(&mut f, b.id, monday(11, 30), now(), "guest")),
        "slot_taken"
    );
    assert_eq!(f.appointments[&b.id].time.starts_at, monday(10, 15));
    assert_eq!(f.appointments[&other.id].time.starts_at, monday(11, 30));
    // Not a slot: invalid input; a cancelled appointment does not move.
    assert!(is_field(
        move_slot(&mut f, b.id, monday(10, 16), now(), "guest"),
        "starts_at"
    ));
    cancel(&mut f, b.id, now(), "guest", "x", &RefundPolicy::default()).unwrap();
    assert!(matches!(
        move_slot(&mut f, b.id, monday(14, 0), now(), "guest"),
        Err(DomainError::IllegalTransition {
            action: "moved",
            ..
        })
    ));
}

#[test]
fn expiry_frees_the_time_and_a_late_payment_revives_it_while_it_is_free() {
    let mut f = world(false);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    let payment = start_payment(&mut f, b.id, now());
    let late = now() + chrono::Duration::minutes(HOLD_MINUTES + 1);
    assert_eq!(expire_due(&mut f, late, 10).unwrap(), 1);
    assert!(!f.appointments[&b.id].active);
    let step = settle(&mut f, payment, &succeeded("ch_1"), late, "gateway").unwrap();
    assert!(matches!(step, SettleStep::Revive { .. }));
    let s = revive(&mut f, payment, "ch_1", late, "gateway").unwrap();
    assert_eq!(s.payment.outcome, Some(PaymentOutcome::BookingRevived));
    assert_eq!(f.bookings[&b.id].status, BookingStatus::Confirmed);
    assert!(f.appointments[&b.id].active);
}

#[test]
fn a_late_payment_for_time_someone_else_took_is_refunded() {
    let mut f = world(false);
    let b = book(&mut f, HOUR, monday(9, 0)).unwrap();
    let payment = start_payment(&mut f, b.id, now());
    let late = now() + chrono::Duration::minutes(HOLD_MINUTES + 1);
    book_appointment(&mut f, &ask(HALF, monday(9, 30)), late).unwrap();
    let s = revive(&mut f, payment, "ch_1", late, "gateway").unwrap();
    assert_eq!(
        s.payment.outcome,
        Some(PaymentOutcome::RefundedBookingExpired)
    );
    assert_eq!(s.refund.unwrap().refund.amount, 4_000);
    assert!(!f.appointments[&b.id].active);
}

#[test]
fn a_show_booking_is_not_an_appointment() {
    let mut f = super::world::seated();
    let b = super::world::book_ok(
        &mut f,
        super::world::SHOW,
        super::world::ids(&[1101]),
        super::world::t0(),
    );
    assert_eq!(
        conflict_code(accept(&mut f, b.id, now(), "x")),
        "not_an_appointment"
    );
    assert_eq!(
        conflict_code(move_slot(&mut f, b.id, monday(9, 0), now(), "x")),
        "not_an_appointment"
    );
}
