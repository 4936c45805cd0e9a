//! The catalogue: cities, venues, events, shows, seat classes and seats; the inputs that create
//! them and the rules those inputs must follow.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Violations};
use crate::pricing::{Quote, Tier, TierPrices};
use crate::time_zone::TimeZone;
use crate::values::{parse_instant, parse_text, Currency, Name, TextRule};

/// Most seats one show may have (a stadium is ~100k).
pub const MAX_SEATS_PER_SHOW: usize = 100_000;

/// A venue's address: multi-line, may be empty.
pub const ADDRESS_RULE: TextRule = TextRule::optional_lines(crate::limits::ADDRESS_MAX_CHARS);
/// An event's description: multi-line, may be empty.
pub const DESCRIPTION_RULE: TextRule =
    TextRule::optional_lines(crate::limits::DESCRIPTION_MAX_CHARS);
/// A show's screen (hall, stage) name: one line, may be empty.
pub const SCREEN_NAME_RULE: TextRule =
    TextRule::optional_line(crate::limits::SCREEN_NAME_MAX_CHARS);
/// A seat's reference in another system (`seats[].external_ref`, the `id` column of a CSV file).
pub const EXTERNAL_REF_RULE: TextRule = TextRule::optional_line(200);

#[derive(Debug, Clone, PartialEq)]
pub struct City {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCity {
    pub name: Name,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
}

fn check_coordinates(v: &mut Violations, latitude: f64, longitude: f64) {
    use crate::limits::{LATITUDE_MAX, LONGITUDE_MAX};
    if !(-LATITUDE_MAX..=LATITUDE_MAX).contains(&latitude) {
        v.add("latitude", "latitude must be between -90 and 90");
    }
    if !(-LONGITUDE_MAX..=LONGITUDE_MAX).contains(&longitude) {
        v.add("longitude", "longitude must be between -180 and 180");
    }
}

impl NewCity {
    pub fn parse(
        name: &str,
        country: &str,
        latitude: f64,
        longitude: f64,
    ) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let name = v.check("name", Name::parse(name));
        let country = v.check(
            "country",
            parse_text(country, "country", crate::limits::COUNTRY_MAX_CHARS),
        );
        check_coordinates(&mut v, latitude, longitude);
        v.finish()?;
        Ok(Self {
            name: name.expect("checked"),
            country: country.expect("checked"),
            latitude,
            longitude,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Venue {
    pub id: i64,
    pub city_id: i64,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Its IANA time zone: show times are told in it.
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVenue {
    pub city_id: i64,
    pub name: Name,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    /// UTC when none is given.
    pub time_zone: TimeZone,
}

impl NewVenue {
    pub fn parse(
        city_id: i64,
        name: &str,
        address: &str,
        latitude: f64,
        longitude: f64,
    ) -> Result<Self, DomainError> {
        Self::parse_in(city_id, name, address, latitude, longitude, None)
    }

    /// As [`Self::parse`], in `time_zone` (an IANA name, [`TimeZone::parse`]; `None`: UTC).
    pub fn parse_in(
        city_id: i64,
        name: &str,
        address: &str,
        latitude: f64,
        longitude: f64,
        time_zone: Option<&str>,
    ) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let name = v.check("name", Name::parse(name));
        let address = v.check("address", ADDRESS_RULE.parse(address, "address"));
        check_coordinates(&mut v, latitude, longitude);
        let time_zone = match time_zone {
            Some(raw) => v.check("time_zone", TimeZone::parse(raw)),
            None => Some(TimeZone::UTC),
        };
        v.finish()?;
        Ok(Self {
            city_id,
            name: name.expect("checked"),
            address: address.expect("checked"),
            latitude,
            longitude,
            time_zone: time_zone.expect("checked"),
        })
    }
}

/// Kinds of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Movie,
    Concert,
    Sport,
    Standup,
    Theatre,
    Other,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::Movie,
        EventType::Concert,
        EventType::Sport,
        EventType::Standup,
        EventType::Theatre,
        EventType::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Movie => "movie",
            EventType::Concert => "concert",
            EventType::Sport => "sport",
            EventType::Standup => "standup",
            EventType::Theatre => "theatre",
            EventType::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "event_type",
                    "event_type must be one of movie, concert, sport, standup, theatre, other",
                )
            })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub event_type: EventType,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    /// The provider who organises the event (`None` for events made before accounts existed:
    /// only admins may change those).
    pub organizer_id: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub event_type: EventType,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    /// Set by the use case from the caller, never from the request.
    pub organizer_id: Option<uuid::Uuid>,
}

impl NewEvent {
    pub fn parse(
        title: &str,
        description: &str,
        event_type: &str,
        city_id: i64,
        venue_id: Option<i64>,
    ) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let title = v.check(
            "title",
            parse_text(title, "title", crate::limits::TITLE_MAX_CHARS),
        );
        let description = v.check(
            "description",
            DESCRIPTION_RULE.parse(description, "description"),
        );
        let event_type = match EventType::parse(event_type) {
            Ok(t) => Some(t),
            Err(_) => {
                v.add(
                    "event_type",
                    "event_type must be one of movie, concert, sport, standup, theatre, other",
                );
                None
            }
        };
        v.finish()?;
        Ok(Self {
            title: title.expect("checked"),
            description: description.expect("checked"),
            event_type: event_type.expect("checked"),
            city_id,
            venue_id,
            organizer_id: None,
        })
    }
}

/// A text search of events (`q`): one line, at most [`crate::limits::SEARCH_MAX_CHARS`]
/// characters after trimming; blank means no search.
pub const SEARCH_RULE: TextRule = TextRule::optional_line(crate::limits::SEARCH_MAX_CHARS);

/// Filters for listing events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub city_id: Option<i64>,
    pub event_type: Option<EventType>,
    /// Events with a show starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events with a show starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Events that [`event_matches_text`] this text (`q`; see [`Self::validated`]).
    pub text: Option<String>,
    /// Events this account organises.
    pub organizer_id: Option<uuid::Uuid>,
}

impl EventFilter {
    /// [`Self::validated`] without keeping the result.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.clone().validated().map(|_| ())
    }

    /// The filter as the storage applies it, or every rule it breaks: `from` and `to` within
    /// the timestamp range ([`parse_instant`]), `to` not before `from`; the text trimmed and
    /// within [`SEARCH_RULE`] (field `q`), a blank one dropped.
    pub fn validated(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        for (field, value) in [("from", self.from), ("to", self.to)] {
            if let Some(t) = value {
                v.check(field, parse_instant(t, field));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if to < from {
                v.add("to", "to must not be before from");
            }
        }
        self.text = match self.text.take() {
            Some(text) => v.check("q", SEARCH_RULE.parse(&text, "q")),
            None => None,
        }
        .filter(|t| !t.is_empty());
        v.finish()?;
        Ok(self)
    }
}

/// The one rule of the event search: the event's title or its description contains `text`
/// (a validated search, [`EventFilter::validated`]), ignoring case — letters compared by their
/// lower case, every other character as it is (`%` and `_` included). SQL that filters by it
/// uses `infra-postgres`'s `rules::event_matches_text`, which states exactly this.
pub fn event_matches_text(title: &str, description: &str, text: &str) -> bool {
    let needle = text.to_lowercase();
    title.to_lowercase().contains(&needle) || description.to_lowercase().contains(&needle)
}

/// Pagination of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 500;

    pub fn parse(limit: Option<i64>, offset: Option<i64>) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            v.add(
                "limit",
                format!("limit must be between 1 and {}", Self::MAX_LIMIT),
            );
        }
        if offset < 0 {
            v.add("offset", "offset must not be negative");
        }
        v.finish()?;
        Ok(Self { limit, offset })
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of a list and the total number of matching rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: Page,
}

/// Seated (a seat map) or general admission (a capacity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowKind {
    Seated,
    General,
}

impl ShowKind {
    pub const ALL: [ShowKind; 2] = [ShowKind::Seated, ShowKind::General];

    pub fn as_str(self) -> &'static str {
        match self {
            ShowKind::Seated => "seated",
            ShowKind::General => "general",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "seated" => Some(ShowKind::Seated),
            "general" => Some(ShowKind::General),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Show {
    pub id: i64,
    pub event_id: i64,
    pub venue_id: Option<i64>,
    pub screen_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: ShowKind,
    pub currency: Currency,
    /// General admission: capacity, free places and price of one place (None = free).
    pub capacity: Option<u32>,
    pub free_places: Option<u32>,
    pub price: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Counts of one seat class of a show, and the price in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatClassAvailability {
    pub id: i64,
    pub name: String,
    pub prices: TierPrices,
    pub total_seats: u64,
    pub held_seats: u64,
    pub booked_seats: u64,
}

impl SeatClassAvailability {
    pub fn sold(&self) -> u64 {
        self.held_seats + self.booked_seats
    }
    pub fn available(&self) -> u64 {
        self.total_seats.saturating_sub(self.sold())
    }
    /// The price of the next seat of the class; `None` when not for sale.
    pub fn current_quote(&self) -> Option<Quote> {
        self.prices.quote(self.sold(), self.total_seats)
    }
    /// Occupancy as a fraction (for display only; decisions use integer counts).
    pub fn occupancy_percent(&self) -> f64 {
        if self.total_seats == 0 {
            0.0
        } else {
            let class_size = self.total_seats;
            self.sold() as f64 * 100.0 / class_size as f64
        }
    }
}

/// A show with its classes and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowDetail {
    pub show: Show,
    pub classes: Vec<SeatClassAvailability>,
}

impl ShowDetail {
    pub fn total_places(&self) -> u64 {
        match self.show.kind {
            ShowKind::General => u64::from(self.show.capacity.unwrap_or(0)),
            ShowKind::Seated => self.classes.iter().map(|c| c.total_seats).sum(),
        }
    }
    pub fn available_places(&self) -> u64 {
        match self.show.kind {
            ShowKind::General => u64::from(self.show.free_places.unwrap_or(0)),
            ShowKind::Seated => self.classes.iter().map(|c| c.available()).sum(),
        }
    }
}

/// An event with its shows.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDetail {
    pub event: Event,
    pub shows: Vec<ShowDetail>,
}

impl EventDetail {
    pub fn total_places(&self) -> u64 {
        self.shows.iter().map(ShowDetail::total_places).sum()
    }
    pub fn available_places(&self) -> u64 {
        self.shows.iter().map(ShowDetail::available_places).sum()
    }
}

/// A seat's status, derived from the active booking that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    Available,
    Held,
    Booked,
}

impl SeatStatus {
    pub const ALL: [SeatStatus; 3] = [SeatStatus::Available, SeatStatus::Held, SeatStatus::Booked];

    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Available => "available",
            SeatStatus::Held => "held",
            SeatStatus::Booked => "booked",
        }
    }
}

/// A seat in a seat-map listing (its place, [`crate::seat_map::SeatPlace`], with its state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatView {
    pub id: i64,
    pub label: String,
    pub row: String,
    pub number: u32,
    pub class_id: i64,
    /// The class's name, shared by the seats of the class.
    pub class: std::sync::Arc<str>,
    pub status: SeatStatus,
    /// For a held seat: when its hold ends.
    pub held_until: Option<chrono::DateTime<chrono::Utc>>,
    pub external_ref: Option<String>,
}

/// A seat together with its class's counts (for the single-seat view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatDetail {
    pub seat: SeatView,
    pub show_id: i64,
    pub currency: Currency,
    pub class: SeatClassAvailability,
}

mod new_show;
pub use new_show::*;

/// The tier and price a seat of a class would cost now.
pub fn tier_in_force(class: &SeatClassAvailability) -> Option<(Tier, i64)> {
    class.current_quote().map(|q| (q.tier, q.price))
}
