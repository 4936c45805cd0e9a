//! Request and response bodies of the HTTP API, and their conversion from/into domain types.
//! Requests reject unknown fields (422 naming the field).

use boxoffice_domain::booking::{Booking, BookingItem};
use boxoffice_domain::cancellation::CancellationQuote;
use boxoffice_domain::catalog::{
    City, Event, EventDetail, SeatClassAvailability, SeatDetail, SeatStatus, SeatView, ShowDetail,
    Venue,
};
use boxoffice_domain::import::ImportSummary;
use boxoffice_domain::payment::HistoryEntry;
use chrono::{DateTime, Utc};
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::timestamp;

mod accounts;
mod bookings;
mod marketplace;
mod payments;

pub use accounts::*;
pub use bookings::*;
pub use marketplace::*;
pub use payments::*;

// ---------- requests ----------

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateCity {
    #[validate(length(min = 1, max = 200, message = "name must be 1 to 200 characters"))]
    pub name: String,
    #[validate(length(min = 1, max = 100, message = "country must be 1 to 100 characters"))]
    pub country: String,
    #[validate(range(min = -90.0, max = 90.0, message = "latitude must be between -90 and 90"))]
    pub latitude: f64,
    #[validate(range(min = -180.0, max = 180.0, message = "longitude must be between -180 and 180"))]
    pub longitude: f64,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateVenue {
    pub city_id: i64,
    #[validate(length(min = 1, max = 200, message = "name must be 1 to 200 characters"))]
    pub name: String,
    #[validate(length(max = 500, message = "address must be at most 500 characters"))]
    pub address: Option<String>,
    #[validate(range(min = -90.0, max = 90.0, message = "latitude must be between -90 and 90"))]
    pub latitude: f64,
    #[validate(range(min = -180.0, max = 180.0, message = "longitude must be between -180 and 180"))]
    pub longitude: f64,
    /// The venue's IANA time zone (`Europe/Berlin`); show times are told in it. Default `UTC`.
    pub time_zone: Option<String>,
}

/// An event. With `total_seats` and `date` it also gets one general-admission show of that
/// capacity starting at `date` (ending at `ends_at`, default two hours later).
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    pub title: String,
    pub description: Option<String>,
    /// movie, concert, sport, standup, theatre or other
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    pub total_seats: Option<i64>,
    pub date: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Price of one general-admission place in minor units (absent = free).
    pub price: Option<i64>,
    /// ISO 4217 code; default from config.
    pub currency: Option<String>,
}

/// A seat class of a new seat map: prices in minor units (any may be absent), and optionally
/// `rows` × `seats_per_row` to generate seats labelled `<row><number>`.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct SeatClassInput {
    pub name: String,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub rows: Option<Vec<String>>,
    pub seats_per_row: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct SeatInput {
    pub label: String,
    pub class: String,
    pub external_ref: Option<String>,
}

/// A show: either `capacity` (general admission, optional `price`) or a seat map
/// (`seat_classes`, plus `seats` and/or per-class `rows`/`seats_per_row`). `seat_classes: []`
/// makes an empty seated show, filled later by the seats and pricing CSV imports.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateShow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue_id: Option<i64>,
    pub screen_name: Option<String>,
    pub currency: Option<String>,
    pub capacity: Option<i64>,
    pub price: Option<i64>,
    pub seat_classes: Option<Vec<SeatClassInput>>,
    pub seats: Option<Vec<SeatInput>>,
}

/// Book seats (`seat_ids` or `seat_labels`) of a seated show, a `quantity` of a
/// general-admission show, or a slot of a service (`service_id` and `starts_at`, optional
/// `notes`). Give exactly one of `show_id` and `service_id`. Guests give `name` and at least one
/// of `phone`/`email`; for a signed-in caller they default to the profile and the booking
/// belongs to the account.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateBooking {
    /// The show to book seats or places of.
    pub show_id: Option<i64>,
    /// The service to book a slot of (an appointment): give `starts_at` too.
    pub service_id: Option<i64>,
    /// The slot's start, one of `GET /services/{id}/slots` (with `service_id`).
    pub starts_at: Option<DateTime<Utc>>,
    /// A note to the provider (with `service_id`), at most 2,000 characters.
    pub notes: Option<String>,
    /// Seats by id. Give exactly one of `seat_ids`, `seat_labels` (seated shows) or `quantity`
    /// (general admission).
    pub seat_ids: Option<Vec<i64>>,
    /// Seats by label (`A1`). Give exactly one of `seat_ids`, `seat_labels` or `quantity`.
    pub seat_labels: Option<Vec<String>>,
    /// Places of a general-admission show. Give exactly one of `seat_ids`, `seat_labels` or
    /// `quantity`.
    pub quantity: Option<i64>,
    /// The buyer's name: required for guests; a signed-in caller's defaults to the profile.
    pub name: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub phone: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub email: Option<String>,
}

/// Book one general-admission place of an event that has exactly one show.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct BookEvent {
    /// The buyer's name: required for guests; a signed-in caller's defaults to the profile.
    pub name: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub phone: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct VenueQuery {
    pub city_id: Option<i64>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct EventQuery {
    /// Only events whose title or description contains this text, ignoring case (`%` and `_`
    /// are plain characters). Trimmed; blank means no search; at most 200 characters.
    pub q: Option<String>,
    /// Only events this account organises (a provider lists its own events with its user id).
    pub organizer_id: Option<Uuid>,
    pub city_id: Option<i64>,
    pub event_type: Option<String>,
    /// Only events with a show starting at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only events with a show starting before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct BookingQuery {
    /// Bookings made with this email (blank: no filter; with `phone` too, email is used and
    /// both must be well-formed).
    pub email: Option<String>,
    /// Bookings made with this phone number (blank: no filter).
    pub phone: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

// ---------- responses ----------

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CityDto {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<City> for CityDto {
    fn from(c: City) -> Self {
        Self {
            id: c.id,
            name: c.name,
            country: c.country,
            latitude: c.latitude,
            longitude: c.longitude,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct VenueDto {
    pub id: i64,
    pub city_id: i64,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Its IANA time zone (`UTC` when none was given).
    pub time_zone: String,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<Venue> for VenueDto {
    fn from(v: Venue) -> Self {
        Self {
            id: v.id,
            city_id: v.city_id,
            name: v.name,
            address: v.address,
            latitude: v.latitude,
            longitude: v.longitude,
            time_zone: v.time_zone,
            created_at: v.created_at,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct EventDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    /// The provider (user id) who organises the event.
    pub organizer_id: Option<Uuid>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            title: e.title,
            description: e.description,
            event_type: e.event_type.as_str().to_owned(),
            city_id: e.city_id,
            venue_id: e.venue_id,
            organizer_id: e.organizer_id,
            created_at: e.created_at,
        }
    }
}

/// A seat class of a show with its counts and the price of its next seat.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatClassDto {
    pub id: i64,
    pub name: String,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub total_seats: u64,
    pub available_seats: u64,
    pub held_seats: u64,
    pub booked_seats: u64,
    /// Price of the next seat sold (None: not for sale).
    pub current_price: Option<i64>,
    /// Tier in force: min, normal or max.
    pub tier: String,
    pub for_sale: bool,
}

impl From<SeatClassAvailability> for SeatClassDto {
    fn from(c: SeatClassAvailability) -> Self {
        let quote = c.current_quote();
        let band = boxoffice_domain::pricing::TierPrices::band(c.sold(), c.total_seats);
        Self {
            id: c.id,
            available_seats: c.available(),
            total_seats: c.total_seats,
            held_seats: c.held_seats,
            booked_seats: c.booked_seats,
            current_price: quote.map(|q| q.price),
            tier: band.as_str().to_owned(),
            for_sale: c.prices.is_for_sale(),
            min_price: c.prices.min_price,
            normal_price: c.prices.normal_price,
            max_price: c.prices.max_price,
            name: c.name,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ShowDto {
    pub id: i64,
    pub event_id: i64,
    pub venue_id: Option<i64>,
    pub screen_name: String,
    #[serde(serialize_with = "timestamp::serialize")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub ends_at: DateTime<Utc>,
    /// seated or general
    pub kind: String,
    pub currency: String,
    /// General admission: price of one place (None = free).
    pub price: Option<i64>,
    /// Seats (seated) or capacity (general admission).
    pub total_seats: u64,
    pub available_seats: u64,
    pub seat_classes: Vec<SeatClassDto>,
}

impl From<ShowDetail> for ShowDto {
    fn from(d: ShowDetail) -> Self {
        let total = d.total_places();
        let available = d.available_places();
        let s = d.show;
        Self {
            id: s.id,
            event_id: s.event_id,
            venue_id: s.venue_id,
            screen_name: s.screen_name,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            kind: s.kind.as_str().to_owned(),
            currency: s.currency.as_str().to_owned(),
            price: s.price,
            total_seats: total,
            available_seats: available,
            seat_classes: d.classes.into_iter().map(SeatClassDto::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct EventDetailDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    pub organizer_id: Option<Uuid>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    /// Summed over the shows.
    pub total_seats: u64,
    /// Summed over the shows.
    pub available_seats: u64,
    pub shows: Vec<ShowDto>,
}

impl From<EventDetail> for EventDetailDto {
    fn from(d: EventDetail) -> Self {
        let total = d.total_places();
        let available = d.available_places();
        let e = d.event;
        Self {
            id: e.id,
            title: e.title,
            description: e.description,
            event_type: e.event_type.as_str().to_owned(),
            city_id: e.city_id,
            venue_id: e.venue_id,
            organizer_id: e.organizer_id,
            created_at: e.created_at,
            total_seats: total,
            available_seats: available,
            shows: d.shows.into_iter().map(ShowDto::from).collect(),
        }
    }
}

/// A seat in the seat map.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatDto {
    pub id: i64,
    pub label: String,
    pub row: String,
    pub number: u32,
    pub class: String,
    /// available, held or booked
    pub status: String,
    /// For a held seat: when its hold ends (it is free again then unless paid).
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub held_until: Option<DateTime<Utc>>,
    pub is_booked: bool,
    /// Current price of the seat's class in minor units (None: not for sale).
    pub price: Option<i64>,
    pub external_ref: Option<String>,
}

impl SeatDto {
    pub fn new(s: SeatView, price: Option<i64>) -> Self {
        Self {
            id: s.id,
            is_booked: s.status != SeatStatus::Available,
            status: s.status.as_str().to_owned(),
            held_until: s.held_until,
            label: s.label,
            row: s.row,
            number: s.number,
            class: s.class.to_string(),
            price,
            external_ref: s.external_ref,
        }
    }
}

/// A seat class's pricing as seen from one seat.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatPricingDto {
    pub current_price: Option<i64>,
    /// min, normal or max
    pub tier: String,
    /// Seats of the class in active bookings, as a percentage of the class.
    pub occupancy_percent: f64,
    pub sold_seats: u64,
    pub class_seats: u64,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub for_sale: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatDetailDto {
    pub id: i64,
    pub show_id: i64,
    pub label: String,
    pub class: String,
    pub status: String,
    pub is_booked: bool,
    pub currency: String,
    pub pricing: SeatPricingDto,
}

impl From<SeatDetail> for SeatDetailDto {
    fn from(d: SeatDetail) -> Self {
        let c = d.class;
        let quote = c.current_quote();
        let pricing = SeatPricingDto {
            current_price: quote.map(|q| q.price),
            tier: boxoffice_domain::pricing::TierPrices::band(c.sold(), c.total_seats)
                .as_str()
                .to_owned(),
            occupancy_percent: (c.occupancy_percent() * 100.0).round() / 100.0,
            sold_seats: c.sold(),
            class_seats: c.total_seats,
            min_price: c.prices.min_price,
            normal_price: c.prices.normal_price,
            max_price: c.prices.max_price,
            for_sale: c.prices.is_for_sale(),
        };
        Self {
            id: d.seat.id,
            show_id: d.show_id,
            is_booked: d.seat.status != SeatStatus::Available,
            status: d.seat.status.as_str().to_owned(),
            label: d.seat.label,
            class: d.seat.class.to_string(),
            currency: d.currency.as_str().to_owned(),
            pricing,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ImportResultDto {
    pub show_id: i64,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl ImportResultDto {
    pub fn new(show_id: i64, s: ImportSummary) -> Self {
        Self {
            show_id,
            rows: s.rows,
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
        }
    }
}

macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// A page of a list: `items`, the `total` of matching rows, `limit` and `offset`.
        #[derive(Debug, Serialize, Apiv2Schema)]
        pub struct $name {
            pub items: Vec<$item>,
            pub total: i64,
            pub limit: i64,
            pub offset: i64,
        }

        impl $name {
            /// The list envelope of a page of domain values.
            pub fn from_paged<D>(page: boxoffice_domain::catalog::Paged<D>) -> Self
            where
                $item: From<D>,
            {
                Self {
                    items: page.items.into_iter().map(<$item>::from).collect(),
                    total: page.total,
                    limit: page.page.limit,
                    offset: page.page.offset,
                }
            }
        }
    };
}

list_type!(CityList, CityDto);
list_type!(VenueList, VenueDto);
list_type!(EventList, EventDto);
list_type!(SeatList, SeatDto);
list_type!(BookingList, BookingDto);
list_type!(UserList, UserDto);
list_type!(OutboxMessageList, crate::outbox::OutboxMessageDto);
list_type!(NotificationList, crate::inbox::NotificationDto);
list_type!(WebhookList, crate::webhooks::WebhookDto);
list_type!(WebhookDeliveryList, crate::webhooks::WebhookDeliveryDto);
list_type!(CategoryList, CategoryDto);
list_type!(ServiceList, ServiceDto);
