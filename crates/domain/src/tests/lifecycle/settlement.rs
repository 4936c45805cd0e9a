//! `settlement_for`: what a payment does to a booking, by status, deadline and show start.

use super::*;

#[test]
fn settlement_for_every_status_deadline_and_show_start() {
    use BookingStatus as S;
    let now = t0();
    let runs = Some(now + Duration::minutes(1));
    let due = Some(now - Duration::minutes(1));
    let ahead = now + Duration::hours(1);
    let started = now - Duration::hours(1);
    let confirm = Settlement::Confirm;
    let revive = Settlement::TryRevive;
    let expired = Settlement::Refund(PaymentOutcome::RefundedBookingExpired);
    let cancelled = Settlement::Refund(PaymentOutcome::RefundedBookingCancelled);
    let table = [
        // A running hold is confirmed (it was bookable when it was made).
        (S::Held, runs, ahead, confirm),
        (S::Held, runs, started, confirm),
        // A hold that is over: revive before the start, refund after it.
        (S::Held, due, ahead, revive),
        (S::Held, due, started, expired),
        (S::Expired, runs, ahead, revive),
        (S::Expired, runs, started, expired),
        (S::Expired, due, ahead, revive),
        (S::Expired, due, started, expired),
        // Anything else is not payable any more.
        (S::Pending, runs, ahead, cancelled),
        (S::Pending, runs, started, cancelled),
        (S::Pending, due, ahead, cancelled),
        (S::Pending, due, started, cancelled),
        (S::Confirmed, runs, ahead, cancelled),
        (S::Confirmed, runs, started, cancelled),
        (S::Confirmed, due, ahead, cancelled),
        (S::Confirmed, due, started, cancelled),
        (S::Completed, runs, ahead, cancelled),
        (S::Completed, runs, started, cancelled),
        (S::Completed, due, ahead, cancelled),
        (S::Completed, due, started, cancelled),
        (S::Cancelled, runs, ahead, cancelled),
        (S::Cancelled, runs, started, cancelled),
        (S::Cancelled, due, ahead, cancelled),
        (S::Cancelled, due, started, cancelled),
    ];
    assert_eq!(table.len(), S::ALL.len() * 4);
    for (status, expires_at, starts_at, want) in table {
        assert_eq!(
            settlement_for(status, expires_at, starts_at, now),
            want,
            "{status}, expires {expires_at:?}, show starts {starts_at}"
        );
    }
}

#[test]
fn settlement_for_boundaries_deadline_now_is_over_and_start_now_is_started() {
    let now = t0();
    let ahead = now + Duration::hours(1);
    // A deadline of exactly now: the hold is over.
    assert_eq!(
        settlement_for(BookingStatus::Held, Some(now), ahead, now),
        Settlement::TryRevive
    );
    // One second left: still confirmed.
    assert_eq!(
        settlement_for(
            BookingStatus::Held,
            Some(now + Duration::seconds(1)),
            ahead,
            now
        ),
        Settlement::Confirm
    );
    // A show starting exactly now has started: no revival.
    assert_eq!(
        settlement_for(
            BookingStatus::Expired,
            Some(now - Duration::minutes(1)),
            now,
            now
        ),
        Settlement::Refund(PaymentOutcome::RefundedBookingExpired)
    );
    assert_eq!(
        settlement_for(
            BookingStatus::Expired,
            Some(now - Duration::minutes(1)),
            now + Duration::seconds(1),
            now
        ),
        Settlement::TryRevive
    );
}

#[test]
fn settlement_confirms_exactly_the_bookings_that_accept_a_payment() {
    let now = t0();
    for status in BookingStatus::ALL {
        for expires_at in [now - Duration::minutes(1), now, now + Duration::minutes(1)] {
            let b = booking(status, None, Some(expires_at));
            let confirms = settlement_for(status, Some(expires_at), now + Duration::hours(1), now)
                == Settlement::Confirm;
            assert_eq!(
                confirms,
                b.accepts_payment(now).is_ok(),
                "{status} expiring at {expires_at}"
            );
        }
    }
}

#[test]
fn refund_outcomes_carry_a_reason_and_the_others_do_not() {
    assert!(PaymentOutcome::RefundedBookingExpired
        .refund_reason()
        .is_some_and(|r| r.contains("after the hold expired")));
    assert!(PaymentOutcome::RefundedBookingCancelled
        .refund_reason()
        .is_some_and(|r| r.contains("no longer payable")));
    assert_eq!(PaymentOutcome::BookingConfirmed.refund_reason(), None);
    assert_eq!(PaymentOutcome::BookingRevived.refund_reason(), None);
    for o in PaymentOutcome::ALL {
        assert_eq!(PaymentOutcome::parse(o.as_str()), Some(o));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            format!("\"{}\"", o.as_str())
        );
    }
}
