//! Use cases: the entry points the HTTP API and the CLI call. They parse and check input, ask
//! the ports, and never touch I/O themselves.

use std::sync::Arc;

use uuid::Uuid;

use crate::account::{cancellation_reason, may_access_booking, Actor, Role, SecretToken};
use crate::booking::{Booking, BookingRequest};
use crate::catalog::{
    City, Event, EventDetail, EventFilter, Layout, NewCity, NewEvent, NewShow, NewVenue, Page,
    Paged, SeatDetail, SeatView, ShowDetail, Venue,
};
use crate::error::DomainError;
use crate::import::{parse_pricing_csv, parse_seats_csv, ImportSummary};
use crate::payment::HistoryEntry;
use crate::ports::{
    BookingFilter, BookingRepository, CatalogRepository, Clock, ContactQuery, TokenGenerator,
};
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

    /// Admins only.
    pub async fn create_city(&self, actor: &Actor, city: NewCity) -> Result<City, DomainError> {
        actor.require_admin()?;
        self.repo.create_city(city).await
    }
    pub async fn list_cities(&self, page: Page) -> Result<Paged<City>, DomainError> {
        self.repo.list_cities(page).await
    }
    /// Admins only.
    pub async fn create_venue(&self, actor: &Actor, venue: NewVenue) -> Result<Venue, DomainError> {
        actor.require_admin()?;
        self.repo.create_venue(venue).await
    }
    pub async fn list_venues(
        &self,
        city_id: Option<i64>,
        page: Page,
    ) -> Result<Paged<Venue>, DomainError> {
        self.repo.list_venues(city_id, page).await
    }

    /// Creates an event organised by the caller (a provider or an admin); with `show` (general
    /// admission only) it gets that one show.
    pub async fn create_event(
        &self,
        actor: &Actor,
        mut event: NewEvent,
        show: Option<NewShow>,
    ) -> Result<EventDetail, DomainError> {
        event.organizer_id = Some(actor.require_organiser()?.id);
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

    /// The event's organiser or an admin.
    pub async fn create_show(
        &self,
        actor: &Actor,
        event_id: i64,
        show: NewShow,
    ) -> Result<ShowDetail, DomainError> {
        actor.require_user()?;
        let organizer = self.repo.event_organizer(event_id).await?;
        actor.require_event_manager(organizer)?;
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

    /// The show's organiser or an admin may change its seat map and prices.
    async fn require_show_manager(&self, actor: &Actor, show_id: i64) -> Result<(), DomainError> {
        actor.require_user()?;
        let organizer = self.repo.show_organizer(show_id).await?;
        actor.require_event_manager(organizer)?;
        Ok(())
    }

    /// Imports a seats CSV file: parse everything first, then one transaction.
    pub async fn import_seats(
        &self,
        actor: &Actor,
        show_id: i64,
        csv: &[u8],
    ) -> Result<ImportSummary, DomainError> {
        self.require_show_manager(actor, show_id).await?;
        let rows = parse_seats_csv(csv)?;
        self.repo.import_seats(show_id, rows).await
    }

    /// Imports a pricing CSV file: parse everything first, then one transaction.
    pub async fn import_pricing(
        &self,
        actor: &Actor,
        show_id: i64,
        csv: &[u8],
    ) -> Result<ImportSummary, DomainError> {
        self.require_show_manager(actor, show_id).await?;
        let rows = parse_pricing_csv(csv)?;
        self.repo.import_pricing(show_id, rows).await
    }
}

/// Booking use cases.
#[derive(Clone)]
pub struct BookingService {
    repo: Arc<dyn BookingRepository>,
    clock: Arc<dyn Clock>,
    tokens: Arc<dyn TokenGenerator>,
    rules: BookingRules,
}

/// A new booking and, for a guest, the token that gives access to it (shown once).
#[derive(Debug, Clone)]
pub struct Booked {
    pub booking: Booking,
    pub guest_token: Option<SecretToken>,
}

impl BookingService {
    pub fn new(
        repo: Arc<dyn BookingRepository>,
        clock: Arc<dyn Clock>,
        tokens: Arc<dyn TokenGenerator>,
        rules: BookingRules,
    ) -> Self {
        Self {
            repo,
            clock,
            tokens,
            rules,
        }
    }

    pub fn rules(&self) -> BookingRules {
        self.rules
    }

    /// Books seats or places: parses the request (422 on bad input), then one transaction.
    /// A signed-in caller owns the booking (name and contact default to their profile); a guest
    /// gets a guest token.
    pub async fn book(
        &self,
        actor: &Actor,
        mut request: BookingRequest,
    ) -> Result<Booked, DomainError> {
        if let Some(user) = actor.user() {
            if request.name.trim().is_empty() {
                request.name = user.display_name();
            }
            let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
            if blank(&request.email) && blank(&request.phone) {
                request.email = Some(user.email.clone());
            }
        }
        let mut command = request.parse(self.rules.max_seats_per_booking)?;
        command.actor = actor.history_label();
        let guest_token = match actor.user_id() {
            Some(id) => {
                command.user_id = Some(id);
                None
            }
            None => {
                let token = SecretToken::new(self.tokens.token());
                command.guest_token_hash = Some(token.hash());
                Some(token)
            }
        };
        let booking = self.repo.book(command, self.clock.now()).await?;
        Ok(Booked {
            booking,
            guest_token,
        })
    }

    /// One booking, for its owner, its guest-token holder or an admin; anyone else gets the same
    /// 404 as for an unknown id.
    pub async fn get(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Booking, DomainError> {
        let booking = self.repo.get_booking(id).await?;
        if may_access_booking(
            actor,
            booking.user_id,
            booking.guest_token_hash.as_ref(),
            guest_token,
        ) {
            Ok(booking)
        } else {
            Err(DomainError::not_found("booking", id))
        }
    }

    /// Lists bookings. Anonymous callers: none (401 with a contact, a validation error without;
    /// the HTTP edge answers that case 400 `contact_required` before calling). Signed-in
    /// callers: their own, optionally narrowed to their own email or phone. Admins: anyone's
    /// by email or phone, else their own.
    pub async fn list(
        &self,
        actor: &Actor,
        email: Option<&str>,
        phone: Option<&str>,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        let email = email.map(str::trim).filter(|s| !s.is_empty());
        let phone = phone.map(str::trim).filter(|s| !s.is_empty());
        let contact = match (email, phone) {
            (Some(e), _) => Some(ContactQuery::Email(
                Email::parse(e).map_err(|e| DomainError::invalid("email", e.message))?,
            )),
            (None, Some(p)) => Some(ContactQuery::Phone(
                Phone::parse(p).map_err(|e| DomainError::invalid("phone", e.message))?,
            )),
            (None, None) => None,
        };
        let Some(user) = actor.user() else {
            return Err(match contact {
                Some(_) => DomainError::unauthenticated(),
                None => DomainError::invalid(
                    "email",
                    "sign in to list your bookings (or give ?email= or ?phone= as an admin)",
                ),
            });
        };
        if user.role == Role::Admin && contact.is_some() {
            return self
                .repo
                .find_bookings(
                    BookingFilter {
                        user_id: None,
                        contact,
                    },
                    page,
                )
                .await;
        }
        if let Some(c) = &contact {
            let own = match c {
                ContactQuery::Email(e) => e.as_str() == user.email,
                ContactQuery::Phone(p) => Some(p.as_str()) == user.phone.as_deref(),
            };
            if !own {
                return Err(DomainError::forbidden(
                    "only admins may list other people's bookings by email or phone",
                ));
            }
        }
        self.repo
            .find_bookings(
                BookingFilter {
                    user_id: Some(user.id),
                    contact,
                },
                page,
            )
            .await
    }

    /// The bookings of one user: that user or an admin.
    pub async fn list_for_user(
        &self,
        actor: &Actor,
        user_id: Uuid,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        actor.require_self_or_admin(user_id)?;
        self.repo
            .find_bookings(
                BookingFilter {
                    user_id: Some(user_id),
                    contact: None,
                },
                page,
            )
            .await
    }

    /// Cancels a booking (owner, guest-token holder or admin); its seats or places are free again
    /// at once.
    pub async fn cancel(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Booking, DomainError> {
        let booking = self.get(actor, id, guest_token).await?;
        let reason = cancellation_reason(actor, booking.user_id);
        self.repo
            .cancel_booking(
                id,
                self.clock.now(),
                actor.history_label(),
                reason.to_owned(),
            )
            .await
    }

    /// The history of a booking, oldest first: to those who may read the booking ([`Self::get`];
    /// anyone else gets the same 404 as for an unknown id).
    pub async fn history(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, DomainError> {
        self.get(actor, id, guest_token).await?;
        self.repo.history(id).await
    }
}
