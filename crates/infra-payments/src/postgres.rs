//! The mock gateway's ledger in PostgreSQL (tables `mock_gateway_charges` and
//! `mock_gateway_refunds`, migration `…_mock_gateway_ledger`): charges and refunds survive a
//! restart of the server. Each call is one transaction run off the async threads
//! ([`Db::transaction`]); the decisions are [`decide_charge`] and [`decide_refund`].

use boxoffice_domain::payment::{
    ChargeRequest, DeclineCode, GatewayOutcome, PaymentMethod, RefundOutcome, RefundRequest,
};
use boxoffice_domain::values::Currency;
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::{Db, TxError};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::ledger::{
    decide_charge, decide_refund, Charge, ChargeStep, LedgerStore, RefundStep, StoredRefund,
};

diesel::table! {
    mock_gateway_charges (gateway_ref) {
        gateway_ref -> Text,
        payment_id -> Uuid,
        amount -> Int8,
        currency -> Text,
        method -> Text,
        status -> Text,
        decline_code -> Nullable<Text>,
        captured -> Int8,
        refunded -> Int8,
    }
}

diesel::table! {
    mock_gateway_refunds (refund_id) {
        refund_id -> Uuid,
        charge_ref -> Text,
        amount -> Int8,
        currency -> Text,
        status -> Text,
        refund_ref -> Nullable<Text>,
        failure_code -> Nullable<Text>,
    }
}

use mock_gateway_charges::dsl as c;
use mock_gateway_refunds::dsl as r;

/// The ledger over the server's database.
#[derive(Clone)]
pub struct PgLedger {
    db: Db,
}

impl PgLedger {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A row of `mock_gateway_charges`, all columns in table order.
type ChargeRow = (
    String,
    Uuid,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
);

type RefundRow = (
    Uuid,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::internal(format!("mock gateway ledger: stored {what} '{value}'"))
}

fn currency(code: &str) -> Result<Currency, DomainError> {
    Currency::parse(code).map_err(|_| corrupt("currency", code))
}

fn charge_from(row: ChargeRow) -> Result<Charge, DomainError> {
    let (gateway_ref, payment_id, amount, cur, method, status, decline, captured, refunded) = row;
    let outcome = match (status.as_str(), decline.as_deref()) {
        ("succeeded", _) => GatewayOutcome::Succeeded { gateway_ref },
        ("pending", _) => GatewayOutcome::Pending { gateway_ref },
        ("declined", Some("card_declined")) => GatewayOutcome::Declined {
            code: DeclineCode::CardDeclined,
            gateway_ref,
        },
        ("declined", Some("insufficient_funds")) => GatewayOutcome::Declined {
            code: DeclineCode::InsufficientFunds,
            gateway_ref,
        },
        _ => return Err(corrupt("charge status", &status)),
    };
    Ok(Charge {
        payment_id,
        amount,
        currency: currency(&cur)?,
        method: PaymentMethod::parse(&method).map_err(|_| corrupt("method", &method))?,
        outcome,
        captured,
        refunded,
    })
}

fn refund_from(row: RefundRow) -> Result<StoredRefund, DomainError> {
    let (refund_id, charge_ref, amount, cur, status, refund_ref, failure) = row;
    let outcome = match (status.as_str(), refund_ref, failure) {
        ("succeeded", Some(gateway_ref), None) => RefundOutcome::Succeeded { gateway_ref },
        ("failed", None, Some(code)) => RefundOutcome::Failed { code },
        _ => return Err(corrupt("refund status", &status)),
    };
    Ok(StoredRefund {
        request: RefundRequest {
            refund_id,
            gateway_ref: charge_ref,
            amount,
            currency: currency(&cur)?,
        },
        outcome,
    })
}

fn charge_of_payment(conn: &mut PgConnection, payment_id: Uuid) -> Result<Option<Charge>, TxError> {
    let row: Option<ChargeRow> = c::mock_gateway_charges
        .filter(c::payment_id.eq(payment_id))
        .select(mock_gateway_charges::all_columns)
        .for_update()
        .first(conn)
        .optional()?;
    Ok(row.map(charge_from).transpose()?)
}

fn charge_tx(conn: &mut PgConnection, request: &ChargeRequest) -> Result<GatewayOutcome, TxError> {
    // Twice at most: when a concurrent first charge of the same payment wins the insert, the
    // second pass reads it.
    for _ in 0..2 {
        let existing = charge_of_payment(conn, request.payment_id)?;
        let charge = match decide_charge(existing.as_ref(), request)? {
            ChargeStep::Repeat(outcome) => return Ok(outcome),
            ChargeStep::Record(charge) => charge,
        };
        let (status, decline) = match &charge.outcome {
            GatewayOutcome::Succeeded { .. } => ("succeeded", None),
            GatewayOutcome::Pending { .. } => ("pending", None),
            GatewayOutcome::Declined { code, .. } => ("declined", Some(code.as_str())),
        };
        let inserted = diesel::insert_into(c::mock_gateway_charges)
            .values((
                c::gateway_ref.eq(charge.outcome.gateway_ref()),
                c::payment_id.eq(charge.payment_id),
                c::amount.eq(charge.amount),
                c::currency.eq(charge.currency.as_str()),
                c::method.eq(charge.method.as_str()),
                c::status.eq(status),
                c::decline_code.eq(decline),
                c::captured.eq(charge.captured),
                c::refunded.eq(charge.refunded),
            ))
            .on_conflict(c::payment_id)
            .do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            return Ok(charge.outcome);
        }
    }
    Err(DomainError::Internal("mock gateway ledger: charge raced twice".into()).into())
}

fn earlier_refund(
    conn: &mut PgConnection,
    refund_id: Uuid,
) -> Result<Option<StoredRefund>, TxError> {
    let row: Option<RefundRow> = r::mock_gateway_refunds
        .find(refund_id)
        .select((
            r::refund_id,
            r::charge_ref,
            r::amount,
            r::currency,
            r::status,
            r::refund_ref,
            r::failure_code,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(refund_from).transpose()?)
}

fn refund_tx(conn: &mut PgConnection, request: &RefundRequest) -> Result<RefundOutcome, TxError> {
    // The charge is locked first: refunds of one charge are decided one at a time.
    let row: Option<ChargeRow> = c::mock_gateway_charges
        .find(&request.gateway_ref)
        .select(mock_gateway_charges::all_columns)
        .for_update()
        .first(conn)
        .optional()?;
    let charge = row.map(charge_from).transpose()?;
    for _ in 0..2 {
        let earlier = earlier_refund(conn, request.refund_id)?;
        let stored = match decide_refund(earlier.as_ref(), charge.as_ref(), request)? {
            RefundStep::Repeat(outcome) => return Ok(outcome),
            RefundStep::Record(stored) => stored,
        };
        let (status, refund_ref, failure) = match &stored.outcome {
            RefundOutcome::Succeeded { gateway_ref } => ("succeeded", Some(gateway_ref), None),
            RefundOutcome::Failed { code } => ("failed", None, Some(code)),
        };
        let inserted = diesel::insert_into(r::mock_gateway_refunds)
            .values((
                r::refund_id.eq(request.refund_id),
                r::charge_ref.eq(&request.gateway_ref),
                r::amount.eq(request.amount),
                r::currency.eq(request.currency.as_str()),
                r::status.eq(status),
                r::refund_ref.eq(refund_ref),
                r::failure_code.eq(failure),
            ))
            .on_conflict(r::refund_id)
            .do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            // A concurrent refund with the same id (of a charge there was nothing to lock)
            // answered first: answer as it did.
            continue;
        }
        if matches!(stored.outcome, RefundOutcome::Succeeded { .. }) {
            diesel::update(c::mock_gateway_charges.find(&request.gateway_ref))
                .set(c::refunded.eq(c::refunded + request.amount))
                .execute(conn)?;
        }
        return Ok(stored.outcome);
    }
    Err(DomainError::Internal("mock gateway ledger: refund raced twice".into()).into())
}

#[async_trait::async_trait]
impl LedgerStore for PgLedger {
    async fn charge(&self, request: ChargeRequest) -> Result<GatewayOutcome, DomainError> {
        self.db
            .transaction(move |conn| charge_tx(conn, &request))
            .await
    }

    async fn refund(&self, request: RefundRequest) -> Result<RefundOutcome, DomainError> {
        self.db
            .transaction(move |conn| refund_tx(conn, &request))
            .await
    }

    async fn charge_by_ref(&self, gateway_ref: &str) -> Result<Option<Charge>, DomainError> {
        let gateway_ref = gateway_ref.to_owned();
        self.db
            .transaction(move |conn| {
                let row: Option<ChargeRow> = c::mock_gateway_charges
                    .find(&gateway_ref)
                    .select(mock_gateway_charges::all_columns)
                    .first(conn)
                    .optional()?;
                Ok(row.map(charge_from).transpose()?)
            })
            .await
    }
}
