//! `Sweeper::run_once`: expiring past-due holds and retrying pending refunds.

use super::*;

fn sweeper(
    mut bookings: MockBookingRepository,
    payments: MockPaymentRepository,
    gateway: MockPaymentGateway,
    batch: i64,
) -> Sweeper {
    let payments: Arc<dyn PaymentRepository> = Arc::new(payments);
    let clock: Arc<dyn Clock> = Arc::new(clock_at(t0()));
    let refunds = Refunds::new(payments.clone(), Arc::new(gateway), clock.clone());
    // No reminder is due unless a test says otherwise (its expectations come first).
    bookings.expect_remind_due().returning(|_, _| Ok(0));
    let bookings: Arc<dyn BookingRepository> = Arc::new(bookings);
    Sweeper::new(bookings, payments, refunds, clock, batch)
}

fn no_pending_refunds(payments: &mut MockPaymentRepository) {
    payments
        .expect_pending_refunds()
        .times(1)
        .returning(|_, _| Ok(vec![]));
}

#[test]
fn the_sweep_expires_batches_until_a_short_one_then_completes() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        let mut seq = Sequence::new();
        for n in [2, 2, 1] {
            bookings
                .expect_expire_due()
                .with(eq(t0()), eq(2))
                .times(1)
                .in_sequence(&mut seq)
                .returning(move |_, _| Ok(n));
        }
        for n in [2, 0] {
            bookings
                .expect_complete_ended()
                .with(eq(t0()), eq(2))
                .times(1)
                .in_sequence(&mut seq)
                .returning(move |_, _| Ok(n));
        }
        // Reminders in batches too, after the completions.
        for n in [2, 1] {
            bookings
                .expect_remind_due()
                .with(eq(t0()), eq(2))
                .times(1)
                .in_sequence(&mut seq)
                .returning(move |_, _| Ok(n));
        }
        no_pending_refunds(&mut payments);
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 2)
            .run_once()
            .await
            .unwrap();
        assert_eq!(
            report,
            SweepReport {
                expired: 5,
                completed: 2,
                reminded: 3,
                refunds_retried: 0,
            }
        );
    })
}

#[test]
fn a_sweep_with_nothing_due_asks_once_per_kind() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .with(eq(t0()), eq(50))
            .times(1)
            .returning(|_, _| Ok(0));
        bookings
            .expect_complete_ended()
            .with(eq(t0()), eq(50))
            .times(1)
            .returning(|_, _| Ok(0));
        payments
            .expect_pending_refunds()
            .with(eq(t0() - Duration::minutes(1)), eq(50))
            .times(1)
            .returning(|_, _| Ok(vec![]));
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 50)
            .run_once()
            .await
            .unwrap();
        assert_eq!(report, SweepReport::default());
    })
}

#[test]
fn a_sweep_stops_after_a_short_first_batch() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .times(1)
            .returning(|_, _| Ok(3));
        bookings
            .expect_complete_ended()
            .times(1)
            .returning(|_, _| Ok(9));
        no_pending_refunds(&mut payments);
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 10)
            .run_once()
            .await
            .unwrap();
        assert_eq!(report.expired, 3);
        assert_eq!(report.completed, 9);
    })
}

#[test]
fn one_sweep_does_at_most_a_hundred_full_batches_per_kind() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .times(100)
            .returning(|_, limit| Ok(limit as u64));
        bookings
            .expect_complete_ended()
            .times(100)
            .returning(|_, limit| Ok(limit as u64));
        no_pending_refunds(&mut payments);
        let report = sweeper(bookings, payments, MockPaymentGateway::new(), 3)
            .run_once()
            .await
            .unwrap();
        assert_eq!(report.expired, 300);
        assert_eq!(report.completed, 300);
    })
}

#[test]
fn a_batch_below_one_is_one() {
    let s = sweeper(
        MockBookingRepository::new(),
        MockPaymentRepository::new(),
        MockPaymentGateway::new(),
        0,
    );
    assert_eq!(s.batch, 1);
    assert_eq!(s.refund_retry_after, Duration::minutes(1));
    let s = sweeper(
        MockBookingRepository::new(),
        MockPaymentRepository::new(),
        MockPaymentGateway::new(),
        -5,
    );
    assert_eq!(s.batch, 1);
}

#[test]
fn the_sweep_retries_old_pending_refunds_and_counts_the_final_answers() {
    block_on(async {
        let pid = Uuid::new_v4();
        let ok = refund(pid, 1_000, RefundStatus::Pending);
        let down = refund(pid, 500, RefundStatus::Pending);
        let refused = refund(pid, 250, RefundStatus::Pending);
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        let mut gateway = MockPaymentGateway::new();
        bookings.expect_expire_due().returning(|_, _| Ok(0));
        bookings.expect_complete_ended().returning(|_, _| Ok(0));
        let due = vec![
            pending(ok.clone()),
            pending(down.clone()),
            pending(refused.clone()),
        ];
        payments
            .expect_pending_refunds()
            .with(eq(t0() - Duration::minutes(5)), eq(10))
            .times(1)
            .return_once(move |_, _| Ok(due));
        gateway
            .expect_refund()
            .with(eq(refund_request(&ok)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Succeeded {
                    gateway_ref: "re_ok".into(),
                })
            });
        gateway
            .expect_refund()
            .with(eq(refund_request(&down)))
            .times(1)
            .returning(|_| Err(unavailable()));
        gateway
            .expect_refund()
            .with(eq(refund_request(&refused)))
            .times(1)
            .returning(|_| {
                Ok(RefundOutcome::Failed {
                    code: "amount_exceeds_charge".into(),
                })
            });
        let ok_done = refund_succeeded(&ok, "re_ok");
        payments
            .expect_finish_refund()
            .with(
                eq(ok.id),
                eq(RefundOutcome::Succeeded {
                    gateway_ref: "re_ok".into(),
                }),
                eq(t0()),
                eq("system".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(ok_done));
        let refused_done = Refund {
            status: RefundStatus::Failed,
            failure_code: Some("amount_exceeds_charge".into()),
            ..refused.clone()
        };
        payments
            .expect_finish_refund()
            .with(
                eq(refused.id),
                eq(RefundOutcome::Failed {
                    code: "amount_exceeds_charge".into(),
                }),
                eq(t0()),
                eq("system".to_owned()),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(refused_done));
        payments
            .expect_finish_refund()
            .with(
                eq(down.id),
                mockall::predicate::always(),
                mockall::predicate::always(),
                mockall::predicate::always(),
            )
            .never();
        let mut s = sweeper(bookings, payments, gateway, 10);
        s.refund_retry_after = Duration::minutes(5);
        let report = s.run_once().await.unwrap();
        assert_eq!(
            report,
            SweepReport {
                expired: 0,
                completed: 0,
                reminded: 0,
                refunds_retried: 2,
            }
        );
    })
}

#[test]
fn a_failing_expiry_stops_the_sweep() {
    block_on(async {
        let mut bookings = MockBookingRepository::new();
        let mut payments = MockPaymentRepository::new();
        bookings
            .expect_expire_due()
            .times(1)
            .returning(|_, _| Err(DomainError::Unavailable("db down".into())));
        bookings.expect_complete_ended().never();
        payments.expect_pending_refunds().never();
        assert_eq!(
            sweeper(bookings, payments, MockPaymentGateway::new(), 10)
                .run_once()
                .await,
            Err(DomainError::Unavailable("db down".into()))
        );
    })
}
