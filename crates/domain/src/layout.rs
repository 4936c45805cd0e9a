//! The layout of a new show as a request gives it — a capacity (general admission) or a seat map
//! (classes with generated rows and/or listed seats) — and the rules that turn it into a
//! [`Layout`]. The HTTP edge only copies fields in; every refusal is decided here (the first
//! broken rule is reported, naming its field). [`crate::catalog::NewShow::validate`] then checks
//! the whole show (names, prices, limits, uniqueness).

use chrono::{DateTime, Utc};

use crate::catalog::{default_show_end, generate_seats, Layout, NewSeat, NewSeatClass};
use crate::error::DomainError;
use crate::limits::SEATS_PER_ROW_MAX;
use crate::pricing::TierPrices;
use crate::values::SeatLabel;

/// A seat class as asked for, optionally with generated rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRequest {
    pub name: String,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub rows: Option<Vec<String>>,
    pub seats_per_row: Option<i64>,
}

/// A listed seat as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRequest {
    pub label: String,
    pub class: String,
    pub external_ref: Option<String>,
}

/// A show's layout as asked for: exactly one of `capacity` (with an optional `price`) or
/// `seat_classes` (with optional `seats`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayoutRequest {
    pub capacity: Option<i64>,
    pub price: Option<i64>,
    pub seat_classes: Option<Vec<ClassRequest>>,
    pub seats: Option<Vec<SeatRequest>>,
}

/// A general-admission capacity: at least 1 (the field named `field`).
pub fn parse_capacity(capacity: i64, field: &str) -> Result<u32, DomainError> {
    u32::try_from(capacity)
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| DomainError::invalid(field, format!("{field} must be at least 1")))
}

impl LayoutRequest {
    /// The layout, or the first rule it breaks.
    pub fn parse(self) -> Result<Layout, DomainError> {
        match (self.capacity, self.seat_classes) {
            (Some(_), Some(_)) => Err(DomainError::invalid(
                "capacity",
                "give either capacity (general admission) or seat_classes (seated), not both",
            )),
            (None, None) => Err(DomainError::invalid(
                "capacity",
                "give capacity (general admission) or seat_classes (seated; [] for an empty seat map to fill by CSV import)",
            )),
            (Some(capacity), None) => {
                if self.seats.is_some() {
                    return Err(DomainError::invalid("seats", "seats need seat_classes"));
                }
                Ok(Layout::General {
                    capacity: parse_capacity(capacity, "capacity")?,
                    price: self.price,
                })
            }
            (None, Some(classes)) => {
                if self.price.is_some() {
                    return Err(DomainError::invalid(
                        "price",
                        "a seated show is priced per seat class",
                    ));
                }
                seated(classes, self.seats.unwrap_or_default())
            }
        }
    }
}

fn seated(classes: Vec<ClassRequest>, listed: Vec<SeatRequest>) -> Result<Layout, DomainError> {
    let mut seats: Vec<NewSeat> = Vec::new();
    let mut out = Vec::with_capacity(classes.len());
    for c in classes {
        match (&c.rows, c.seats_per_row) {
            (None, None) => {}
            (Some(rows), Some(n)) => {
                let n = u32::try_from(n)
                    .ok()
                    .filter(|n| (1..=SEATS_PER_ROW_MAX).contains(n))
                    .ok_or_else(|| {
                        DomainError::invalid(
                            "seats_per_row",
                            format!("seats_per_row must be 1 to {SEATS_PER_ROW_MAX}"),
                        )
                    })?;
                seats.extend(generate_seats(c.name.trim(), rows, n)?);
            }
            _ => {
                return Err(DomainError::invalid(
                    "seat_classes",
                    format!("class '{}': give both rows and seats_per_row", c.name),
                ))
            }
        }
        out.push(NewSeatClass {
            name: c.name.trim().to_owned(),
            prices: TierPrices {
                min_price: c.min_price,
                normal_price: c.normal_price,
                max_price: c.max_price,
            },
        });
    }
    for (i, s) in listed.into_iter().enumerate() {
        let label = SeatLabel::parse(&s.label)
            .map_err(|e| DomainError::invalid(format!("seats[{i}].label"), e.message))?;
        seats.push(NewSeat {
            label,
            class: s.class.trim().to_owned(),
            external_ref: s.external_ref,
        });
    }
    Ok(Layout::Seated {
        classes: out,
        seats,
    })
}

/// The one general-admission show an event may be created with (`total_seats` + `date`,
/// optional `price` and `ends_at`): its capacity, start, end and price; `None` when neither
/// is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventShow {
    pub capacity: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub price: Option<i64>,
}

/// The rules of an event's own show: `total_seats` and `date` come together; `price` and
/// `ends_at` need them; the end defaults to [`default_show_end`].
pub fn event_show(
    total_seats: Option<i64>,
    date: Option<DateTime<Utc>>,
    price: Option<i64>,
    ends_at: Option<DateTime<Utc>>,
) -> Result<Option<EventShow>, DomainError> {
    match (total_seats, date) {
        (None, None) => {
            if price.is_some() || ends_at.is_some() {
                return Err(DomainError::invalid(
                    "total_seats",
                    "price and ends_at need total_seats and date",
                ));
            }
            Ok(None)
        }
        (Some(total), Some(date)) => {
            let capacity = parse_capacity(total, "total_seats")?;
            // The event's field is `date`: its range is checked here to name it.
            let date = crate::values::parse_instant(date, "date")
                .map_err(|e| DomainError::invalid("date", e.message))?;
            Ok(Some(EventShow {
                capacity,
                starts_at: date,
                ends_at: ends_at.unwrap_or_else(|| default_show_end(date)),
                price,
            }))
        }
        (Some(_), None) => Err(DomainError::invalid("date", "total_seats needs a date")),
        (None, Some(_)) => Err(DomainError::invalid(
            "total_seats",
            "date needs total_seats",
        )),
    }
}
