//! The mock gateway: test tokens, delay, simulated outages, refunds and retries.
//!
//! Time is paused (`start_paused`): sleeps advance a virtual clock, so delays are measured
//! exactly and the tests take no real time.

use std::sync::Arc;

use boxoffice_domain::payment::{
    ChargeRequest, DeclineCode, GatewayOutcome, PaymentGateway, PaymentMethod, RefundOutcome,
    RefundRequest,
};
use boxoffice_domain::values::Currency;
use boxoffice_domain::{ConflictCode, DomainError};
use tokio::time::Instant;
use uuid::Uuid;

use crate::{MemoryLedger, MockGateway, MockGatewaySettings, UNAVAILABLE};

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn gateway() -> MockGateway {
    MockGateway::new(MockGatewaySettings::default())
}

fn charge_req(amount: i64, method: PaymentMethod) -> ChargeRequest {
    ChargeRequest {
        payment_id: Uuid::new_v4(),
        amount,
        currency: usd(),
        method,
    }
}

fn refund_req(gateway_ref: &str, amount: i64) -> RefundRequest {
    RefundRequest {
        refund_id: Uuid::new_v4(),
        gateway_ref: gateway_ref.into(),
        amount,
        currency: usd(),
    }
}

fn assert_ref(r: &str, prefix: &str) {
    let hex = r
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or_else(|| panic!("{r:?} does not start with {prefix}_"));
    assert_eq!(hex.len(), 32, "{r:?}");
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{r:?}");
}

async fn charge_ok(gw: &MockGateway, amount: i64) -> String {
    match gw
        .charge(charge_req(amount, PaymentMethod::Success))
        .await
        .unwrap()
    {
        GatewayOutcome::Succeeded { gateway_ref } => gateway_ref,
        other => panic!("expected success, got {other:?}"),
    }
}

fn failure_code(outcome: RefundOutcome) -> String {
    match outcome {
        RefundOutcome::Failed { code } => code,
        other => panic!("expected a refused refund, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Charges
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tok_success_succeeds_with_a_pay_ref() {
    let gw = gateway();
    let r = charge_ok(&gw, 2500).await;
    assert_ref(&r, "pay");
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(2500));
}

#[tokio::test]
async fn tok_declined_is_declined_card_declined() {
    let gw = gateway();
    match gw
        .charge(charge_req(2500, PaymentMethod::Declined))
        .await
        .unwrap()
    {
        GatewayOutcome::Declined { code, gateway_ref } => {
            assert_eq!(code, DeclineCode::CardDeclined);
            assert_ref(&gateway_ref, "pay");
            assert_eq!(gw.refundable(&gateway_ref).await.unwrap(), Some(0));
        }
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[tokio::test]
async fn tok_insufficient_funds_is_declined_insufficient_funds() {
    let gw = gateway();
    let outcome = gw
        .charge(charge_req(2500, PaymentMethod::InsufficientFunds))
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        GatewayOutcome::Declined {
            code: DeclineCode::InsufficientFunds,
            ..
        }
    ));
    assert_eq!(outcome.failure_code(), Some("insufficient_funds"));
}

#[tokio::test]
async fn tok_delayed_is_pending() {
    let gw = gateway();
    match gw
        .charge(charge_req(2500, PaymentMethod::Delayed))
        .await
        .unwrap()
    {
        GatewayOutcome::Pending { gateway_ref } => assert_ref(&gateway_ref, "pay"),
        other => panic!("expected pending, got {other:?}"),
    }
}

#[tokio::test]
async fn every_charge_gets_its_own_ref() {
    let gw = gateway();
    let a = charge_ok(&gw, 100).await;
    let b = charge_ok(&gw, 100).await;
    assert_ne!(a, b);
}

#[tokio::test]
async fn a_non_positive_amount_is_refused() {
    let gw = gateway();
    for amount in [0, -1] {
        match gw.charge(charge_req(amount, PaymentMethod::Success)).await {
            Err(DomainError::Validation(fields)) => assert_eq!(fields[0].field, "amount"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_retried_charge_is_the_same_charge() {
    let gw = gateway();
    let req = charge_req(700, PaymentMethod::Success);
    let first = gw.charge(req.clone()).await.unwrap();
    let again = gw.charge(req.clone()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(gw.refundable(first.gateway_ref()).await.unwrap(), Some(700));
    let mut changed = req;
    changed.amount = 701;
    assert!(matches!(
        gw.charge(changed).await,
        Err(DomainError::Conflict {
            code: ConflictCode::GatewayIdempotencyMismatch,
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// Delay
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn answers_come_after_the_configured_delay() {
    let gw = MockGateway::new(MockGatewaySettings {
        delay_ms: 250,
        fail_rate_percent: 0,
    });
    let start = Instant::now();
    let r = charge_ok(&gw, 100).await;
    assert!(start.elapsed() >= std::time::Duration::from_millis(250));
    let start = Instant::now();
    gw.refund(refund_req(&r, 100)).await.unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn without_a_delay_answers_are_immediate() {
    let gw = gateway();
    let start = Instant::now();
    charge_ok(&gw, 100).await;
    assert_eq!(start.elapsed(), std::time::Duration::ZERO);
}

// ---------------------------------------------------------------------------------------------
// Simulated outages
// ---------------------------------------------------------------------------------------------

async fn count_failures(gw: &MockGateway, calls: usize) -> usize {
    let mut failures = 0;
    for _ in 0..calls {
        match gw.charge(charge_req(100, PaymentMethod::Success)).await {
            Ok(_) => {}
            Err(DomainError::Unavailable(m)) => {
                assert_eq!(m, UNAVAILABLE);
                failures += 1;
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    failures
}

fn failing(rate: u32) -> MockGateway {
    MockGateway::new(MockGatewaySettings {
        delay_ms: 0,
        fail_rate_percent: rate,
    })
}

#[tokio::test]
async fn a_fail_rate_of_100_always_fails_and_records_nothing() {
    let ledger = Arc::new(MemoryLedger::default());
    let gw = MockGateway::with_ledger(
        MockGatewaySettings {
            delay_ms: 0,
            fail_rate_percent: 100,
        },
        ledger.clone(),
    );
    assert_eq!(count_failures(&gw, 20).await, 20);
    assert_eq!(
        gw.refund(refund_req("pay_x", 1)).await,
        Err(DomainError::Unavailable(UNAVAILABLE.into()))
    );
    assert_eq!(ledger.recorded(), (0, 0));
}

#[tokio::test]
async fn a_fail_rate_above_100_counts_as_100() {
    assert_eq!(count_failures(&failing(250), 10).await, 10);
}

#[tokio::test]
async fn a_fail_rate_of_0_never_fails() {
    assert_eq!(count_failures(&failing(0), 300).await, 0);
}

#[tokio::test]
async fn a_fail_rate_fails_exactly_that_share_of_calls() {
    for rate in [1, 10, 25, 50, 99] {
        let gw = failing(rate);
        assert_eq!(count_failures(&gw, 100).await, rate as usize, "{rate} %");
        assert_eq!(
            count_failures(&gw, 200).await,
            2 * rate as usize,
            "{rate} %"
        );
    }
}

#[tokio::test]
async fn at_50_percent_every_second_call_fails() {
    let gw = failing(50);
    let mut pattern = Vec::new();
    for _ in 0..6 {
        pattern.push(
            gw.charge(charge_req(1, PaymentMethod::Success))
                .await
                .is_ok(),
        );
    }
    assert_eq!(pattern, [true, false, true, false, true, false]);
}

// ---------------------------------------------------------------------------------------------
// Refunds
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_full_refund_succeeds_once() {
    let gw = gateway();
    let r = charge_ok(&gw, 1000).await;
    match gw.refund(refund_req(&r, 1000)).await.unwrap() {
        RefundOutcome::Succeeded { gateway_ref } => assert_ref(&gateway_ref, "re"),
        other => panic!("expected a refund, got {other:?}"),
    }
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(0));
    assert_eq!(
        failure_code(gw.refund(refund_req(&r, 1)).await.unwrap()),
        "amount_exceeds_charge"
    );
}

#[tokio::test]
async fn partial_refunds_add_up_to_the_charge_and_no_further() {
    let gw = gateway();
    let r = charge_ok(&gw, 1000).await;
    for amount in [300, 300, 300] {
        assert!(matches!(
            gw.refund(refund_req(&r, amount)).await.unwrap(),
            RefundOutcome::Succeeded { .. }
        ));
    }
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(100));
    assert_eq!(
        failure_code(gw.refund(refund_req(&r, 101)).await.unwrap()),
        "amount_exceeds_charge"
    );
    assert_eq!(
        gw.refundable(&r).await.unwrap(),
        Some(100),
        "a refused refund takes nothing"
    );
    assert!(matches!(
        gw.refund(refund_req(&r, 100)).await.unwrap(),
        RefundOutcome::Succeeded { .. }
    ));
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(0));
}

#[tokio::test]
async fn a_refund_above_the_charge_is_refused() {
    let gw = gateway();
    let r = charge_ok(&gw, 1000).await;
    assert_eq!(
        failure_code(gw.refund(refund_req(&r, 1001)).await.unwrap()),
        "amount_exceeds_charge"
    );
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(1000));
}

#[tokio::test]
async fn a_refund_of_an_unknown_charge_is_refused() {
    let gw = gateway();
    assert_eq!(
        failure_code(gw.refund(refund_req("pay_nope", 1)).await.unwrap()),
        "unknown_charge"
    );
}

#[tokio::test]
async fn a_declined_charge_cannot_be_refunded() {
    let gw = gateway();
    let outcome = gw
        .charge(charge_req(1000, PaymentMethod::Declined))
        .await
        .unwrap();
    assert_eq!(
        failure_code(
            gw.refund(refund_req(outcome.gateway_ref(), 1))
                .await
                .unwrap()
        ),
        "amount_exceeds_charge"
    );
}

#[tokio::test]
async fn a_delayed_charge_can_be_refunded() {
    let gw = gateway();
    let outcome = gw
        .charge(charge_req(1000, PaymentMethod::Delayed))
        .await
        .unwrap();
    assert!(matches!(
        gw.refund(refund_req(outcome.gateway_ref(), 1000))
            .await
            .unwrap(),
        RefundOutcome::Succeeded { .. }
    ));
}

#[tokio::test]
async fn refunds_in_another_currency_or_of_nothing_are_refused() {
    let gw = gateway();
    let r = charge_ok(&gw, 1000).await;
    let mut eur = refund_req(&r, 100);
    eur.currency = Currency::parse("EUR").unwrap();
    assert_eq!(
        failure_code(gw.refund(eur).await.unwrap()),
        "currency_mismatch"
    );
    for amount in [0, -5] {
        assert_eq!(
            failure_code(gw.refund(refund_req(&r, amount)).await.unwrap()),
            "invalid_amount"
        );
    }
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(1000));
}

#[tokio::test]
async fn a_retried_refund_is_the_same_refund() {
    let gw = gateway();
    let r = charge_ok(&gw, 1000).await;
    let req = refund_req(&r, 600);
    let first = gw.refund(req.clone()).await.unwrap();
    let again = gw.refund(req.clone()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(400), "refunded once");
    let mut changed = req;
    changed.amount = 400;
    assert!(matches!(
        gw.refund(changed).await,
        Err(DomainError::Conflict {
            code: ConflictCode::GatewayIdempotencyMismatch,
            ..
        })
    ));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn concurrent_refunds_never_exceed_the_charge() {
    let gw = Arc::new(MockGateway::new(MockGatewaySettings {
        delay_ms: 5,
        fail_rate_percent: 0,
    }));
    let r = charge_ok(&gw, 100).await;
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let gw = Arc::clone(&gw);
            let req = refund_req(&r, 10);
            tokio::spawn(async move { gw.refund(req).await.unwrap() })
        })
        .collect();
    let mut succeeded = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), RefundOutcome::Succeeded { .. }) {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 10);
    assert_eq!(gw.refundable(&r).await.unwrap(), Some(0));
}

#[tokio::test]
async fn it_is_usable_as_the_domain_port() {
    let gw: Arc<dyn PaymentGateway> = Arc::new(MockGateway::default());
    let outcome = gw
        .charge(charge_req(100, PaymentMethod::Success))
        .await
        .unwrap();
    assert_eq!(
        outcome.payment_status(),
        boxoffice_domain::payment::PaymentStatus::Succeeded
    );
}
