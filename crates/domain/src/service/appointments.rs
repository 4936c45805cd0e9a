//! The appointment use cases of [`BookingService`] (issue 14): booking a slot, the provider's
//! accept, decline and calendar, and moving an appointment. Who may do what is decided here
//! ([`may_manage_appointment`]); the writes are the engine's ([`crate::engine::appoint`]).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{Booked, BookingService};
use crate::account::{Actor, Role};
use crate::booking::{Booking, BookingStatus};
use crate::catalog::{Page, Paged};
use crate::error::DomainError;
use crate::marketplace::appointment::AppointmentRequest;
use crate::marketplace::slots::{check_range, MAX_RANGE_DAYS};
use crate::ports::AppointmentFilter;

/// Whether `actor` manages appointments of `provider_id`: that provider, or an admin.
pub fn may_manage_appointment(actor: &Actor, provider_id: Uuid) -> bool {
    actor.is_admin() || actor.user_id() == Some(provider_id)
}

impl BookingService {
    /// Books a slot of a service (anyone; a signed-in caller owns it, a guest gets a token),
    /// name and contact defaulting to the caller's profile as for a show.
    pub async fn book_appointment(
        &self,
        actor: &Actor,
        mut request: AppointmentRequest,
    ) -> Result<Booked, DomainError> {
        super::default_buyer(actor, &mut request.name, &mut request.email, &request.phone);
        let mut command = request.parse()?;
        command.actor = actor.history_label();
        command.hold_for = self.rules.hold_for;
        let (owner, guest_token) = self.owner_or_guest(actor);
        (command.user_id, command.guest_token_hash) = owner;
        let booking = self
            .repo
            .book_appointment(command, self.clock.now())
            .await?;
        Ok(Booked {
            booking,
            guest_token,
        })
    }

    /// The appointment `id` for its provider or an admin: a stranger gets the 404 of an
    /// unknown booking; the customer (who may read it) a 403; a show's booking is
    /// `Conflict { not_an_appointment }` for those who may read it.
    async fn managed_appointment(&self, actor: &Actor, id: Uuid) -> Result<Booking, DomainError> {
        actor.require_user()?;
        let booking = self.repo.get_booking(id).await?;
        let readable = self.holder_may_read(actor, &booking);
        match &booking.appointment {
            Some(a) if may_manage_appointment(actor, a.provider_id) => Ok(booking),
            None if readable => Err(DomainError::Conflict {
                code: crate::codes::ConflictCode::NotAnAppointment,
                message: format!("booking {id} is a show's booking, not an appointment"),
            }),
            _ if readable => Err(DomainError::forbidden(
                "only the service's provider or an admin may accept or decline an appointment",
            )),
            _ => Err(DomainError::not_found("booking", id)),
        }
    }

    fn holder_may_read(&self, actor: &Actor, booking: &Booking) -> bool {
        crate::account::may_access_booking(
            actor,
            booking.user_id,
            booking.guest_token_hash.as_ref(),
            None,
        )
    }

    /// The provider (or an admin) accepts a pending appointment: confirmed.
    pub async fn accept_appointment(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<Booking, DomainError> {
        self.managed_appointment(actor, id).await?;
        let now = self.clock.now();
        self.repo
            .accept_appointment(id, now, actor.history_label())
            .await
            .map(|b| b.as_of(now))
    }

    /// The provider (or an admin) declines a pending appointment: cancelled, its time free,
    /// everything paid refunded (carried out at once when the gateway answers).
    pub async fn decline_appointment(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<Booking, DomainError> {
        self.managed_appointment(actor, id).await?;
        let label = actor.history_label();
        let cancelled = self
            .repo
            .decline_appointment(id, self.clock.now(), label.clone())
            .await?;
        self.with_refund_carried_out(cancelled, &label).await
    }

    /// Moves an appointment to another free slot of its service: its holder (owner, guest-token
    /// holder), its provider or an admin; anyone else gets the 404 of an unknown booking.
    pub async fn move_appointment(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
        starts_at: DateTime<Utc>,
    ) -> Result<Booking, DomainError> {
        self.get_as_stored(actor, id, guest_token).await?;
        let now = self.clock.now();
        self.repo
            .move_appointment(id, starts_at, now, actor.history_label())
            .await
            .map(|b| b.as_of(now))
    }

    /// A provider's calendar: the appointments of their services starting in `[from, to)`
    /// (default: from now, [`MAX_RANGE_DAYS`] days; at most that long), of one status when
    /// asked, earliest first. Providers and admins (their own services); customers get 403.
    pub async fn my_appointments(
        &self,
        actor: &Actor,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        status: Option<BookingStatus>,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        let user = actor.require_user()?;
        if !matches!(user.role, Role::Provider | Role::Admin) {
            return Err(DomainError::forbidden(
                "only providers (and admins) have appointments to serve",
            ));
        }
        let now = self.clock.now();
        let from = from.unwrap_or(now);
        let to = to.unwrap_or(from + Duration::days(MAX_RANGE_DAYS));
        check_range(from, to)?;
        let mut found = self
            .repo
            .find_appointments(
                AppointmentFilter {
                    provider_id: user.id,
                    from,
                    to,
                    status,
                },
                page,
            )
            .await?;
        found.items = found.items.into_iter().map(|b| b.as_of(now)).collect();
        Ok(found)
    }

    /// [`crate::booking_access::readable_booking`], or the booking's provider reading an
    /// appointment of theirs.
    pub(super) async fn readable_or_provided(
        &self,
        actor: &Actor,
        id: Uuid,
        guest_token: Option<&str>,
    ) -> Result<Booking, DomainError> {
        let booking = self.repo.get_booking(id).await?;
        let holder = crate::account::may_access_booking(
            actor,
            booking.user_id,
            booking.guest_token_hash.as_ref(),
            guest_token,
        );
        let provider = booking
            .appointment
            .as_ref()
            .is_some_and(|a| actor.user_id() == Some(a.provider_id));
        if holder || provider {
            Ok(booking)
        } else {
            Err(DomainError::not_found("booking", id))
        }
    }
}
