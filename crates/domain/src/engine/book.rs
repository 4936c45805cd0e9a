//! Booking: one request, or a batch of concurrent requests for one show in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::expire::{expire_past_due_of_show, taken_seats};
use super::{classes_of, BookingTx, Lock, NewBooking, ShowRecord};
use crate::booking::{
    plan_general, plan_seated, reference_from, Booking, BookingCommand, BookingItem, BookingPlan,
    ClassSnapshot, Places, PlannedItem,
};
use crate::catalog::ShowKind;
use crate::error::DomainError;
use crate::outbox::Topic;

/// Most general-admission holds one booking transaction writes down as expired on the way.
pub const EXPIRE_ON_THE_WAY: i64 = 1000;

/// What a request asks of the show, once its labels are resolved.
enum Want {
    Seats(Vec<i64>),
    Places(u32),
}

fn seats_on_general_admission(show_id: i64) -> DomainError {
    DomainError::invalid(
        "seat_ids",
        format!("show {show_id} is general admission: book a quantity, not seats"),
    )
}

/// The seat ids of `places` in `show` (labels resolved with `by_label`); general admission
/// refuses seats, labels unknown in the show are a validation error.
fn wanted(
    show: &ShowRecord,
    places: &Places,
    by_label: &HashMap<String, i64>,
) -> Result<Want, DomainError> {
    match places {
        Places::Quantity(q) => Ok(Want::Places(*q)),
        _ if show.snapshot.kind != ShowKind::Seated => {
            Err(seats_on_general_admission(show.snapshot.id))
        }
        Places::SeatIds(ids) => Ok(Want::Seats(ids.clone())),
        Places::SeatLabels(labels) => {
            let unknown: Vec<&str> = labels
                .iter()
                .map(|l| l.as_str())
                .filter(|l| !by_label.contains_key(*l))
                .collect();
            if !unknown.is_empty() {
                return Err(DomainError::invalid(
                    "seat_labels",
                    format!(
                        "unknown seats in show {}: {}",
                        show.snapshot.id,
                        unknown.join(", ")
                    ),
                ));
            }
            Ok(Want::Seats(
                labels.iter().map(|l| by_label[l.as_str()]).collect(),
            ))
        }
    }
}

/// Resolves `places` of one request (a seat change or a quote) to seat ids: seats only, of a
/// seated show.
pub(crate) fn seat_ids_of(
    tx: &mut dyn BookingTx,
    show: &ShowRecord,
    places: &Places,
) -> Result<Vec<i64>, DomainError> {
    if matches!(places, Places::Quantity(_)) {
        return Err(DomainError::invalid(
            "seat_ids",
            "give seats (seat_ids or seat_labels)",
        ));
    }
    let by_label = match places {
        Places::SeatLabels(labels) if show.snapshot.kind == ShowKind::Seated => {
            tx.seat_ids_by_label(show.snapshot.id, labels)?
        }
        _ => HashMap::new(),
    };
    match wanted(show, places, &by_label)? {
        Want::Seats(ids) => Ok(ids),
        Want::Places(_) => Err(DomainError::internal("unreachable: quantity")),
    }
}

/// Books one request in the open transaction: [`book_batch`] of one.
pub fn book(
    tx: &mut dyn BookingTx,
    command: &BookingCommand,
    now: DateTime<Utc>,
) -> Result<Booking, DomainError> {
    book_batch(tx, command.show_id, std::slice::from_ref(command), now)?
        .pop()
        .unwrap_or_else(|| Err(DomainError::internal("empty batch answer")))
}

/// Books concurrent requests for one show in ONE transaction, each answered on its own: the
/// seats of all of them are locked together (id order), past-due holds on them written down
/// once, the classes read once, then each request is planned in arrival order by
/// [`plan_seated`] / [`plan_general`] on the occupancy that includes the requests before it (a
/// seat an earlier request took is taken; its class counts it), and every booking is written
/// in one call. `Err` only when the transaction must roll back (storage failure); a refused
/// request is an `Err` in its slot and writes nothing.
pub fn book_batch(
    tx: &mut dyn BookingTx,
    show_id: i64,
    commands: &[BookingCommand],
    now: DateTime<Utc>,
) -> Result<Vec<Result<Booking, DomainError>>, DomainError> {
    if let Some(c) = commands.iter().find(|c| c.show_id != show_id) {
        return Err(DomainError::internal(format!(
            "a batch of show {show_id} has a request for show {}",
            c.show_id
        )));
    }
    let mut show = match tx.show(show_id) {
        Ok(s) => s,
        Err(e @ DomainError::NotFound { .. }) => {
            return Ok(commands.iter().map(|_| Err(e.clone())).collect())
        }
        Err(e) => return Err(e),
    };
    let labels: Vec<_> = commands
        .iter()
        .filter_map(|c| match &c.places {
            Places::SeatLabels(l) => Some(l.iter().cloned()),
            _ => None,
        })
        .flatten()
        .collect();
    let by_label = if labels.is_empty() || show.snapshot.kind != ShowKind::Seated {
        HashMap::new()
    } else {
        tx.seat_ids_by_label(show_id, &labels)?
    };
    let wants: Vec<Result<Want, DomainError>> = commands
        .iter()
        .map(|c| wanted(&show, &c.places, &by_label))
        .collect();

    let mut seated = SeatedInputs::read(tx, &show, &wants, now)?;
    let mut planned: Vec<Result<BookingPlan, DomainError>> = Vec::with_capacity(commands.len());
    for want in wants {
        let plan = match want {
            Err(e) => Err(e),
            Ok(Want::Seats(ids)) => seated.plan(&show, &ids, now),
            Ok(Want::Places(q)) => take_general(tx, &mut show, q, now),
        };
        if let Ok(plan) = &plan {
            seated.take(plan);
        }
        planned.push(plan);
    }

    let mut rows = Vec::new();
    let mut answers = Vec::with_capacity(commands.len());
    for (command, plan) in commands.iter().zip(planned) {
        match plan {
            Ok(plan) => {
                let row = new_booking(tx, command, &plan, now);
                answers.push(Ok(booking_of(&row, &show, &seated.class_names)));
                rows.push(row);
            }
            Err(e) => answers.push(Err(e)),
        }
    }
    if !rows.is_empty() {
        tx.insert_bookings(&rows)?;
    }
    Ok(answers)
}

/// What the seated requests of a batch need, read once.
struct SeatedInputs {
    seats: HashMap<i64, crate::booking::SeatSnapshot>,
    classes: Vec<ClassSnapshot>,
    class_names: HashMap<i64, String>,
}

impl SeatedInputs {
    fn read(
        tx: &mut dyn BookingTx,
        show: &ShowRecord,
        wants: &[Result<Want, DomainError>],
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let mut ids: Vec<i64> = wants
            .iter()
            .filter_map(|w| match w {
                Ok(Want::Seats(ids)) => Some(ids.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Self {
                seats: HashMap::new(),
                classes: vec![],
                class_names: HashMap::new(),
            });
        }
        // Seats first (the lock order), then the classes (occupancy leaves past-due holds out
        // already), then the holders (writing down past-due holds on the way).
        let mut seats = tx.seats(&ids, Lock::ForUpdate)?;
        let classes = classes_of(tx, show.snapshot.id, &seats, now)?;
        let taken = taken_seats(tx, &ids, None, now)?;
        for s in &mut seats {
            s.taken = taken.contains(&s.id);
        }
        let class_names = classes.iter().map(|c| (c.id, c.name.clone())).collect();
        Ok(Self {
            seats: seats.into_iter().map(|s| (s.id, s)).collect(),
            classes,
            class_names,
        })
    }

    /// Plans one request on what was read, as the requests before it in the batch left it.
    fn plan(
        &self,
        show: &ShowRecord,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<BookingPlan, DomainError> {
        let seats: Vec<_> = ids
            .iter()
            .filter_map(|id| self.seats.get(id))
            .cloned()
            .collect();
        plan_seated(&show.snapshot, ids, &seats, &self.classes, now)
    }

    /// A request's plan succeeded: its seats are taken and its classes count them for the
    /// requests after it.
    fn take(&mut self, plan: &BookingPlan) {
        for item in &plan.items {
            if let Some(seat) = item.seat_id.and_then(|id| self.seats.get_mut(&id)) {
                seat.taken = true;
            }
            if let Some(class) = item
                .class_id
                .and_then(|id| self.classes.iter_mut().find(|c| c.id == id))
            {
                class.sold_seats += 1;
            }
        }
    }
}

/// Plans and takes `quantity` general-admission places. Too few free as read: the places of
/// past-due holds are free, so those holds are written down first and the show read again; the
/// guarded take can still find too few (a concurrent booking), then the same once more.
fn take_general(
    tx: &mut dyn BookingTx,
    show: &mut ShowRecord,
    quantity: u32,
    now: DateTime<Utc>,
) -> Result<BookingPlan, DomainError> {
    let id = show.snapshot.id;
    if show.snapshot.free_places.is_some_and(|f| f < quantity)
        && expire_past_due_of_show(tx, id, now, EXPIRE_ON_THE_WAY)? > 0
    {
        *show = tx.show(id)?;
    }
    let plan = plan_general(&show.snapshot, quantity, now)?;
    let taken = tx.take_places(id, quantity)?
        || (expire_past_due_of_show(tx, id, now, EXPIRE_ON_THE_WAY)? > 0
            && tx.take_places(id, quantity)?);
    if !taken {
        *show = tx.show(id)?;
        return Err(DomainError::SoldOut {
            requested: quantity,
            available: show.snapshot.free_places.unwrap_or(0),
        });
    }
    if let Some(free) = &mut show.snapshot.free_places {
        *free = free.saturating_sub(quantity);
    }
    Ok(plan)
}

fn new_booking(
    tx: &mut dyn BookingTx,
    command: &BookingCommand,
    plan: &BookingPlan,
    now: DateTime<Utc>,
) -> NewBooking {
    let id = tx.fresh_id();
    let notice = super::notice(tx, Topic::of_booking(None, plan.status), id, now);
    NewBooking {
        id,
        reference: reference_from(tx.fresh_reference_bits()),
        show_id: Some(command.show_id),
        appointment: None,
        status: plan.status,
        customer_name: command.buyer.name.as_str().to_owned(),
        phone: command.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        email: command.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        quantity: plan.quantity,
        total_amount: plan.total_amount,
        currency: plan.currency,
        created_at: now,
        expires_at: crate::booking::hold_deadline(plan.status, now, command.hold_for),
        user_id: command.user_id,
        guest_token_hash: command.guest_token_hash,
        actor: command.actor.clone(),
        items: plan.items.clone(),
        notice,
    }
}

/// The booking as written, without a second read.
fn booking_of(row: &NewBooking, show: &ShowRecord, class_names: &HashMap<i64, String>) -> Booking {
    Booking {
        id: row.id,
        reference: row.reference.clone(),
        show_id: row.show_id,
        event_id: Some(show.event_id),
        appointment: None,
        status: row.status,
        customer_name: row.customer_name.clone(),
        phone: row.phone.clone(),
        email: row.email.clone(),
        quantity: row.quantity,
        total_amount: row.total_amount,
        currency: row.currency,
        items: items_of(&row.items, class_names),
        created_at: row.created_at,
        updated_at: row.created_at,
        cancelled_at: None,
        user_id: row.user_id,
        guest_token_hash: row.guest_token_hash,
        expires_at: row.expires_at,
        payments: vec![],
    }
}

pub(crate) fn items_of(
    items: &[PlannedItem],
    class_names: &HashMap<i64, String>,
) -> Vec<BookingItem> {
    items
        .iter()
        .map(|i| BookingItem {
            seat_class: i.class_id.and_then(|c| class_names.get(&c).cloned()),
            seat_id: i.seat_id,
            label: i.label.clone(),
            quantity: i.quantity,
            price: i.price,
            tier: i.tier,
        })
        .collect()
}
