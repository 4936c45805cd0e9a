//! Rows the booking transactions share: the class sales counters and a locked booking row.
//! See docs/lifecycle.md for the lock order every transaction follows:
//!
//! 1. seat rows (`FOR UPDATE`, in id order) — only transactions that take seats;
//! 2. booking rows (`FOR UPDATE`) — the transaction's own booking first, then past-due holds of
//!    others in id order (those never wait on a live booking's transaction);
//! 3. payment, then refund rows;
//! 4. the show row (general admission) and the sales counters, each in one ordered pass.

use std::collections::BTreeMap;

use boxoffice_domain::booking::BookingStatus;
use boxoffice_domain::engine::LockedBooking;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::models::{corrupt, currency, u32_of};
use crate::schema::*;
use crate::TxError;

/// Stripes of the per-class sales counter (see migration 2026-11-22-000002).
pub(crate) const SALES_SLOTS: i64 = 32;

/// Sales counter deltas per (class, slot), ordered: every writer touches counter rows in this
/// one order, in one pass, so two transactions cannot deadlock on them.
#[derive(Debug, Default)]
pub(crate) struct SalesDeltas(BTreeMap<(i64, i16), i32>);

impl SalesDeltas {
    /// Adds `delta` for each (class, seat) pair.
    pub fn add(&mut self, seats_of: impl IntoIterator<Item = (i64, i64)>, delta: i32) {
        for (class_id, seat_id) in seats_of {
            *self
                .0
                .entry((class_id, seat_id.rem_euclid(SALES_SLOTS) as i16))
                .or_insert(0) += delta;
        }
    }

    /// The non-zero deltas, in (class, slot) order.
    pub fn rows(&self) -> impl Iterator<Item = (i64, i16, i32)> + '_ {
        self.0
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|((c, s), n)| (*c, *s, *n))
    }

    /// The change of the class's sold seats not written yet (what [`Self::apply`] will add).
    pub fn of_class(&self, class_id: i64) -> i64 {
        self.0
            .range((class_id, i16::MIN)..=(class_id, i16::MAX))
            .map(|(_, n)| i64::from(*n))
            .sum()
    }

    /// Whether some counter goes down (an upsert cannot carry that: PostgreSQL checks
    /// `sold >= 0` on the proposed row before it finds the conflict).
    pub fn has_decrements(&self) -> bool {
        self.0.values().any(|n| *n < 0)
    }

    /// Applies the deltas, in order: an upsert per counter row that goes up, an update per row
    /// that goes down (it exists: its seats were counted).
    pub fn apply(&self, conn: &mut PgConnection) -> Result<(), TxError> {
        for (class_id, slot, n) in self.rows() {
            if n < 0 {
                diesel::update(
                    seat_class_sales::table
                        .filter(seat_class_sales::seat_class_id.eq(class_id))
                        .filter(seat_class_sales::slot.eq(slot)),
                )
                .set(seat_class_sales::sold.eq(seat_class_sales::sold + n))
                .execute(conn)?;
                continue;
            }
            diesel::insert_into(seat_class_sales::table)
                .values((
                    seat_class_sales::seat_class_id.eq(class_id),
                    seat_class_sales::slot.eq(slot),
                    seat_class_sales::sold.eq(n),
                ))
                .on_conflict((seat_class_sales::seat_class_id, seat_class_sales::slot))
                .do_update()
                .set(seat_class_sales::sold.eq(seat_class_sales::sold + n))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// The columns of a booking that a [`LockedBooking`] is made of.
#[derive(Queryable, Selectable)]
#[diesel(table_name = bookings)]
pub(crate) struct LockedRow {
    id: Uuid,
    status: String,
    show_id: Option<i64>,
    quantity: i32,
    total_amount: i64,
    currency: String,
    expires_at: Option<DateTime<Utc>>,
}

pub(crate) fn locked_from(row: LockedRow) -> Result<LockedBooking, DomainError> {
    let status = BookingStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
    Ok(LockedBooking {
        id: row.id,
        status,
        show_id: row.show_id,
        quantity: u32_of(row.quantity),
        total_amount: row.total_amount,
        currency: currency(&row.currency)?,
        expires_at: row.expires_at,
    })
}
