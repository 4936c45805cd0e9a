//! `BookingStatus::initial` and `Revive`; a hold and its deadline: `as_of`, `hold_is_past_due`,
//! `accepts_payment`, `expiry_entry`.

use super::*;

#[test]
fn a_booking_with_something_to_pay_starts_held_a_free_one_confirmed() {
    assert_eq!(BookingStatus::initial(1), BookingStatus::Held);
    assert_eq!(BookingStatus::initial(TOTAL), BookingStatus::Held);
    assert_eq!(BookingStatus::initial(i64::MAX), BookingStatus::Held);
    assert_eq!(BookingStatus::initial(0), BookingStatus::Confirmed);
}

#[test]
fn revive_brings_only_an_expired_booking_back_as_confirmed() {
    assert_eq!(
        BookingStatus::Expired.apply(BookingAction::Revive),
        Ok(BookingStatus::Confirmed)
    );
    for from in BookingStatus::ALL {
        if from == BookingStatus::Expired {
            continue;
        }
        assert_eq!(
            from.apply(BookingAction::Revive),
            Err(DomainError::IllegalTransition {
                from,
                action: "revived"
            }),
            "{from} revived"
        );
    }
    assert_eq!(BookingAction::Revive.past_tense(), "revived");
}

#[test]
fn nothing_but_revive_leaves_an_expired_booking() {
    for action in [
        BookingAction::Pay,
        BookingAction::Expire,
        BookingAction::Cancel,
        BookingAction::Complete,
    ] {
        assert_eq!(
            BookingStatus::Expired.apply(action),
            Err(DomainError::IllegalTransition {
                from: BookingStatus::Expired,
                action: action.past_tense()
            }),
            "expired {action:?}"
        );
    }
}

#[test]
fn a_hold_is_past_due_from_its_deadline_on() {
    let b = booking(BookingStatus::Held, None, Some(t0()));
    assert!(!b.hold_is_past_due(t0() - Duration::seconds(1)));
    assert!(b.hold_is_past_due(t0()));
    assert!(b.hold_is_past_due(t0() + Duration::seconds(1)));
}

#[test]
fn only_a_held_booking_with_a_deadline_can_be_past_due() {
    let long_ago = Some(t0() - Duration::days(1));
    for status in BookingStatus::ALL {
        let b = booking(status, None, long_ago);
        assert_eq!(
            b.hold_is_past_due(t0()),
            status == BookingStatus::Held,
            "{status}"
        );
    }
    assert!(!booking(BookingStatus::Held, None, None).hold_is_past_due(t0()));
}

#[test]
fn as_of_reads_a_past_due_hold_as_expired_and_changes_nothing_else() {
    let stored = past_due_hold(None);
    let seen = stored.clone().as_of(t0());
    assert_eq!(seen.status, BookingStatus::Expired);
    assert_eq!(seen.expires_at, stored.expires_at);
    assert_eq!(
        Booking {
            status: BookingStatus::Held,
            ..seen
        },
        stored
    );
    // Exactly at the deadline it is over.
    let at_deadline = booking(BookingStatus::Held, None, Some(t0()));
    assert_eq!(at_deadline.as_of(t0()).status, BookingStatus::Expired);
}

#[test]
fn as_of_keeps_a_running_hold_and_every_other_status() {
    let running = running_hold(None);
    assert_eq!(running.clone().as_of(t0()), running);
    for status in [
        BookingStatus::Confirmed,
        BookingStatus::Completed,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
    ] {
        let b = booking(status, None, Some(t0() - Duration::hours(1)));
        assert_eq!(b.clone().as_of(t0()), b, "{status}");
    }
}

#[test]
fn a_running_hold_accepts_a_payment() {
    assert_eq!(running_hold(None).accepts_payment(t0()), Ok(()));
    let last_second = booking(BookingStatus::Held, None, Some(t0() + Duration::seconds(1)));
    assert_eq!(last_second.accepts_payment(t0()), Ok(()));
}

#[test]
fn a_past_due_hold_does_not_accept_a_payment() {
    let b = past_due_hold(None);
    match b.accepts_payment(t0()) {
        Err(DomainError::Conflict { code, message }) => {
            assert_eq!(code, "booking_not_held");
            assert!(message.contains(&b.id.to_string()), "{message}");
            assert!(message.contains("expired"), "{message}");
        }
        other => panic!("expected booking_not_held, got {other:?}"),
    }
    let at_deadline = booking(BookingStatus::Held, None, Some(t0()));
    assert_eq!(
        conflict_code(at_deadline.accepts_payment(t0())),
        "booking_not_held"
    );
}

#[test]
fn no_other_status_accepts_a_payment() {
    for status in [
        BookingStatus::Confirmed,
        BookingStatus::Completed,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
    ] {
        let b = booking(status, None, Some(t0() + Duration::minutes(5)));
        match b.accepts_payment(t0()) {
            Err(DomainError::Conflict { code, message }) => {
                assert_eq!(code, "booking_not_held", "{status}");
                assert!(message.contains(status.as_str()), "{message}");
            }
            other => panic!("{status}: expected booking_not_held, got {other:?}"),
        }
    }
}

#[test]
fn expiry_entry_is_the_system_expiry_at_the_deadline() {
    let b = past_due_hold(None);
    let deadline = b.expires_at.unwrap();
    assert_eq!(
        b.expiry_entry(),
        Some(HistoryEntry {
            at: deadline,
            entity: HistoryEntity::Booking,
            entity_id: b.id.to_string(),
            from: Some("held".into()),
            to: "expired".into(),
            actor: Some("system".into()),
            reason: Some("the hold expired before it was paid".into()),
        })
    );
    assert_eq!(HISTORY_ACTOR_SYSTEM, "system");
    assert_eq!(REASON_HOLD_EXPIRED, "the hold expired before it was paid");
}

#[test]
fn expiry_entry_needs_a_deadline() {
    assert_eq!(
        booking(BookingStatus::Confirmed, None, None).expiry_entry(),
        None
    );
}
