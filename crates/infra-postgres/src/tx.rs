//! [`BookingTx`] on PostgreSQL: the storage primitives of one open transaction, for the domain's
//! booking engine (`boxoffice_domain::engine`). Each method is a statement or two; none decides
//! anything. The class sales counters are derived data this adapter keeps: their deltas are
//! collected while the transaction runs and written in ONE ordered pass ([`PgTx::finish`], or
//! inside the booking insert), so two transactions cannot deadlock on them.

use std::collections::HashMap;

use boxoffice_domain::booking::{
    Booking, BookingStatus, ClassSnapshot, PlannedItem, SeatSnapshot, ShowSnapshot,
};
use boxoffice_domain::catalog::{Show, ShowKind};
use boxoffice_domain::engine::{
    BookingTerms, BookingTx, HistoryRecord, Lock, LockedBooking, LockedPayment, NewBooking,
    NewPaymentRow, NewRefundRow, PaymentChange, RefundChange, SeatHolder, ShowRecord, StatusChange,
    StoredItem, TimeHolder,
};
use boxoffice_domain::marketplace::appointment::AppointmentTime;
use boxoffice_domain::marketplace::catalog::Service;
use boxoffice_domain::outbox::OutboxMessage;
use boxoffice_domain::payment::{Payment, PaymentStatus, Refund};
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::values::SeatLabel;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::booking_reads::load_booking;
use crate::holds::{locked_from, LockedRow, SalesDeltas};
use crate::models::{corrupt, i32_of, u32_of, ShowRow};
use crate::payments::{load_payment, lock_refund_row};
use crate::prepared::{ClassSnapshotQuery, ClassSnapshotRow, WriteBookingsQuery};
use crate::rules::past_due;
use crate::schema::*;
use crate::{map_db_error, TxError};

mod pay;

/// One open transaction as the engine's port.
pub struct PgTx<'c> {
    conn: &'c mut PgConnection,
    deltas: SalesDeltas,
    /// The last insert failed on the unique booking reference (50 random bits: rare; the
    /// caller tries again with new ones).
    pub reference_clash: bool,
    /// The shows whose bookings this transaction locked or wrote: what it signals to the live
    /// streams once it committed (a lock without a change only makes a stream re-read).
    shows: Vec<i64>,
}

fn db(e: DieselError) -> DomainError {
    map_db_error(e)
}

fn tx_err(e: TxError) -> DomainError {
    e.into_domain()
}

pub(crate) fn is_reference_clash(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
        if info.constraint_name() == Some("bookings_reference_key"))
}

impl<'c> PgTx<'c> {
    pub fn new(conn: &'c mut PgConnection) -> Self {
        Self {
            conn,
            deltas: SalesDeltas::default(),
            reference_clash: false,
            shows: Vec::new(),
        }
    }

    fn touch(&mut self, show_id: impl Into<Option<i64>>) {
        if let Some(show_id) = show_id.into() {
            if !self.shows.contains(&show_id) {
                self.shows.push(show_id);
            }
        }
    }

    /// Writes the counter deltas still pending; call once, after the use case, before commit.
    /// Returns the shows to signal once the transaction committed.
    pub fn finish(mut self) -> Result<Vec<i64>, DomainError> {
        let deltas = std::mem::take(&mut self.deltas);
        deltas.apply(self.conn).map_err(tx_err)?;
        Ok(self.shows)
    }
}

pub(crate) fn show_record(row: ShowRow) -> Result<ShowRecord, DomainError> {
    let show = Show::try_from(row)?;
    Ok(ShowRecord {
        event_id: show.event_id,
        snapshot: ShowSnapshot {
            id: show.id,
            kind: show.kind,
            starts_at: show.starts_at,
            currency: show.currency,
            price: show.price,
            free_places: show.free_places,
        },
    })
}

impl BookingTx for PgTx<'_> {
    fn fresh_id(&mut self) -> Uuid {
        Uuid::new_v4()
    }

    fn fresh_reference_bits(&mut self) -> u64 {
        rand::random::<u64>()
    }

    fn show(&mut self, id: i64) -> Result<ShowRecord, DomainError> {
        let row = shows::table
            .find(id)
            .select(ShowRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(db)?
            .ok_or_else(|| DomainError::not_found("show", id))?;
        show_record(row)
    }

    fn seat_ids_by_label(
        &mut self,
        show_id: i64,
        labels: &[SeatLabel],
    ) -> Result<HashMap<String, i64>, DomainError> {
        let labels: Vec<&str> = labels.iter().map(SeatLabel::as_str).collect();
        let found: Vec<(i64, String)> = seats::table
            .filter(seats::show_id.eq(show_id))
            .filter(seats::label.eq_any(labels))
            .select((seats::id, seats::label))
            .load(self.conn)
            .map_err(db)?;
        Ok(found.into_iter().map(|(i, l)| (l, i)).collect())
    }

    fn seats(&mut self, ids: &[i64], lock: Lock) -> Result<Vec<SeatSnapshot>, DomainError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let q = seats::table
            .filter(seats::id.eq_any(ids))
            .order(seats::id)
            .select((
                seats::id,
                seats::show_id,
                seats::seat_class_id,
                seats::label,
                seats::row_label,
                seats::seat_number,
            ));
        // Locked in a fixed (id) order. A seat that an in-flight booking holds is waited
        // for: its booking may still fail, and a 409 must mean "taken" (ADR 0005).
        let rows: Vec<(i64, i64, i64, String, String, i32)> = match lock {
            Lock::ForUpdate => q.for_update().load(self.conn),
            Lock::None => q.load(self.conn),
        }
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(id, show_id, class_id, label, row, number)| SeatSnapshot {
                id,
                show_id,
                class_id,
                label,
                row,
                number: u32_of(number),
                taken: false,
            })
            .collect())
    }

    fn classes(
        &mut self,
        show_id: i64,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<ClassSnapshot>, DomainError> {
        let rows: Vec<ClassSnapshotRow> = ClassSnapshotQuery { ids, show_id, now }
            .load(self.conn)
            .map_err(db)?;
        // The counters are written at the end of the transaction: the changes this transaction
        // made to them so far (released, reactivated, replaced items) are added here.
        let pending = |class_id: i64| self.deltas.of_class(class_id);
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
                    sold_seats: (sold + pending(id)).max(0) as u64,
                },
            )
            .collect())
    }

    fn seat_holders(&mut self, ids: &[i64]) -> Result<Vec<SeatHolder>, DomainError> {
        type Row = (Option<i64>, Uuid, String, Option<DateTime<Utc>>);
        let rows: Vec<Row> = booking_items::table
            .inner_join(bookings::table)
            .filter(booking_items::seat_id.eq_any(ids))
            .filter(booking_items::active.eq(true))
            .select((
                booking_items::seat_id,
                bookings::id,
                bookings::status,
                bookings::expires_at,
            ))
            .load(self.conn)
            .map_err(db)?;
        rows.into_iter()
            .filter_map(|(seat, booking_id, status, expires_at)| {
                let seat_id = seat?;
                Some(
                    BookingStatus::parse(&status)
                        .ok_or_else(|| corrupt("status", &status))
                        .map(|status| SeatHolder {
                            seat_id,
                            booking_id,
                            status,
                            expires_at,
                        }),
                )
            })
            .collect()
    }

    fn lock_booking(&mut self, id: Uuid) -> Result<LockedBooking, DomainError> {
        let row: Option<LockedRow> = bookings::table
            .find(id)
            .select(LockedRow::as_select())
            .for_update()
            .first(self.conn)
            .optional()
            .map_err(db)?;
        let locked = locked_from(row.ok_or_else(|| DomainError::not_found("booking", id))?)?;
        self.touch(locked.show_id);
        Ok(locked)
    }

    fn try_lock_bookings(&mut self, ids: &[Uuid]) -> Result<Vec<LockedBooking>, DomainError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<LockedRow> = bookings::table
            .filter(bookings::id.eq_any(ids))
            .order(bookings::id)
            .select(LockedRow::as_select())
            .for_update()
            .skip_locked()
            .load(self.conn)
            .map_err(db)?;
        let locked: Vec<LockedBooking> = rows
            .into_iter()
            .map(locked_from)
            .collect::<Result<_, _>>()?;
        for b in &locked {
            self.touch(b.show_id);
        }
        Ok(locked)
    }

    fn show_of_booking(&mut self, id: Uuid) -> Result<Option<i64>, DomainError> {
        bookings::table
            .find(id)
            .select(bookings::show_id)
            .first(self.conn)
            .optional()
            .map_err(db)?
            .ok_or_else(|| DomainError::not_found("booking", id))
    }

    fn past_due_holds(
        &mut self,
        show_id: Option<i64>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, DomainError> {
        let mut q = bookings::table.filter(past_due(now)).into_boxed();
        if let Some(show) = show_id {
            q = q.filter(bookings::show_id.eq(show));
        }
        q.order((bookings::expires_at, bookings::id))
            .limit(limit)
            .select(bookings::id)
            .load(self.conn)
            .map_err(db)
    }

    fn past_due_places(&mut self, show_id: i64, now: DateTime<Utc>) -> Result<u32, DomainError> {
        let places: Option<i64> = bookings::table
            .filter(past_due(now))
            .filter(bookings::show_id.eq(show_id))
            .select(diesel::dsl::sum(bookings::quantity))
            .first(self.conn)
            .map_err(db)?;
        Ok(u32::try_from(places.unwrap_or(0)).unwrap_or(u32::MAX))
    }

    fn insert_bookings(&mut self, rows: &[NewBooking]) -> Result<(), DomainError> {
        for b in rows {
            self.touch(b.show_id);
            self.deltas.add(
                b.items
                    .iter()
                    .filter_map(|i| Some((i.class_id?, i.seat_id?))),
                1,
            );
        }
        // The usual case is one statement: counters go up in the bookings' own INSERT. When
        // the transaction expired past-due holds on the way, some go down, which an upsert
        // cannot do: then all counter changes are applied first, in one ordered pass.
        let deltas = std::mem::take(&mut self.deltas);
        let counters: Vec<(i64, i16, i32)> = if deltas.has_decrements() {
            deltas.apply(self.conn).map_err(tx_err)?;
            vec![]
        } else {
            deltas.rows().collect()
        };
        match WriteBookingsQuery::new(rows, &counters).execute(self.conn) {
            Ok(_) => crate::appointments::insert(self.conn, rows).map_err(db),
            Err(e) => {
                self.reference_clash = is_reference_clash(&e);
                Err(db(e))
            }
        }
    }

    fn service(&mut self, id: i64) -> Result<Service, DomainError> {
        crate::marketplace::find_service(self.conn, id).map_err(tx_err)
    }

    fn provider_time(
        &mut self,
        provider_id: Uuid,
        range: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<TimeHolder>, DomainError> {
        crate::appointments::provider_time(self.conn, provider_id, range)
    }

    fn appointment_time(&mut self, booking_id: Uuid) -> Result<AppointmentTime, DomainError> {
        crate::appointments::time_of(self.conn, booking_id)
    }

    fn move_appointment(
        &mut self,
        booking_id: Uuid,
        time: &AppointmentTime,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        crate::appointments::move_to(self.conn, booking_id, time, now).map_err(db)
    }

    fn try_reactivate_appointment(&mut self, booking_id: Uuid) -> Result<bool, DomainError> {
        crate::appointments::try_reactivate(self.conn, booking_id)
    }

    fn terms(&mut self, booking: &LockedBooking) -> Result<BookingTerms, DomainError> {
        crate::appointments::terms(self.conn, booking.id, booking.show_id)
    }

    fn set_status(&mut self, change: &StatusChange) -> Result<(), DomainError> {
        diesel::update(bookings::table.find(change.booking_id))
            .set((
                bookings::status.eq(change.to.as_str()),
                bookings::updated_at.eq(change.now),
                bookings::cancelled_at.eq(change.cancelled_at),
            ))
            .execute(self.conn)
            .map_err(db)?;
        self.record(&HistoryRecord {
            booking_id: change.booking_id,
            entity: boxoffice_domain::payment::HistoryEntity::Booking,
            entity_id: change.booking_id.to_string(),
            from: Some(change.from.as_str().to_owned()),
            to: change.to.as_str().to_owned(),
            actor: change.actor.clone(),
            reason: change.reason.clone(),
            at: change.at,
        })
    }

    fn enqueue(&mut self, messages: &[OutboxMessage]) -> Result<(), DomainError> {
        let rows: Vec<_> = messages
            .iter()
            .map(|m| {
                (
                    outbox::message_id.eq(m.message_id),
                    outbox::topic.eq(m.topic.as_str()),
                    outbox::booking_id.eq(Some(m.booking_id)),
                    outbox::at.eq(m.at),
                    // Due at once.
                    outbox::next_attempt_at.eq(m.at),
                )
            })
            .collect();
        diesel::insert_into(outbox::table)
            .values(&rows)
            .execute(self.conn)
            .map_err(db)?;
        Ok(())
    }

    fn record(&mut self, row: &HistoryRecord) -> Result<(), DomainError> {
        diesel::insert_into(booking_history::table)
            .values((
                booking_history::booking_id.eq(row.booking_id),
                booking_history::entity.eq(row.entity.as_str()),
                booking_history::entity_id.eq(&row.entity_id),
                booking_history::from_status.eq(&row.from),
                booking_history::to_status.eq(&row.to),
                booking_history::actor.eq(Some(&row.actor)),
                booking_history::reason.eq(&row.reason),
                booking_history::at.eq(row.at),
            ))
            .execute(self.conn)
            .map_err(db)?;
        Ok(())
    }

    fn release_places(&mut self, booking: &LockedBooking) -> Result<(), DomainError> {
        let Some(show_id) = booking.show_id else {
            crate::appointments::release(self.conn, booking.id).map_err(db)?;
            return Ok(());
        };
        let freed: Vec<(Option<i64>, Option<i64>)> = diesel::update(
            booking_items::table
                .filter(booking_items::booking_id.eq(booking.id))
                .filter(booking_items::active.eq(true)),
        )
        .set(booking_items::active.eq(false))
        .returning((booking_items::seat_class_id, booking_items::seat_id))
        .get_results(self.conn)
        .map_err(db)?;
        let general_places = freed.iter().any(|(c, s)| c.is_none() && s.is_none());
        self.deltas
            .add(freed.into_iter().filter_map(|(c, s)| Some((c?, s?))), -1);
        if general_places {
            diesel::update(
                shows::table
                    .filter(shows::id.eq(show_id))
                    .filter(shows::kind.eq(ShowKind::General.as_str())),
            )
            .set(shows::free_places.eq(shows::free_places + i32_of(booking.quantity)))
            .execute(self.conn)
            .map_err(db)?;
        }
        Ok(())
    }

    fn reactivate_items(&mut self, booking_id: Uuid) -> Result<(), DomainError> {
        let back: Vec<(Option<i64>, Option<i64>)> =
            diesel::update(booking_items::table.filter(booking_items::booking_id.eq(booking_id)))
                .set(booking_items::active.eq(true))
                .returning((booking_items::seat_class_id, booking_items::seat_id))
                .get_results(self.conn)
                .map_err(db)?;
        self.deltas
            .add(back.into_iter().filter_map(|(c, s)| Some((c?, s?))), 1);
        Ok(())
    }

    fn take_places(&mut self, show_id: i64, quantity: u32) -> Result<bool, DomainError> {
        self.touch(show_id);
        let n = i32_of(quantity);
        let done = diesel::update(
            shows::table
                .filter(shows::id.eq(show_id))
                .filter(shows::free_places.ge(n)),
        )
        .set(shows::free_places.eq(shows::free_places - n))
        .execute(self.conn)
        .map_err(db)?;
        Ok(done == 1)
    }

    fn active_items(&mut self, booking_id: Uuid) -> Result<Vec<StoredItem>, DomainError> {
        let rows: Vec<(Option<i64>, Option<i64>, Option<String>)> = booking_items::table
            .filter(booking_items::booking_id.eq(booking_id))
            .filter(booking_items::active.eq(true))
            .order(booking_items::id)
            .select((
                booking_items::seat_id,
                booking_items::seat_class_id,
                booking_items::label,
            ))
            .load(self.conn)
            .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(seat_id, class_id, label)| StoredItem {
                seat_id,
                class_id,
                label,
            })
            .collect())
    }

    fn item_seats(&mut self, booking_id: Uuid) -> Result<Vec<i64>, DomainError> {
        let found: Vec<Option<i64>> = booking_items::table
            .filter(booking_items::booking_id.eq(booking_id))
            .select(booking_items::seat_id)
            .load(self.conn)
            .map_err(db)?;
        let mut ids: Vec<i64> = found.into_iter().flatten().collect();
        ids.sort_unstable();
        Ok(ids)
    }

    fn replace_items(
        &mut self,
        booking: &LockedBooking,
        items: &[PlannedItem],
        quantity: u32,
        total_amount: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let old: Vec<(Option<i64>, Option<i64>, bool)> =
            diesel::delete(booking_items::table.filter(booking_items::booking_id.eq(booking.id)))
                .returning((
                    booking_items::seat_class_id,
                    booking_items::seat_id,
                    booking_items::active,
                ))
                .get_results(self.conn)
                .map_err(db)?;
        self.deltas.add(
            old.into_iter()
                .filter(|(_, _, active)| *active)
                .filter_map(|(c, s, _)| Some((c?, s?))),
            -1,
        );
        self.deltas.add(
            items.iter().filter_map(|i| Some((i.class_id?, i.seat_id?))),
            1,
        );
        let show_id = booking
            .show_id
            .ok_or_else(|| DomainError::internal("replacing the items of an appointment"))?;
        diesel::insert_into(booking_items::table)
            .values(
                items
                    .iter()
                    .map(|i| {
                        (
                            booking_items::booking_id.eq(booking.id),
                            booking_items::show_id.eq(show_id),
                            booking_items::seat_id.eq(i.seat_id),
                            booking_items::seat_class_id.eq(i.class_id),
                            booking_items::label.eq(i.label.clone()),
                            booking_items::quantity.eq(i32_of(i.quantity)),
                            booking_items::price.eq(i.price),
                            booking_items::tier.eq(i.tier.map(|t| t.as_str())),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .execute(self.conn)
            .map_err(db)?;
        diesel::update(bookings::table.find(booking.id))
            .set((
                bookings::quantity.eq(i32_of(quantity)),
                bookings::total_amount.eq(total_amount),
                bookings::updated_at.eq(now),
            ))
            .execute(self.conn)
            .map_err(db)?;
        Ok(())
    }

    fn load_booking(&mut self, id: Uuid) -> Result<Booking, DomainError> {
        load_booking(self.conn, id).map_err(tx_err)
    }

    fn booking_of_payment(&mut self, payment_id: Uuid) -> Result<Uuid, DomainError> {
        pay::booking_of_payment(self.conn, payment_id)
    }

    fn lock_payment(&mut self, id: Uuid) -> Result<LockedPayment, DomainError> {
        pay::lock_payment(self.conn, id)
    }

    fn lock_payment_of_booking(
        &mut self,
        booking_id: Uuid,
        status: PaymentStatus,
    ) -> Result<Option<LockedPayment>, DomainError> {
        pay::lock_payment_of_booking(self.conn, booking_id, status)
    }

    fn insert_payment(&mut self, p: &NewPaymentRow) -> Result<(), DomainError> {
        pay::insert_payment(self.conn, p)
    }

    fn update_payment(&mut self, c: &PaymentChange) -> Result<(), DomainError> {
        pay::update_payment(self.conn, c)
    }

    fn load_payment(&mut self, id: Uuid) -> Result<Payment, DomainError> {
        load_payment(self.conn, id).map_err(tx_err)
    }

    fn insert_refund(&mut self, r: &NewRefundRow) -> Result<(), DomainError> {
        pay::insert_refund(self.conn, r)
    }

    fn lock_refund(&mut self, id: Uuid) -> Result<Refund, DomainError> {
        lock_refund_row(self.conn, id).map_err(tx_err)
    }

    fn update_refund(&mut self, c: &RefundChange) -> Result<(), DomainError> {
        pay::update_refund(self.conn, c)
    }
}
