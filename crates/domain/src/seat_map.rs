//! The seat map of a show: its [`SeatChart`] (where the seats are — changed only by creating
//! the show and by imports, so an adapter may keep it between reads, validated by its version)
//! joined with each seat's [`SeatState`] (what bookings say of it now — always read live).
//!
//! The rules here: the seat-map order ([`SeatPlace::map_order`]), what a seat's status is given
//! the booking that has it ([`SeatState::taken_by`]: a past-due hold's seats are never passed
//! in — `crate::lifecycle` says which holds are past due), and how the class counts of a map are
//! derived from its seats ([`SeatMap::assemble`]).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::catalog::{SeatClassAvailability, SeatStatus, ShowDetail};
use crate::error::DomainError;
use crate::status::BookingStatus;

/// A seat as it is arranged: everything of it but what bookings say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatPlace {
    pub id: i64,
    pub label: String,
    pub row: String,
    pub number: u32,
    pub class_id: i64,
    /// The class's name, shared by the seats of the class.
    pub class: Arc<str>,
    pub external_ref: Option<String>,
}

impl SeatPlace {
    /// The seat-map order: class name, then the natural seat order of
    /// [`crate::values::natural_cmp`] (row by length then text, so `B` before `AA`; number;
    /// label). Text compares by its bytes (UTF-8 code points), whatever the database's collation.
    pub fn map_order(&self, other: &Self) -> std::cmp::Ordering {
        self.class.cmp(&other.class).then_with(|| {
            crate::values::natural_cmp(
                &self.row,
                self.number,
                &self.label,
                &other.row,
                other.number,
                &other.label,
            )
        })
    }
}

/// The seats of a show in map order, as of one version of its arrangement. The storage gives
/// every change to a show's seats or classes a new version, never used before for any show, so
/// a chart whose version is still the show's current one is still exactly its seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatChart {
    version: i64,
    seats: Vec<SeatPlace>,
    position: HashMap<i64, usize>,
}

impl SeatChart {
    /// The chart of these seats (any order: they are put in map order here).
    pub fn new(version: i64, mut seats: Vec<SeatPlace>) -> Self {
        // Storage order is usually the map order already: the sort checks that in one pass.
        seats.sort_by(SeatPlace::map_order);
        let position = seats.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        Self {
            version,
            seats,
            position,
        }
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    /// The seats in map order.
    pub fn seats(&self) -> &[SeatPlace] {
        &self.seats
    }

    pub fn len(&self) -> usize {
        self.seats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seats.is_empty()
    }

    /// Where the seat is in map order.
    pub fn position(&self, seat_id: i64) -> Option<usize> {
        self.position.get(&seat_id).copied()
    }
}

/// What the bookings say of a seat now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatState {
    status: SeatStatus,
    held_until: Option<DateTime<Utc>>,
}

impl SeatState {
    /// A seat no active booking has (or only a past-due hold).
    pub const AVAILABLE: SeatState = SeatState {
        status: SeatStatus::Available,
        held_until: None,
    };

    /// The state of a seat that an active booking in `status` has, the booking's deadline
    /// being `expires_at`: held until that deadline while the booking is a hold, booked once it
    /// is confirmed or completed. A booking that is over (expired, cancelled) has no seat.
    pub fn taken_by(status: BookingStatus, expires_at: Option<DateTime<Utc>>) -> SeatState {
        match status {
            BookingStatus::Held => SeatState {
                status: SeatStatus::Held,
                held_until: expires_at,
            },
            BookingStatus::Pending | BookingStatus::Confirmed | BookingStatus::Completed => {
                SeatState {
                    status: SeatStatus::Booked,
                    held_until: None,
                }
            }
            BookingStatus::Expired | BookingStatus::Cancelled => SeatState::AVAILABLE,
        }
    }

    pub fn status(&self) -> SeatStatus {
        self.status
    }

    /// For a held seat: when its hold ends (`None` for any other seat).
    pub fn held_until(&self) -> Option<DateTime<Utc>> {
        self.held_until
    }
}

/// The seat map: the show with its classes (counted from the seats) and every seat with its
/// state, in map order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatMap {
    pub show: ShowDetail,
    chart: Arc<SeatChart>,
    states: Vec<SeatState>,
}

impl SeatMap {
    /// Joins a chart with the seats that active bookings have now (`taken`: seat id, state; a
    /// seat not in the chart is an error) and counts each class's seats from the result: total,
    /// held and booked. `show.classes` are put in name order (as `GET /shows/{id}` lists them);
    /// their counts are replaced; a seat of a class not among them is an error.
    pub fn assemble(
        mut show: ShowDetail,
        chart: Arc<SeatChart>,
        taken: impl IntoIterator<Item = (i64, SeatState)>,
    ) -> Result<SeatMap, DomainError> {
        let mut states = vec![SeatState::AVAILABLE; chart.len()];
        for (seat, state) in taken {
            let at = chart.position(seat).ok_or_else(|| {
                DomainError::internal(format!("a booking has seat {seat}, not of this show"))
            })?;
            states[at] = state;
        }
        show.classes.sort_by(|a, b| a.name.cmp(&b.name));
        for c in &mut show.classes {
            c.total_seats = 0;
            c.held_seats = 0;
            c.booked_seats = 0;
        }
        let index: HashMap<i64, usize> = show
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let mut last = usize::MAX;
        for (seat, state) in chart.seats().iter().zip(&states) {
            // Seats come grouped by class: most look-ups are the class of the seat before.
            if show.classes.get(last).is_none_or(|c| c.id != seat.class_id) {
                last = *index.get(&seat.class_id).ok_or_else(|| {
                    DomainError::internal(format!("seat {} is not in a class of its show", seat.id))
                })?;
            }
            count(&mut show.classes[last], state.status);
        }
        Ok(SeatMap {
            show,
            chart,
            states,
        })
    }

    /// The seats in map order, each with its state.
    pub fn seats(&self) -> impl ExactSizeIterator<Item = (&SeatPlace, SeatState)> + '_ {
        self.chart.seats().iter().zip(self.states.iter().copied())
    }

    pub fn chart(&self) -> &Arc<SeatChart> {
        &self.chart
    }

    /// When the first hold on the map ends (its seats are free from then on).
    pub fn first_hold_end(&self) -> Option<DateTime<Utc>> {
        self.states.iter().filter_map(|s| s.held_until).min()
    }
}

fn count(class: &mut SeatClassAvailability, status: SeatStatus) {
    class.total_seats += 1;
    match status {
        SeatStatus::Held => class.held_seats += 1,
        SeatStatus::Booked => class.booked_seats += 1,
        SeatStatus::Available => {}
    }
}
