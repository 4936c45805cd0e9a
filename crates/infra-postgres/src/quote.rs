//! The read behind a quote (`BookingRepository::quote_inputs`): the snapshot the booking
//! transaction would take — the show, the requested seats and their classes' occupancy — read
//! without locks or writes. Past-due holds count as free, as they do for the booking (which
//! writes them down on its way) and for every read.

use boxoffice_domain::booking::{Places, SeatSnapshot};
use boxoffice_domain::catalog::ShowKind;
use boxoffice_domain::quote::QuoteInputs;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::booking::{class_snapshots, holders, is_past_due, load_show, seat_ids_of, snapshot};
use crate::catalog::free_due_places;
use crate::schema::*;
use crate::TxError;

/// The requested seats as the domain sees them, `taken` when an active booking that is not a
/// past-due hold has them at `now`.
fn seats_now(
    conn: &mut PgConnection,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<SeatSnapshot>, TxError> {
    let rows: Vec<(i64, i64, i64, String, String, i32)> = seats::table
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
        .load(conn)?;
    let taken: std::collections::HashSet<i64> = holders(conn, ids)?
        .into_iter()
        .filter(|(_, _, status, expires_at)| !is_past_due(status, *expires_at, now))
        .map(|(seat, _, _, _)| seat)
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, show_id, class_id, label, row, number)| SeatSnapshot {
            id,
            show_id,
            class_id,
            label,
            row,
            number: u32::try_from(number).unwrap_or(0),
            taken: taken.contains(&id),
        })
        .collect())
}

/// What a quote of `places` in show `show_id` needs, at `now` (one read-only transaction).
pub(crate) fn quote_inputs_tx(
    conn: &mut PgConnection,
    show_id: i64,
    places: &Places,
    now: DateTime<Utc>,
) -> Result<QuoteInputs, TxError> {
    let mut show = load_show(conn, show_id)?;
    if let Places::Quantity(_) = places {
        if show.kind == ShowKind::General {
            free_due_places(conn, std::slice::from_mut(&mut show), now)?;
        }
        return Ok(QuoteInputs {
            show: snapshot(&show),
            requested: vec![],
            seats: vec![],
            classes: vec![],
        });
    }
    let requested = seat_ids_of(conn, &show, places)?;
    let seats = seats_now(conn, &requested, now)?;
    let classes = class_snapshots(conn, &show, &seats, now)?;
    Ok(QuoteInputs {
        show: snapshot(&show),
        requested,
        seats,
        classes,
    })
}
