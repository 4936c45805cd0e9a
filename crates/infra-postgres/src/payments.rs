//! `PaymentRepository` on PostgreSQL: payments and refunds, each change one transaction with
//! its history rows. The gateway is never called in here (the use cases call it between
//! transactions). Lock order as in `holds.rs`: seats, the booking, the payment, refunds.
//!
//! The database keeps two promises on its own: at most one payment that is not `failed` per
//! booking (`uq_payments_live_booking`), and refunds never adding up to more than was paid
//! (`trg_refunds_track_total` + `ck_payments_refund_cap`).

use std::collections::HashMap;

use async_trait::async_trait;
use boxoffice_domain::booking::BookingStatus;
use boxoffice_domain::payment::{
    refund_amount, settlement_for, GatewayOutcome, HistoryEntity, Payment, PaymentMethod,
    PaymentOutcome, PaymentStatus, Refund, RefundOutcome, RefundPolicy, RefundStatus, Settlement,
};
use boxoffice_domain::ports::{NewPayment, PaymentRepository, PendingRefund, RefundAsk, Settled};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::booking::{not_held, reactivate_and_take, seats_of_booking};
use crate::holds::{expire_locked, lock_booking, record, set_status, Locked, SalesDeltas};
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

/// A payment row, locked.
struct LockedPayment {
    booking_id: Uuid,
    status: PaymentStatus,
    amount: i64,
    refunded: i64,
}

fn lock_payment(conn: &mut PgConnection, id: Uuid) -> Result<LockedPayment, TxError> {
    let row: Option<(Uuid, String, i64, i64)> = payments::table
        .find(id)
        .select((
            payments::booking_id,
            payments::status,
            payments::amount,
            payments::refunded_amount,
        ))
        .for_update()
        .first(conn)
        .optional()?;
    let (booking_id, status, amount, refunded) =
        row.ok_or_else(|| DomainError::not_found("payment", id))?;
    Ok(LockedPayment {
        booking_id,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("payment status", &status))?,
        amount,
        refunded,
    })
}

fn booking_of_payment(conn: &mut PgConnection, id: Uuid) -> Result<Uuid, TxError> {
    let found: Option<Uuid> = payments::table
        .find(id)
        .select(payments::booking_id)
        .first(conn)
        .optional()?;
    Ok(found.ok_or_else(|| DomainError::not_found("payment", id))?)
}

/// Writes a `pending` refund of `amount` against a succeeded payment, with its history row;
/// the trigger adds it to the payment's refunded amount and the CHECK caps the sum.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_refund(
    conn: &mut PgConnection,
    booking_id: Uuid,
    payment_id: Uuid,
    refund_id: Uuid,
    amount: i64,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PendingRefund, TxError> {
    let (charge_ref, cur): (Option<String>, String) = payments::table
        .find(payment_id)
        .select((payments::gateway_ref, payments::currency))
        .first(conn)?;
    let charge_ref = charge_ref.ok_or_else(|| {
        DomainError::internal(format!("succeeded payment {payment_id} has no gateway ref"))
    })?;
    diesel::insert_into(refunds::table)
        .values((
            refunds::id.eq(refund_id),
            refunds::payment_id.eq(payment_id),
            refunds::amount.eq(amount),
            refunds::status.eq(RefundStatus::Pending.as_str()),
            refunds::reason.eq(reason),
            refunds::created_at.eq(now),
            refunds::updated_at.eq(now),
        ))
        .execute(conn)?;
    record(
        conn,
        booking_id,
        HistoryEntity::Refund,
        &refund_id.to_string(),
        None,
        RefundStatus::Pending.as_str(),
        actor,
        Some(reason),
        now,
    )?;
    Ok(PendingRefund {
        refund: Refund {
            id: refund_id,
            payment_id,
            amount,
            status: RefundStatus::Pending,
            reason: reason.to_owned(),
            gateway_ref: None,
            failure_code: None,
            created_at: now,
            updated_at: now,
        },
        charge_ref,
        currency: currency(&cur)?,
    })
}

fn create_payment_tx(
    conn: &mut PgConnection,
    new: &NewPayment,
    now: DateTime<Utc>,
) -> Result<Payment, TxError> {
    let booking = lock_booking(conn, new.booking_id)?;
    if booking.status_at(now) != BookingStatus::Held {
        return Err(not_held(&booking, now));
    }
    if let Some(expected) = new.expected_amount {
        if expected != booking.total_amount {
            return Err(DomainError::invalid(
                "amount",
                format!(
                    "the amount must equal the booking's total of {}",
                    booking.total_amount
                ),
            )
            .into());
        }
    }
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(new.id),
            payments::booking_id.eq(new.booking_id),
            payments::amount.eq(booking.total_amount),
            payments::currency.eq(&booking.currency),
            payments::status.eq(PaymentStatus::Initiated.as_str()),
            payments::method.eq(new.method.as_str()),
            payments::created_at.eq(now),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
    record(
        conn,
        new.booking_id,
        HistoryEntity::Payment,
        &new.id.to_string(),
        None,
        PaymentStatus::Initiated.as_str(),
        &new.actor,
        Some(new.method.as_str()),
        now,
    )?;
    load_payment(conn, new.id)
}

/// Marks a payment succeeded with what it did to the booking.
fn succeed(
    conn: &mut PgConnection,
    booking_id: Uuid,
    id: Uuid,
    gateway_ref: &str,
    outcome: PaymentOutcome,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    diesel::update(payments::table.find(id))
        .set((
            payments::status.eq(PaymentStatus::Succeeded.as_str()),
            payments::gateway_ref.eq(gateway_ref),
            payments::outcome.eq(outcome.as_str()),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
    record(
        conn,
        booking_id,
        HistoryEntity::Payment,
        &id.to_string(),
        Some(PaymentStatus::Initiated.as_str()),
        PaymentStatus::Succeeded.as_str(),
        actor,
        Some(outcome.as_str()),
        now,
    )
}

/// The payment succeeded but the booking cannot have it: the payment is refunded in full.
/// A hold that is past due is written down as expired first.
#[allow(clippy::too_many_arguments)]
fn succeed_and_refund(
    conn: &mut PgConnection,
    booking: &Locked,
    payment: &LockedPayment,
    id: Uuid,
    gateway_ref: &str,
    outcome: PaymentOutcome,
    actor: &str,
    now: DateTime<Utc>,
    mut deltas: SalesDeltas,
) -> Result<Settled, TxError> {
    if booking.is_past_due(now) {
        expire_locked(conn, booking, now, &mut deltas)?;
    }
    deltas.apply(conn)?;
    succeed(conn, booking.id, id, gateway_ref, outcome, actor, now)?;
    let reason = outcome.refund_reason().unwrap_or("automatic full refund");
    let pending = write_refund(
        conn,
        booking.id,
        id,
        Uuid::new_v4(),
        payment.amount - payment.refunded,
        reason,
        actor,
        now,
    )?;
    Ok(Settled {
        payment: load_payment(conn, id)?,
        refund: Some(pending),
    })
}

enum Step {
    Done(Box<Settled>),
    /// A late success: settle again in a transaction that locks the seats first.
    Revive(String),
}

fn unchanged(conn: &mut PgConnection, id: Uuid) -> Result<Step, TxError> {
    Ok(Step::Done(Box::new(Settled {
        payment: load_payment(conn, id)?,
        refund: None,
    })))
}

fn show_start(conn: &mut PgConnection, show_id: i64) -> Result<DateTime<Utc>, TxError> {
    Ok(shows::table
        .find(show_id)
        .select(shows::starts_at)
        .first(conn)?)
}

fn settle_tx(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &GatewayOutcome,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Step, TxError> {
    let booking_id = booking_of_payment(conn, id)?;
    let booking = lock_booking(conn, booking_id)?;
    let payment = lock_payment(conn, id)?;
    if payment.status.is_final() {
        return unchanged(conn, id);
    }
    match outcome {
        GatewayOutcome::Pending { gateway_ref } => {
            diesel::update(payments::table.find(id))
                .set((
                    payments::gateway_ref.eq(gateway_ref),
                    payments::updated_at.eq(now),
                ))
                .execute(conn)?;
            unchanged(conn, id)
        }
        GatewayOutcome::Declined { code, gateway_ref } => {
            diesel::update(payments::table.find(id))
                .set((
                    payments::status.eq(PaymentStatus::Failed.as_str()),
                    payments::gateway_ref.eq(gateway_ref),
                    payments::failure_code.eq(code.as_str()),
                    payments::updated_at.eq(now),
                ))
                .execute(conn)?;
            record(
                conn,
                booking_id,
                HistoryEntity::Payment,
                &id.to_string(),
                Some(PaymentStatus::Initiated.as_str()),
                PaymentStatus::Failed.as_str(),
                actor,
                Some(code.as_str()),
                now,
            )?;
            unchanged(conn, id)
        }
        GatewayOutcome::Succeeded { gateway_ref } => {
            let starts_at = show_start(conn, booking.show_id)?;
            match settlement_for(booking.status, booking.expires_at, starts_at, now) {
                Settlement::Confirm => {
                    succeed(
                        conn,
                        booking_id,
                        id,
                        gateway_ref,
                        PaymentOutcome::BookingConfirmed,
                        actor,
                        now,
                    )?;
                    set_status(
                        conn,
                        &booking,
                        BookingStatus::Confirmed,
                        actor,
                        Some("paid"),
                        now,
                        now,
                    )?;
                    unchanged(conn, id)
                }
                Settlement::TryRevive => Ok(Step::Revive(gateway_ref.clone())),
                Settlement::Refund(outcome) => Ok(Step::Done(Box::new(succeed_and_refund(
                    conn,
                    &booking,
                    &payment,
                    id,
                    gateway_ref,
                    outcome,
                    actor,
                    now,
                    SalesDeltas::default(),
                )?))),
            }
        }
    }
}

/// A payment that succeeded after its hold ended: the booking's own seats are locked first
/// (the lock order of every booking transaction), then the booking and the payment. If every
/// seat (or enough places) is still free the booking is revived and confirmed; otherwise it
/// stays expired and the payment is refunded in full.
fn revive_tx(
    conn: &mut PgConnection,
    id: Uuid,
    gateway_ref: &str,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Settled, TxError> {
    let booking_id = booking_of_payment(conn, id)?;
    let seat_ids = seats_of_booking(conn, booking_id)?;
    let mut booking = lock_booking(conn, booking_id)?;
    let payment = lock_payment(conn, id)?;
    if payment.status.is_final() {
        return Ok(Settled {
            payment: load_payment(conn, id)?,
            refund: None,
        });
    }
    let starts_at = show_start(conn, booking.show_id)?;
    let mut deltas = SalesDeltas::default();
    match settlement_for(booking.status, booking.expires_at, starts_at, now) {
        Settlement::Refund(outcome) => {
            return succeed_and_refund(
                conn,
                &booking,
                &payment,
                id,
                gateway_ref,
                outcome,
                actor,
                now,
                deltas,
            )
        }
        Settlement::Confirm | Settlement::TryRevive => {}
    }
    if booking.status == BookingStatus::Held {
        expire_locked(conn, &booking, now, &mut deltas)?;
        booking.status = BookingStatus::Expired;
    }
    if reactivate_and_take(conn, &booking, &seat_ids, now, &mut deltas)? {
        deltas.apply(conn)?;
        set_status(
            conn,
            &booking,
            BookingStatus::Confirmed,
            actor,
            Some("paid after the hold expired; the same places were still free"),
            now,
            now,
        )?;
        succeed(
            conn,
            booking_id,
            id,
            gateway_ref,
            PaymentOutcome::BookingRevived,
            actor,
            now,
        )?;
        return Ok(Settled {
            payment: load_payment(conn, id)?,
            refund: None,
        });
    }
    succeed_and_refund(
        conn,
        &booking,
        &payment,
        id,
        gateway_ref,
        PaymentOutcome::RefundedBookingExpired,
        actor,
        now,
        deltas,
    )
}

fn create_refund_tx(
    conn: &mut PgConnection,
    ask: &RefundAsk,
    now: DateTime<Utc>,
) -> Result<PendingRefund, TxError> {
    let payment = lock_payment(conn, ask.payment_id)?;
    if payment.status != PaymentStatus::Succeeded {
        return Err(DomainError::Conflict {
            code: boxoffice_domain::ConflictCode::PaymentNotSucceeded,
            message: format!(
                "payment {} is {}: only a succeeded payment can be refunded",
                ask.payment_id, payment.status
            ),
        }
        .into());
    }
    let remaining = payment.amount - payment.refunded;
    if remaining <= 0 {
        return Err(DomainError::Conflict {
            code: boxoffice_domain::ConflictCode::NothingToRefund,
            message: format!("payment {} has been refunded in full", ask.payment_id),
        }
        .into());
    }
    let amount = match ask.amount {
        // The override branch of the policy checks 1..=remaining; the times do not matter.
        Some(a) => refund_amount(
            &RefundPolicy::default(),
            payment.amount,
            payment.refunded,
            now,
            now,
            Some(a),
            true,
        )?,
        None => remaining,
    };
    write_refund(
        conn,
        payment.booking_id,
        ask.payment_id,
        ask.id,
        amount,
        &ask.reason,
        &ask.actor,
        now,
    )
}

fn finish_refund_tx(
    conn: &mut PgConnection,
    refund_id: Uuid,
    outcome: &RefundOutcome,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Refund, TxError> {
    let row: Option<RefundRow> = refunds::table
        .find(refund_id)
        .select(refund_columns!())
        .for_update()
        .first(conn)
        .optional()?;
    let refund = refund_from(row.ok_or_else(|| DomainError::not_found("refund", refund_id))?)?;
    if refund.status.is_final() {
        return Ok(refund);
    }
    let booking_id = booking_of_payment(conn, refund.payment_id)?;
    let (status, gateway_ref, code) = match outcome {
        RefundOutcome::Succeeded { gateway_ref } => {
            (RefundStatus::Succeeded, Some(gateway_ref.clone()), None)
        }
        RefundOutcome::Failed { code } => (RefundStatus::Failed, None, Some(code.clone())),
    };
    diesel::update(refunds::table.find(refund_id))
        .set((
            refunds::status.eq(status.as_str()),
            refunds::gateway_ref.eq(&gateway_ref),
            refunds::failure_code.eq(&code),
            refunds::updated_at.eq(now),
        ))
        .execute(conn)?;
    record(
        conn,
        booking_id,
        HistoryEntity::Refund,
        &refund_id.to_string(),
        Some(RefundStatus::Pending.as_str()),
        status.as_str(),
        actor,
        code.as_deref(),
        now,
    )?;
    Ok(Refund {
        status,
        gateway_ref,
        failure_code: code,
        updated_at: now,
        ..refund
    })
}

#[async_trait]
impl PaymentRepository for PgPaymentRepository {
    async fn create_payment(
        &self,
        payment: NewPayment,
        now: DateTime<Utc>,
    ) -> Result<Payment, DomainError> {
        self.db
            .transaction(move |conn| create_payment_tx(conn, &payment, now))
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
        self.db
            .run(move |conn| {
                let step = conn
                    .transaction::<_, TxError, _>(|c| settle_tx(c, id, &outcome, now, &actor))
                    .map_err(TxError::into_domain)?;
                match step {
                    Step::Done(settled) => Ok(*settled),
                    Step::Revive(gateway_ref) => conn
                        .transaction::<_, TxError, _>(|c| {
                            revive_tx(c, id, &gateway_ref, now, &actor)
                        })
                        .map_err(TxError::into_domain),
                }
            })
            .await
    }

    async fn create_refund(
        &self,
        ask: RefundAsk,
        now: DateTime<Utc>,
    ) -> Result<PendingRefund, DomainError> {
        self.db
            .transaction(move |conn| create_refund_tx(conn, &ask, now))
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
            .transaction(move |conn| finish_refund_tx(conn, refund_id, &outcome, now, &actor))
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
