//! The payment and refund state machines, the test tokens, the payment entity and history entries.

use super::*;

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
