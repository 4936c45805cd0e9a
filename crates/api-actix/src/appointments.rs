//! Appointments over HTTP (issue 14, `docs/marketplace.md`): a service's free slots, the
//! provider's accept, decline and calendar, and moving an appointment to another slot. Booking
//! a slot is `POST /bookings` with `service_id` (`handlers::create_booking`).

use boxoffice_domain::booking::BookingStatus;
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web};
use validator::Validate;

use crate::auth::{Auth, GuestToken, MaybeAuth};
use crate::dto::{
    AppointmentQuery, BookingDto, BookingList, MoveSlot, SlotDto, SlotList, SlotQuery,
};
use crate::error::ApiError;
use crate::extract::Body;
use crate::handlers::{booking_id, page, positive_id};
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

/// The routes of this module (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/services/{id}/slots").route(web::get().to(list_slots)))
        .service(web::resource("/bookings/{id}/accept").route(web::post().to(accept)))
        .service(web::resource("/bookings/{id}/decline").route(web::post().to(decline)))
        .service(web::resource("/bookings/{id}/slot").route(web::put().to(move_slot)))
        .service(web::resource("/providers/me/appointments").route(web::get().to(my_appointments)));
}

/// The free slots of a service (anyone), earliest first: its availability minus the provider's
/// held, pending and confirmed appointments with their buffers, in UTC with the provider's
/// local time alongside, correct across DST changes. Default range: from now, 7 days; at most
/// 31 days (422 otherwise). An inactive service has none; a deleted one is 404
#[api_v2_operation(operation_id = "list_slots", tags(Services))]
pub async fn list_slots(
    state: web::Data<ApiState>,
    id: web::Path<i64>,
    q: web::Query<SlotQuery>,
) -> Res<Json<SlotList>> {
    let id = positive_id(id.into_inner(), "service")?;
    let s = state.marketplace.slots(id, q.from, q.to).await?;
    Ok(Json(SlotList {
        service_id: s.service_id,
        time_zone: s.time_zone.name().to_owned(),
        from: s.from,
        to: s.to,
        items: s.items.into_iter().map(SlotDto::from).collect(),
    }))
}

/// Accept a pending appointment (its service's provider or an admin): it is confirmed. 409
/// `illegal_transition` unless it is pending; 403 for the customer; 404 for anyone else
#[api_v2_operation(operation_id = "accept_appointment", tags(Bookings))]
pub async fn accept(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
) -> Res<Json<BookingDto>> {
    let id = booking_id(&id)?;
    let booking = state.bookings.accept_appointment(&auth.0, id).await?;
    Ok(Json(booking.into()))
}

/// Decline a pending appointment (its service's provider or an admin): it is cancelled, its
/// time is free again, and everything paid is refunded. 409 `illegal_transition` unless it is
/// pending; 403 for the customer; 404 for anyone else
#[api_v2_operation(operation_id = "decline_appointment", tags(Bookings))]
pub async fn decline(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
) -> Res<Json<BookingDto>> {
    let id = booking_id(&id)?;
    let booking = state.bookings.decline_appointment(&auth.0, id).await?;
    Ok(Json(booking.into()))
}

/// Move an appointment to another free slot of its service (its owner, `X-Booking-Token`
/// holder, its provider or an admin), atomically: the new time is taken and the old one freed,
/// or nothing changes. 409 `slot_taken` when the new slot is taken; 422 when `starts_at` is not
/// a slot or is outside the booking window; 409 `illegal_transition` for an appointment that is
/// over or has started; 409 `not_an_appointment` for a show's booking
#[api_v2_operation(operation_id = "move_appointment", tags(Bookings))]
pub async fn move_slot(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
    body: Body<MoveSlot>,
) -> Res<Json<BookingDto>> {
    let id = booking_id(&id)?;
    let b = body.into_inner();
    let booking = state
        .bookings
        .move_appointment(&auth.0, id, guest.0.as_deref(), b.starts_at)
        .await?;
    Ok(Json(booking.into()))
}

/// A provider's calendar: the appointments of their services starting in `[from, to)` (default:
/// from now, 31 days; at most 31 days), earliest first, optionally of one status (as stored).
/// Providers and admins; customers get 403
#[api_v2_operation(operation_id = "my_appointments", tags(Bookings))]
pub async fn my_appointments(
    state: web::Data<ApiState>,
    auth: Auth,
    q: web::Query<AppointmentQuery>,
) -> Res<Json<BookingList>> {
    q.validate()?;
    let p = page(q.limit, q.offset)?;
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(BookingStatus::parse(raw).ok_or_else(|| {
            ApiError::from(boxoffice_domain::DomainError::invalid(
                "status",
                "one of held, pending, confirmed, completed, expired, cancelled",
            ))
        })?),
    };
    let r = state
        .bookings
        .my_appointments(&auth.0, q.from, q.to, status, p)
        .await?;
    Ok(Json(BookingList::from_paged(r)))
}
