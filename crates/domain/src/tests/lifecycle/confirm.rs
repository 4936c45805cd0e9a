//! `PaymentService::get` and `confirm`.

use super::*;

#[test]
fn get_answers_a_payment_to_those_who_may_read_its_booking_only() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        let svc = ports.service();
        assert_eq!(svc.get(&customer, None, p.id).await.unwrap(), p);
        assert_eq!(svc.get(&admin(), None, p.id).await.unwrap(), p);
        assert_eq!(
            svc.get(&actor(Role::Customer), None, p.id)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", p.id)
        );
        assert_eq!(
            svc.get(&Actor::Anonymous, Some(GUEST_TOKEN), p.id)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", p.id)
        );
    })
}

#[test]
fn confirm_by_a_stranger_is_not_found_and_charges_nothing() {
    block_on(async {
        let b = running_hold(Some(Uuid::new_v4()));
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports.gateway.expect_charge().never();
        ports.payments.expect_settle_payment().never();
        assert_eq!(
            ports
                .service()
                .confirm(&actor(Role::Customer), None, p.id)
                .await
                .unwrap_err(),
            DomainError::not_found("payment", p.id)
        );
    })
}

#[test]
fn confirm_of_a_succeeded_payment_answers_it_without_the_gateway() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = booking(
            BookingStatus::Confirmed,
            customer.user_id(),
            Some(t0() - Duration::minutes(3)),
        );
        let p = succeeded_payment(b.id);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports.gateway.expect_charge().never();
        ports.gateway.expect_refund().never();
        ports.payments.expect_settle_payment().never();
        let got = ports
            .service()
            .confirm(&customer, None, p.id)
            .await
            .unwrap();
        assert_eq!(got, Confirmation::Succeeded(p.clone()));
        assert_eq!(got.payment(), &p);
    })
}

#[test]
fn confirm_of_a_failed_payment_is_declined_again_with_its_code_without_the_gateway() {
    block_on(async {
        let b = running_hold(None);
        for (code, want) in [
            ("card_declined", DeclineCode::CardDeclined),
            ("insufficient_funds", DeclineCode::InsufficientFunds),
        ] {
            let p = Payment {
                gateway_ref: Some("pay_x".into()),
                failure_code: Some(code.into()),
                ..payment(b.id, PaymentStatus::Failed, PaymentMethod::Declined)
            };
            let mut ports = Ports::new();
            ports.serve_booking(&b);
            ports.serve_payment(&p);
            ports.gateway.expect_charge().never();
            ports.payments.expect_settle_payment().never();
            let err = ports
                .service()
                .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), p.id)
                .await
                .unwrap_err();
            assert_eq!(
                err,
                DomainError::PaymentDeclined {
                    code: want,
                    payment: Box::new(p.clone()),
                },
                "{code}"
            );
        }
    })
}

#[test]
fn confirm_charges_the_payment_then_records_the_answer() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let pid = p.id;
        let done = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_1".into()),
            outcome: Some(PaymentOutcome::BookingConfirmed),
            updated_at: t0(),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        let mut seq = Sequence::new();
        ports
            .gateway
            .expect_charge()
            .with(eq(ChargeRequest {
                payment_id: pid,
                amount: TOTAL,
                currency: usd(),
                method: PaymentMethod::Success,
            }))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                })
            });
        let settled = done.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                }),
                eq(t0()),
                eq(customer.history_label()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: settled,
                    refund: None,
                })
            });
        ports.gateway.expect_refund().never();
        ports.payments.expect_finish_refund().never();
        let got = ports.service().confirm(&customer, None, pid).await.unwrap();
        assert_eq!(got, Confirmation::Succeeded(done));
        assert_eq!(
            got.payment().outcome,
            Some(PaymentOutcome::BookingConfirmed)
        );
    })
}

#[test]
fn confirm_sends_the_payments_own_amount_currency_and_method() {
    block_on(async {
        let b = running_hold(None);
        let p = Payment {
            amount: 12_345,
            currency: crate::values::Currency::parse("EUR").unwrap(),
            ..payment(
                b.id,
                PaymentStatus::Initiated,
                PaymentMethod::InsufficientFunds,
            )
        };
        let pid = p.id;
        let failed = Payment {
            status: PaymentStatus::Failed,
            gateway_ref: Some("pay_9".into()),
            failure_code: Some("insufficient_funds".into()),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports
            .gateway
            .expect_charge()
            .with(eq(ChargeRequest {
                payment_id: pid,
                amount: 12_345,
                currency: p.currency,
                method: PaymentMethod::InsufficientFunds,
            }))
            .times(1)
            .returning(|_| {
                Ok(GatewayOutcome::Declined {
                    code: DeclineCode::InsufficientFunds,
                    gateway_ref: "pay_9".into(),
                })
            });
        let answer = failed.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Declined {
                    code: DeclineCode::InsufficientFunds,
                    gateway_ref: "pay_9".into(),
                }),
                eq(t0()),
                eq("guest".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let err = ports
            .service()
            .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), pid)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::PaymentDeclined {
                code: DeclineCode::InsufficientFunds,
                payment: Box::new(failed),
            }
        );
    })
}

#[test]
fn confirm_with_an_automatic_refund_carries_it_out_and_rereads_the_payment() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = past_due_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let pid = p.id;
        let label = customer.history_label();
        let auto = Refund {
            reason: PaymentOutcome::RefundedBookingExpired
                .refund_reason()
                .unwrap()
                .into(),
            ..refund(pid, TOTAL, RefundStatus::Pending)
        };
        let settled = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_1".into()),
            outcome: Some(PaymentOutcome::RefundedBookingExpired),
            refunds: vec![auto.clone()],
            ..p.clone()
        };
        let auto_done = refund_succeeded(&auto, "re_1");
        let reread = Payment {
            refunds: vec![auto_done.clone()],
            ..settled.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let mut seq = Sequence::new();
        let first = p.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(first));
        ports
            .gateway
            .expect_charge()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                })
            });
        let (s, r) = (settled.clone(), auto.clone());
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Succeeded {
                    gateway_ref: "pay_1".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: s,
                    refund: Some(pending(r)),
                })
            });
        ports
            .gateway
            .expect_refund()
            .with(eq(refund_request(&auto)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                })
            });
        let finished = auto_done.clone();
        ports
            .payments
            .expect_finish_refund()
            .with(
                eq(auto.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| Ok(finished));
        let again = reread.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(again));
        let got = ports.service().confirm(&customer, None, pid).await.unwrap();
        assert_eq!(got, Confirmation::Succeeded(reread));
        assert_eq!(got.payment().refunds, vec![auto_done]);
        assert_eq!(got.payment().refunded_amount(), TOTAL);
        assert_eq!(
            got.payment().outcome,
            Some(PaymentOutcome::RefundedBookingExpired)
        );
    })
}

#[test]
fn confirm_with_an_automatic_refund_while_the_gateway_is_down_keeps_it_pending() {
    block_on(async {
        let b = past_due_hold(None);
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let pid = p.id;
        let auto = refund(pid, TOTAL, RefundStatus::Pending);
        let settled = Payment {
            status: PaymentStatus::Succeeded,
            gateway_ref: Some("pay_1".into()),
            outcome: Some(PaymentOutcome::RefundedBookingExpired),
            refunds: vec![auto.clone()],
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let mut seq = Sequence::new();
        let first = p.clone();
        ports
            .payments
            .expect_get_payment()
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(first));
        ports.gateway.expect_charge().times(1).returning(|_| {
            Ok(GatewayOutcome::Succeeded {
                gateway_ref: "pay_1".into(),
            })
        });
        let (s, r) = (settled.clone(), auto.clone());
        ports
            .payments
            .expect_settle_payment()
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: s,
                    refund: Some(pending(r)),
                })
            });
        ports
            .gateway
            .expect_refund()
            .times(1)
            .returning(|_| Err(unavailable()));
        ports.payments.expect_finish_refund().never();
        let again = settled.clone();
        ports
            .payments
            .expect_get_payment()
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(again));
        let got = ports
            .service()
            .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), pid)
            .await
            .unwrap();
        assert_eq!(got, Confirmation::Succeeded(settled));
        assert_eq!(got.payment().refunds[0].status, RefundStatus::Pending);
    })
}

#[test]
fn confirm_of_a_delayed_payment_is_pending() {
    block_on(async {
        let b = running_hold(None);
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Delayed);
        let pid = p.id;
        let still = Payment {
            gateway_ref: Some("pay_d".into()),
            ..p.clone()
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports
            .gateway
            .expect_charge()
            .withf(move |r| r.payment_id == pid && r.method == PaymentMethod::Delayed)
            .times(1)
            .returning(|_| {
                Ok(GatewayOutcome::Pending {
                    gateway_ref: "pay_d".into(),
                })
            });
        let answer = still.clone();
        ports
            .payments
            .expect_settle_payment()
            .with(
                eq(pid),
                eq(GatewayOutcome::Pending {
                    gateway_ref: "pay_d".into(),
                }),
                eq(t0()),
                eq("guest".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| {
                Ok(Settled {
                    payment: answer,
                    refund: None,
                })
            });
        let got = ports
            .service()
            .confirm(&Actor::Anonymous, Some(GUEST_TOKEN), pid)
            .await
            .unwrap();
        assert_eq!(got, Confirmation::Pending(still.clone()));
        assert_eq!(got.payment(), &still);
    })
}

#[test]
fn confirm_while_the_gateway_is_down_is_unavailable_and_records_nothing() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let p = payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_payment(&p);
        ports
            .gateway
            .expect_charge()
            .times(1)
            .returning(|_| Err(unavailable()));
        ports.payments.expect_settle_payment().never();
        assert_eq!(
            ports
                .service()
                .confirm(&customer, None, p.id)
                .await
                .unwrap_err(),
            unavailable()
        );
    })
}
