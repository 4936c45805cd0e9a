//! The refund policy at each of its boundaries.

use super::*;

/// The show starts at `t0()`; `before` is how long before the start the refund is asked for
/// (negative: after the start).
fn policy_refund(paid: i64, already: i64, before: Duration) -> Result<i64, DomainError> {
    let starts: DateTime<Utc> = t0();
    refund_amount(
        &RefundPolicy::default(),
        paid,
        already,
        starts,
        starts - before,
        None,
        false,
    )
}

fn override_refund(
    paid: i64,
    already: i64,
    before: Duration,
    amount: i64,
    allowed: bool,
) -> Result<i64, DomainError> {
    let starts = t0();
    refund_amount(
        &RefundPolicy::default(),
        paid,
        already,
        starts,
        starts - before,
        Some(amount),
        allowed,
    )
}

#[test]
fn the_default_policy_is_24_hours_and_50_percent() {
    let p = RefundPolicy::default();
    assert_eq!(p.full_refund_before, Duration::hours(24));
    assert_eq!(p.late_refund_percent, 50);
}

#[test]
fn exactly_24_hours_before_the_start_refunds_everything() {
    assert_eq!(policy_refund(1000, 0, Duration::hours(24)), Ok(1000));
    assert_eq!(policy_refund(101, 0, Duration::hours(24)), Ok(101));
}

#[test]
fn well_before_the_start_refunds_everything() {
    assert_eq!(policy_refund(1000, 0, Duration::days(30)), Ok(1000));
}

#[test]
fn one_second_under_24_hours_refunds_half() {
    let just_under = Duration::hours(24) - Duration::seconds(1);
    assert_eq!(policy_refund(1000, 0, just_under), Ok(500));
}

#[test]
fn one_second_before_the_start_still_refunds_half() {
    assert_eq!(policy_refund(1000, 0, Duration::seconds(1)), Ok(500));
}

#[test]
fn half_of_an_odd_amount_is_rounded_in_the_customers_favour() {
    let late = Duration::hours(1);
    assert_eq!(policy_refund(101, 0, late), Ok(51), "50.5 rounds up");
    assert_eq!(policy_refund(99, 0, late), Ok(50), "49.5 rounds up");
    assert_eq!(policy_refund(1, 0, late), Ok(1), "0.5 rounds up");
    assert_eq!(policy_refund(100, 0, late), Ok(50));
    assert_eq!(policy_refund(0, 0, late), Ok(0));
}

#[test]
fn other_percentages_round_to_the_nearest_minor_unit() {
    let policy = RefundPolicy {
        full_refund_before: Duration::hours(48),
        late_refund_percent: 33,
    };
    let starts = t0();
    let at = |paid| {
        refund_amount(
            &policy,
            paid,
            0,
            starts,
            starts - Duration::hours(30),
            None,
            false,
        )
    };
    assert_eq!(at(100), Ok(33));
    assert_eq!(at(10), Ok(3), "3.3 rounds down");
    assert_eq!(at(2), Ok(1), "0.66 rounds up");
    // 48 h is the full-refund boundary of this policy.
    assert_eq!(
        refund_amount(
            &policy,
            100,
            0,
            starts,
            starts - Duration::hours(48),
            None,
            false
        ),
        Ok(100)
    );
}

#[test]
fn at_and_after_the_start_nothing_is_refunded() {
    assert_eq!(policy_refund(1000, 0, Duration::zero()), Ok(0));
    assert_eq!(policy_refund(1000, 0, -Duration::seconds(1)), Ok(0));
    assert_eq!(policy_refund(1000, 0, -Duration::days(3)), Ok(0));
}

#[test]
fn earlier_refunds_reduce_what_remains() {
    // Full window: only the rest.
    assert_eq!(policy_refund(1000, 300, Duration::days(2)), Ok(700));
    // Late: half of the paid amount, capped at what remains.
    assert_eq!(policy_refund(1000, 300, Duration::hours(2)), Ok(500));
    assert_eq!(policy_refund(1000, 800, Duration::hours(2)), Ok(200));
    assert_eq!(policy_refund(101, 60, Duration::hours(2)), Ok(41));
    // Fully refunded already: nothing more.
    assert_eq!(policy_refund(1000, 1000, Duration::days(2)), Ok(0));
    assert_eq!(policy_refund(1000, 1000, Duration::hours(2)), Ok(0));
}

#[test]
fn an_allowed_actor_may_override_after_the_start() {
    assert_eq!(
        override_refund(1000, 0, -Duration::hours(1), 400, true),
        Ok(400)
    );
    assert_eq!(
        override_refund(1000, 0, -Duration::hours(1), 1000, true),
        Ok(1000)
    );
    assert_eq!(
        override_refund(1000, 0, -Duration::hours(1), 1, true),
        Ok(1)
    );
}

#[test]
fn an_allowed_override_also_works_before_the_start_as_a_partial_refund() {
    assert_eq!(
        override_refund(1000, 0, Duration::days(3), 250, true),
        Ok(250)
    );
    assert_eq!(
        override_refund(1000, 0, Duration::hours(3), 900, true),
        Ok(900)
    );
}

#[test]
fn a_customer_may_not_choose_the_amount() {
    for before in [Duration::days(3), Duration::hours(1), -Duration::hours(1)] {
        match override_refund(1000, 0, before, 100, false) {
            Err(DomainError::Forbidden { code, .. }) => assert_eq!(code, "forbidden"),
            other => panic!("expected Forbidden, got {other:?}"),
        }
    }
}

#[test]
fn an_override_above_what_remains_is_a_validation_error_on_amount() {
    assert_eq!(
        failing_fields(override_refund(1000, 0, -Duration::hours(1), 1001, true)),
        vec!["amount"]
    );
    assert_eq!(
        failing_fields(override_refund(1000, 600, -Duration::hours(1), 401, true)),
        vec!["amount"]
    );
    assert_eq!(
        override_refund(1000, 600, -Duration::hours(1), 400, true),
        Ok(400)
    );
    assert_eq!(
        failing_fields(override_refund(1000, 1000, -Duration::hours(1), 1, true)),
        vec!["amount"]
    );
}

#[test]
fn an_override_of_zero_or_less_is_a_validation_error_on_amount() {
    for bad in [0, -1, i64::MIN] {
        assert_eq!(
            failing_fields(override_refund(1000, 0, -Duration::hours(1), bad, true)),
            vec!["amount"],
            "{bad}"
        );
    }
}

#[test]
fn refunds_never_add_up_to_more_than_was_paid() {
    let policy = RefundPolicy::default();
    let starts = t0();
    let moments = [
        Duration::days(10),
        Duration::hours(24),
        Duration::hours(24) - Duration::seconds(1),
        Duration::hours(1),
        Duration::zero(),
        -Duration::hours(1),
    ];
    for paid in [0_i64, 1, 2, 99, 100, 101, 12_345] {
        for before in moments {
            // Refund repeatedly by policy; the running total must stay within `paid`.
            let mut refunded = 0;
            for _ in 0..4 {
                let r = refund_amount(
                    &policy,
                    paid,
                    refunded,
                    starts,
                    starts - before,
                    None,
                    false,
                )
                .unwrap();
                assert!(r >= 0);
                refunded += r;
                assert!(refunded <= paid, "paid {paid}, {before:?}: {refunded}");
            }
        }
    }
    // A policy that would give back more than everything is still capped.
    let generous = RefundPolicy {
        full_refund_before: Duration::hours(24),
        late_refund_percent: 150,
    };
    assert_eq!(
        refund_amount(
            &generous,
            100,
            0,
            starts,
            starts - Duration::hours(1),
            None,
            false
        ),
        Ok(100)
    );
    assert_eq!(
        refund_amount(
            &generous,
            100,
            30,
            starts,
            starts - Duration::hours(1),
            None,
            false
        ),
        Ok(70)
    );
}

#[test]
fn an_inconsistent_refund_state_is_internal() {
    for (paid, already) in [(100, 101), (-1, 0), (100, -1)] {
        assert!(matches!(
            policy_refund(paid, already, Duration::days(2)),
            Err(DomainError::Internal(_))
        ));
    }
}
