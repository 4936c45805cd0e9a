//! Use cases: the entry points the HTTP API and the CLI call. They parse and check input, ask
//! the ports, and never touch I/O themselves.

use std::sync::Arc;

use uuid::Uuid;

use crate::booking::{Booking, BookingRequest};
use crate::catalog::{
    City, Event, EventDetail, EventFilter, Layout, NewCity, NewEvent, NewShow, NewVenue, Page,
    Paged, SeatDetail, SeatView, ShowDetail, Venue,
};
use crate::error::DomainError;
use crate::import::{parse_pricing_csv, parse_seats_csv, ImportSummary};
use crate::ports::{BookingRepository, CatalogRepository, Clock, ContactQuery};
use crate::values::{Email, Phone};

/// Settings the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRules {
    /// Most seats or places in one booking.
    pub max_seats_per_booking: u32,
}

impl Default for BookingRules {
    fn default() -> Self {
        Self {
            max_seats_per_booking: 10,
        }
    }
}

/// Catalogue use cases.
#[derive(Clone)]
pub struct CatalogService {
    repo: Arc<dyn CatalogRepository>,
}

impl CatalogService {
    pub fn new(repo: Arc<dyn CatalogRepository>) -> Self {
        Self { repo }
    }

    pub async fn create_city(&self, city: NewCity) -> Result<City, DomainError> {
        self.repo.create_city(city).await
    }
    pub async fn list_cities(&self, page: Page) -> Result<Paged<City>, DomainError> {
        self.repo.list_cities(page).await
    }
    pub async fn create_venue(&self, venue: NewVenue) -> Result<Venue, DomainError> {
        self.repo.create_venue(venue).await
    }
    pub async fn list_venues(
        &self,
        city_id: Option<i64>,
        page: Page,
    ) -> Result<Paged<Venue>, DomainError> {
        self.repo.list_venues(city_id, page).await
    }

    /// Creates an event; with `show` (general admission only) it gets that one show.
    pub async fn create_event(
        &self,
        event: NewEvent,
        show: Option<NewShow>,
    ) -> Result<EventDetail, DomainError> {
        if let Some(s) = &show {
            if !matches!(s.layout, Layout::General { .. }) {
                return Err(DomainError::invalid(
                    "total_seats",
                    "an event created with total_seats gets a general-admission show",
                ));
            }
            s.validate()?;
        }
        self.repo.create_event(event, show).await
    }

    pub async fn list_events(
        &self,
        filter: EventFilter,
        page: Page,
    ) -> Result<Paged<Event>, DomainError> {
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if to < from {
                return Err(DomainError::invalid("to", "to must not be before from"));
            }
        }
        self.repo.list_events(filter, page).await
    }

    pub async fn get_event(&self, id: i64) -> Result<EventDetail, DomainError> {
        self.repo.get_event(id).await
    }

    pub async fn create_show(
        &self,
        event_id: i64,
        show: NewShow,
    ) -> Result<ShowDetail, DomainError> {
        show.validate()?;
        self.repo.create_show(event_id, show).await
    }

    pub async fn get_show(&self, id: i64) -> Result<ShowDetail, DomainError> {
        self.repo.get_show(id).await
    }

    pub async fn list_seats(
        &self,
        show_id: i64,
    ) -> Result<(ShowDetail, Vec<SeatView>), DomainError> {
        self.repo.list_seats(show_id).await
    }

    pub async fn get_seat(&self, id: i64) -> Result<SeatDetail, DomainError> {
        self.repo.get_seat(id).await
    }

    /// Imports a seats CSV file: parse everything first, then one transaction.
    pub async fn import_seats(
        &self,
        show_id: i64,
        csv: &[u8],
    ) -> Result<ImportSummary, DomainError> {
        let rows = parse_seats_csv(csv)?;
        self.repo.import_seats(show_id, rows).await
    }

    /// Imports a pricing CSV file: parse everything first, then one transaction.
    pub async fn import_pricing(
        &self,
        show_id: i64,
        csv: &[u8],
    ) -> Result<ImportSummary, DomainError> {
        let rows = parse_pricing_csv(csv)?;
        self.repo.import_pricing(show_id, rows).await
    }
}

/// Booking use cases.
#[derive(Clone)]
pub struct BookingService {
    repo: Arc<dyn BookingRepository>,
    clock: Arc<dyn Clock>,
    rules: BookingRules,
}

impl BookingService {
    pub fn new(
        repo: Arc<dyn BookingRepository>,
        clock: Arc<dyn Clock>,
        rules: BookingRules,
    ) -> Self {
        Self { repo, clock, rules }
    }

    pub fn rules(&self) -> BookingRules {
        self.rules
    }

    /// Books seats or places: parses the request (422 on bad input), then one transaction.
    pub async fn book(&self, request: BookingRequest) -> Result<Booking, DomainError> {
        let command = request.parse(self.rules.max_seats_per_booking)?;
        self.repo.book(command, self.clock.now()).await
    }

    pub async fn get(&self, id: Uuid) -> Result<Booking, DomainError> {
        self.repo.get_booking(id).await
    }

    /// Bookings made with an email or a phone; one of them is required.
    pub async fn find_by_contact(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        let email = email.map(str::trim).filter(|s| !s.is_empty());
        let phone = phone.map(str::trim).filter(|s| !s.is_empty());
        let query = match (email, phone) {
            (Some(e), _) => ContactQuery::Email(
                Email::parse(e).map_err(|e| DomainError::invalid("email", e.message))?,
            ),
            (None, Some(p)) => ContactQuery::Phone(
                Phone::parse(p).map_err(|e| DomainError::invalid("phone", e.message))?,
            ),
            (None, None) => {
                return Err(DomainError::invalid(
                    "email",
                    "give ?email= or ?phone= to find bookings",
                ))
            }
        };
        self.repo.find_bookings(query, page).await
    }

    /// Cancels a booking; its seats or places are free again at once.
    pub async fn cancel(&self, id: Uuid) -> Result<Booking, DomainError> {
        self.repo.cancel_booking(id, self.clock.now()).await
    }
}
