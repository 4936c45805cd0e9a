//! What a quote reads: the snapshot a booking would take at that moment, without locks or
//! writes. Past-due holds count as free, as for the booking (which writes them down on its
//! way) and for every read.

use chrono::{DateTime, Utc};

use super::book::seat_ids_of;
use super::{classes_of, BookingTx, Lock};
use crate::booking::{hold_past_due, Places};
use crate::catalog::ShowKind;
use crate::error::DomainError;
use crate::quote::QuoteInputs;

/// The inputs of [`crate::quote::quote_booking`] for `places` of show `show_id` at `now`.
pub fn quote_inputs(
    tx: &mut dyn BookingTx,
    show_id: i64,
    places: &Places,
    now: DateTime<Utc>,
) -> Result<QuoteInputs, DomainError> {
    let mut show = tx.show(show_id)?;
    if let Places::Quantity(_) = places {
        if show.snapshot.kind == ShowKind::General {
            let due = tx.past_due_places(show_id, now)?;
            if let Some(free) = &mut show.snapshot.free_places {
                *free = free.saturating_add(due);
            }
        }
        return Ok(QuoteInputs {
            show: show.snapshot,
            requested: vec![],
            seats: vec![],
            classes: vec![],
        });
    }
    let requested = seat_ids_of(tx, &show, places)?;
    let mut seats = tx.seats(&requested, Lock::None)?;
    let taken: std::collections::HashSet<i64> = tx
        .seat_holders(&requested)?
        .into_iter()
        .filter(|h| !hold_past_due(h.status, h.expires_at, now))
        .map(|h| h.seat_id)
        .collect();
    for s in &mut seats {
        s.taken = taken.contains(&s.id);
    }
    let classes = classes_of(tx, show_id, &seats, now)?;
    Ok(QuoteInputs {
        show: show.snapshot,
        requested,
        seats,
        classes,
    })
}
