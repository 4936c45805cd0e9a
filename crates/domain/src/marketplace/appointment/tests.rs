//! An appointment's own rules: its request, its time, its statuses, its refunds, its reminder.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc, Weekday};
use uuid::Uuid;

use super::*;
use crate::booking::BookingStatus as S;
use crate::cancellation::{cancellation_refund, decline_refund, Paid};
use crate::marketplace::availability::{Availability, WeeklyInterval};
use crate::marketplace::catalog::NewService;
use crate::marketplace::slots::{check_slot, BookedTime};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// A 45-minute massage, 10 minutes of buffer before and 5 after, Mondays 09:00–12:00 Berlin,
/// 60.00 EUR, full refund until 48 h before, 25 % later.
fn service(capacity: u32, requires_acceptance: bool) -> Service {
    Service {
        id: 7,
        provider_id: Uuid::from_u128(1),
        fields: NewService {
            title: "Massage".into(),
            description: String::new(),
            category_id: 1,
            price: 6_000,
            currency: Currency::parse("EUR").unwrap(),
            availability: Availability {
                time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
                weekly: vec![WeeklyInterval {
                    weekday: Weekday::Mon,
                    start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
                }],
                exceptions: vec![],
                duration_minutes: 45,
                buffer_before_minutes: 10,
                buffer_after_minutes: 5,
                capacity,
                min_notice_minutes: 60,
                max_advance_days: 60,
            },
            requires_acceptance,
            full_refund_hours_before: 48,
            late_refund_percent: 25,
            reminder_minutes_before: Some(120),
            image_urls: vec![],
            active: true,
        },
        deleted_at: None,
        created_at: utc(2030, 1, 1, 0, 0),
        updated_at: utc(2030, 1, 1, 0, 0),
    }
}

fn request() -> AppointmentRequest {
    AppointmentRequest {
        service_id: 7,
        starts_at: Some(utc(2030, 6, 3, 7, 0)),
        notes: Some("  left shoulder  ".into()),
        name: "Ada Lovelace".into(),
        phone: None,
        email: Some("ada@example.com".into()),
    }
}

fn fields(r: Result<AppointmentCommand, DomainError>) -> Vec<String> {
    match r {
        Err(DomainError::Validation(fs)) => fs.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_request_parses_with_trimmed_notes_and_the_buyer() {
    let c = request().parse().unwrap();
    assert_eq!(c.service_id, 7);
    assert_eq!(c.starts_at, utc(2030, 6, 3, 7, 0));
    assert_eq!(c.notes, "left shoulder");
    assert_eq!(c.buyer.name.as_str(), "Ada Lovelace");
    assert_eq!(c.buyer.email.unwrap().as_str(), "ada@example.com");
}

#[test]
fn a_request_names_every_bad_field() {
    let r = AppointmentRequest {
        service_id: 0,
        starts_at: None,
        notes: Some("x".repeat(NOTES_MAX_CHARS + 1)),
        name: String::new(),
        phone: None,
        email: None,
    };
    let mut f = fields(r.parse());
    f.sort();
    assert_eq!(f, ["email", "name", "notes", "service_id", "starts_at"]);
}

#[test]
fn notes_of_exactly_the_limit_are_taken() {
    let r = AppointmentRequest {
        notes: Some("é".repeat(NOTES_MAX_CHARS)),
        ..request()
    };
    assert_eq!(r.parse().unwrap().notes.chars().count(), NOTES_MAX_CHARS);
}

#[test]
fn the_time_of_a_slot_is_its_duration_with_the_buffers_around_it() {
    // 09:00 CEST, the first slot of a Monday.
    let t = AppointmentTime::of(&service(1, false), utc(2030, 6, 3, 7, 0));
    assert_eq!(t.ends_at, utc(2030, 6, 3, 7, 45));
    assert_eq!(t.occupied, (utc(2030, 6, 3, 6, 50), utc(2030, 6, 3, 7, 50)));
    assert_eq!(t.places, 1);
    assert_eq!((t.service_id, t.provider_id), (7, Uuid::from_u128(1)));
}

#[test]
fn a_deleted_service_is_unknown_and_an_inactive_one_refuses() {
    let mut s = service(1, false);
    assert!(check_bookable(&s).is_ok());
    s.fields.active = false;
    assert!(matches!(
        check_bookable(&s),
        Err(DomainError::Conflict {
            code: ConflictCode::ServiceInactive,
            ..
        })
    ));
    s.deleted_at = Some(utc(2030, 2, 1, 0, 0));
    assert!(matches!(
        check_bookable(&s),
        Err(DomainError::NotFound {
            entity: "service",
            ..
        })
    ));
}

#[test]
fn a_taken_slot_is_a_conflict_and_the_other_refusals_are_invalid_input() {
    assert!(matches!(
        refusal_error(SlotRefusal::Taken),
        DomainError::Conflict {
            code: ConflictCode::SlotTaken,
            ..
        }
    ));
    for r in [
        SlotRefusal::NotASlot,
        SlotRefusal::TooSoon,
        SlotRefusal::TooFarAhead,
    ] {
        match refusal_error(r) {
            DomainError::Validation(fs) => assert_eq!(fs[0].field, "starts_at"),
            other => panic!("{r:?} gave {other:?}"),
        }
    }
}

#[test]
fn a_slot_taken_by_another_service_of_the_provider_is_refused_with_its_buffers() {
    let s = service(1, false);
    let now = utc(2030, 6, 1, 0, 0);
    // Another service's appointment 06:00–06:46 UTC with a 5-minute buffer after keeps the
    // provider busy until 06:51, into the buffer before our 07:00 slot (from 06:50).
    let other = BookedTime {
        service_id: 8,
        starts_at: utc(2030, 6, 3, 6, 0),
        ends_at: utc(2030, 6, 3, 6, 46),
        buffer_before_minutes: 0,
        buffer_after_minutes: 5,
        places: 1,
    };
    let at = utc(2030, 6, 3, 7, 0);
    let r = check_slot(7, &s.fields.availability, &[other], at, now);
    assert_eq!(r.map(|_| ()), Err(SlotRefusal::Taken));
    // Busy until 06:50: touching our buffered start is no overlap.
    let touching = BookedTime {
        ends_at: utc(2030, 6, 3, 6, 45),
        ..other
    };
    assert!(check_slot(7, &s.fields.availability, &[touching], at, now).is_ok());
}

#[test]
fn a_new_appointment_is_held_when_there_is_something_to_pay() {
    assert_eq!(initial_status(6_000, false), S::Held);
    assert_eq!(initial_status(6_000, true), S::Held);
}

#[test]
fn a_free_appointment_is_at_once_what_a_payment_would_make_it() {
    assert_eq!(initial_status(0, false), S::Confirmed);
    assert_eq!(initial_status(0, true), S::Pending);
}

#[test]
fn a_payment_confirms_unless_the_provider_accepts_first() {
    assert_eq!(status_after_payment(false), S::Confirmed);
    assert_eq!(status_after_payment(true), S::Pending);
    assert_eq!(payment_action(true), BookingAction::Submit);
    assert_eq!(payment_action(false), BookingAction::Pay);
}

#[test]
fn a_pending_appointment_is_accepted_declined_or_cancelled_and_nothing_else() {
    assert_eq!(
        S::Pending.apply(BookingAction::Accept).unwrap(),
        S::Confirmed
    );
    assert_eq!(
        S::Pending.apply(BookingAction::Decline).unwrap(),
        S::Cancelled
    );
    assert_eq!(
        S::Pending.apply(BookingAction::Cancel).unwrap(),
        S::Cancelled
    );
    for action in [
        BookingAction::Pay,
        BookingAction::Expire,
        BookingAction::Complete,
        BookingAction::Submit,
        BookingAction::Revive,
    ] {
        assert!(S::Pending.apply(action).is_err(), "{action:?}");
    }
    for status in [
        S::Held,
        S::Confirmed,
        S::Cancelled,
        S::Expired,
        S::Completed,
    ] {
        assert!(status.apply(BookingAction::Accept).is_err(), "{status}");
        assert!(status.apply(BookingAction::Decline).is_err(), "{status}");
    }
    assert!(S::Pending.is_active());
}

#[test]
fn the_services_terms_are_its_refund_policy() {
    let p = refund_policy_of(&service(1, false));
    assert_eq!(p.full_refund_before, Duration::hours(48));
    assert_eq!(p.late_refund_percent, 25);
}

#[test]
fn a_cancellation_refunds_by_the_services_terms() {
    let p = refund_policy_of(&service(1, false));
    let starts = utc(2030, 6, 3, 7, 10);
    let paid = Paid {
        amount: 6_000,
        refunded: 0,
        show_starts_at: starts,
    };
    // 48 h before: everything.
    let early = starts - Duration::hours(48);
    assert_eq!(
        cancellation_refund(S::Confirmed, None, Some(paid), early, &p).unwrap(),
        6_000
    );
    // One minute later: 25 %.
    let late = early + Duration::minutes(1);
    assert_eq!(
        cancellation_refund(S::Confirmed, None, Some(paid), late, &p).unwrap(),
        1_500
    );
}

#[test]
fn a_pending_appointment_cancelled_gets_everything_back_as_a_decline_does() {
    let p = refund_policy_of(&service(1, true));
    let starts = utc(2030, 6, 3, 7, 10);
    let paid = Paid {
        amount: 6_000,
        refunded: 1_000,
        show_starts_at: starts,
    };
    let late = starts - Duration::hours(1);
    assert_eq!(
        cancellation_refund(S::Pending, None, Some(paid), late, &p).unwrap(),
        5_000
    );
    assert_eq!(decline_refund(6_000, 1_000), 5_000);
    assert_eq!(decline_refund(6_000, 6_000), 0);
    assert_eq!(decline_refund(6_000, 7_000), 0);
}

#[test]
fn an_active_appointment_that_has_not_started_may_move() {
    let starts = utc(2030, 6, 3, 7, 10);
    for status in [S::Held, S::Pending, S::Confirmed] {
        assert!(check_movable(status, starts, starts - Duration::seconds(1)).is_ok());
        assert!(check_movable(status, starts, starts).is_err(), "started");
    }
    for status in [S::Cancelled, S::Expired, S::Completed] {
        assert!(matches!(
            check_movable(status, starts, starts - Duration::days(1)),
            Err(DomainError::IllegalTransition {
                action: "moved",
                ..
            })
        ));
    }
}

#[test]
fn a_reminder_is_due_from_its_time_before_the_start_until_the_start() {
    let starts = utc(2030, 6, 3, 7, 10);
    assert!(!reminder_due(starts, 120, starts - Duration::minutes(121)));
    assert!(reminder_due(starts, 120, starts - Duration::minutes(120)));
    assert!(reminder_due(starts, 120, starts - Duration::seconds(1)));
    assert!(!reminder_due(starts, 120, starts));
}

#[test]
fn the_price_is_per_place() {
    let s = service(5, false);
    assert_eq!(price_of(&s, 1), (6_000, Currency::parse("EUR").unwrap()));
    assert_eq!(price_of(&s, 3).0, 18_000);
}

#[test]
fn local_times_are_told_on_the_providers_clock() {
    let a = Appointment {
        service_id: 7,
        service_title: "Massage".into(),
        provider_id: Uuid::from_u128(1),
        // 07:10 UTC in June is 09:10 CEST.
        starts_at: utc(2030, 6, 3, 7, 10),
        ends_at: utc(2030, 6, 3, 7, 55),
        time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
        places: 1,
        notes: String::new(),
    };
    let day = NaiveDate::from_ymd_opt(2030, 6, 3).unwrap();
    assert_eq!(a.local_start(), day.and_hms_opt(9, 10, 0).unwrap());
    assert_eq!(a.local_end(), day.and_hms_opt(9, 55, 0).unwrap());
}
