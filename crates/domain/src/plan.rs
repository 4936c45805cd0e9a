//! The pure decisions of a booking: a request plus a snapshot of the show (read inside the booking
//! transaction) turned into the rows to write: [`plan_seated`], [`plan_seat_change`],
//! [`plan_general`]. Re-exported from `booking`, where the callers name them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::catalog::ShowKind;
use crate::error::DomainError;
use crate::pricing::{Tier, TierPrices};
use crate::status::BookingStatus;
use crate::values::{natural_cmp, total_overflows, Currency};

/// The show as read inside the booking transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowSnapshot {
    pub id: i64,
    pub kind: ShowKind,
    pub starts_at: DateTime<Utc>,
    pub currency: Currency,
    /// General admission: price of one place (None = free) and free places now.
    pub price: Option<i64>,
    pub free_places: Option<u32>,
}

/// A requested seat, read (and locked) inside the booking transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatSnapshot {
    pub id: i64,
    pub show_id: i64,
    pub class_id: i64,
    pub label: String,
    pub row: String,
    pub number: u32,
    /// In an active booking already.
    pub taken: bool,
}

/// A seat class of the show with its occupancy, read inside the booking transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSnapshot {
    pub id: i64,
    pub name: String,
    pub prices: TierPrices,
    pub total_seats: u64,
    pub sold_seats: u64,
}

/// What to write: the decision of the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingPlan {
    pub status: BookingStatus,
    pub items: Vec<PlannedItem>,
    pub quantity: u32,
    pub total_amount: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub seat_id: Option<i64>,
    pub class_id: Option<i64>,
    pub label: Option<String>,
    pub quantity: u32,
    pub price: i64,
    pub tier: Option<Tier>,
}

fn check_bookable(show: &ShowSnapshot, now: DateTime<Utc>) -> Result<(), DomainError> {
    if show.starts_at <= now {
        return Err(DomainError::ShowStarted);
    }
    Ok(())
}

/// Decides a seated booking. `requested` are the seat ids asked for (labels already resolved by
/// the adapter); `seats` the rows found for them (locked); `classes` the classes of those seats.
///
/// Rules: every seat exists (404 otherwise) and belongs to the show (422); the show has not
/// started; no seat is taken (409 naming them); every class has a price (409 `not_for_sale`);
/// seats are priced one after another in natural label order on the class occupancy including
/// the seats before them in this booking.
pub fn plan_seated(
    show: &ShowSnapshot,
    requested: &[i64],
    seats: &[SeatSnapshot],
    classes: &[ClassSnapshot],
    now: DateTime<Utc>,
) -> Result<BookingPlan, DomainError> {
    if show.kind != ShowKind::Seated {
        return Err(DomainError::invalid(
            "quantity",
            "this is a general-admission show: book a quantity, not seats",
        ));
    }
    let by_id: HashMap<i64, &SeatSnapshot> = seats.iter().map(|s| (s.id, s)).collect();
    let missing: Vec<i64> = requested
        .iter()
        .copied()
        .filter(|id| !by_id.contains_key(id))
        .collect();
    if let Some(first) = missing.first() {
        return Err(DomainError::not_found("seat", first));
    }
    let foreign: Vec<String> = seats
        .iter()
        .filter(|s| s.show_id != show.id)
        .map(|s| s.id.to_string())
        .collect();
    if !foreign.is_empty() {
        return Err(DomainError::invalid(
            "seat_ids",
            format!(
                "seats {} do not belong to show {}",
                foreign.join(", "),
                show.id
            ),
        ));
    }
    check_bookable(show, now)?;
    let mut ordered: Vec<&SeatSnapshot> = requested.iter().map(|id| by_id[id]).collect();
    ordered.sort_by(|a, b| natural_cmp(&a.row, a.number, &a.label, &b.row, b.number, &b.label));
    let taken: Vec<String> = ordered
        .iter()
        .filter(|s| s.taken)
        .map(|s| s.label.clone())
        .collect();
    if !taken.is_empty() {
        return Err(DomainError::SeatsUnavailable { seats: taken });
    }
    let class_by_id: HashMap<i64, &ClassSnapshot> = classes.iter().map(|c| (c.id, c)).collect();
    let not_for_sale: Vec<String> = ordered
        .iter()
        .filter(|s| {
            class_by_id
                .get(&s.class_id)
                .is_none_or(|c| !c.prices.is_for_sale())
        })
        .map(|s| s.label.clone())
        .collect();
    if !not_for_sale.is_empty() {
        return Err(DomainError::NotForSale {
            seats: not_for_sale,
        });
    }
    let mut sold_in_booking: BTreeMap<i64, u64> = BTreeMap::new();
    let mut items = Vec::with_capacity(ordered.len());
    let mut total: i64 = 0;
    for seat in ordered {
        let class = class_by_id[&seat.class_id];
        let before = sold_in_booking.entry(class.id).or_insert(0);
        let quote = class
            .prices
            .quote(class.sold_seats + *before, class.total_seats)
            .ok_or_else(|| DomainError::NotForSale {
                seats: vec![seat.label.clone()],
            })?;
        *before += 1;
        total = total.checked_add(quote.price).ok_or_else(total_overflows)?;
        items.push(PlannedItem {
            seat_id: Some(seat.id),
            class_id: Some(class.id),
            label: Some(seat.label.clone()),
            quantity: 1,
            price: quote.price,
            tier: Some(quote.tier),
        });
    }
    Ok(BookingPlan {
        status: BookingStatus::initial(total),
        quantity: items.len() as u32,
        items,
        total_amount: total,
        currency: show.currency,
    })
}

/// Decides new seats for a held booking (`PUT /bookings/{id}/seats`): the same rules as
/// [`plan_seated`], priced on the occupancy *without* the booking's own current seats (`own`:
/// seat id → class id), which count as free for it (a seat may be kept).
pub fn plan_seat_change(
    show: &ShowSnapshot,
    requested: &[i64],
    seats: &[SeatSnapshot],
    classes: &[ClassSnapshot],
    own: &[(i64, i64)],
    now: DateTime<Utc>,
) -> Result<BookingPlan, DomainError> {
    let own_seats: HashSet<i64> = own.iter().map(|(s, _)| *s).collect();
    let mut own_per_class: HashMap<i64, u64> = HashMap::new();
    for (_, class) in own {
        *own_per_class.entry(*class).or_insert(0) += 1;
    }
    let seats: Vec<SeatSnapshot> = seats
        .iter()
        .cloned()
        .map(|mut s| {
            if own_seats.contains(&s.id) {
                s.taken = false;
            }
            s
        })
        .collect();
    let classes: Vec<ClassSnapshot> = classes
        .iter()
        .cloned()
        .map(|mut c| {
            c.sold_seats = c
                .sold_seats
                .saturating_sub(own_per_class.get(&c.id).copied().unwrap_or(0));
            c
        })
        .collect();
    plan_seated(show, requested, &seats, &classes, now)
}

/// Decides a general-admission booking of `quantity` places. The adapter must still take the
/// places with a guarded update (free never below zero) and report `SoldOut` if that fails.
pub fn plan_general(
    show: &ShowSnapshot,
    quantity: u32,
    now: DateTime<Utc>,
) -> Result<BookingPlan, DomainError> {
    if show.kind != ShowKind::General {
        return Err(DomainError::invalid(
            "seat_ids",
            "this is a seated show: choose seats (seat_ids or seat_labels)",
        ));
    }
    check_bookable(show, now)?;
    let free = show.free_places.unwrap_or(0);
    if quantity > free {
        return Err(DomainError::SoldOut {
            requested: quantity,
            available: free,
        });
    }
    let price = show.price.unwrap_or(0);
    let total = price
        .checked_mul(i64::from(quantity))
        .ok_or_else(total_overflows)?;
    Ok(BookingPlan {
        status: BookingStatus::initial(total),
        items: vec![PlannedItem {
            seat_id: None,
            class_id: None,
            label: None,
            quantity,
            price,
            tier: None,
        }],
        quantity,
        total_amount: total,
        currency: show.currency,
    })
}
