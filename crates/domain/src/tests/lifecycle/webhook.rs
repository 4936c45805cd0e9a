//! `PaymentService::webhook`: signature, settlement, mismatches and repeats.

use super::*;

fn webhook_body(kind: &str, payment_id: Uuid, gateway_ref: &str, code: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&WebhookEvent {
        kind: kind.into(),
        payment_id,
        gateway_ref: gateway_ref.into(),
        failure_code: code.map(str::to_owned),
    })
    .unwrap()
}

#[test]
fn a_webhook_without_a_valid_fresh_signature_is_refused() {
    block_on(async {
        let pid = Uuid::new_v4();
        let body = webhook_body("payment.succeeded", pid, "pay_d", None);
        let now = t0().timestamp();
        let mut ports = Ports::new();
        ports.payments.expect_get_payment().never();
        ports.payments.expect_settle_payment().never();
        let svc = ports.service();
        // No header.
        assert_eq!(
            unauthorized_code(svc.webhook(None, &body).await),
            "invalid_signature"
        );
        // Malformed.
        assert_eq!(
            unauthorized_code(svc.webhook(Some("garbage"), &body).await),
            "invalid_signature"
        );
        // Signed with another secret.
        let wrong = sign_webhook(b"another secret", now, &body);
        assert_eq!(
            unauthorized_code(svc.webhook(Some(&wrong), &body).await),
            "invalid_signature"
        );
        // Signed over another body.
        let other = sign_webhook(
            SECRET,
            now,
            &webhook_body("payment.succeeded", pid, "pay_other", None),
        );
        assert_eq!(
            unauthorized_code(svc.webhook(Some(&other), &body).await),
            "invalid_signature"
        );
        // Stale, and too far ahead.
        for t in [
            now - WEBHOOK_TOLERANCE_SECS - 1,
            now + WEBHOOK_TOLERANCE_SECS + 1,
        ] {
            let sig = sign_webhook(SECRET, t, &body);
            assert_eq!(
                unauthorized_code(svc.webhook(Some(&sig), &body).await),
                "invalid_signature",
                "signed at {t}"
            );
        }
    })
}

#[test]
fn a_signed_success_settles_the_payment_as_the_webhook() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            outcome: Some(PaymentOutcome::BookingConfirmed),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        let answer = done.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_d".into(),
                }),
                eq(t0()),
                eq(HISTORY_ACTOR_WEBHOOK.to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        ports.gateway.expect_charge().never();
        let body = webhook_body("payment.succeeded", pid, "pay_d", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        let got = ports.service().webhook(Some(&sig), &body).await.unwrap();
        assert_eq!(got, Confirmation::Succeeded(done));
        assert_eq!(HISTORY_ACTOR_WEBHOOK, "webhook");
    })
}

#[test]
fn a_webhook_signed_at_the_edge_of_the_tolerance_is_accepted() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            outcome: Some(PaymentOutcome::BookingConfirmed),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        ports
            .payments
            .expect_settle_payment()
            .times(2)
            .returning(move |_, _, _, _| {
                Ok(Settled {
                    payment: done.clone(),
                    refund: None,
                })
            });
        let svc = ports.service();
        let body = webhook_body("payment.succeeded", pid, "pay_d", None);
        for t in [
            t0().timestamp() - WEBHOOK_TOLERANCE_SECS,
            t0().timestamp() + WEBHOOK_TOLERANCE_SECS,
        ] {
            let sig = sign_webhook(SECRET, t, &body);
            let got = svc.webhook(Some(&sig), &body).await.unwrap();
            assert_eq!(got.payment().status, PaymentStatus::Succeeded, "at {t}");
        }
    })
}

#[test]
fn a_signed_failure_records_the_decline_and_answers_it() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let pid = p.id;
        let failed = Payment {
            status: PaymentStatus::Failed,
            failure_code: Some("insufficient_funds".into()),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        let answer = failed.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Declined {
                    code: DeclineCode::InsufficientFunds,
                    gateway_ref: "pay_d".into(),
                }),
                eq(t0()),
                eq("webhook".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let body = webhook_body("payment.failed", pid, "pay_d", Some("insufficient_funds"));
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            ports
                .service()
                .webhook(Some(&sig), &body)
                .await
                .unwrap_err(),
            DomainError::PaymentDeclined {
                code: DeclineCode::InsufficientFunds,
                payment: Box::new(failed),
            }
        );
    })
}

#[test]
fn a_webhook_for_a_payment_without_a_gateway_ref_yet_is_settled() {
    block_on(async {
        let b = running_hold(None);
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed);
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_new".into()),
            outcome: Some(PaymentOutcome::BookingConfirmed),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        let answer = done.clone();
        ports
            .payments
            .expect_settle_payment()
            .withf(move |id, outcome, _, actor| {
                *id == pid && outcome.gateway_ref() == "pay_new" && actor == "webhook"
            })
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let body = webhook_body("payment.succeeded", pid, "pay_new", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            ports.service().webhook(Some(&sig), &body).await.unwrap(),
            Confirmation::Succeeded(done)
        );
    })
}

#[test]
fn a_webhook_naming_another_charge_is_a_gateway_ref_mismatch() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            gateway_ref: Some("pay_d".into()),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed)
        };
        let mut ports = Ports::new();
        ports.serve_payment(&p);
        ports.payments.expect_settle_payment().never();
        let body = webhook_body("payment.succeeded", p.id, "pay_other", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            conflict_code(ports.service().webhook(Some(&sig), &body).await),
            "gateway_ref_mismatch"
        );
    })
}

#[test]
fn a_repeated_webhook_for_a_final_payment_is_answered_without_settling() {
    block_on(async {
        let b = booking(
            BookingStatus::Confirmed,
            None,
            Some(t0() - Duration::minutes(1)),
        );
        let ok = Payment {
            gateway_ref: Some("pay_d".into()),
            ..succeeded_payment(b.id)
        };
        let failed = Payment {
            gateway_ref: Some("pay_f".into()),
            failure_code: Some("card_declined".into()),
            ..payment(b.id, PaymentStatus::Failed, PaymentMethod::Delayed)
        };
        let mut ports = Ports::new();
        ports.serve_payment(&ok);
        ports.serve_payment(&failed);
        ports.payments.expect_settle_payment().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        let body = webhook_body("payment.succeeded", ok.id, "pay_d", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            svc.webhook(Some(&sig), &body).await.unwrap(),
            Confirmation::Succeeded(ok.clone())
        );
        let body = webhook_body("payment.failed", failed.id, "pay_f", Some("card_declined"));
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            svc.webhook(Some(&sig), &body).await.unwrap_err(),
            DomainError::PaymentDeclined {
                code: DeclineCode::CardDeclined,
                payment: Box::new(failed.clone()),
            }
        );
    })
}

#[test]
fn a_signed_webhook_with_a_bad_body_is_a_validation_error() {
    block_on(async {
        let mut ports = Ports::new();
        ports.payments.expect_get_payment().never();
        ports.payments.expect_settle_payment().never();
        let svc = ports.service();
        let now = t0().timestamp();
        let not_json = b"{not json".to_vec();
        let sig = sign_webhook(SECRET, now, &not_json);
        assert_eq!(
            failing_fields(svc.webhook(Some(&sig), &not_json).await),
            ["body"]
        );
        let unknown = webhook_body("payment.refunded", Uuid::new_v4(), "pay_1", None);
        let sig = sign_webhook(SECRET, now, &unknown);
        assert_eq!(
            failing_fields(svc.webhook(Some(&sig), &unknown).await),
            ["type"]
        );
        let blank = webhook_body("payment.succeeded", Uuid::new_v4(), " ", None);
        let sig = sign_webhook(SECRET, now, &blank);
        assert_eq!(
            failing_fields(svc.webhook(Some(&sig), &blank).await),
            ["gateway_ref"]
        );
    })
}

#[test]
fn webhook_rules_use_the_standard_tolerance_and_hide_the_secret() {
    let rules = WebhookRules::new(SECRET);
    assert_eq!(rules.tolerance_secs, WEBHOOK_TOLERANCE_SECS);
    assert_eq!(&*rules.secret, SECRET);
    let shown = format!("{rules:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("whsec"), "{shown}");
}

#[test]
fn a_signed_webhook_for_an_unknown_payment_is_not_found() {
    block_on(async {
        let pid = Uuid::new_v4();
        let mut ports = Ports::new();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .returning(|id| Err(DomainError::not_found("payment", id)));
        ports.payments.expect_settle_payment().never();
        let body = webhook_body("payment.succeeded", pid, "pay_1", None);
        let sig = sign_webhook(SECRET, t0().timestamp(), &body);
        assert_eq!(
            ports
                .service()
                .webhook(Some(&sig), &body)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", pid)
        );
    })
}
