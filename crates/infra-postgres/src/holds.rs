//! Pieces shared by the transactions that change a booking's status: locking a booking row,
//! expiring a past-due hold, freeing and taking places, the class sales counters, and the
//! history rows. See docs/lifecycle.md for the lock order every transaction follows:
//!
//! 1. seat rows (`FOR UPDATE`, in id order) — only transactions that take seats;
//! 2. booking rows (`FOR UPDATE`) — the transaction's own booking first, then past-due holds of
//!    others in id order (those never wait on a live booking's transaction);
//! 3. payment, then refund rows;
//! 4. the show row (general admission) and the sales counters, each in one ordered pass.

use std::collections::BTreeMap;

use boxoffice_domain::booking::{BookingStatus, HISTORY_ACTOR_SYSTEM, REASON_HOLD_EXPIRED};
use boxoffice_domain::catalog::ShowKind;
use boxoffice_domain::payment::HistoryEntity;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::models::corrupt;
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

/// A booking row, locked.
#[derive(Debug, Clone)]
pub(crate) struct Locked {
    pub id: Uuid,
    pub status: BookingStatus,
    pub show_id: i64,
    pub quantity: i32,
    pub total_amount: i64,
    pub currency: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Locked {
    pub fn is_past_due(&self, now: DateTime<Utc>) -> bool {
        self.status == BookingStatus::Held && self.expires_at.is_some_and(|e| e <= now)
    }

    /// The status as it stands at `now` (a past-due hold is expired).
    pub fn status_at(&self, now: DateTime<Utc>) -> BookingStatus {
        if self.is_past_due(now) {
            BookingStatus::Expired
        } else {
            self.status
        }
    }
}

/// The columns of a booking that `Locked` is made of.
#[derive(Queryable, Selectable)]
#[diesel(table_name = bookings)]
struct LockedRow {
    id: Uuid,
    status: String,
    show_id: i64,
    quantity: i32,
    total_amount: i64,
    currency: String,
    expires_at: Option<DateTime<Utc>>,
}

fn locked_from(row: LockedRow) -> Result<Locked, TxError> {
    let status = BookingStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
    Ok(Locked {
        id: row.id,
        status,
        show_id: row.show_id,
        quantity: row.quantity,
        total_amount: row.total_amount,
        currency: row.currency,
        expires_at: row.expires_at,
    })
}

/// Locks one booking row (`FOR UPDATE`); `NotFound("booking")` when there is none.
pub(crate) fn lock_booking(conn: &mut PgConnection, id: Uuid) -> Result<Locked, TxError> {
    let row: Option<LockedRow> = bookings::table
        .find(id)
        .select(LockedRow::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    locked_from(row.ok_or_else(|| DomainError::not_found("booking", id))?)
}

/// Locks the past-due holds among `ids` (id order, skipping rows another transaction holds:
/// that one is settling or expiring it) and returns those still past due once locked.
pub(crate) fn lock_past_due(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<Locked>, TxError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<LockedRow> = bookings::table
        .filter(bookings::id.eq_any(ids))
        .filter(bookings::status.eq(BookingStatus::Held.as_str()))
        .filter(bookings::expires_at.le(now))
        .order(bookings::id)
        .select(LockedRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)?;
    rows.into_iter().map(locked_from).collect()
}

/// The past-due holds of one show (id order, at most `limit`), locked, skipping rows another
/// transaction holds.
pub(crate) fn lock_past_due_of_show(
    conn: &mut PgConnection,
    show_id: i64,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Locked>, TxError> {
    let ids: Vec<Uuid> = bookings::table
        .filter(bookings::show_id.eq(show_id))
        .filter(bookings::status.eq(BookingStatus::Held.as_str()))
        .filter(bookings::expires_at.le(now))
        .order(bookings::id)
        .limit(limit)
        .select(bookings::id)
        .load(conn)?;
    lock_past_due(conn, &ids, now)
}

/// One history row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    conn: &mut PgConnection,
    booking_id: Uuid,
    entity: HistoryEntity,
    entity_id: &str,
    from: Option<&str>,
    to: &str,
    actor: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), TxError> {
    diesel::insert_into(booking_history::table)
        .values((
            booking_history::booking_id.eq(booking_id),
            booking_history::entity.eq(entity.as_str()),
            booking_history::entity_id.eq(entity_id),
            booking_history::from_status.eq(from),
            booking_history::to_status.eq(to),
            booking_history::actor.eq(Some(actor)),
            booking_history::reason.eq(reason),
            booking_history::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A booking status change with its history row.
pub(crate) fn set_status(
    conn: &mut PgConnection,
    booking: &Locked,
    to: BookingStatus,
    actor: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    // Only a cancelled booking has `cancelled_at`; nothing leaves `cancelled`.
    let cancelled_at = (to == BookingStatus::Cancelled).then_some(now);
    diesel::update(bookings::table.find(booking.id))
        .set((
            bookings::status.eq(to.as_str()),
            bookings::updated_at.eq(now),
            bookings::cancelled_at.eq(cancelled_at),
        ))
        .execute(conn)?;
    record(
        conn,
        booking.id,
        HistoryEntity::Booking,
        &booking.id.to_string(),
        Some(booking.status.as_str()),
        to.as_str(),
        actor,
        reason,
        at,
    )
}

/// Frees the seats or places of a booking: its items become inactive and a general-admission
/// show gets its places back. The freed (class, seat) pairs are added to `deltas` (-1 each);
/// the caller applies them with the rest of its counter changes.
pub(crate) fn release_places(
    conn: &mut PgConnection,
    booking: &Locked,
    deltas: &mut SalesDeltas,
) -> Result<(), TxError> {
    let freed: Vec<(Option<i64>, Option<i64>)> = diesel::update(
        booking_items::table
            .filter(booking_items::booking_id.eq(booking.id))
            .filter(booking_items::active.eq(true)),
    )
    .set(booking_items::active.eq(false))
    .returning((booking_items::seat_class_id, booking_items::seat_id))
    .get_results(conn)?;
    let general_places: bool = freed.iter().any(|(c, s)| c.is_none() && s.is_none());
    deltas.add(freed.into_iter().filter_map(|(c, s)| Some((c?, s?))), -1);
    if general_places {
        diesel::update(
            shows::table
                .filter(shows::id.eq(booking.show_id))
                .filter(shows::kind.eq(ShowKind::General.as_str())),
        )
        .set(shows::free_places.eq(shows::free_places + booking.quantity))
        .execute(conn)?;
    }
    Ok(())
}

/// Writes down a past-due hold as `expired` (at its deadline, by the system) and frees its
/// places; counter deltas go to `deltas`.
pub(crate) fn expire_locked(
    conn: &mut PgConnection,
    booking: &Locked,
    now: DateTime<Utc>,
    deltas: &mut SalesDeltas,
) -> Result<(), TxError> {
    let at = booking.expires_at.unwrap_or(now);
    set_status(
        conn,
        booking,
        BookingStatus::Expired,
        HISTORY_ACTOR_SYSTEM,
        Some(REASON_HOLD_EXPIRED),
        at,
        now,
    )?;
    release_places(conn, booking, deltas)
}
