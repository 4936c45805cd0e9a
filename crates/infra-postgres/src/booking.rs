//! `BookingRepository` on PostgreSQL: booking and cancelling are each one transaction.
//!
//! Seated: the requested seat rows are locked `FOR UPDATE` in id order (a fixed order, so two
//! bookings cannot deadlock), taken seats are read, the class occupancy is counted, and the
//! domain's `plan_seated` decides inside the transaction. No shared row is updated, so bookings of
//! different seats of one show run in parallel. The partial unique index on active seats is the
//! last word. General admission: a guarded `UPDATE … SET free_places = free_places - n WHERE
//! free_places >= n` (and a CHECK constraint) keeps capacity from going below zero.
//!
//! Holds: a booking with something to pay is written `held` with `expires_at`. A past-due hold
//! is free for everyone at once: the booking transaction that wants its seats (or, for general
//! admission, finds too few places) writes it down as `expired` on the way, in the same
//! transaction; reads treat it as free; the sweep (`expire_due`) writes down the rest.

use std::collections::HashMap;

use async_trait::async_trait;
use boxoffice_domain::booking::{
    plan_general, plan_seat_change, plan_seated, reference_from, Booking, BookingAction,
    BookingCommand, BookingItem, BookingPlan, BookingStatus, ClassSnapshot, Places, PlannedItem,
    SeatSnapshot, ShowSnapshot, HISTORY_ACTOR_SYSTEM, REASON_SHOW_ENDED,
};
use boxoffice_domain::catalog::{Page, Paged, Show, ShowKind};
use boxoffice_domain::payment::{
    refund_amount, HistoryEntity, HistoryEntry, PaymentStatus, RefundPolicy,
};
use boxoffice_domain::ports::{BookingFilter, BookingRepository, Cancelled, ContactQuery};
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use uuid::Uuid;

use crate::booking_reads::{bookings_from_rows, load_booking, load_history};
use crate::holds::{
    expire_locked, lock_booking, lock_past_due, lock_past_due_of_show, record, release_places,
    set_status, Locked, SalesDeltas,
};
use crate::models::*;
use crate::payments::write_refund;
use crate::prepared::{ClassSnapshotQuery, ClassSnapshotRow, WritePlanQuery};
use crate::schema::*;
use crate::{map_db_error, Db, TxError};

#[derive(Clone)]
pub struct PgBookingRepository {
    db: Db,
}

impl PgBookingRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

pub(crate) fn snapshot(show: &Show) -> ShowSnapshot {
    ShowSnapshot {
        id: show.id,
        kind: show.kind,
        starts_at: show.starts_at,
        currency: show.currency,
        price: show.price,
        free_places: show.free_places,
    }
}

pub(crate) fn load_show(conn: &mut PgConnection, id: i64) -> Result<Show, TxError> {
    let row = shows::table
        .find(id)
        .select(ShowRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("show", id))?;
    Ok(Show::try_from(row)?)
}

fn resolve_labels(
    conn: &mut PgConnection,
    show_id: i64,
    labels: &[String],
) -> Result<Vec<i64>, TxError> {
    let found: Vec<(i64, String)> = seats::table
        .filter(seats::show_id.eq(show_id))
        .filter(seats::label.eq_any(labels))
        .select((seats::id, seats::label))
        .load(conn)?;
    let by_label: HashMap<String, i64> = found.into_iter().map(|(i, l)| (l, i)).collect();
    let unknown: Vec<&str> = labels
        .iter()
        .filter(|l| !by_label.contains_key(*l))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(DomainError::invalid(
            "seat_labels",
            format!("unknown seats in show {show_id}: {}", unknown.join(", ")),
        )
        .into());
    }
    Ok(labels.iter().map(|l| by_label[l]).collect())
}

type ClassNames = HashMap<i64, String>;

/// An active item of a requested seat and the booking it belongs to.
type Holder = (i64, Uuid, String, Option<DateTime<Utc>>);

/// Active items of `seat_ids` with their booking's status and deadline.
pub(crate) fn holders(conn: &mut PgConnection, seat_ids: &[i64]) -> Result<Vec<Holder>, TxError> {
    type Row = (Option<i64>, Uuid, String, Option<DateTime<Utc>>);
    let rows: Vec<Row> = booking_items::table
        .inner_join(bookings::table)
        .filter(booking_items::seat_id.eq_any(seat_ids))
        .filter(booking_items::active.eq(true))
        .select((
            booking_items::seat_id,
            bookings::id,
            bookings::status,
            bookings::expires_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(seat, b, st, exp)| Some((seat?, b, st, exp)))
        .collect())
}

pub(crate) fn is_past_due(
    status: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    status == BookingStatus::Held.as_str() && expires_at.is_some_and(|e| e <= now)
}

/// The seats among `seat_ids` in an active booking other than `own`, after writing down the
/// past-due holds that had some of them (their counter deltas go to `deltas`).
fn taken_seats(
    conn: &mut PgConnection,
    seat_ids: &[i64],
    own: Option<Uuid>,
    now: DateTime<Utc>,
    deltas: &mut SalesDeltas,
) -> Result<std::collections::HashSet<i64>, TxError> {
    let found = holders(conn, seat_ids)?;
    let mut due: Vec<Uuid> = found
        .iter()
        .filter(|(_, b, st, exp)| Some(*b) != own && is_past_due(st, *exp, now))
        .map(|(_, b, _, _)| *b)
        .collect();
    if !due.is_empty() {
        due.sort_unstable();
        due.dedup();
        for booking in lock_past_due(conn, &due, now)? {
            expire_locked(conn, &booking, now, deltas)?;
        }
        // Read again: a hold that was being paid while we looked is confirmed (taken), one we
        // expired is not.
        return Ok(holders(conn, seat_ids)?
            .into_iter()
            .filter(|(_, b, st, exp)| Some(*b) != own && !is_past_due(st, *exp, now))
            .map(|(seat, _, _, _)| seat)
            .collect());
    }
    Ok(found
        .into_iter()
        .filter(|(_, b, _, _)| Some(*b) != own)
        .map(|(seat, _, _, _)| seat)
        .collect())
}

/// The requested seats, locked in id order, as the domain sees them.
fn lock_seats(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<SeatSnapshot>, TxError> {
    // Lock the requested seats in a fixed (id) order. A seat that an in-flight booking holds is
    // waited for: its booking may still fail, and a 409 must mean "taken" (ADR 0005).
    let locked: Vec<(i64, i64, i64, String, String, i32)> = seats::table
        .filter(seats::id.eq_any(ids))
        .order(seats::id)
        .select((
            seats::id,
            seats::show_id,
            seats::seat_class_id,
            seats::label,
            seats::row_label,
            seats::seat_number,
        ))
        .for_update()
        .load(conn)?;
    Ok(locked
        .into_iter()
        .map(|(id, show_id, class_id, label, row, number)| SeatSnapshot {
            id,
            show_id,
            class_id,
            label,
            row,
            number: u32::try_from(number).unwrap_or(0),
            taken: false,
        })
        .collect())
}

/// Prices and occupancy of the classes of `seats` that belong to `show` (past-due holds
/// not counted).
pub(crate) fn class_snapshots(
    conn: &mut PgConnection,
    show: &Show,
    seats: &[SeatSnapshot],
    now: DateTime<Utc>,
) -> Result<Vec<ClassSnapshot>, TxError> {
    let mut class_ids: Vec<i64> = seats
        .iter()
        .filter(|s| s.show_id == show.id)
        .map(|s| s.class_id)
        .collect();
    class_ids.sort_unstable();
    class_ids.dedup();
    let rows: Vec<ClassSnapshotRow> = ClassSnapshotQuery {
        ids: &class_ids,
        show_id: show.id,
        now,
    }
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, min_price, normal_price, max_price, total, sold)| ClassSnapshot {
                id,
                name,
                prices: TierPrices {
                    min_price,
                    normal_price,
                    max_price,
                },
                total_seats: total.max(0) as u64,
                sold_seats: sold.max(0) as u64,
            },
        )
        .collect())
}

/// Locks and reads everything a seated booking decision needs. The class snapshot is read
/// before past-due holds are written down (it already leaves them out), then those holds are
/// expired, then the taken seats are read.
fn seat_inputs(
    conn: &mut PgConnection,
    show: &Show,
    ids: &[i64],
    own: Option<Uuid>,
    now: DateTime<Utc>,
    deltas: &mut SalesDeltas,
) -> Result<(Vec<SeatSnapshot>, Vec<ClassSnapshot>), TxError> {
    let mut seat_snaps = lock_seats(conn, ids)?;
    let classes = class_snapshots(conn, show, &seat_snaps, now)?;
    let taken = taken_seats(conn, ids, own, now, deltas)?;
    for s in &mut seat_snaps {
        s.taken = taken.contains(&s.id);
    }
    Ok((seat_snaps, classes))
}

fn plan_seats(
    conn: &mut PgConnection,
    show: &Show,
    ids: &[i64],
    now: DateTime<Utc>,
    deltas: &mut SalesDeltas,
) -> Result<(BookingPlan, ClassNames), TxError> {
    let (seat_snaps, classes) = seat_inputs(conn, show, ids, None, now, deltas)?;
    let plan = plan_seated(&snapshot(show), ids, &seat_snaps, &classes, now)?;
    let names = classes.into_iter().map(|c| (c.id, c.name)).collect();
    Ok((plan, names))
}

/// Writes down the past-due holds of a general-admission show (their places come back);
/// returns how many.
fn expire_past_due_of_show(
    conn: &mut PgConnection,
    show_id: i64,
    now: DateTime<Utc>,
) -> Result<usize, TxError> {
    let due = lock_past_due_of_show(conn, show_id, now, 1000)?;
    let mut deltas = SalesDeltas::default();
    for booking in &due {
        expire_locked(conn, booking, now, &mut deltas)?;
    }
    Ok(due.len())
}

/// Takes `quantity` general-admission places with the guarded update. When too few are free,
/// past-due holds of the show are written down first (giving their places back) and the update
/// is tried once more.
fn take_places(
    conn: &mut PgConnection,
    show: &Show,
    quantity: u32,
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    let n = i32::try_from(quantity).unwrap_or(i32::MAX);
    let take = |conn: &mut PgConnection| -> Result<usize, TxError> {
        Ok(diesel::update(
            shows::table
                .filter(shows::id.eq(show.id))
                .filter(shows::free_places.ge(n)),
        )
        .set(shows::free_places.eq(shows::free_places - n))
        .execute(conn)?)
    };
    if take(conn)? == 1 {
        return Ok(());
    }
    if expire_past_due_of_show(conn, show.id, now)? > 0 && take(conn)? == 1 {
        return Ok(());
    }
    let free: Option<i32> = shows::table
        .find(show.id)
        .select(shows::free_places)
        .first(conn)?;
    Err(DomainError::SoldOut {
        requested: quantity,
        available: free.and_then(|f| u32::try_from(f).ok()).unwrap_or(0),
    }
    .into())
}

fn write_plan(
    conn: &mut PgConnection,
    show: &Show,
    command: &BookingCommand,
    plan: &BookingPlan,
    now: DateTime<Utc>,
    mut deltas: SalesDeltas,
) -> Result<(Uuid, String, Option<DateTime<Utc>>), TxError> {
    let id = Uuid::new_v4();
    let reference = reference_from(rand::random::<u64>());
    let items = &plan.items;
    deltas.add(
        items.iter().filter_map(|i| Some((i.class_id?, i.seat_id?))),
        1,
    );
    // The usual case is one statement: counters go up in the booking's own INSERT. When the
    // transaction expired past-due holds on the way, some go down, which an upsert cannot do:
    // then all counter changes are applied first, in one ordered pass.
    let rows: Vec<(i64, i16, i32)> = if deltas.has_decrements() {
        deltas.apply(conn)?;
        vec![]
    } else {
        deltas.rows().collect()
    };
    let expires_at = (plan.status == BookingStatus::Held).then(|| now + command.hold_for);
    WritePlanQuery {
        id,
        reference: reference.clone(),
        show_id: show.id,
        status: plan.status.as_str().to_owned(),
        name: command.buyer.name.as_str().to_owned(),
        phone: command.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        email: command.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        quantity: plan.quantity as i32,
        total_amount: plan.total_amount,
        currency: plan.currency.as_str().to_owned(),
        now,
        expires_at,
        user_id: command.user_id,
        guest_token_hash: command.guest_token_hash.map(|h| h.as_bytes().to_vec()),
        actor: command.actor.clone(),
        seat_ids: items.iter().map(|i| i.seat_id).collect(),
        class_ids: items.iter().map(|i| i.class_id).collect(),
        labels: items.iter().map(|i| i.label.clone()).collect(),
        quantities: items.iter().map(|i| i.quantity as i32).collect(),
        prices: items.iter().map(|i| i.price).collect(),
        tiers: items
            .iter()
            .map(|i| i.tier.map(|t| t.as_str().to_owned()))
            .collect(),
        counter_classes: rows.iter().map(|r| r.0).collect(),
        counter_slots: rows.iter().map(|r| r.1).collect(),
        counter_sold: rows.iter().map(|r| r.2).collect(),
    }
    .execute(conn)?;
    Ok((id, reference, expires_at))
}

fn seats_on_general_admission(show: &Show) -> TxError {
    DomainError::invalid(
        "seat_ids",
        format!(
            "show {} is general admission: book a quantity, not seats",
            show.id
        ),
    )
    .into()
}

/// Seat ids of `places` in `show` (labels resolved); general admission refuses seats.
pub(crate) fn seat_ids_of(
    conn: &mut PgConnection,
    show: &Show,
    places: &Places,
) -> Result<Vec<i64>, TxError> {
    match places {
        Places::Quantity(_) => {
            Err(DomainError::invalid("seat_ids", "give seats (seat_ids or seat_labels)").into())
        }
        _ if show.kind != ShowKind::Seated => Err(seats_on_general_admission(show)),
        Places::SeatIds(ids) => Ok(ids.clone()),
        Places::SeatLabels(labels) => {
            let labels: Vec<String> = labels.iter().map(|l| l.as_str().to_owned()).collect();
            resolve_labels(conn, show.id, &labels)
        }
    }
}

fn book_tx(
    conn: &mut PgConnection,
    command: &BookingCommand,
    now: DateTime<Utc>,
) -> Result<Booking, TxError> {
    let mut show = load_show(conn, command.show_id)?;
    let mut deltas = SalesDeltas::default();
    let (plan, class_names) = match &command.places {
        Places::Quantity(q) => {
            // Too few places as stored: the places of past-due holds are free; write those
            // holds down first so that the plan sees their places.
            if show.free_places.is_some_and(|f| f < *q)
                && expire_past_due_of_show(conn, show.id, now)? > 0
            {
                show = load_show(conn, show.id)?;
            }
            let plan = plan_general(&snapshot(&show), *q, now)?;
            take_places(conn, &show, *q, now)?;
            (plan, ClassNames::new())
        }
        places => {
            let ids = seat_ids_of(conn, &show, places)?;
            plan_seats(conn, &show, &ids, now, &mut deltas)?
        }
    };
    let (id, reference, expires_at) = write_plan(conn, &show, command, &plan, now, deltas)?;
    // Built from what was just written: no second round trip on the hot path.
    Ok(Booking {
        id,
        reference,
        show_id: show.id,
        event_id: show.event_id,
        status: plan.status,
        customer_name: command.buyer.name.as_str().to_owned(),
        phone: command.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        email: command.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        quantity: plan.quantity,
        total_amount: plan.total_amount,
        currency: plan.currency,
        items: items_of(plan.items, &class_names),
        created_at: now,
        updated_at: now,
        cancelled_at: None,
        user_id: command.user_id,
        guest_token_hash: command.guest_token_hash,
        expires_at,
        payments: vec![],
    })
}

fn items_of(items: Vec<PlannedItem>, class_names: &ClassNames) -> Vec<BookingItem> {
    items
        .into_iter()
        .map(|i| BookingItem {
            seat_class: i.class_id.and_then(|c| class_names.get(&c).cloned()),
            seat_id: i.seat_id,
            label: i.label,
            quantity: i.quantity,
            price: i.price,
            tier: i.tier,
        })
        .collect()
}

/// `PUT /bookings/{id}/seats` in one transaction (lock order: new seats, the booking, past-due
/// holds of others).
fn change_seats_tx(
    conn: &mut PgConnection,
    id: Uuid,
    places: &Places,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Booking, TxError> {
    let show_id: Option<i64> = bookings::table
        .find(id)
        .select(bookings::show_id)
        .first(conn)
        .optional()?;
    let show = load_show(
        conn,
        show_id.ok_or_else(|| DomainError::not_found("booking", id))?,
    )?;
    let ids = seat_ids_of(conn, &show, places)?;
    let mut seat_snaps = lock_seats(conn, &ids)?;
    let booking = lock_booking(conn, id)?;
    if booking.status_at(now) != BookingStatus::Held {
        return Err(not_held(&booking, now));
    }
    let initiated: i64 = payments::table
        .filter(payments::booking_id.eq(id))
        .filter(payments::status.eq(PaymentStatus::Initiated.as_str()))
        .select(count_star())
        .first(conn)?;
    if initiated > 0 {
        return Err(DomainError::Conflict {
            code: boxoffice_domain::ConflictCode::PaymentPending,
            message: format!(
                "booking {id} has a payment in progress: its seats cannot change until it fails"
            ),
        }
        .into());
    }
    let old: Vec<(Option<i64>, Option<i64>, Option<String>)> = booking_items::table
        .filter(booking_items::booking_id.eq(id))
        .filter(booking_items::active.eq(true))
        .order(booking_items::id)
        .select((
            booking_items::seat_id,
            booking_items::seat_class_id,
            booking_items::label,
        ))
        .load(conn)?;
    let own: Vec<(i64, i64)> = old
        .iter()
        .filter_map(|(s, c, _)| Some(((*s)?, (*c)?)))
        .collect();
    let classes = class_snapshots(conn, &show, &seat_snaps, now)?;
    let mut deltas = SalesDeltas::default();
    let taken = taken_seats(conn, &ids, Some(id), now, &mut deltas)?;
    for s in &mut seat_snaps {
        s.taken = taken.contains(&s.id);
    }
    let plan = plan_seat_change(&snapshot(&show), &ids, &seat_snaps, &classes, &own, now)?;
    diesel::delete(booking_items::table.filter(booking_items::booking_id.eq(id))).execute(conn)?;
    deltas.add(own.iter().map(|(s, c)| (*c, *s)), -1);
    deltas.add(
        plan.items
            .iter()
            .filter_map(|i| Some((i.class_id?, i.seat_id?))),
        1,
    );
    diesel::insert_into(booking_items::table)
        .values(
            plan.items
                .iter()
                .map(|i| {
                    (
                        booking_items::booking_id.eq(id),
                        booking_items::show_id.eq(show.id),
                        booking_items::seat_id.eq(i.seat_id),
                        booking_items::seat_class_id.eq(i.class_id),
                        booking_items::label.eq(i.label.clone()),
                        booking_items::quantity.eq(i.quantity as i32),
                        booking_items::price.eq(i.price),
                        booking_items::tier.eq(i.tier.map(|t| t.as_str())),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .execute(conn)?;
    deltas.apply(conn)?;
    diesel::update(bookings::table.find(id))
        .set((
            bookings::quantity.eq(plan.quantity as i32),
            bookings::total_amount.eq(plan.total_amount),
            bookings::updated_at.eq(now),
        ))
        .execute(conn)?;
    let labels = |v: Vec<String>| v.join(", ");
    let reason = format!(
        "seats changed from {} to {}; total {} -> {}",
        labels(old.into_iter().filter_map(|(_, _, l)| l).collect()),
        labels(plan.items.iter().filter_map(|i| i.label.clone()).collect()),
        booking.total_amount,
        plan.total_amount
    );
    record(
        conn,
        id,
        HistoryEntity::Booking,
        &id.to_string(),
        Some(BookingStatus::Held.as_str()),
        BookingStatus::Held.as_str(),
        actor,
        Some(&reason),
        now,
    )?;
    if plan.status == BookingStatus::Confirmed {
        // Nothing left to pay: a free booking is confirmed at once, as when it is made.
        let held = Locked {
            status: BookingStatus::Held,
            ..booking
        };
        set_status(
            conn,
            &held,
            BookingStatus::Confirmed,
            actor,
            Some("nothing to pay after the seat change"),
            now,
            now,
        )?;
    }
    load_booking(conn, id)
}

/// The seats of a booking's items (active or not), locked in id order.
pub(crate) fn seats_of_booking(
    conn: &mut PgConnection,
    booking_id: Uuid,
) -> Result<Vec<i64>, TxError> {
    let found: Vec<Option<i64>> = booking_items::table
        .filter(booking_items::booking_id.eq(booking_id))
        .select(booking_items::seat_id)
        .load(conn)?;
    let mut ids: Vec<i64> = found.into_iter().flatten().collect();
    ids.sort_unstable();
    lock_seats(conn, &ids)?;
    Ok(ids)
}

/// Takes an expired booking's places back (a late payment): seated, when none of its seats
/// (`seat_ids`, locked by the caller) is in another active booking (past-due holds are written
/// down on the way); general admission, when the guarded update can take its quantity. Its
/// items become active again (+1 counter deltas). `false`, changing nothing of the booking,
/// when the places are gone.
pub(crate) fn reactivate_and_take(
    conn: &mut PgConnection,
    booking: &Locked,
    seat_ids: &[i64],
    now: DateTime<Utc>,
    deltas: &mut SalesDeltas,
) -> Result<bool, TxError> {
    if seat_ids.is_empty() {
        let show = load_show(conn, booking.show_id)?;
        let quantity = u32::try_from(booking.quantity).unwrap_or(0);
        match take_places(conn, &show, quantity, now) {
            Ok(()) => {}
            Err(TxError::Domain(DomainError::SoldOut { .. })) => return Ok(false),
            Err(e) => return Err(e),
        }
    } else if !taken_seats(conn, seat_ids, Some(booking.id), now, deltas)?.is_empty() {
        return Ok(false);
    }
    let back: Vec<(Option<i64>, Option<i64>)> =
        diesel::update(booking_items::table.filter(booking_items::booking_id.eq(booking.id)))
            .set(booking_items::active.eq(true))
            .returning((booking_items::seat_class_id, booking_items::seat_id))
            .get_results(conn)?;
    deltas.add(back.into_iter().filter_map(|(c, s)| Some((c?, s?))), 1);
    Ok(true)
}

/// `Conflict { code: "booking_not_held" }` for `booking` as it stands at `now`.
pub(crate) fn not_held(booking: &Locked, now: DateTime<Utc>) -> TxError {
    DomainError::Conflict {
        code: boxoffice_domain::ConflictCode::BookingNotHeld,
        message: format!(
            "booking {} is {}: only a held booking whose hold still runs can be paid or changed",
            booking.id,
            booking.status_at(now)
        ),
    }
    .into()
}

/// The show's start, for the refund policy.
fn show_starts_at(conn: &mut PgConnection, show_id: i64) -> Result<DateTime<Utc>, TxError> {
    Ok(shows::table
        .find(show_id)
        .select(shows::starts_at)
        .first(conn)?)
}

fn cancel_tx(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    actor: &str,
    reason: &str,
    policy: &RefundPolicy,
) -> Result<Cancelled, TxError> {
    let booking = lock_booking(conn, id)?;
    // A past-due hold is expired, and an expired booking cannot be cancelled.
    booking.status_at(now).apply(BookingAction::Cancel)?;
    set_status(
        conn,
        &booking,
        BookingStatus::Cancelled,
        actor,
        Some(reason),
        now,
        now,
    )?;
    let mut deltas = SalesDeltas::default();
    release_places(conn, &booking, &mut deltas)?;
    deltas.apply(conn)?;
    // A paid booking gets back what the policy says.
    let paid: Option<(Uuid, i64, i64)> = payments::table
        .filter(payments::booking_id.eq(id))
        .filter(payments::status.eq(PaymentStatus::Succeeded.as_str()))
        .select((payments::id, payments::amount, payments::refunded_amount))
        .for_update()
        .first(conn)
        .optional()?;
    let mut refund = None;
    if let Some((payment_id, amount, refunded)) = paid {
        let starts_at = show_starts_at(conn, booking.show_id)?;
        let due = refund_amount(policy, amount, refunded, starts_at, now, None, false)?;
        if due > 0 {
            refund = Some(write_refund(
                conn,
                id,
                payment_id,
                Uuid::new_v4(),
                due,
                &format!("{reason}: refund per the cancellation policy"),
                actor,
                now,
            )?);
        }
    }
    Ok(Cancelled {
        booking: load_booking(conn, id)?,
        refund,
    })
}

/// Writes down up to `limit` past-due holds as expired (one transaction; rows another
/// transaction holds are skipped and left for the next sweep).
fn expire_due_tx(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<u64, TxError> {
    let ids: Vec<Uuid> = bookings::table
        .filter(bookings::status.eq(BookingStatus::Held.as_str()))
        .filter(bookings::expires_at.le(now))
        .order(bookings::expires_at)
        .limit(limit)
        .select(bookings::id)
        .load(conn)?;
    let due = lock_past_due(conn, &ids, now)?;
    let mut deltas = SalesDeltas::default();
    for booking in &due {
        expire_locked(conn, booking, now, &mut deltas)?;
    }
    deltas.apply(conn)?;
    Ok(due.len() as u64)
}

/// Confirmed bookings of shows that ended become `completed`, with their history rows, in one
/// statement.
fn complete_ended_tx(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<u64, TxError> {
    let n = diesel::sql_query(
        "WITH due AS (SELECT b.id FROM bookings b JOIN shows s ON s.id = b.show_id \
           WHERE b.status = 'confirmed' AND s.ends_at <= $1 \
           ORDER BY s.ends_at, b.id LIMIT $2 FOR UPDATE OF b SKIP LOCKED), \
         done AS (UPDATE bookings b SET status = 'completed', updated_at = $1 \
           FROM due WHERE b.id = due.id RETURNING b.id) \
         INSERT INTO booking_history (booking_id, entity, entity_id, from_status, to_status, \
           actor, reason, at) \
         SELECT id, 'booking', id::text, 'confirmed', 'completed', $3, $4, $1 FROM done",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .bind::<Text, _>(HISTORY_ACTOR_SYSTEM)
    .bind::<Text, _>(REASON_SHOW_ENDED)
    .execute(conn)?;
    Ok(n as u64)
}

fn is_reference_clash(e: &TxError) -> bool {
    matches!(e, TxError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
        if info.constraint_name() == Some("bookings_reference_key"))
}

#[async_trait]
impl BookingRepository for PgBookingRepository {
    async fn book(
        &self,
        command: BookingCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError> {
        self.db
            .run(move |conn| {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match conn.transaction::<_, TxError, _>(|c| {
                        let booked = book_tx(c, &command, now)?;
                        crate::within_deadline()?;
                        Ok(booked)
                    }) {
                        Ok(b) => return Ok(b),
                        // 50 random bits: a clash is rare; try again with a new reference.
                        Err(e) if attempt < 3 && is_reference_clash(&e) => continue,
                        Err(e) => return Err(e.into_domain()),
                    }
                }
            })
            .await
    }

    async fn get_booking(&self, id: Uuid) -> Result<Booking, DomainError> {
        self.db
            .run(move |conn| load_booking(conn, id).map_err(TxError::into_domain))
            .await
    }

    async fn find_bookings(
        &self,
        filter: BookingFilter,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        if filter.user_id.is_none() && filter.contact.is_none() {
            return Err(DomainError::Internal(
                "find_bookings needs a user or a contact".into(),
            ));
        }
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = bookings::table.inner_join(shows::table).into_boxed();
                    if let Some(user_id) = filter.user_id {
                        q = q.filter(bookings::user_id.eq(user_id));
                    }
                    match &filter.contact {
                        Some(ContactQuery::Email(e)) => q.filter(
                            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(bookings.email) = ")
                                .bind::<Text, _>(e.as_str().to_owned()),
                        ),
                        Some(ContactQuery::Phone(p)) => {
                            q.filter(bookings::phone.eq(p.as_str().to_owned()))
                        }
                        None => q,
                    }
                };
                let total: i64 = build()
                    .select(count_star())
                    .first(conn)
                    .map_err(map_db_error)?;
                let rows: Vec<(BookingRow, i64)> = build()
                    .order((bookings::created_at.desc(), bookings::id))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select((BookingRow::as_select(), shows::event_id))
                    .load(conn)
                    .map_err(map_db_error)?;
                let items = bookings_from_rows(conn, rows).map_err(TxError::into_domain)?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn cancel_booking(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
        reason: String,
        policy: RefundPolicy,
    ) -> Result<Cancelled, DomainError> {
        self.db
            .transaction(move |conn| cancel_tx(conn, id, now, &actor, &reason, &policy))
            .await
    }

    async fn change_seats(
        &self,
        id: Uuid,
        places: Places,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError> {
        self.db
            .transaction(move |conn| change_seats_tx(conn, id, &places, now, &actor))
            .await
    }

    async fn expire_due(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError> {
        self.db
            .transaction(move |conn| expire_due_tx(conn, now, limit))
            .await
    }

    async fn complete_ended(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError> {
        self.db
            .transaction(move |conn| complete_ended_tx(conn, now, limit))
            .await
    }

    async fn history(&self, booking_id: Uuid) -> Result<Vec<HistoryEntry>, DomainError> {
        self.db
            .run(move |conn| load_history(conn, booking_id).map_err(TxError::into_domain))
            .await
    }

    async fn quote_inputs(
        &self,
        show_id: i64,
        places: Places,
        now: DateTime<Utc>,
    ) -> Result<boxoffice_domain::quote::QuoteInputs, DomainError> {
        self.db
            .transaction(move |conn| crate::quote::quote_inputs_tx(conn, show_id, &places, now))
            .await
    }
}
