//! `BookingService::cancel` with refunds.

use super::*;

/// A confirmed, paid booking of `owner`, as the cancellation returns it (cancelled, its payment
/// carrying the pending refund `r`) and as it was read before.
fn paid_and_cancelled(owner: Option<Uuid>, r: &Refund) -> (Booking, Booking) {
    let before = booking(
        BookingStatus::Confirmed,
        owner,
        Some(t0() - Duration::days(1)),
    );
    let p = Payment {
        id: r.payment_id,
        ..succeeded_payment(before.id)
    };
    let before = Booking {
        payments: vec![p.clone()],
        ..before
    };
    let after = Booking {
        status: BookingStatus::Cancelled,
        cancelled_at: Some(t0()),
        updated_at: t0(),
        payments: vec![Payment {
            refunds: vec![r.clone()],
            ..p
        }],
        ..before.clone()
    };
    (before, after)
}

#[test]
fn cancel_carries_out_the_policy_refund_and_shows_its_answer() {
    block_on(async {
        let customer = actor(Role::Customer);
        let label = customer.history_label();
        let r = refund(Uuid::new_v4(), TOTAL, RefundStatus::Pending);
        let (before, after) = paid_and_cancelled(customer.user_id(), &r);
        let id = before.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking()
            .with(eq(id))
            .return_once(move |_| Ok(before));
        let pr = r.clone();
        repo.expect_cancel_booking()
            .with(
                eq(id),
                eq(t0()),
                eq(label.clone()),
                eq("cancelled by the customer".to_owned()),
                eq(RefundPolicy::default()),
            )
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: after,
                    refund: Some(pending(pr)),
                })
            });
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .with(eq(refund_request(&r)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_c".into(),
                })
            });
        let done = refund_succeeded(&r, "re_c");
        let d = done.clone();
        payments
            .expect_finish_refund()
            .with(
                eq(r.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_c".into(),
                }),
                eq(t0()),
                eq(label.clone()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(d));
        let svc = booking_service(repo, t0()).with_refunds(refunds_runner(payments, gateway));
        let got = svc.cancel(&customer, id, None).await.unwrap();
        assert_eq!(got.status, BookingStatus::Cancelled);
        assert_eq!(got.payments.len(), 1);
        assert_eq!(got.payments[0].refunds, vec![done]);
        assert_eq!(got.payments[0].refunded_amount(), TOTAL);
        assert_eq!(got.payments[0].refundable(), 0);
    })
}

#[test]
fn cancel_while_the_gateway_is_down_shows_the_refund_pending() {
    block_on(async {
        let r = refund(Uuid::new_v4(), TOTAL / 2, RefundStatus::Pending);
        let (before, after) = paid_and_cancelled(None, &r);
        let id = before.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(before));
        let pr = r.clone();
        repo.expect_cancel_booking()
            .withf(|_, _, actor, _, _| actor == "guest")
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: after,
                    refund: Some(pending(pr)),
                })
            });
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        gateway
            .expect_refund()
            .times(1)
            .returning(|_| Err(unavailable()));
        payments.expect_finish_refund().never();
        let svc = booking_service(repo, t0()).with_refunds(refunds_runner(payments, gateway));
        let got = svc
            .cancel(&Actor::Anonymous, id, Some(GUEST_TOKEN))
            .await
            .unwrap();
        assert_eq!(got.status, BookingStatus::Cancelled);
        assert_eq!(got.payments[0].refunds, vec![r]);
        assert_eq!(got.payments[0].refunds[0].status, RefundStatus::Pending);
    })
}

#[test]
fn cancel_without_a_refund_runner_leaves_the_refund_for_the_sweep() {
    block_on(async {
        let boss = admin();
        let r = refund(Uuid::new_v4(), TOTAL, RefundStatus::Pending);
        let (before, after) = paid_and_cancelled(Some(Uuid::new_v4()), &r);
        let id = before.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(before));
        let pr = r.clone();
        repo.expect_cancel_booking()
            .withf(|_, _, _, reason, policy| {
                reason == "cancelled by an admin" && *policy == RefundPolicy::default()
            })
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: after,
                    refund: Some(pending(pr)),
                })
            });
        let got = booking_service(repo, t0())
            .cancel(&boss, id, None)
            .await
            .unwrap();
        assert_eq!(got.payments[0].refunds, vec![r]);
    })
}

#[test]
fn cancel_uses_the_configured_refund_policy() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = booking(BookingStatus::Confirmed, customer.user_id(), None);
        let id = b.id;
        let policy = RefundPolicy {
            full_refund_before: Duration::hours(48),
            late_refund_percent: 25,
        };
        let mut repo = MockBookingRepository::new();
        let read = b.clone();
        repo.expect_get_booking().return_once(move |_| Ok(read));
        repo.expect_cancel_booking()
            .withf(move |_, _, _, _, p| *p == policy)
            .times(1)
            .return_once(move |_, _, _, _, _| {
                Ok(Cancelled {
                    booking: Booking {
                        status: BookingStatus::Cancelled,
                        ..b
                    },
                    refund: None,
                })
            });
        let svc = BookingService::new(
            Arc::new(repo),
            Arc::new(clock_at(t0())),
            Arc::new(id_source()),
            BookingRules {
                refund_policy: policy,
                ..BookingRules::default()
            },
        )
        .with_refunds(refunds_runner(
            MockPaymentRepository::new(),
            MockPaymentGateway::new(),
        ));
        let got = svc.cancel(&customer, id, None).await.unwrap();
        assert_eq!(got.status, BookingStatus::Cancelled);
    })
}

#[test]
fn cancel_of_a_past_due_hold_is_refused_by_the_repository_and_refunds_nothing() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = past_due_hold(customer.user_id());
        let id = b.id;
        let mut repo = MockBookingRepository::new();
        repo.expect_get_booking().return_once(move |_| Ok(b));
        repo.expect_cancel_booking()
            .times(1)
            .returning(|_, _, _, _, _| {
                Err(DomainError::IllegalTransition {
                    from: BookingStatus::Expired,
                    action: "cancelled",
                })
            });
        let mut gateway = MockPaymentGateway::new();
        gateway.expect_refund().never();
        let svc = booking_service(repo, t0())
            .with_refunds(refunds_runner(MockPaymentRepository::new(), gateway));
        assert_eq!(
            svc.cancel(&customer, id, None).await.unwrap_err(),
            DomainError::IllegalTransition {
                from: BookingStatus::Expired,
                action: "cancelled",
            }
        );
    })
}
