//! [`BookingTx`] for the [`Fake`]: each method does what the port's documentation says, on the
//! fake's tables, and nothing else.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{payment_not_succeeded, payment_pending, refund_exceeds_payment, Fake, ItemRow};
use crate::booking::{
    hold_past_due, Booking, BookingItem, ClassSnapshot, PlannedItem, SeatSnapshot,
};
use crate::codes::ConflictCode;
use crate::engine::{
    BookingTerms, BookingTx, HistoryRecord, Lock, LockedBooking, LockedPayment, NewBooking,
    NewPaymentRow, NewRefundRow, PaymentChange, RefundChange, SeatHolder, ShowRecord, StatusChange,
    StoredItem, TimeHolder,
};
use crate::error::DomainError;
use crate::marketplace::appointment::{refund_policy_of, Appointment, AppointmentTime};
use crate::marketplace::catalog::Service;
use crate::marketplace::slots::{ranges_overlap, BookedTime};
use crate::outbox::OutboxMessage;
use crate::payment::{HistoryEntity, Payment, PaymentMethod, PaymentStatus, Refund};
use crate::values::SeatLabel;

impl BookingTx for Fake {
    fn service(&mut self, id: i64) -> Result<Service, DomainError> {
        self.calls.push("service");
        self.services
            .get(&id)
            .cloned()
            .ok_or_else(|| DomainError::not_found("service", id))
    }

    fn provider_time(
        &mut self,
        provider_id: Uuid,
        range: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<TimeHolder>, DomainError> {
        self.calls.push("provider_time");
        Ok(self
            .appointments
            .iter()
            .filter(|(_, a)| {
                a.active
                    && a.time.provider_id == provider_id
                    && ranges_overlap(a.time.occupied, range)
            })
            .map(|(id, a)| {
                let b = &self.bookings[id];
                TimeHolder {
                    booking_id: *id,
                    status: b.status,
                    expires_at: b.expires_at,
                    time: BookedTime {
                        service_id: a.time.service_id,
                        starts_at: a.time.starts_at,
                        ends_at: a.time.ends_at,
                        buffer_before_minutes: a.time.buffer_before_minutes,
                        buffer_after_minutes: a.time.buffer_after_minutes,
                        places: a.time.places,
                    },
                }
            })
            .collect())
    }

    fn appointment_time(&mut self, booking_id: Uuid) -> Result<AppointmentTime, DomainError> {
        self.calls.push("appointment_time");
        self.appointments
            .get(&booking_id)
            .map(|a| a.time.clone())
            .ok_or_else(|| DomainError::not_found("appointment", booking_id))
    }

    fn move_appointment(
        &mut self,
        booking_id: Uuid,
        time: &AppointmentTime,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.calls.push("move_appointment");
        self.check_time(booking_id, time)?;
        let row = self
            .appointments
            .get_mut(&booking_id)
            .ok_or_else(|| DomainError::not_found("appointment", booking_id))?;
        row.time = time.clone();
        let b = self.booking_row(booking_id)?;
        b.updated_at = now;
        if let Some(a) = &mut b.appointment {
            a.starts_at = time.starts_at;
            a.ends_at = time.ends_at;
        }
        Ok(())
    }

    fn try_reactivate_appointment(&mut self, booking_id: Uuid) -> Result<bool, DomainError> {
        self.calls.push("try_reactivate_appointment");
        let time = self.appointment_time(booking_id)?;
        if self.check_time(booking_id, &time).is_err() {
            return Ok(false);
        }
        if let Some(row) = self.appointments.get_mut(&booking_id) {
            row.active = true;
        }
        Ok(true)
    }

    fn terms(&mut self, booking: &LockedBooking) -> Result<BookingTerms, DomainError> {
        self.calls.push("terms");
        match booking.show_id {
            Some(show) => Ok(BookingTerms {
                starts_at: self.show(show)?.snapshot.starts_at,
                refund_policy: None,
                requires_acceptance: false,
            }),
            None => {
                let time = self.appointment_time(booking.id)?;
                let service = self.service(time.service_id)?;
                Ok(BookingTerms {
                    starts_at: time.starts_at,
                    refund_policy: Some(refund_policy_of(&service)),
                    requires_acceptance: service.fields.requires_acceptance,
                })
            }
        }
    }

    fn fresh_id(&mut self) -> Uuid {
        self.calls.push("fresh_id");
        self.next_id += 1;
        Uuid::from_u128(0xF000_0000_0000_0000_0000_0000_0000_0000 | self.next_id)
    }

    fn fresh_reference_bits(&mut self) -> u64 {
        self.calls.push("fresh_reference_bits");
        self.next_bits += 1;
        self.next_bits
    }

    fn show(&mut self, id: i64) -> Result<ShowRecord, DomainError> {
        self.calls.push("show");
        self.shows
            .get(&id)
            .map(|s| s.record.clone())
            .ok_or_else(|| DomainError::not_found("show", id))
    }

    fn seat_ids_by_label(
        &mut self,
        show_id: i64,
        labels: &[SeatLabel],
    ) -> Result<HashMap<String, i64>, DomainError> {
        self.calls.push("seat_ids_by_label");
        Ok(self
            .seats
            .values()
            .filter(|s| s.show_id == show_id && labels.iter().any(|l| l.as_str() == s.label))
            .map(|s| (s.label.clone(), s.id))
            .collect())
    }

    fn seats(&mut self, ids: &[i64], lock: Lock) -> Result<Vec<SeatSnapshot>, DomainError> {
        self.calls.push(match lock {
            Lock::ForUpdate => "seats(lock)",
            Lock::None => "seats",
        });
        // BTreeMap iteration: id order.
        Ok(self
            .seats
            .values()
            .filter(|s| ids.contains(&s.id))
            .cloned()
            .collect())
    }

    fn classes(
        &mut self,
        show_id: i64,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<ClassSnapshot>, DomainError> {
        self.calls.push("classes");
        let occupying = |i: &ItemRow| {
            let b = &self.bookings[&i.booking_id];
            i.active && !hold_past_due(b.status, b.expires_at, now)
        };
        Ok(self
            .classes
            .iter()
            .filter(|(id, c)| ids.contains(id) && c.show_id == show_id)
            .map(|(id, c)| ClassSnapshot {
                id: *id,
                name: c.name.clone(),
                prices: c.prices,
                total_seats: self.seats.values().filter(|s| s.class_id == *id).count() as u64,
                sold_seats: self
                    .items
                    .iter()
                    .filter(|i| i.item.class_id == Some(*id) && occupying(i))
                    .count() as u64,
            })
            .collect())
    }

    fn seat_holders(&mut self, ids: &[i64]) -> Result<Vec<SeatHolder>, DomainError> {
        self.calls.push("seat_holders");
        Ok(self
            .items
            .iter()
            .filter(|i| i.active)
            .filter_map(|i| {
                let seat_id = i.item.seat_id.filter(|s| ids.contains(s))?;
                let b = &self.bookings[&i.booking_id];
                Some(SeatHolder {
                    seat_id,
                    booking_id: b.id,
                    status: b.status,
                    expires_at: b.expires_at,
                })
            })
            .collect())
    }

    fn lock_booking(&mut self, id: Uuid) -> Result<LockedBooking, DomainError> {
        self.calls.push("lock_booking");
        let b = self
            .bookings
            .get(&id)
            .ok_or_else(|| DomainError::not_found("booking", id))?;
        if self.locked.contains(&id) {
            // PostgreSQL waits, then gives up at the lock timeout.
            return Err(DomainError::Unavailable(format!(
                "lock timeout: booking {id} is held by another transaction"
            )));
        }
        Ok(self.locked_booking(b))
    }

    fn try_lock_bookings(&mut self, ids: &[Uuid]) -> Result<Vec<LockedBooking>, DomainError> {
        self.calls.push("try_lock_bookings");
        Ok(self
            .bookings
            .values()
            .filter(|b| ids.contains(&b.id) && !self.locked.contains(&b.id))
            .map(|b| self.locked_booking(b))
            .collect())
    }

    fn show_of_booking(&mut self, id: Uuid) -> Result<Option<i64>, DomainError> {
        self.calls.push("show_of_booking");
        Ok(self.booking_row(id)?.show_id)
    }

    fn past_due_holds(
        &mut self,
        show_id: Option<i64>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, DomainError> {
        self.calls.push("past_due_holds");
        let mut due: Vec<&Booking> = self
            .bookings
            .values()
            .filter(|b| hold_past_due(b.status, b.expires_at, now))
            .filter(|b| show_id.is_none_or(|s| b.show_id == Some(s)))
            .collect();
        due.sort_by_key(|b| (b.expires_at, b.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|b| b.id)
            .collect())
    }

    fn past_due_places(&mut self, show_id: i64, now: DateTime<Utc>) -> Result<u32, DomainError> {
        self.calls.push("past_due_places");
        Ok(self
            .bookings
            .values()
            .filter(|b| b.show_id == Some(show_id) && hold_past_due(b.status, b.expires_at, now))
            .map(|b| b.quantity)
            .sum())
    }

    fn insert_bookings(&mut self, bookings: &[NewBooking]) -> Result<(), DomainError> {
        self.calls.push("insert_bookings");
        for n in bookings {
            if self.bookings.contains_key(&n.id)
                || self.bookings.values().any(|b| b.reference == n.reference)
            {
                return Err(DomainError::Conflict {
                    code: ConflictCode::Duplicate,
                    message: "already exists (bookings_reference_key)".into(),
                });
            }
            let appointment = match &n.appointment {
                Some(a) => {
                    self.check_time(n.id, &a.time)?;
                    let service = self.services.get(&a.time.service_id).ok_or_else(|| {
                        DomainError::invalid(
                            "appointments_service_id_fkey",
                            "refers to something that does not exist",
                        )
                    })?;
                    self.appointments.insert(
                        n.id,
                        super::AppointmentRow {
                            time: a.time.clone(),
                            active: true,
                        },
                    );
                    Some(Appointment {
                        service_id: a.time.service_id,
                        service_title: service.fields.title.clone(),
                        provider_id: a.time.provider_id,
                        starts_at: a.time.starts_at,
                        ends_at: a.time.ends_at,
                        time_zone: service.fields.availability.time_zone,
                        places: a.time.places,
                        notes: a.notes.clone(),
                    })
                }
                None => None,
            };
            let row = Booking {
                id: n.id,
                reference: n.reference.clone(),
                show_id: n.show_id,
                event_id: n.show_id.map(|s| self.shows[&s].record.event_id),
                appointment,
                status: n.status,
                customer_name: n.customer_name.clone(),
                phone: n.phone.clone(),
                email: n.email.clone(),
                quantity: n.quantity,
                total_amount: n.total_amount,
                currency: n.currency,
                items: vec![],
                created_at: n.created_at,
                updated_at: n.created_at,
                cancelled_at: None,
                user_id: n.user_id,
                guest_token_hash: n.guest_token_hash,
                expires_at: n.expires_at,
                payments: vec![],
            };
            Self::check_booking(&row)?;
            self.bookings.insert(n.id, row);
            self.items.extend(n.items.iter().map(|i| ItemRow {
                booking_id: n.id,
                item: i.clone(),
                active: true,
            }));
            self.history.push(HistoryRecord {
                booking_id: n.id,
                entity: HistoryEntity::Booking,
                entity_id: n.id.to_string(),
                from: None,
                to: n.status.as_str().to_owned(),
                actor: n.actor.clone(),
                reason: None,
                at: n.created_at,
            });
            self.outbox.push(n.notice.clone());
        }
        self.check_active_seats()
    }

    fn enqueue(&mut self, messages: &[OutboxMessage]) -> Result<(), DomainError> {
        self.calls.push("enqueue");
        self.outbox.extend_from_slice(messages);
        Ok(())
    }

    fn set_status(&mut self, change: &StatusChange) -> Result<(), DomainError> {
        self.calls.push("set_status");
        let b = self.booking_row(change.booking_id)?;
        b.status = change.to;
        b.updated_at = change.now;
        b.cancelled_at = change.cancelled_at;
        self.history.push(HistoryRecord {
            booking_id: change.booking_id,
            entity: HistoryEntity::Booking,
            entity_id: change.booking_id.to_string(),
            from: Some(change.from.as_str().to_owned()),
            to: change.to.as_str().to_owned(),
            actor: change.actor.clone(),
            reason: change.reason.clone(),
            at: change.at,
        });
        Ok(())
    }

    fn record(&mut self, row: &HistoryRecord) -> Result<(), DomainError> {
        self.calls.push("record");
        self.history.push(row.clone());
        Ok(())
    }

    fn release_places(&mut self, booking: &LockedBooking) -> Result<(), DomainError> {
        self.calls.push("release_places");
        let mut general_places = false;
        for i in self
            .items
            .iter_mut()
            .filter(|i| i.booking_id == booking.id && i.active)
        {
            i.active = false;
            general_places |= i.item.seat_id.is_none();
        }
        if let Some(row) = self.appointments.get_mut(&booking.id) {
            row.active = false;
        }
        if let (true, Some(show_id)) = (general_places, booking.show_id) {
            let show = self
                .shows
                .get_mut(&show_id)
                .ok_or_else(|| DomainError::not_found("show", show_id))?;
            if let Some(free) = &mut show.record.snapshot.free_places {
                *free += booking.quantity;
                if show.capacity.is_some_and(|c| *free > c) {
                    return Err(DomainError::invalid(
                        "ck_shows_free_places",
                        "value breaks a rule of the data",
                    ));
                }
            }
        }
        Ok(())
    }

    fn reactivate_items(&mut self, booking_id: Uuid) -> Result<(), DomainError> {
        self.calls.push("reactivate_items");
        for i in self.items.iter_mut().filter(|i| i.booking_id == booking_id) {
            i.active = true;
        }
        self.check_active_seats()
    }

    fn take_places(&mut self, show_id: i64, quantity: u32) -> Result<bool, DomainError> {
        self.calls.push("take_places");
        if let Some((show, n)) = self.race_take.take() {
            let free = self
                .shows
                .get_mut(&show)
                .and_then(|s| s.record.snapshot.free_places.as_mut());
            if let Some(free) = free {
                *free -= n;
            }
        }
        let free = self
            .shows
            .get_mut(&show_id)
            .and_then(|s| s.record.snapshot.free_places.as_mut());
        Ok(match free {
            Some(free) if *free >= quantity => {
                *free -= quantity;
                true
            }
            _ => false,
        })
    }

    fn active_items(&mut self, booking_id: Uuid) -> Result<Vec<StoredItem>, DomainError> {
        self.calls.push("active_items");
        Ok(self
            .items
            .iter()
            .filter(|i| i.booking_id == booking_id && i.active)
            .map(|i| StoredItem {
                seat_id: i.item.seat_id,
                class_id: i.item.class_id,
                label: i.item.label.clone(),
            })
            .collect())
    }

    fn item_seats(&mut self, booking_id: Uuid) -> Result<Vec<i64>, DomainError> {
        self.calls.push("item_seats");
        let mut ids: Vec<i64> = self
            .items
            .iter()
            .filter(|i| i.booking_id == booking_id)
            .filter_map(|i| i.item.seat_id)
            .collect();
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
        self.calls.push("replace_items");
        self.items.retain(|i| i.booking_id != booking.id);
        self.items.extend(items.iter().map(|i| ItemRow {
            booking_id: booking.id,
            item: i.clone(),
            active: true,
        }));
        let b = self.booking_row(booking.id)?;
        b.quantity = quantity;
        b.total_amount = total_amount;
        b.updated_at = now;
        let row = b.clone();
        Self::check_booking(&row)?;
        self.check_active_seats()
    }

    fn load_booking(&mut self, id: Uuid) -> Result<Booking, DomainError> {
        self.calls.push("load_booking");
        let mut b = self
            .bookings
            .get(&id)
            .cloned()
            .ok_or_else(|| DomainError::not_found("booking", id))?;
        b.items = self
            .items_of(id)
            .into_iter()
            .map(|i| BookingItem {
                seat_id: i.item.seat_id,
                label: i.item.label.clone(),
                seat_class: i
                    .item
                    .class_id
                    .and_then(|c| self.classes.get(&c))
                    .map(|c| c.name.clone()),
                quantity: i.item.quantity,
                price: i.item.price,
                tier: i.item.tier,
            })
            .collect();
        let ids: Vec<Uuid> = self
            .payments
            .iter()
            .filter(|p| p.booking_id == id)
            .map(|p| p.id)
            .collect();
        for pid in ids {
            let p = self.load_payment(pid)?;
            b.payments.push(p);
        }
        Ok(b)
    }

    fn booking_of_payment(&mut self, payment_id: Uuid) -> Result<Uuid, DomainError> {
        self.calls.push("booking_of_payment");
        Ok(self.payment_row(payment_id)?.booking_id)
    }

    fn lock_payment(&mut self, id: Uuid) -> Result<LockedPayment, DomainError> {
        self.calls.push("lock_payment");
        let p = self.payment_row(id)?.clone();
        Ok(self.locked_payment(&p))
    }

    fn lock_payment_of_booking(
        &mut self,
        booking_id: Uuid,
        status: PaymentStatus,
    ) -> Result<Option<LockedPayment>, DomainError> {
        self.calls.push("lock_payment_of_booking");
        Ok(self
            .payments
            .iter()
            .find(|p| p.booking_id == booking_id && p.status == status)
            .map(|p| self.locked_payment(p)))
    }

    fn insert_payment(&mut self, p: &NewPaymentRow) -> Result<(), DomainError> {
        self.calls.push("insert_payment");
        if !self.bookings.contains_key(&p.booking_id) {
            return Err(DomainError::invalid(
                "payments_booking_id_fkey",
                "refers to something that does not exist",
            ));
        }
        if self
            .payments
            .iter()
            .any(|q| q.booking_id == p.booking_id && q.status != PaymentStatus::Failed)
        {
            return Err(payment_pending());
        }
        self.payments.push(Payment {
            id: p.id,
            booking_id: p.booking_id,
            amount: p.amount,
            currency: p.currency,
            status: PaymentStatus::Initiated,
            method: PaymentMethod::parse(&p.method)?,
            gateway_ref: None,
            failure_code: None,
            outcome: None,
            refunds: vec![],
            created_at: p.now,
            updated_at: p.now,
        });
        Ok(())
    }

    fn update_payment(&mut self, c: &PaymentChange) -> Result<(), DomainError> {
        self.calls.push("update_payment");
        let p = self.payment_row(c.id)?;
        p.status = c.status;
        p.gateway_ref = Some(c.gateway_ref.clone());
        p.failure_code = c.failure_code.clone();
        p.outcome = c.outcome;
        p.updated_at = c.now;
        Ok(())
    }

    fn load_payment(&mut self, id: Uuid) -> Result<Payment, DomainError> {
        self.calls.push("load_payment");
        let mut p = self.payment_row(id)?.clone();
        p.refunds = self
            .refunds
            .iter()
            .filter(|r| r.payment_id == id)
            .cloned()
            .collect();
        Ok(p)
    }

    fn insert_refund(&mut self, r: &NewRefundRow) -> Result<(), DomainError> {
        self.calls.push("insert_refund");
        let p = self.payment_row(r.payment_id)?.clone();
        if p.status != PaymentStatus::Succeeded {
            return Err(payment_not_succeeded());
        }
        let adds = if r.status.counts_against_payment() {
            r.amount
        } else {
            0
        };
        if self.refunded(p.id) + adds > p.amount {
            return Err(refund_exceeds_payment());
        }
        self.refunds.push(Refund {
            id: r.id,
            payment_id: r.payment_id,
            amount: r.amount,
            status: r.status,
            reason: r.reason.clone(),
            gateway_ref: None,
            failure_code: None,
            created_at: r.now,
            updated_at: r.now,
        });
        Ok(())
    }

    fn lock_refund(&mut self, id: Uuid) -> Result<Refund, DomainError> {
        self.calls.push("lock_refund");
        self.refunds
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or_else(|| DomainError::not_found("refund", id))
    }

    fn update_refund(&mut self, c: &RefundChange) -> Result<(), DomainError> {
        self.calls.push("update_refund");
        let r = self
            .refunds
            .iter_mut()
            .find(|r| r.id == c.id)
            .ok_or_else(|| DomainError::not_found("refund", c.id))?;
        r.status = c.status;
        r.gateway_ref = c.gateway_ref.clone();
        r.failure_code = c.failure_code.clone();
        r.updated_at = c.now;
        Ok(())
    }
}
