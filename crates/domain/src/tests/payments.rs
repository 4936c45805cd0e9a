//! Payments and refunds: the state machines, the test tokens, the refund policy at each of its
//! boundaries, the webhook signature, and the gateway port's mock.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::support::{failing_fields, t0, usd};
use crate::error::DomainError;
use crate::payment::{
    refund_amount, sign_webhook, verify_webhook, ChargeRequest, DeclineCode, GatewayOutcome,
    HistoryEntity, HistoryEntry, MockPaymentGateway, Payment, PaymentGateway, PaymentMethod,
    PaymentStatus, Refund, RefundOutcome, RefundPolicy, RefundRequest, RefundStatus, WebhookError,
    WEBHOOK_TOLERANCE_SECS,
};

// ---------------------------------------------------------------------------------------------
// State machines
// ---------------------------------------------------------------------------------------------

#[test]
fn payment_state_machine_allows_only_initiated_to_an_end() {
    use PaymentStatus as P;
    let mut legal = 0;
    for from in P::ALL {
        for to in P::ALL {
            let ok = matches!((from, to), (P::Initiated, P::Succeeded | P::Failed));
            assert_eq!(from.can_become(to), ok, "{from} -> {to}");
            match from.transition(to) {
                Ok(got) => {
                    assert!(ok, "{from} -> {to} must be illegal");
                    assert_eq!(got, to);
                    legal += 1;
                }
                Err(DomainError::Conflict { code, message }) => {
                    assert!(!ok, "{from} -> {to} must be legal");
                    assert_eq!(code, "illegal_payment_transition");
                    assert!(message.contains(from.as_str()) && message.contains(to.as_str()));
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
    }
    assert_eq!(legal, 2);
}

#[test]
fn a_succeeded_payment_cannot_succeed_again_or_fail() {
    assert!(PaymentStatus::Succeeded
        .transition(PaymentStatus::Succeeded)
        .is_err());
    assert!(PaymentStatus::Succeeded
        .transition(PaymentStatus::Failed)
        .is_err());
    assert!(PaymentStatus::Failed
        .transition(PaymentStatus::Succeeded)
        .is_err());
    assert!(PaymentStatus::Succeeded.is_final());
    assert!(PaymentStatus::Failed.is_final());
    assert!(!PaymentStatus::Initiated.is_final());
}

#[test]
fn refund_state_machine_allows_only_pending_to_an_end() {
    use RefundStatus as R;
    let mut legal = 0;
    for from in R::ALL {
        for to in R::ALL {
            let ok = matches!((from, to), (R::Pending, R::Succeeded | R::Failed));
            assert_eq!(from.can_become(to), ok, "{from} -> {to}");
            match from.transition(to) {
                Ok(got) => {
                    assert!(ok, "{from} -> {to} must be illegal");
                    assert_eq!(got, to);
                    legal += 1;
                }
                Err(DomainError::Conflict { code, .. }) => {
                    assert!(!ok, "{from} -> {to} must be legal");
                    assert_eq!(code, "illegal_refund_transition");
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
    }
    assert_eq!(legal, 2);
    assert!(R::Pending.counts_against_payment());
    assert!(R::Succeeded.counts_against_payment());
    assert!(!R::Failed.counts_against_payment());
}

#[test]
fn statuses_round_trip_through_text_and_json() {
    for s in PaymentStatus::ALL {
        assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        assert_eq!(s.to_string(), s.as_str());
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    for s in RefundStatus::ALL {
        assert_eq!(RefundStatus::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    assert_eq!(PaymentStatus::parse("Succeeded"), None);
    assert_eq!(PaymentStatus::parse("pending"), None);
    assert_eq!(RefundStatus::parse("initiated"), None);
    assert_eq!(RefundStatus::parse(""), None);
}

// ---------------------------------------------------------------------------------------------
// Test tokens
// ---------------------------------------------------------------------------------------------

#[test]
fn the_four_test_tokens_parse() {
    assert_eq!(
        PaymentMethod::parse("tok_success"),
        Ok(PaymentMethod::Success)
    );
    assert_eq!(
        PaymentMethod::parse("tok_declined"),
        Ok(PaymentMethod::Declined)
    );
    assert_eq!(
        PaymentMethod::parse("tok_insufficient_funds"),
        Ok(PaymentMethod::InsufficientFunds)
    );
    assert_eq!(
        PaymentMethod::parse("tok_delayed"),
        Ok(PaymentMethod::Delayed)
    );
    assert_eq!(
        PaymentMethod::parse("  tok_success "),
        Ok(PaymentMethod::Success)
    );
    for m in PaymentMethod::ALL {
        assert_eq!(PaymentMethod::parse(m.as_str()), Ok(m));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            format!("\"{}\"", m.as_str())
        );
        let back: PaymentMethod = serde_json::from_str(&format!("\"{m}\"")).unwrap();
        assert_eq!(back, m);
    }
}

#[test]
fn unknown_tokens_are_a_validation_error_on_payment_method() {
    for bad in [
        "",
        "   ",
        "tok_unknown",
        "TOK_SUCCESS",
        "tok_success2",
        "card",
        "4242424242424242",
    ] {
        assert_eq!(
            failing_fields(PaymentMethod::parse(bad)),
            vec!["payment_method"],
            "{bad:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Payment entity
// ---------------------------------------------------------------------------------------------

fn payment(amount: i64, status: PaymentStatus, refunds: &[(i64, RefundStatus)]) -> Payment {
    let id = Uuid::new_v4();
    Payment {
        id,
        booking_id: Uuid::new_v4(),
        amount,
        currency: usd(),
        status,
        method: PaymentMethod::Success,
        gateway_ref: Some("pay_x".into()),
        failure_code: None,
        outcome: None,
        refunds: refunds
            .iter()
            .map(|&(amount, status)| Refund {
                id: Uuid::new_v4(),
                payment_id: id,
                amount,
                status,
                reason: "test".into(),
                gateway_ref: None,
                failure_code: None,
                created_at: t0(),
                updated_at: t0(),
            })
            .collect(),
        created_at: t0(),
        updated_at: t0(),
    }
}

#[test]
fn refunded_amount_counts_succeeded_and_pending_refunds_only() {
    let p = payment(
        1000,
        PaymentStatus::Succeeded,
        &[
            (100, RefundStatus::Succeeded),
            (200, RefundStatus::Pending),
            (400, RefundStatus::Failed),
        ],
    );
    assert_eq!(p.refunded_amount(), 300);
    assert_eq!(p.refundable(), 700);
}

#[test]
fn only_a_succeeded_payment_is_refundable() {
    assert_eq!(
        payment(1000, PaymentStatus::Succeeded, &[]).refundable(),
        1000
    );
    assert_eq!(payment(1000, PaymentStatus::Initiated, &[]).refundable(), 0);
    assert_eq!(payment(1000, PaymentStatus::Failed, &[]).refundable(), 0);
    let full = payment(
        1000,
        PaymentStatus::Succeeded,
        &[(1000, RefundStatus::Succeeded)],
    );
    assert_eq!(full.refundable(), 0);
}

// ---------------------------------------------------------------------------------------------
// Refund policy
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Webhook signature
// ---------------------------------------------------------------------------------------------

const SECRET: &[u8] = b"whsec_test_secret";
const BODY: &[u8] = br#"{"payment_id":"5f0c","status":"succeeded"}"#;
const NOW: i64 = 1_900_000_000;

fn verify(header: &str, body: &[u8], now: i64) -> Result<(), WebhookError> {
    verify_webhook(SECRET, header, body, now, WEBHOOK_TOLERANCE_SECS)
}

#[test]
fn the_signature_header_has_the_documented_shape() {
    let header = sign_webhook(SECRET, NOW, BODY);
    let (t, v1) = header.split_once(',').unwrap();
    assert_eq!(t, format!("t={NOW}"));
    let hex = v1.strip_prefix("v1=").unwrap();
    assert_eq!(hex.len(), 64);
    assert!(hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Expected values computed independently:
    // `printf '0.x' | openssl dgst -sha256 -hmac Jefe`, and Python's hmac module.
    assert_eq!(
        sign_webhook(b"Jefe", 0, b"x"),
        "t=0,v1=6d15f8f565f81ca17757f8569ccb192a1f1e1b2695979a6115221439a5eb67cb"
    );
    assert_eq!(
        sign_webhook(b"Jefe", 1_700_000_000, b"what do ya want for nothing?"),
        "t=1700000000,v1=1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e"
    );
}

#[test]
fn a_good_signature_verifies() {
    let header = sign_webhook(SECRET, NOW, BODY);
    assert_eq!(verify(&header, BODY, NOW), Ok(()));
    assert_eq!(
        verify(&header, BODY, NOW + 300),
        Ok(()),
        "exactly 300 s old"
    );
    assert_eq!(
        verify(&header, BODY, NOW - 300),
        Ok(()),
        "300 s in the future"
    );
}

#[test]
fn a_tampered_body_is_refused() {
    let header = sign_webhook(SECRET, NOW, BODY);
    let tampered = br#"{"payment_id":"5f0c","status":"failed"}"#;
    assert_eq!(
        verify(&header, tampered, NOW),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(verify(&header, b"", NOW), Err(WebhookError::BadSignature));
}

#[test]
fn a_tampered_timestamp_is_refused() {
    let header = sign_webhook(SECRET, NOW, BODY);
    let moved = header.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
    assert_eq!(verify(&moved, BODY, NOW), Err(WebhookError::BadSignature));
}

#[test]
fn a_wrong_secret_is_refused() {
    let header = sign_webhook(b"another secret", NOW, BODY);
    assert_eq!(verify(&header, BODY, NOW), Err(WebhookError::BadSignature));
}

#[test]
fn a_stale_timestamp_is_refused() {
    let header = sign_webhook(SECRET, NOW, BODY);
    assert_eq!(
        verify(&header, BODY, NOW + 301),
        Err(WebhookError::OutsideTolerance)
    );
    assert_eq!(
        verify(&header, BODY, NOW + 86_400),
        Err(WebhookError::OutsideTolerance)
    );
}

#[test]
fn a_future_timestamp_is_refused() {
    let header = sign_webhook(SECRET, NOW + 301, BODY);
    assert_eq!(
        verify(&header, BODY, NOW),
        Err(WebhookError::OutsideTolerance)
    );
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let header = sign_webhook(SECRET, i64::MAX, BODY);
    assert_eq!(
        verify_webhook(SECRET, &header, BODY, i64::MIN, 300),
        Err(WebhookError::OutsideTolerance)
    );
    assert_eq!(verify_webhook(SECRET, &header, BODY, i64::MAX, 300), Ok(()));
}

#[test]
fn malformed_headers_are_refused() {
    let good_sig = sign_webhook(SECRET, NOW, BODY);
    let hex = good_sig.split_once("v1=").unwrap().1.to_owned();
    let cases = [
        String::new(),
        " ".into(),
        "t=abc,v1=zz".into(),
        format!("t={NOW}"),
        format!("t={NOW},"),
        format!("v1={hex}"),
        format!("t=,v1={hex}"),
        format!("t=abc,v1={hex}"),
        format!("t=-{NOW},v1={hex}"),
        format!("t=1{NOW}0000000000,v1={hex}"),
        format!("t={NOW},t={NOW},v1={hex}"),
        format!("t={NOW},v1=zz"),
        format!("t={NOW},v1="),
        format!("t={NOW},v1={}", &hex[..63]),
        format!("t={NOW},v1={}00", hex),
        format!("t={NOW},v1={}", hex.replace(|_: char| true, "g")),
        format!("t={NOW};v1={hex}"),
        format!("{NOW},{hex}"),
        "garbage".into(),
    ];
    for header in cases {
        assert_eq!(
            verify(&header, BODY, NOW),
            Err(WebhookError::Malformed),
            "{header:?}"
        );
    }
}

#[test]
fn blanks_unknown_keys_upper_case_hex_and_several_v1_are_accepted() {
    let header = sign_webhook(SECRET, NOW, BODY);
    let hex = header.split_once("v1=").unwrap().1.to_owned();
    let zeros = "0".repeat(64);
    for ok in [
        format!(" t={NOW} , v1={hex} "),
        format!("v1={hex},t={NOW}"),
        format!("t={NOW},v0=whatever,v1={hex}"),
        format!("t={NOW},v1={}", hex.to_uppercase()),
        format!("t={NOW},v1={zeros},v1={hex}"),
    ] {
        assert_eq!(verify(&ok, BODY, NOW), Ok(()), "{ok:?}");
    }
    assert_eq!(
        verify(&format!("t={NOW},v1={zeros}"), BODY, NOW),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn a_forged_stale_webhook_is_reported_as_a_bad_signature() {
    // The signature is checked first: "outside the tolerance" is only said of authentic messages.
    let header = sign_webhook(b"forger", NOW - 10_000, BODY);
    assert_eq!(verify(&header, BODY, NOW), Err(WebhookError::BadSignature));
}

#[test]
fn webhook_errors_are_401_invalid_signature() {
    for e in [
        WebhookError::Malformed,
        WebhookError::BadSignature,
        WebhookError::OutsideTolerance,
    ] {
        match DomainError::from(e) {
            DomainError::Unauthorized { code, .. } => assert_eq!(code, "invalid_signature"),
            other => panic!("expected Unauthorized, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway outcomes and the port's mock
// ---------------------------------------------------------------------------------------------

#[test]
fn gateway_outcomes_map_to_payment_statuses() {
    let ok = GatewayOutcome::Succeeded {
        gateway_ref: "pay_1".into(),
    };
    let declined = GatewayOutcome::Declined {
        code: DeclineCode::InsufficientFunds,
        gateway_ref: "pay_2".into(),
    };
    let pending = GatewayOutcome::Pending {
        gateway_ref: "pay_3".into(),
    };
    assert_eq!(ok.payment_status(), PaymentStatus::Succeeded);
    assert_eq!(declined.payment_status(), PaymentStatus::Failed);
    assert_eq!(pending.payment_status(), PaymentStatus::Initiated);
    assert_eq!(
        (
            ok.gateway_ref(),
            declined.gateway_ref(),
            pending.gateway_ref()
        ),
        ("pay_1", "pay_2", "pay_3")
    );
    assert_eq!(ok.failure_code(), None);
    assert_eq!(declined.failure_code(), Some("insufficient_funds"));
    assert_eq!(DeclineCode::CardDeclined.as_str(), "card_declined");
    assert_eq!(
        RefundOutcome::Failed {
            code: "unknown_charge".into()
        }
        .refund_status(),
        RefundStatus::Failed
    );
    assert_eq!(
        RefundOutcome::Succeeded {
            gateway_ref: "re_1".into()
        }
        .refund_status(),
        RefundStatus::Succeeded
    );
}

#[test]
fn the_gateway_port_has_a_mock() {
    let mut gw = MockPaymentGateway::new();
    gw.expect_charge()
        .withf(|r| r.amount == 2500 && r.method == PaymentMethod::Declined)
        .returning(|_| {
            Ok(GatewayOutcome::Declined {
                code: DeclineCode::CardDeclined,
                gateway_ref: "pay_m".into(),
            })
        });
    gw.expect_refund()
        .returning(|_| Err(DomainError::Unavailable("down".into())));
    let outcome = futures_executor::block_on(gw.charge(ChargeRequest {
        payment_id: Uuid::new_v4(),
        amount: 2500,
        currency: usd(),
        method: PaymentMethod::Declined,
    }))
    .unwrap();
    assert_eq!(outcome.failure_code(), Some("card_declined"));
    let refund = futures_executor::block_on(gw.refund(RefundRequest {
        refund_id: Uuid::new_v4(),
        gateway_ref: "pay_m".into(),
        amount: 1,
        currency: usd(),
    }));
    assert!(matches!(refund, Err(DomainError::Unavailable(_))));
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

#[test]
fn history_entries_serialize_with_the_documented_fields() {
    let entry = HistoryEntry {
        at: t0(),
        entity: HistoryEntity::Refund,
        entity_id: "r-1".into(),
        from: Some("pending".into()),
        to: "succeeded".into(),
        actor: None,
        reason: Some("cancelled".into()),
    };
    let json = serde_json::to_value(&entry).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "at": "2030-06-01T20:00:00Z",
            "entity": "refund",
            "entity_id": "r-1",
            "from": "pending",
            "to": "succeeded",
            "actor": null,
            "reason": "cancelled",
        })
    );
    for (e, s) in [
        (HistoryEntity::Booking, "booking"),
        (HistoryEntity::Payment, "payment"),
        (HistoryEntity::Refund, "refund"),
    ] {
        assert_eq!(e.as_str(), s);
        assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{s}\""));
    }
}
