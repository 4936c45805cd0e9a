//! Row types and their conversion into domain types.

use boxoffice_domain::account::{Role, TokenHash, User};
use boxoffice_domain::booking::{Booking, BookingItem, BookingStatus};
use boxoffice_domain::catalog::{
    City, Event, EventType, SeatClassAvailability, Show, ShowKind, Venue,
};
use boxoffice_domain::pricing::{Tier, TierPrices};
use boxoffice_domain::values::Currency;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int8, Nullable, Text};
use uuid::Uuid;

use crate::schema::*;

pub(crate) fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::internal(format!("stored {what} '{value}' is not valid"))
}

pub(crate) fn currency(code: &str) -> Result<Currency, DomainError> {
    Currency::parse(code).map_err(|_| corrupt("currency", code))
}

/// A count or number stored as `INTEGER` (never negative by its CHECK).
pub(crate) fn u32_of(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// A count to store as `INTEGER` (the domain's limits keep it far below `i32::MAX`).
pub(crate) fn i32_of(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = cities)]
pub(crate) struct CityRow {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub created_at: DateTime<Utc>,
}

impl From<CityRow> for City {
    fn from(r: CityRow) -> Self {
        City {
            id: r.id,
            name: r.name,
            country: r.country,
            latitude: r.latitude,
            longitude: r.longitude,
            created_at: r.created_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = venues)]
pub(crate) struct VenueRow {
    pub id: i64,
    pub city_id: i64,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub created_at: DateTime<Utc>,
    pub time_zone: String,
}

impl From<VenueRow> for Venue {
    fn from(r: VenueRow) -> Self {
        Venue {
            id: r.id,
            city_id: r.city_id,
            name: r.name,
            address: r.address,
            latitude: r.latitude,
            longitude: r.longitude,
            time_zone: r.time_zone,
            created_at: r.created_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = events)]
pub(crate) struct EventRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub organizer_id: Option<Uuid>,
}

impl TryFrom<EventRow> for Event {
    type Error = DomainError;
    fn try_from(r: EventRow) -> Result<Self, DomainError> {
        Ok(Event {
            id: r.id,
            event_type: EventType::parse(&r.event_type)
                .map_err(|_| corrupt("event_type", &r.event_type))?,
            title: r.title,
            description: r.description,
            city_id: r.city_id,
            venue_id: r.venue_id,
            organizer_id: r.organizer_id,
            created_at: r.created_at,
        })
    }
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = shows)]
pub(crate) struct ShowRow {
    pub id: i64,
    pub event_id: i64,
    pub venue_id: Option<i64>,
    pub screen_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: String,
    pub currency: String,
    pub capacity: Option<i32>,
    pub free_places: Option<i32>,
    pub price: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<ShowRow> for Show {
    type Error = DomainError;
    fn try_from(r: ShowRow) -> Result<Self, DomainError> {
        Ok(Show {
            id: r.id,
            event_id: r.event_id,
            venue_id: r.venue_id,
            screen_name: r.screen_name,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            kind: ShowKind::parse(&r.kind).ok_or_else(|| corrupt("show kind", &r.kind))?,
            currency: currency(&r.currency)?,
            capacity: r.capacity.map(u32_of),
            free_places: r.free_places.map(u32_of),
            price: r.price,
            created_at: r.created_at,
        })
    }
}

/// A seat class with its counts (from an aggregate query).
#[derive(QueryableByName)]
pub(crate) struct ClassCountsRow {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Int8)]
    pub show_id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Int8>)]
    pub min_price: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub normal_price: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub max_price: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub total_seats: i64,
    #[diesel(sql_type = BigInt)]
    pub held_seats: i64,
    #[diesel(sql_type = BigInt)]
    pub active_seats: i64,
}

impl From<ClassCountsRow> for SeatClassAvailability {
    fn from(r: ClassCountsRow) -> Self {
        let held = r.held_seats.max(0) as u64;
        SeatClassAvailability {
            id: r.id,
            name: r.name,
            prices: TierPrices {
                min_price: r.min_price,
                normal_price: r.normal_price,
                max_price: r.max_price,
            },
            total_seats: r.total_seats.max(0) as u64,
            held_seats: held,
            booked_seats: (r.active_seats.max(0) as u64).saturating_sub(held),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = bookings)]
pub(crate) struct BookingRow {
    pub id: Uuid,
    pub reference: String,
    pub show_id: Option<i64>,
    pub status: String,
    pub customer_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub quantity: i32,
    pub total_amount: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub user_id: Option<Uuid>,
    pub guest_token_hash: Option<Vec<u8>>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Queryable)]
pub(crate) struct ItemRow {
    pub booking_id: Uuid,
    pub seat_id: Option<i64>,
    pub label: Option<String>,
    pub class_name: Option<String>,
    pub quantity: i32,
    pub price: i64,
    pub tier: Option<String>,
}

impl From<ItemRow> for BookingItem {
    fn from(r: ItemRow) -> Self {
        BookingItem {
            seat_id: r.seat_id,
            label: r.label,
            seat_class: r.class_name,
            quantity: u32_of(r.quantity),
            price: r.price,
            tier: r.tier.as_deref().and_then(Tier::parse),
        }
    }
}

pub(crate) fn booking_from(
    r: BookingRow,
    event_id: Option<i64>,
    items: Vec<BookingItem>,
) -> Result<Booking, DomainError> {
    Ok(Booking {
        id: r.id,
        status: BookingStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
        reference: r.reference,
        show_id: r.show_id,
        event_id,
        appointment: None,
        customer_name: r.customer_name,
        phone: r.phone,
        email: r.email,
        quantity: u32_of(r.quantity),
        total_amount: r.total_amount,
        currency: currency(&r.currency)?,
        items,
        created_at: r.created_at,
        updated_at: r.updated_at,
        cancelled_at: r.cancelled_at,
        user_id: r.user_id,
        guest_token_hash: r
            .guest_token_hash
            .as_deref()
            .and_then(TokenHash::from_slice),
        expires_at: r.expires_at,
        payments: vec![],
    })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub phone: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = DomainError;
    fn try_from(r: UserRow) -> Result<Self, DomainError> {
        Ok(User {
            id: r.id,
            role: Role::parse(&r.role).map_err(|_| corrupt("role", &r.role))?,
            email: r.email,
            phone: r.phone,
            first_name: r.first_name,
            last_name: r.last_name,
            address: r.address,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
