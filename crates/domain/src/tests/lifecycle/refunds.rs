//! `PaymentService::refund` and `Refunds::carry_out`.

use super::*;

/// Ports serving a succeeded payment of a confirmed booking of an event organised by
/// `organizer`.
fn refund_ports(organizer: Option<Uuid>) -> (Ports, Payment) {
    let b = booking(
        BookingStatus::Confirmed,
        Some(Uuid::new_v4()),
        Some(t0() - Duration::hours(1)),
    );
    let p = succeeded_payment(b.id);
    let mut ports = Ports::new();
    ports.serve_booking(&b);
    ports
        .catalog
        .expect_show_organizer()
        .with(eq(SHOW_ID))
        .returning(move |_| Ok(organizer));
    (ports, p)
}

#[test]
fn an_anonymous_refund_is_unauthorized_before_anything_is_read() {
    block_on(async {
        let mut ports = Ports::new();
        ports.payments.expect_get_payment().never();
        ports.payments.expect_create_refund().never();
        assert_eq!(
            unauthorized_code(
                ports
                    .service()
                    .refund(&Actor::Anonymous, Uuid::new_v4(), None, "goodwill")
                    .await
            ),
            "authentication_required"
        );
    })
}

#[test]
fn customers_and_other_providers_may_not_refund() {
    block_on(async {
        let organiser = user(Role::Provider);
        let (mut ports, p) = refund_ports(Some(organiser.id));
        ports.serve_payment(&p);
        ports.payments.expect_create_refund().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        assert!(is_forbidden(
            &svc.refund(&actor(Role::Customer), p.id, None, "goodwill")
                .await
        ));
        assert!(is_forbidden(
            &svc.refund(&actor(Role::Provider), p.id, None, "goodwill")
                .await
        ));
    })
}

#[test]
fn the_organiser_refunds_a_payment_through_the_gateway() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let label = organiser.history_label();
        let (mut ports, p) = refund_ports(organiser.user_id());
        let pid = p.id;
        let written = Refund {
            id: NEW_ID,
            reason: "goodwill".into(),
            created_at: t0(),
            updated_at: t0(),
            ..refund(pid, 1_500, RefundStatus::Pending)
        };
        let done = refund_succeeded(&written, "re_7");
        let after = Payment {
            refunds: vec![done.clone()],
            ..p.clone()
        };
        let mut seq = Sequence::new();
        let first = p.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(first));
        let w = written.clone();
        ports
            .payments
            .expect_create_refund()
            .with(
                eq(RefundAsk {
                    id: NEW_ID,
                    payment_id: pid,
                    amount: Some(1_500),
                    reason: "goodwill".into(),
                    actor: label.clone(),
                }),
                eq(t0()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _| Ok(pending(w)));
        ports
            .gateway
            .expect_refund()
            .with(eq(RefundRequest {
                refund_id: NEW_ID,
                gateway_ref: "pay_1".into(),
                amount: 1_500,
                currency: usd(),
            }))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_7".into(),
                })
            });
        let d = done.clone();
        ports
            .payments
            .expect_finish_refund()
            .with(
                eq(NEW_ID),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_7".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| Ok(d));
        let a = after.clone();
        ports
            .payments
            .expect_get_payment()
            .with(eq(pid))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_| Ok(a));
        let got = ports
            .service()
            .refund(&organiser, pid, Some(1_500), "  goodwill ")
            .await
            .unwrap();
        assert_eq!(got, after);
        assert_eq!(got.refunded_amount(), 1_500);
        assert_eq!(got.refundable(), TOTAL - 1_500);
    })
}

#[test]
fn an_admin_refunds_everything_that_remains_of_any_event() {
    block_on(async {
        let boss = admin();
        let label = boss.history_label();
        let (mut ports, p) = refund_ports(Some(Uuid::new_v4()));
        ports.serve_payment(&p);
        let pid = p.id;
        let written = Refund {
            id: NEW_ID,
            ..refund(pid, TOTAL, RefundStatus::Pending)
        };
        let w = written.clone();
        ports
            .payments
            .expect_create_refund()
            .withf(move |ask, now| {
                ask.id == NEW_ID
                    && ask.payment_id == pid
                    && ask.amount.is_none()
                    && ask.reason == "event moved"
                    && ask.actor == label
                    && *now == t0()
            })
            .times(1)
            .return_once(move |_, _| Ok(pending(w)));
        ports
            .gateway
            .expect_refund()
            .with(eq(refund_request(&written)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_8".into(),
                })
            });
        let done = refund_succeeded(&written, "re_8");
        ports
            .payments
            .expect_finish_refund()
            .times(1)
            .return_once(move |_, _, _, _| Ok(done));
        let got = ports
            .service()
            .refund(&boss, pid, None, "event moved")
            .await
            .unwrap();
        assert_eq!(got, p);
    })
}

#[test]
fn a_refund_needs_a_reason_of_1_to_500_characters() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let (mut ports, p) = refund_ports(organiser.user_id());
        ports.serve_payment(&p);
        ports.payments.expect_create_refund().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        let too_long = "x".repeat(MAX_REASON_CHARS + 1);
        for reason in ["", "   ", "\n\t", too_long.as_str()] {
            assert_eq!(
                failing_fields(svc.refund(&organiser, p.id, None, reason).await),
                ["reason"],
                "{} chars",
                reason.len()
            );
        }
        assert_eq!(MAX_REASON_CHARS, 500);
    })
}

#[test]
fn a_refund_reason_with_nul_or_an_amount_above_the_ceiling_is_refused_before_anything_is_written() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let (mut ports, p) = refund_ports(organiser.user_id());
        ports.serve_payment(&p);
        ports.payments.expect_create_refund().never();
        ports.gateway.expect_refund().never();
        let svc = ports.service();
        for reason in ["moved\u{0}", "a\u{7}b", "\u{1b}[31mred"] {
            assert_eq!(
                failing_fields(svc.refund(&organiser, p.id, None, reason).await),
                ["reason"],
                "{reason:?}"
            );
        }
        let over = crate::limits::MAX_AMOUNT + 1;
        assert_eq!(
            failing_fields(svc.refund(&organiser, p.id, Some(over), "moved").await),
            ["amount"]
        );
    })
}

#[test]
fn a_reason_of_exactly_500_characters_counts_characters_not_bytes() {
    block_on(async {
        let organiser = Actor::User(user(Role::Provider));
        let (mut ports, p) = refund_ports(organiser.user_id());
        ports.serve_payment(&p);
        let pid = p.id;
        let reason = "é".repeat(MAX_REASON_CHARS);
        let expected = reason.clone();
        let written = Refund {
            id: NEW_ID,
            reason: reason.clone(),
            ..refund(pid, 100, RefundStatus::Pending)
        };
        let w = written.clone();
        ports
            .payments
            .expect_create_refund()
            .withf(move |ask, _| ask.reason == expected)
            .times(1)
            .return_once(move |_, _| Ok(pending(w)));
        ports.gateway.expect_refund().times(1).returning(|_| {
            Ok(RefundOutcome::Succeeded {
                gateway_ref: "re_9".into(),
            })
        });
        let done = refund_succeeded(&written, "re_9");
        ports
            .payments
            .expect_finish_refund()
            .times(1)
            .return_once(move |_, _, _, _| Ok(done));
        assert!(reason.len() > MAX_REASON_CHARS);
        let got = ports
            .service()
            .refund(&organiser, pid, Some(100), &reason)
            .await
            .unwrap();
        assert_eq!(got.id, pid);
    })
}

#[test]
fn a_refund_the_repository_refuses_goes_nowhere_near_the_gateway() {
    block_on(async {
        let boss = admin();
        let (mut ports, p) = refund_ports(None);
        ports.serve_payment(&p);
        ports
            .payments
            .expect_create_refund()
            .times(1)
            .returning(|_, _| {
                Err(DomainError::Conflict {
                    code: ConflictCode::NothingToRefund,
                    message: "refunded in full".into(),
                })
            });
        ports.gateway.expect_refund().never();
        ports.payments.expect_finish_refund().never();
        assert_eq!(
            conflict_code(ports.service().refund(&boss, p.id, None, "again").await),
            "nothing_to_refund"
        );
    })
}

#[test]
fn carry_out_asks_the_gateway_then_records_its_answer() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let done = refund_succeeded(&r, "re_1");
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        let mut seq = Sequence::new();
        gateway
            .expect_refund()
            .with(eq(refund_request(&r)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                })
            });
        let d = done.clone();
        payments
            .expect_finish_refund()
            .with(
                eq(r.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_1".into(),
                }),
                eq(t0()),
                eq("operator".to_owned()),
            )
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _, _| Ok(d));
        let got = refunds_runner(payments, gateway)
            .carry_out(pending(r), "operator")
            .await
            .unwrap();
        assert_eq!(got, done);
    })
}

#[test]
fn carry_out_records_a_refused_refund_as_failed() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let failed = Refund {
            status: RefundStatus::Failed,
            failure_code: Some("unknown_charge".into()),
            ..r.clone()
        };
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway.expect_refund().times(1).returning(|_| {
            Ok(RefundOutcome::Failed {
                code: "unknown_charge".into(),
            })
        });
        let f = failed.clone();
        payments
            .expect_finish_refund()
            .with(
                eq(r.id),
                eq(RefundOutcome::Failed {
                    code: "unknown_charge".into(),
                }),
                eq(t0()),
                eq("system".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(f));
        let got = refunds_runner(payments, gateway)
            .carry_out(pending(r), "system")
            .await
            .unwrap();
        assert_eq!(got, failed);
    })
}

#[test]
fn carry_out_while_the_gateway_is_down_leaves_the_refund_pending() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .with(eq(refund_request(&r)))
            .times(1)
            .returning(|_| Err(unavailable()));
        payments.expect_finish_refund().never();
        let got = refunds_runner(payments, gateway)
            .carry_out(pending(r.clone()), "system")
            .await
            .unwrap();
        assert_eq!(got, r);
        assert_eq!(got.status, RefundStatus::Pending);
    })
}

#[test]
fn carry_out_passes_other_gateway_errors_on() {
    block_on(async {
        let r = refund(Uuid::new_v4(), 700, RefundStatus::Pending);
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .times(1)
            .returning(|_| Err(DomainError::Internal("bad answer".into())));
        payments.expect_finish_refund().never();
        assert_eq!(
            refunds_runner(payments, gateway)
                .carry_out(pending(r), "system")
                .await,
            Err(DomainError::Internal("bad answer".into()))
        );
    })
}
