//! A new show as the catalogue takes it: its times, its layout (a capacity or a seat map) and
//! the rules of [`NewShow::validate`]; generated rows of seats.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{EXTERNAL_REF_RULE, MAX_SEATS_PER_SHOW, SCREEN_NAME_RULE};
use crate::error::{DomainError, Violations};
use crate::pricing::TierPrices;
use crate::values::{check_amount, parse_instant, parse_text, Currency, SeatLabel};

/// One seat class of a new seat map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeatClass {
    pub name: String,
    pub prices: TierPrices,
}

/// One seat of a new seat map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeat {
    pub label: SeatLabel,
    pub class: String,
    pub external_ref: Option<String>,
}

/// What a show sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    General {
        capacity: u32,
        price: Option<i64>,
    },
    Seated {
        classes: Vec<NewSeatClass>,
        seats: Vec<NewSeat>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShow {
    pub venue_id: Option<i64>,
    pub screen_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub currency: Currency,
    pub layout: Layout,
}

/// Class name rules: trimmed, 1..=50 characters.
pub fn parse_class_name(name: &str) -> Result<String, DomainError> {
    parse_text(name, "seat class name", crate::limits::CLASS_NAME_MAX_CHARS)
        .map_err(|e| DomainError::invalid("seat_classes", e.message))
}

fn check_prices(v: &mut Violations, field: &str, p: &TierPrices) {
    for (what, value) in [
        ("min_price", p.min_price),
        ("normal_price", p.normal_price),
        ("max_price", p.max_price),
    ] {
        if let Some(x) = value {
            v.check(&format!("{field}.{what}"), check_amount(x));
        }
    }
}

/// How long a show lasts when only its start is given (an event created with a `date`).
pub const DEFAULT_SHOW_HOURS: i64 = 2;

/// The end of a show whose end is not given: [`DEFAULT_SHOW_HOURS`] after its start (the start
/// itself if that would leave chrono's range, which the start's own check then refuses).
pub fn default_show_end(starts_at: DateTime<Utc>) -> DateTime<Utc> {
    starts_at
        .checked_add_signed(chrono::Duration::hours(DEFAULT_SHOW_HOURS))
        .unwrap_or(starts_at)
}

impl NewShow {
    /// The start and end as they will be stored (whole microseconds), recording why not under
    /// `starts_at`/`ends_at`: both within the years of [`parse_instant`], except that the
    /// default end ([`default_show_end`] of a permitted start) may fall in the year after
    /// [`crate::limits::MAX_YEAR`].
    fn times(&self, v: &mut Violations) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let starts = v.check("starts_at", parse_instant(self.starts_at, "starts_at"));
        let ends = if starts.is_some() && self.ends_at == default_show_end(self.starts_at) {
            starts.map(default_show_end)
        } else {
            v.check("ends_at", parse_instant(self.ends_at, "ends_at"))
        };
        (starts, ends)
    }

    /// The show with its times truncated to microseconds and its texts trimmed, once it passes
    /// [`NewShow::validate`]. The use cases store what this returns.
    pub fn validated(mut self) -> Result<Self, DomainError> {
        self.validate()?;
        // Checked by validate: both are within the range.
        let mut v = Violations::new();
        let (starts, ends) = self.times(&mut v);
        v.finish()?;
        // Both are Some once no violation was recorded.
        self.starts_at = starts.unwrap_or(self.starts_at);
        self.ends_at = ends.unwrap_or(self.ends_at);
        self.screen_name = self.screen_name.trim().to_owned();
        if let Layout::Seated { seats, .. } = &mut self.layout {
            for s in seats {
                s.external_ref = s
                    .external_ref
                    .take()
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty());
            }
        }
        Ok(self)
    }

    /// Checks the rules of a new show: times within the range, ends after it starts, a positive
    /// capacity, prices within the ceiling, texts without control characters, or a seat map
    /// whose class names and seat labels are unique and whose seats all name a declared class.
    /// A seat map may be empty (no class, no seat): the seats come later from a CSV import.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut v = Violations::new();
        let (starts, ends) = self.times(&mut v);
        // Compared as stored (whole microseconds).
        if let (Some(starts), Some(ends)) = (starts, ends) {
            if ends <= starts {
                v.add("ends_at", "ends_at must be after starts_at");
            }
        }
        v.check(
            "screen_name",
            SCREEN_NAME_RULE.parse(&self.screen_name, "screen_name"),
        );
        match &self.layout {
            Layout::General { capacity, price } => {
                if *capacity == 0 {
                    v.add("capacity", "capacity must be at least 1");
                }
                if *capacity as usize > MAX_SEATS_PER_SHOW {
                    v.add(
                        "capacity",
                        format!("capacity must be at most {MAX_SEATS_PER_SHOW}"),
                    );
                }
                if let Some(p) = price {
                    v.check("price", check_amount(*p));
                }
            }
            Layout::Seated { classes, seats } => {
                let mut names = HashSet::new();
                for (i, c) in classes.iter().enumerate() {
                    if let Err(DomainError::Validation(fs)) = parse_class_name(&c.name) {
                        for f in fs {
                            v.add(format!("seat_classes[{i}].name"), f.message);
                        }
                    }
                    if !names.insert(c.name.trim()) {
                        v.add(
                            format!("seat_classes[{i}].name"),
                            format!("seat class '{}' is declared twice", c.name),
                        );
                    }
                    check_prices(&mut v, &format!("seat_classes[{i}]"), &c.prices);
                }
                if seats.len() > MAX_SEATS_PER_SHOW {
                    v.add(
                        "seats",
                        format!("at most {MAX_SEATS_PER_SHOW} seats per show"),
                    );
                }
                let mut labels = HashSet::new();
                for (i, s) in seats.iter().enumerate() {
                    if let Some(r) = &s.external_ref {
                        v.check(
                            &format!("seats[{i}].external_ref"),
                            EXTERNAL_REF_RULE.parse(r, "external_ref"),
                        );
                    }
                    if !labels.insert(s.label.as_str()) {
                        v.add("seats", format!("seat label '{}' is used twice", s.label));
                    }
                    if !names.contains(s.class.trim()) {
                        v.add(
                            "seats",
                            format!("seat '{}' names unknown class '{}'", s.label, s.class),
                        );
                    }
                }
            }
        }
        v.finish()
    }
}

/// Generates `rows` × `seats_per_row` seats of `class`: labels `<row><number>`, numbers from 1.
pub fn generate_seats(
    class: &str,
    rows: &[String],
    seats_per_row: u32,
) -> Result<Vec<NewSeat>, DomainError> {
    if rows.is_empty() || seats_per_row == 0 {
        return Err(DomainError::invalid(
            "seat_classes",
            format!("class '{class}': rows and seats_per_row must both be given and non-empty"),
        ));
    }
    if rows.len() * seats_per_row as usize > MAX_SEATS_PER_SHOW {
        return Err(DomainError::invalid(
            "seat_classes",
            format!("at most {MAX_SEATS_PER_SHOW} seats per show"),
        ));
    }
    let mut out = Vec::with_capacity(rows.len() * seats_per_row as usize);
    for row in rows {
        let r = row.trim();
        if r.is_empty() || !r.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(DomainError::invalid(
                "seat_classes",
                format!("class '{class}': row '{row}' must be letters"),
            ));
        }
        for n in 1..=seats_per_row {
            let label = SeatLabel::from_parts(r, n)
                .map_err(|e| DomainError::invalid("seat_classes", e.message))?;
            out.push(NewSeat {
                label,
                class: class.to_owned(),
                external_ref: None,
            });
        }
    }
    Ok(out)
}
