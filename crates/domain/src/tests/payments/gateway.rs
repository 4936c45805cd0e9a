//! The webhook signature, the gateway outcomes and the gateway port's mock.

use super::*;

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
