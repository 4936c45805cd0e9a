//! Use cases: the entry points the HTTP API and the CLI call. They parse and check input, ask
//! the ports, and never touch I/O themselves.

use std::sync::Arc;

use uuid::Uuid;

use crate::account::{cancellation_reason, Actor, Role, SecretToken};
use crate::booking::{parse_places_only, Booking, BookingRequest};
use crate::booking::{Places, DEFAULT_HOLD_MINUTES};
use crate::booking_access::readable_booking;
use crate::cancellation::{quote_cancellation, CancellationQuote};
use crate::catalog::{
    City, Event, EventDetail, EventFilter, Layout, NewCity, NewEvent, NewShow, NewVenue, Page,
    Paged, SeatDetail, ShowDetail, Venue,
};
use crate::error::DomainError;
use crate::import::{parse_pricing_csv, parse_seats_csv, ImportSummary};
use crate::lifecycle::Refunds;
use crate::payment::{HistoryEntry, RefundPolicy};
use crate::ports::{
    BookingFilter, BookingRepository, CatalogRepository, Clock, ContactQuery, SystemClock,
    TokenGenerator,
};
use crate::quote::{quote_booking, BookingQuote};
use crate::seat_map::SeatMap;
use crate::values::SeatLabel;
use crate::values::{Email, Phone};

mod appointments;
pub use appointments::may_manage_appointment;

/// A signed-in caller's profile fills what a booking request leaves blank: the name, and the
/// email when neither email nor phone is given.
fn default_buyer(
    actor: &Actor,
    name: &mut String,
    email: &mut Option<String>,
    phone: &Option<String>,
) {
    if let Some(user) = actor.user() {
        if name.trim().is_empty() {
            *name = user.display_name();
        }
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(email) && blank(phone) {
            *email = Some(user.email.clone());
        }
    }
}

/// Settings the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRules {
    /// Most seats or places in one booking.
    pub max_seats_per_booking: u32,
    /// How long a booking with something to pay is held (config `booking.hold_minutes`).
    pub hold_for: chrono::Duration,
    /// What a cancellation refunds (config `payments.refund_*`).
    pub refund_policy: RefundPolicy,
}

impl Default for BookingRules {
    fn default() -> Self {
        Self {
            max_seats_per_booking: 10,
            hold_for: chrono::Duration::minutes(DEFAULT_HOLD_MINUTES),
            refund_policy: RefundPolicy::default(),
        }
    }
}

/// The seats of a `PUT /bookings/{id}/seats`: exactly one of ids or labels, 1..=max, distinct.
fn parse_seat_change(
    seat_ids: Option<Vec<i64>>,
    seat_labels: Option<Vec<String>>,
    max: u32,
) -> Result<Places, DomainError> {
    let count_ok = |n: usize, field: &str| {
        if n == 0 {
            Err(DomainError::invalid(field, "ask for at least one seat"))
        } else if n > max as usize {
            Err(DomainError::invalid(
                field,
                format!("at most {max} seats or places per booking"),
            ))
        } else {
            Ok(())
        }
    };
    match (seat_ids, seat_labels) {
        (Some(ids), None) => {
            count_ok(ids.len(), "seat_ids")?;
            let distinct: std::collections::HashSet<i64> = ids.iter().copied().collect();
            if distinct.len() != ids.len() {
                return Err(DomainError::invalid("seat_ids", "seats must be distinct"));
            }
            if ids.iter().any(|id| *id <= 0) {
                return Err(DomainError::invalid(
                    "seat_ids",
                    "seat ids are positive integers",
                ));
            }
            Ok(Places::SeatIds(ids))
        }
        (None, Some(labels)) => {
            count_ok(labels.len(), "seat_labels")?;
            let parsed = labels
                .iter()
                .map(|l| {
                    SeatLabel::parse(l)
                        .map_err(|e| DomainError::invalid("seat_labels", e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let distinct: std::collections::HashSet<&str> =
                parsed.iter().map(SeatLabel::as_str).collect();
            if distinct.len() != parsed.len() {
                return Err(DomainError::invalid(
                    "seat_labels",
                    "seats must be distinct",
                ));
            }
            Ok(Places::SeatLabels(parsed))
        }
        _ => Err(DomainError::invalid(
            "seat_ids",
            "give exactly one of seat_ids or seat_labels",
        )),
    }
}

/// Catalogue use cases.
#[derive(Clone)]
pub struct CatalogService {
    repo: Arc<dyn CatalogRepository>,
    clock: Arc<dyn Clock>,
}

impl CatalogService {
    /// On the wall clock ([`Self::with_clock`] to change it).
    pub fn new(repo: Arc<dyn CatalogRepository>) -> Self {
        Self {
            repo,
            clock: Arc::new(SystemClock),
        }
    }

    /// The clock that decides which holds are past due in reads.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Now, on the clock of the reads.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
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
        let show = match show {
            Some(s) => {
                if !matches!(s.layout, Layout::General { .. }) {
                    return Err(DomainError::invalid(
                        "total_seats",
                        "an event created with total_seats gets a general-admission show",
                    ));
                }
                Some(s.validated()?)
            }
            None => None,
        };
        self.repo.create_event(event, show).await
    }

    pub async fn list_events(
        &self,
        filter: EventFilter,
        page: Page,
    ) -> Result<Paged<Event>, DomainError> {
        let filter = filter.validated()?;
        self.repo.list_events(filter, page).await
    }

    pub async fn get_event(&self, id: i64) -> Result<EventDetail, DomainError> {
        self.repo.get_event(id, self.clock.now()).await
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
        let show = show.validated()?;
        self.repo.create_show(event_id, show).await
    }

    pub async fn get_show(&self, id: i64) -> Result<ShowDetail, DomainError> {
        self.repo.get_show(id, self.clock.now()).await
    }

    pub async fn list_seats(&self, show_id: i64) -> Result<SeatMap, DomainError> {
        self.repo.list_seats(show_id, self.clock.now()).await
    }

    pub async fn get_seat(&self, id: i64) -> Result<SeatDetail, DomainError> {
        self.repo.get_seat(id, self.clock.now()).await
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
    /// Carries out the refunds cancellations start; without it they stay `pending` for the
    /// background job.
    refunds: Option<Refunds>,
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
            refunds: None,
        }
    }

    /// Refunds of paid bookings that are cancelled go to the gateway through `refunds`.
    pub fn with_refunds(mut self, refunds: Refunds) -> Self {
        self.refunds = Some(refunds);
        self
    }

    pub fn rules(&self) -> BookingRules {
        self.rules
    }

    /// Who owns a new booking: a signed-in caller's account, or, for a guest, the hash of a new
    /// guest token (and the token, shown once in the 201).
    fn owner_or_guest(
        &self,
        actor: &Actor,
    ) -> (
        (Option<Uuid>, Option<crate::account::TokenHash>),
        Option<SecretToken>,
    ) {
        match actor.user_id() {
            Some(id) => ((Some(id), None), None),
            None => {
                let token = SecretToken::new(self.tokens.token());
                ((None, Some(token.hash())), Some(token))
            }
        }
    }

    /// Books seats or places: parses the request (422 on bad input), then one transaction.
    /// A signed-in caller owns the booking (name and contact default to their profile); a guest
    /// gets a guest token.
    pub async fn book(
        &self,
        actor: &Actor,
        mut request: BookingRequest,
    ) -> Result<Booked, DomainError> {
        default_buyer(actor, &mut request.name, &mut request.email, &request.phone);
        let mut command = request.parse(self.rules.max_seats_per_booking)?;
        command.actor = actor.history_label();
        command.hold_for = self.rules.hold_for;
        let (owner, guest_token) = self.owner_or_guest(actor);
        (command.user_id, command.guest_token_hash) = owner;
        let booking = self.repo.book(command, self.clock.now()).await?;
        Ok(Booked {
            booking,
            guest_token,
        })
    }

    /// Prices a prospective booking of the show (anyone may ask): the places are parsed as a
    /// booking's are, then priced by [`crate::quote::quote_booking`] on the show as it
    /// stands now. Nothing is held or written.
    pub async fn quote(
        &self,
        show_id: i64,
        seat_ids: Option<Vec<i64>>,
        seat_labels: Option<Vec<String>>,
        quantity: Option<i64>,
    ) -> Result<BookingQuote, DomainError> {
        let places = parse_places_only(
            seat_ids,
            seat_labels,
            quantity,
            self.rules.max_seats_per_booking,
        )?;
        let now = self.clock.now();
        let inputs = self.repo.quote_inputs(show_id, places.clone(), now).await?;
        quote_booking(&inputs, &places, now)
    }

    /// One booking, for its owner, its guest-token holder, an admin, or an appointment's
    /// provider; anyone else gets the same 404 as for an unknown id. A past-due hold reads as `expired` ([`Booking::as_of`]).
    pub async fn get(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Booking, DomainError> {
        let booking = self.get_as_stored(actor, id, guest_token).await?;
        Ok(booking.as_of(self.clock.now()))
    }

    /// [`Self::get`] without the expiry view (the history needs the stored status). An
    /// appointment's provider reads it too.
    async fn get_as_stored(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Booking, DomainError> {
        self.readable_or_provided(actor, id, guest_token).await
    }

    /// Bookings as they stand now (past-due holds read as expired).
    async fn find_now(
        &self,
        filter: BookingFilter,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        let now = self.clock.now();
        let mut found = self.repo.find_bookings(filter, page).await?;
        found.items = found.items.into_iter().map(|b| b.as_of(now)).collect();
        Ok(found)
    }

    /// Replaces the seats of a held booking (owner, guest-token holder or admin), re-priced on
    /// the occupancy without its own old seats; all or nothing.
    pub async fn change_seats(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
        seat_ids: Option<Vec<i64>>,
        seat_labels: Option<Vec<String>>,
    ) -> Result<Booking, DomainError> {
        let booking = self.get(actor, id, guest_token).await?;
        let places = parse_seat_change(seat_ids, seat_labels, self.rules.max_seats_per_booking)?;
        booking.accepts_payment(self.clock.now())?;
        self.repo
            .change_seats(id, places, self.clock.now(), actor.history_label())
            .await
            .map(|b| b.as_of(self.clock.now()))
    }

    /// Lists bookings. Anonymous callers: none (401 with a contact, a validation error without;
    /// the HTTP edge requires a signed-in caller before calling). Signed-in
    /// callers: their own, optionally narrowed to their own email or phone. Admins: anyone's
    /// by email or phone, else their own.
    pub async fn list(
        &self,
        actor: &Actor,
        email: Option<&str>,
        phone: Option<&str>,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        // Both are checked when given (a malformed one is never ignored); email wins.
        let email = email
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|e| Email::parse(e).map_err(|e| DomainError::invalid("email", e.message)))
            .transpose()?;
        let phone = phone
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|p| Phone::parse(p).map_err(|e| DomainError::invalid("phone", e.message)))
            .transpose()?;
        let contact = match (email, phone) {
            (Some(e), _) => Some(ContactQuery::Email(e)),
            (None, Some(p)) => Some(ContactQuery::Phone(p)),
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
                .find_now(
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
        self.find_now(
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
        self.find_now(
            BookingFilter {
                user_id: Some(user_id),
                contact: None,
            },
            page,
        )
        .await
    }

    /// Cancels a booking (owner, guest-token holder or admin; an appointment's provider declines
    /// it instead, or asks an admin); its seats, places or time are free again at once.
    pub async fn cancel(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Booking, DomainError> {
        let booking = readable_booking(self.repo.as_ref(), actor, id, guest_token).await?;
        let reason = cancellation_reason(actor, booking.user_id);
        let label = actor.history_label();
        let cancelled = self
            .repo
            .cancel_booking(
                id,
                self.clock.now(),
                label.clone(),
                reason.to_owned(),
                self.rules.refund_policy,
            )
            .await?;
        self.with_refund_carried_out(cancelled, &label).await
    }

    /// The booking a cancellation (or a decline) answered, its refund carried out at once when
    /// the gateway is wired (else left `pending` for the sweep).
    async fn with_refund_carried_out(
        &self,
        cancelled: crate::ports::Cancelled,
        label: &str,
    ) -> Result<Booking, DomainError> {
        let mut booking = cancelled.booking;
        if let (Some(pending), Some(refunds)) = (cancelled.refund, &self.refunds) {
            let refund = refunds.carry_out(pending, label).await?;
            // Show the refund's answer on the booking just returned.
            for payment in &mut booking.payments {
                for r in &mut payment.refunds {
                    if r.id == refund.id {
                        *r = refund.clone();
                    }
                }
            }
        }
        Ok(booking)
    }

    /// What cancelling the booking now would do — whether it can be cancelled and what it
    /// would refund ([`quote_cancellation`], the decision the cancellation itself takes) — for
    /// those who may read it ([`Self::get`]; anyone else gets the same 404 as for an unknown
    /// id). Nothing is written.
    pub async fn cancellation_quote(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<CancellationQuote, DomainError> {
        let booking = self.get_as_stored(actor, id, guest_token).await?;
        let terms = self.repo.booking_terms(id).await?;
        let policy = terms.refund_policy.unwrap_or(self.rules.refund_policy);
        quote_cancellation(&booking, terms.starts_at, self.clock.now(), &policy)
    }

    /// The history of a booking, oldest first: to those who may read the booking ([`Self::get`];
    /// anyone else gets the same 404 as for an unknown id).
    pub async fn history(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, DomainError> {
        let booking = self.get_as_stored(actor, id, guest_token).await?;
        let mut history = self.repo.history(id).await?;
        // A past-due hold that nothing has written down yet: show its expiry now, exactly as
        // the reaper or the next booking of its seats will write it.
        if booking.hold_is_past_due(self.clock.now()) {
            history.extend(booking.expiry_entry());
            // Oldest first, as the stored rows are listed (a stable sort keeps ties in order).
            history.sort_by_key(|e| e.at);
        }
        Ok(history)
    }
}
