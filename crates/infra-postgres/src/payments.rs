//! `PaymentRepository` on PostgreSQL: each change is one transaction running the domain's
//! use case (`boxoffice_domain::engine::settle`) over [`crate::tx::PgTx`]; the reads of
//! payments and refunds. The gateway is never called in here (the use cases call it between
//! transactions). Lock order as in `holds.rs`: seats, the booking, the payment, refunds.
//!
//! The database keeps two promises on its own: at most one payment that is not `failed` per
//! booking (`uq_payments_live_booking`), and refunds never adding up to more than was paid
//! (`trg_refunds_track_total` + `ck_payments_refund_cap`).

use std::collections::HashMap;

use async_trait::async_trait;
use boxoffice_domain::engine::settle::{self, SettleStep};
use boxoffice_domain::payment::{
    GatewayOutcome, Payment, PaymentMethod, PaymentOutcome, PaymentStatus, Refund, RefundOutcome,
    RefundStatus,
};
use boxoffice_domain::ports::{NewPayment, PaymentRepository, PendingRefund, RefundAsk, Settled};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::models::currency;
use crate::schema::*;
use crate::{Db, TxError};

#[derive(Clone)]
pub struct PgPaymentRepository {
    db: Db,
}

impl PgPaymentRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

type PaymentRow = (
    Uuid,
    Uuid,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
);

type RefundRow = (
    Uuid,
    Uuid,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn corrupt(what: &str, value: &str) -> TxError {
    DomainError::internal(format!("stored {what} '{value}'")).into()
}

fn refund_from(r: RefundRow) -> Result<Refund, TxError> {
    let (id, payment_id, amount, status, reason, gateway_ref, failure_code, created_at, updated_at) =
        r;
    Ok(Refund {
        id,
        payment_id,
        amount,
        status: RefundStatus::parse(&status).ok_or_else(|| corrupt("refund status", &status))?,
        reason,
        gateway_ref,
        failure_code,
        created_at,
        updated_at,
    })
}

fn payment_from(r: PaymentRow, refunds: Vec<Refund>) -> Result<Payment, TxError> {
    let (
        id,
        booking_id,
        amount,
        cur,
        status,
        method,
        gateway_ref,
        failure_code,
        outcome,
        created_at,
        updated_at,
    ) = r;
    Ok(Payment {
        id,
        booking_id,
        amount,
        currency: currency(&cur)?,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("payment status", &status))?,
        method: PaymentMethod::parse(&method).map_err(|_| corrupt("payment method", &method))?,
        gateway_ref,
        failure_code,
        outcome: match outcome {
            Some(o) => {
                Some(PaymentOutcome::parse(&o).ok_or_else(|| corrupt("payment outcome", &o))?)
            }
            None => None,
        },
        refunds,
        created_at,
        updated_at,
    })
}

macro_rules! payment_columns {
    () => {
        (
            payments::id,
            payments::booking_id,
            payments::amount,
            payments::currency,
            payments::status,
            payments::method,
            payments::gateway_ref,
            payments::failure_code,
            payments::outcome,
            payments::created_at,
            payments::updated_at,
        )
    };
}

macro_rules! refund_columns {
    () => {
        (
            refunds::id,
            refunds::payment_id,
            refunds::amount,
            refunds::status,
            refunds::reason,
            refunds::gateway_ref,
            refunds::failure_code,
            refunds::created_at,
            refunds::updated_at,
        )
    };
}

/// The payments (with refunds, oldest first) of several bookings.
pub(crate) fn load_payments(
    conn: &mut PgConnection,
    booking_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Payment>>, TxError> {
    let rows: Vec<PaymentRow> = payments::table
        .filter(payments::booking_id.eq_any(booking_ids))
        .order((payments::created_at, payments::id))
        .select(payment_columns!())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let mut refunds = load_refunds(conn, &ids)?;
    let mut out: HashMap<Uuid, Vec<Payment>> = HashMap::new();
    for r in rows {
        let booking_id = r.1;
        let its = refunds.remove(&r.0).unwrap_or_default();
        out.entry(booking_id)
            .or_default()
            .push(payment_from(r, its)?);
    }
    Ok(out)
}

fn load_refunds(
    conn: &mut PgConnection,
    payment_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Refund>>, TxError> {
    let rows: Vec<RefundRow> = refunds::table
        .filter(refunds::payment_id.eq_any(payment_ids))
        .order((refunds::created_at, refunds::id))
        .select(refund_columns!())
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<Refund>> = HashMap::new();
    for r in rows {
        out.entry(r.1).or_default().push(refund_from(r)?);
    }
    Ok(out)
}

pub(crate) fn load_payment(conn: &mut PgConnection, id: Uuid) -> Result<Payment, TxError> {
    let row: Option<PaymentRow> = payments::table
        .find(id)
        .select(payment_columns!())
        .first(conn)
        .optional()?;
    let row = row.ok_or_else(|| DomainError::not_found("payment", id))?;
    let refunds = load_refunds(conn, &[id])?.remove(&id).unwrap_or_default();
    payment_from(row, refunds)
}

/// Locks a refund row; `NotFound("refund")` when there is none.
pub(crate) fn lock_refund_row(conn: &mut PgConnection, id: Uuid) -> Result<Refund, TxError> {
    let row: Option<RefundRow> = refunds::table
        .find(id)
        .select(refund_columns!())
        .for_update()
        .first(conn)
        .optional()?;
    refund_from(row.ok_or_else(|| DomainError::not_found("refund", id))?)
}

#[async_trait]
impl PaymentRepository for PgPaymentRepository {
    async fn create_payment(
        &self,
        payment: NewPayment,
        now: DateTime<Utc>,
    ) -> Result<Payment, DomainError> {
        self.db
            .engine(move |tx| settle::create_payment(tx, &payment, now))
            .await
    }

    async fn get_payment(&self, id: Uuid) -> Result<Payment, DomainError> {
        self.db
            .run(move |conn| load_payment(conn, id).map_err(TxError::into_domain))
            .await
    }

    async fn settle_payment(
        &self,
        id: Uuid,
        outcome: GatewayOutcome,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Settled, DomainError> {
        let step = {
            let actor = actor.clone();
            self.db
                .engine(move |tx| settle::settle(tx, id, &outcome, now, &actor))
                .await?
        };
        match step {
            SettleStep::Done(settled) => Ok(*settled),
            SettleStep::Revive { gateway_ref } => {
                self.db
                    .engine(move |tx| settle::revive(tx, id, &gateway_ref, now, &actor))
                    .await
            }
        }
    }

    async fn create_refund(
        &self,
        ask: RefundAsk,
        now: DateTime<Utc>,
    ) -> Result<PendingRefund, DomainError> {
        self.db
            .engine(move |tx| settle::create_refund(tx, &ask, now))
            .await
    }

    async fn finish_refund(
        &self,
        refund_id: Uuid,
        outcome: RefundOutcome,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Refund, DomainError> {
        self.db
            .engine(move |tx| settle::finish_refund(tx, refund_id, &outcome, now, &actor))
            .await
    }

    async fn pending_refunds(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PendingRefund>, DomainError> {
        self.db
            .run(move |conn| {
                let rows: Vec<(RefundRow, Option<String>, String)> = refunds::table
                    .inner_join(payments::table)
                    .filter(refunds::status.eq(RefundStatus::Pending.as_str()))
                    .filter(refunds::created_at.lt(before))
                    .order((refunds::created_at, refunds::id))
                    .limit(limit)
                    .select((refund_columns!(), payments::gateway_ref, payments::currency))
                    .load(conn)
                    .map_err(crate::map_db_error)?;
                rows.into_iter()
                    .map(|(r, charge_ref, cur)| {
                        Ok(PendingRefund {
                            refund: refund_from(r).map_err(TxError::into_domain)?,
                            charge_ref: charge_ref.unwrap_or_default(),
                            currency: currency(&cur)?,
                        })
                    })
                    .collect()
            })
            .await
    }
}
