//! Reading one booking on behalf of a caller: the booking use cases and the payment use cases
//! both load a booking and apply the access rule ([`may_access_booking`]) through this one
//! function, so it sits below both (`service`, `lifecycle`).

use uuid::Uuid;

use crate::account::{may_access_booking, Actor};
use crate::booking::Booking;
use crate::error::DomainError;
use crate::ports::BookingRepository;

/// The stored booking `id` if `actor` may read it (owner, guest-token holder, admin); else the
/// same 404 as for a booking that does not exist, so a stranger cannot tell them apart.
pub(crate) async fn readable_booking(
    repo: &dyn BookingRepository,
    actor: &Actor,
    id: Uuid,
    guest_token: Option<&str>,
) -> Result<Booking, DomainError> {
    let booking = repo.get_booking(id).await?;
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
