//! The payment and refund primitives of [`super::PgTx`] (the port `engine::BookingTx`).

use boxoffice_domain::engine::{
    LockedPayment, NewPaymentRow, NewRefundRow, PaymentChange, RefundChange,
};
use boxoffice_domain::payment::PaymentStatus;
use boxoffice_domain::DomainError;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::db;
use crate::models::{corrupt, currency};
use crate::schema::*;

type PaymentLockRow = (Uuid, Uuid, String, i64, i64, String, Option<String>);

pub(super) fn locked_payment(row: PaymentLockRow) -> Result<LockedPayment, DomainError> {
    let (id, booking_id, status, amount, refunded, cur, gateway_ref) = row;
    Ok(LockedPayment {
        id,
        booking_id,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("payment status", &status))?,
        amount,
        refunded,
        currency: currency(&cur)?,
        gateway_ref,
    })
}

macro_rules! payment_lock_columns {
    () => {
        (
            payments::id,
            payments::booking_id,
            payments::status,
            payments::amount,
            payments::refunded_amount,
            payments::currency,
            payments::gateway_ref,
        )
    };
}

pub(super) fn booking_of_payment(
    conn: &mut PgConnection,
    payment_id: Uuid,
) -> Result<Uuid, DomainError> {
    payments::table
        .find(payment_id)
        .select(payments::booking_id)
        .first(conn)
        .optional()
        .map_err(db)?
        .ok_or_else(|| DomainError::not_found("payment", payment_id))
}

pub(super) fn lock_payment(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<LockedPayment, DomainError> {
    let row: Option<PaymentLockRow> = payments::table
        .find(id)
        .select(payment_lock_columns!())
        .for_update()
        .first(conn)
        .optional()
        .map_err(db)?;
    locked_payment(row.ok_or_else(|| DomainError::not_found("payment", id))?)
}

pub(super) fn lock_payment_of_booking(
    conn: &mut PgConnection,
    booking_id: Uuid,
    status: PaymentStatus,
) -> Result<Option<LockedPayment>, DomainError> {
    let row: Option<PaymentLockRow> = payments::table
        .filter(payments::booking_id.eq(booking_id))
        .filter(payments::status.eq(status.as_str()))
        .order(payments::created_at)
        .select(payment_lock_columns!())
        .for_update()
        .first(conn)
        .optional()
        .map_err(db)?;
    row.map(locked_payment).transpose()
}

pub(super) fn insert_payment(
    conn: &mut PgConnection,
    p: &NewPaymentRow,
) -> Result<(), DomainError> {
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(p.id),
            payments::booking_id.eq(p.booking_id),
            payments::amount.eq(p.amount),
            payments::currency.eq(p.currency.as_str()),
            payments::status.eq(PaymentStatus::Initiated.as_str()),
            payments::method.eq(&p.method),
            payments::created_at.eq(p.now),
            payments::updated_at.eq(p.now),
        ))
        .execute(conn)
        .map_err(db)?;
    Ok(())
}

pub(super) fn update_payment(
    conn: &mut PgConnection,
    c: &PaymentChange,
) -> Result<(), DomainError> {
    diesel::update(payments::table.find(c.id))
        .set((
            payments::status.eq(c.status.as_str()),
            payments::gateway_ref.eq(&c.gateway_ref),
            payments::failure_code.eq(&c.failure_code),
            payments::outcome.eq(c.outcome.map(|o| o.as_str())),
            payments::updated_at.eq(c.now),
        ))
        .execute(conn)
        .map_err(db)?;
    Ok(())
}

pub(super) fn insert_refund(conn: &mut PgConnection, r: &NewRefundRow) -> Result<(), DomainError> {
    diesel::insert_into(refunds::table)
        .values((
            refunds::id.eq(r.id),
            refunds::payment_id.eq(r.payment_id),
            refunds::amount.eq(r.amount),
            refunds::status.eq(r.status.as_str()),
            refunds::reason.eq(&r.reason),
            refunds::created_at.eq(r.now),
            refunds::updated_at.eq(r.now),
        ))
        .execute(conn)
        .map_err(db)?;
    Ok(())
}

pub(super) fn update_refund(conn: &mut PgConnection, c: &RefundChange) -> Result<(), DomainError> {
    diesel::update(refunds::table.find(c.id))
        .set((
            refunds::status.eq(c.status.as_str()),
            refunds::gateway_ref.eq(&c.gateway_ref),
            refunds::failure_code.eq(&c.failure_code),
            refunds::updated_at.eq(c.now),
        ))
        .execute(conn)
        .map_err(db)?;
    Ok(())
}
