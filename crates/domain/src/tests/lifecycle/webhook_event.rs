//! `WebhookEvent::outcome`: reading a gateway event.

use super::*;

fn event(kind: &str, gateway_ref: &str, failure_code: Option<&str>) -> WebhookEvent {
    WebhookEvent {
        kind: kind.into(),
        payment_id: Uuid::new_v4(),
        gateway_ref: gateway_ref.into(),
        failure_code: failure_code.map(str::to_owned),
    }
}

#[test]
fn a_succeeded_event_is_a_succeeded_charge() {
    assert_eq!(
        event("payment.succeeded", "pay_1", None).outcome(),
        Ok(GatewayOutcome::Succeeded {
            gateway_ref: "pay_1".into()
        })
    );
    // The ref is trimmed.
    assert_eq!(
        event("payment.succeeded", "  pay_2 ", None).outcome(),
        Ok(GatewayOutcome::Succeeded {
            gateway_ref: "pay_2".into()
        })
    );
}

#[test]
fn a_failed_event_is_a_declined_charge_with_its_code() {
    for (code, want) in [
        (Some("card_declined"), DeclineCode::CardDeclined),
        (Some("insufficient_funds"), DeclineCode::InsufficientFunds),
        (None, DeclineCode::CardDeclined),
    ] {
        assert_eq!(
            event("payment.failed", "pay_1", code).outcome(),
            Ok(GatewayOutcome::Declined {
                code: want,
                gateway_ref: "pay_1".into()
            }),
            "{code:?}"
        );
    }
}

#[test]
fn an_unknown_event_type_or_failure_code_is_a_validation_error() {
    assert_eq!(
        failing_fields(event("payment.refunded", "pay_1", None).outcome()),
        ["type"]
    );
    assert_eq!(failing_fields(event("", "pay_1", None).outcome()), ["type"]);
    assert_eq!(
        failing_fields(event("PAYMENT.SUCCEEDED", "pay_1", None).outcome()),
        ["type"]
    );
    assert_eq!(
        failing_fields(event("payment.failed", "pay_1", Some("stolen_card")).outcome()),
        ["failure_code"]
    );
}

#[test]
fn a_blank_or_overlong_gateway_ref_is_a_validation_error() {
    for gateway_ref in ["", "   "] {
        assert_eq!(
            failing_fields(event("payment.succeeded", gateway_ref, None).outcome()),
            ["gateway_ref"]
        );
        assert_eq!(
            failing_fields(event("payment.failed", gateway_ref, None).outcome()),
            ["gateway_ref"]
        );
    }
    let long = "p".repeat(101);
    assert_eq!(
        failing_fields(event("payment.succeeded", &long, None).outcome()),
        ["gateway_ref"]
    );
    let longest = "p".repeat(100);
    assert!(event("payment.succeeded", &longest, None).outcome().is_ok());
}

#[test]
fn a_webhook_event_reads_the_documented_json_only() {
    let id = Uuid::new_v4();
    let e: WebhookEvent = serde_json::from_value(serde_json::json!({
        "type": "payment.succeeded",
        "payment_id": id,
        "gateway_ref": "pay_1"
    }))
    .unwrap();
    assert_eq!(
        e,
        WebhookEvent {
            kind: "payment.succeeded".into(),
            payment_id: id,
            gateway_ref: "pay_1".into(),
            failure_code: None,
        }
    );
    let extra = serde_json::from_value::<WebhookEvent>(serde_json::json!({
        "type": "payment.succeeded",
        "payment_id": id,
        "gateway_ref": "pay_1",
        "amount": 1
    }));
    assert!(extra.is_err());
}
