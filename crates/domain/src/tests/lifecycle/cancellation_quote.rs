//! The preview of a cancellation: `cancellation::cancellation_refund` (the decision the
//! cancellation itself takes), `quote_cancellation`, the policy in words, and
//! `BookingService::cancellation_quote` (who may ask).

use super::*;
use crate::cancellation::{
    cancellation_refund, describe_policy, quote_cancellation, refusal_reason, refusal_reasons,
    CancellationQuote, Paid,
};

/// The show of every booking here starts three days after `t0()`.
fn starts() -> DateTime<Utc> {
    t0() + Duration::days(3)
}

fn policy() -> RefundPolicy {
    RefundPolicy::default()
}

/// A confirmed booking of `TOTAL`, paid in full.
fn paid_booking() -> Booking {
    let b = booking(
        BookingStatus::Confirmed,
        None,
        Some(t0() - Duration::days(1)),
    );
    Booking {
        payments: vec![succeeded_payment(b.id)],
        ..b
    }
}

fn quote_at(b: &Booking, now: DateTime<Utc>) -> CancellationQuote {
    quote_cancellation(b, starts(), now, &policy()).unwrap()
}

#[test]
fn a_running_hold_is_cancellable_and_refunds_nothing() {
    let b = running_hold(None);
    let q = quote_at(&b, t0());
    assert_eq!(
        q,
        CancellationQuote {
            booking_id: b.id,
            cancellable: true,
            reason: None,
            refund_amount: 0,
            paid_amount: 0,
            currency: usd(),
            policy: describe_policy(&policy()),
        }
    );
    // A payment that has not succeeded (initiated, failed) pays nothing back either.
    for status in [PaymentStatus::Initiated, PaymentStatus::Failed] {
        let b = Booking {
            payments: vec![payment(b.id, status, PaymentMethod::Success)],
            ..b.clone()
        };
        let q = quote_at(&b, t0());
        assert_eq!(
            (q.cancellable, q.refund_amount, q.paid_amount),
            (true, 0, 0)
        );
    }
}

#[test]
fn confirmed_far_ahead_everything_comes_back() {
    let b = paid_booking();
    let q = quote_at(&b, t0());
    assert_eq!(
        (q.cancellable, q.reason, q.refund_amount, q.paid_amount),
        (true, None, TOTAL, TOTAL)
    );
    // Exactly 24 hours ahead is still a full refund.
    assert_eq!(
        quote_at(&b, starts() - Duration::hours(24)).refund_amount,
        TOTAL
    );
}

#[test]
fn confirmed_late_the_policy_s_percentage_comes_back() {
    let b = paid_booking();
    let late = starts() - Duration::hours(24) + Duration::seconds(1);
    let q = quote_at(&b, late);
    assert_eq!((q.cancellable, q.refund_amount), (true, TOTAL / 2));
    let seventy = RefundPolicy {
        late_refund_percent: 70,
        ..policy()
    };
    let q = quote_cancellation(&b, starts(), late, &seventy).unwrap();
    assert_eq!(q.refund_amount, 2_800);
    // At or after the start: still cancellable, nothing back.
    let q = quote_at(&b, starts());
    assert_eq!(
        (q.cancellable, q.refund_amount, q.paid_amount),
        (true, 0, TOTAL)
    );
}

#[test]
fn what_went_back_before_is_not_refunded_twice() {
    let mut b = paid_booking();
    let pid = b.payments[0].id;
    b.payments[0].refunds = vec![
        refund(pid, 1_500, RefundStatus::Succeeded),
        refund(pid, 1_000, RefundStatus::Pending),
        refund(pid, 4_000, RefundStatus::Failed),
    ];
    assert_eq!(quote_at(&b, t0()).refund_amount, 1_500);
    // Late: half of what was paid, capped at what remains.
    let late = starts() - Duration::hours(1);
    assert_eq!(quote_at(&b, late).refund_amount, 1_500);
}

#[test]
fn expired_cancelled_and_completed_bookings_are_not_cancellable() {
    // A hold past its deadline is expired, whether or not that was written down.
    let q = quote_at(&past_due_hold(None), t0());
    assert_eq!(
        (q.cancellable, q.reason, q.refund_amount),
        (false, Some("booking_expired"), 0)
    );
    let paid = paid_booking();
    for (status, reason) in [
        (BookingStatus::Expired, "booking_expired"),
        (BookingStatus::Cancelled, "booking_cancelled"),
        (BookingStatus::Completed, "booking_completed"),
    ] {
        let b = Booking {
            status,
            ..paid.clone()
        };
        let q = quote_at(&b, t0());
        assert_eq!(
            (q.cancellable, q.reason, q.refund_amount, q.paid_amount),
            (false, Some(reason), 0, TOTAL),
            "{status}"
        );
    }
}

#[test]
fn the_decision_is_the_state_machine_s_and_the_refund_policy_s() {
    let paid = Some(Paid {
        amount: TOTAL,
        refunded: 0,
        show_starts_at: starts(),
    });
    for status in BookingStatus::ALL {
        let machine = status.apply(BookingAction::Cancel);
        let decided = cancellation_refund(status, None, paid, t0(), &policy());
        assert_eq!(machine.is_ok(), decided.is_ok(), "{status}");
        assert_eq!(machine.err(), decided.clone().err(), "{status}");
        // A reason for exactly the statuses the machine refuses.
        assert_eq!(
            refusal_reason(status).is_some(),
            decided.is_err(),
            "{status}"
        );
    }
    assert_eq!(
        refusal_reasons().collect::<Vec<_>>(),
        ["booking_completed", "booking_expired", "booking_cancelled"]
    );
    let held = Some(t0() - Duration::seconds(1));
    assert!(matches!(
        cancellation_refund(BookingStatus::Held, held, None, t0(), &policy()),
        Err(DomainError::IllegalTransition {
            from: BookingStatus::Expired,
            ..
        })
    ));
}

#[test]
fn the_policy_in_words() {
    assert_eq!(
        describe_policy(&policy()),
        "Full refund until 24 hours before the show starts; 50 % of the amount paid after \
         that; nothing once it has started."
    );
    let p = |hours: i64, minutes: i64, percent: u32| RefundPolicy {
        full_refund_before: Duration::hours(hours) + Duration::minutes(minutes),
        late_refund_percent: percent,
    };
    assert_eq!(
        describe_policy(&p(48, 0, 25)),
        "Full refund until 48 hours before the show starts; 25 % of the amount paid after \
         that; nothing once it has started."
    );
    assert_eq!(
        describe_policy(&p(1, 0, 0)),
        "Full refund until 1 hour before the show starts; nothing after that."
    );
    assert!(describe_policy(&p(1, 30, 50)).starts_with("Full refund until 90 minutes before"));
    for full_until_start in [p(0, 0, 50), p(24, 0, 100)] {
        assert_eq!(
            describe_policy(&full_until_start),
            "Full refund until the show starts; nothing once it has started."
        );
    }
}

#[test]
fn the_service_quotes_for_those_who_may_read_the_booking_only() {
    block_on(async {
        let b = paid_booking();
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        let stored = b.clone();
        repo.expect_get_booking()
            .with(eq(id))
            .returning(move |_| Ok(stored.clone()));
        repo.expect_booking_terms()
            .with(eq(id))
            .times(1)
            .returning(|_| {
                Ok(crate::engine::BookingTerms {
                    starts_at: starts(),
                    refund_policy: None,
                    requires_acceptance: false,
                })
            });
        let svc = booking_service(repo, t0());
        // The guest-token holder.
        let q = svc
            .cancellation_quote(&Actor::Anonymous, id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(q, quote_at(&b, t0()));
        // Anyone else: the 404 of an unknown booking (no show read).
        for (actor, token) in [
            (Actor::Anonymous, None),
            (Actor::Anonymous, Some("another-token-0123456789abcdef")),
            (actor(Role::Customer), None),
        ] {
            let e = svc.cancellation_quote(&actor, id, token).await.unwrap_err();
            assert!(matches!(e, DomainError::NotFound { .. }), "{e:?}");
        }
    })
}
