//! The ports: what the domain needs from the outside world. Adapters implement them
//! (`infra-postgres` for storage); unit tests use the mockall mocks (`mock` feature or tests).
//!
//! Error contract, for every method: an unknown id MUST be `DomainError::NotFound` naming the
//! entity; a constraint violation MUST be mapped to the matching domain error (never
//! `Internal`); `Internal` is only for failures of the machinery (database unreachable, bug).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::booking::{Booking, BookingCommand};
use crate::catalog::{
    City, Event, EventDetail, EventFilter, NewCity, NewEvent, NewShow, NewVenue, Page, Paged,
    SeatDetail, SeatView, ShowDetail, Venue,
};
use crate::error::DomainError;
use crate::import::{ImportSummary, PricingRow, SeatRow};
use crate::values::{Email, Phone};

/// Storage of the catalogue.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogRepository: Send + Sync + 'static {
    /// MUST return `Conflict { code: "duplicate" }` for a city of the same name and country.
    async fn create_city(&self, city: NewCity) -> Result<City, DomainError>;
    async fn list_cities(&self, page: Page) -> Result<Paged<City>, DomainError>;
    /// MUST return `NotFound("city")` for an unknown city.
    async fn create_venue(&self, venue: NewVenue) -> Result<Venue, DomainError>;
    async fn list_venues(
        &self,
        city_id: Option<i64>,
        page: Page,
    ) -> Result<Paged<Venue>, DomainError>;
    /// Creates the event and, when given, its one general-admission show, atomically.
    /// MUST return `NotFound` for an unknown city or venue.
    async fn create_event(
        &self,
        event: NewEvent,
        show: Option<NewShow>,
    ) -> Result<EventDetail, DomainError>;
    async fn list_events(
        &self,
        filter: EventFilter,
        page: Page,
    ) -> Result<Paged<Event>, DomainError>;
    async fn get_event(&self, id: i64) -> Result<EventDetail, DomainError>;
    /// Creates a show with its seat map or capacity, atomically (all seats or none).
    async fn create_show(&self, event_id: i64, show: NewShow) -> Result<ShowDetail, DomainError>;
    async fn get_show(&self, id: i64) -> Result<ShowDetail, DomainError>;
    /// The show and all its seats ordered by class name, row, seat number (natural order).
    async fn list_seats(&self, show_id: i64) -> Result<(ShowDetail, Vec<SeatView>), DomainError>;
    async fn get_seat(&self, id: i64) -> Result<SeatDetail, DomainError>;
    /// Upserts seats by label in ONE transaction; classes missing from the show are created
    /// without prices. Re-importing the same rows changes nothing.
    async fn import_seats(
        &self,
        show_id: i64,
        rows: Vec<SeatRow>,
    ) -> Result<ImportSummary, DomainError>;
    /// Upserts class prices by class name in ONE transaction.
    async fn import_pricing(
        &self,
        show_id: i64,
        rows: Vec<PricingRow>,
    ) -> Result<ImportSummary, DomainError>;
}

/// How to find bookings by their buyer's contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactQuery {
    Email(Email),
    Phone(Phone),
}

/// Storage of bookings. Every method that changes state is ONE transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait BookingRepository: Send + Sync + 'static {
    /// Books the command's places in one transaction: reads the show, locks the requested seats
    /// in a fixed order (or takes general-admission places with a guarded update), calls
    /// [`crate::booking::plan_seated`] / [`crate::booking::plan_general`] inside the transaction
    /// and writes the plan. MUST return `SeatsUnavailable` (never a unique-violation as
    /// `Internal`) when a seat is taken, `SoldOut` when places run out, `NotFound` for an unknown
    /// show or seat, and a `Validation` error for labels unknown in the show.
    async fn book(
        &self,
        command: BookingCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError>;
    async fn get_booking(&self, id: Uuid) -> Result<Booking, DomainError>;
    async fn find_bookings(
        &self,
        contact: ContactQuery,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError>;
    /// Cancels in one transaction (locking the booking row), applying the state machine: a
    /// booking that is not active MUST give `IllegalTransition`. Seats/places are free at once.
    async fn cancel_booking(&self, id: Uuid, now: DateTime<Utc>) -> Result<Booking, DomainError>;
}

/// Where "now" comes from (tests pin it).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Readiness of the storage (for `/ready`).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    async fn ready(&self) -> Result<(), DomainError>;
}
