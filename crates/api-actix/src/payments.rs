//! Payment routes: initiate, confirm, the gateway's webhook, read, refund; and the change of a
//! held booking's seats. See docs/lifecycle.md for the flow with example calls.

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use boxoffice_domain::account::{Actor, TokenHash};
use boxoffice_domain::idempotency::IdempotencyScope;
use boxoffice_domain::lifecycle::Confirmation;
use boxoffice_domain::payment::WEBHOOK_SIGNATURE_HEADER;
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, CreatedJson};
use uuid::Uuid;

use crate::auth::{GuestToken, MaybeAuth};
use crate::dto::{
    BookingDto, ChangeSeats, ConfirmPayment, InitiatePayment, PaymentDto, RefundPayment,
    WebhookAck, WebhookEventBody,
};
use crate::error::ApiError;
use crate::extract::{RawBody, UncheckedBody};
use crate::idempotency::{idempotent_in, IdempotencyKeyHeader, Replayable};
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

/// The scope of a caller's idempotency keys on the payment routes: the account, or for a guest
/// the hash of the booking token it presents (only its holder can replay its answers).
fn scope(actor: &Actor, guest: &GuestToken) -> Option<IdempotencyScope> {
    IdempotencyScope::for_actor(actor).or_else(|| {
        guest
            .0
            .as_deref()
            .map(|t| IdempotencyScope::guest_token(&TokenHash::of(t)))
    })
}

fn payment_id(raw: &str) -> Res<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("payment {raw} not found")))
}

/// 200 for a settled payment, 202 while the gateway has not decided.
fn confirmation(c: Confirmation) -> actix_web::HttpResponse {
    let status = match c {
        Confirmation::Succeeded(_) => StatusCode::OK,
        Confirmation::Pending(_) => StatusCode::ACCEPTED,
    };
    let payment = match c {
        Confirmation::Succeeded(p) | Confirmation::Pending(p) => p,
    };
    actix_web::HttpResponse::build(status).json(PaymentDto::from(payment))
}

/// Start paying a held booking (its owner, the holder of its `X-Booking-Token`, or an admin):
/// a payment `initiated` for the booking's total. 409 `booking_not_held` unless the booking is
/// held and its hold still runs; 409 `payment_pending` while another payment of it is
/// initiated or succeeded; 422 when `amount` differs from the total. Accepts `Idempotency-Key`
#[api_v2_operation(operation_id = "initiate_payment", tags(Payments))]
pub async fn initiate(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    key: IdempotencyKeyHeader,
    req: HttpRequest,
    body: RawBody<InitiatePayment>,
) -> Res<Replayable<CreatedJson<PaymentDto>>> {
    let (b, raw) = body.into_parts();
    let scope = scope(&auth.0, &guest);
    let (work_state, actor) = (state.clone(), auth.0.clone());
    idempotent_in(&state, scope, key, &req, &raw, move || async move {
        let payment = work_state
            .payments
            .initiate(
                &actor,
                guest.0.as_deref(),
                b.booking_id,
                &b.payment_method,
                b.amount,
            )
            .await?;
        Ok(CreatedJson(PaymentDto::from(payment)))
    })
    .await
}

/// Confirm (charge) an initiated payment. 200 with the payment when it succeeded: its
/// `outcome` says whether the booking was confirmed, revived after its hold expired, or (the
/// seats were gone) refunded in full. 202 while the gateway has not decided (`tok_delayed`: the
/// result comes through the webhook). 402 `card_declined` / `insufficient_funds` with the
/// payment in `details`; the booking stays held until it expires. Confirming again answers the
/// same; nothing is charged twice. Accepts `Idempotency-Key`
#[api_v2_operation(operation_id = "confirm_payment", tags(Payments))]
pub async fn confirm(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    key: IdempotencyKeyHeader,
    req: HttpRequest,
    body: RawBody<ConfirmPayment>,
) -> Res<Replayable<Json<PaymentDto>>> {
    let (b, raw) = body.into_parts();
    let scope = scope(&auth.0, &guest);
    let (work_state, actor) = (state.clone(), auth.0.clone());
    idempotent_in(&state, scope, key, &req, &raw, move || async move {
        let done = work_state
            .payments
            .confirm(&actor, guest.0.as_deref(), b.payment_id)
            .await;
        // Settling confirms, revives or expires a booking: its seats read differently now.
        work_state.seat_cache.invalidate_all();
        Ok(Raw(confirmation(done?)))
    })
    .await
    .map(Replayable::retype)
}

/// The payment gateway's notification of a charge's result, signed:
/// `X-Boxoffice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the
/// webhook secret. 401 `invalid_signature` for a missing, wrong or older-than-5-minutes
/// signature. Body: `{"type": "payment.succeeded"|"payment.failed", "payment_id",
/// "gateway_ref", "failure_code"?}`. Repeats are harmless
#[api_v2_operation(operation_id = "payment_webhook", tags(Payments))]
pub async fn webhook(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: UncheckedBody<WebhookEventBody>,
) -> Res<Json<WebhookAck>> {
    let signature = req
        .headers()
        .get(WEBHOOK_SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let settled = state.payments.webhook(signature, &body.bytes).await;
    state.seat_cache.invalidate_all();
    let payment = match settled {
        Ok(c) => match c {
            Confirmation::Succeeded(p) | Confirmation::Pending(p) => p,
        },
        // A declined charge is news delivered, not a failed delivery.
        Err(boxoffice_domain::DomainError::PaymentDeclined { payment, .. }) => *payment,
        Err(e) => return Err(e.into()),
    };
    Ok(Json(WebhookAck {
        received: true,
        payment: payment.into(),
    }))
}

/// One payment with its refunds (same access as its booking; anyone else gets 404)
#[api_v2_operation(operation_id = "get_payment", tags(Payments))]
pub async fn get_payment(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
) -> Res<Json<PaymentDto>> {
    let id = payment_id(&id)?;
    let payment = state.payments.get(&auth.0, guest.0.as_deref(), id).await?;
    Ok(Json(payment.into()))
}

/// Refund (part of) a succeeded payment: the event's provider or an admin. Without `amount`,
/// everything that remains. Refunds never add up to more than was paid (409
/// `refund_exceeds_payment`; the database enforces it too). Answers the payment with its
/// refunds; a refund the gateway could not be reached for stays `pending` and is retried by the
/// background job. Accepts `Idempotency-Key`
#[api_v2_operation(operation_id = "refund_payment", tags(Payments))]
pub async fn refund(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    key: IdempotencyKeyHeader,
    req: HttpRequest,
    id: web::Path<String>,
    body: RawBody<RefundPayment>,
) -> Res<Replayable<CreatedJson<PaymentDto>>> {
    let id = payment_id(&id)?;
    let (b, raw) = body.into_parts();
    let scope = IdempotencyScope::for_actor(&auth.0);
    let (work_state, actor) = (state.clone(), auth.0.clone());
    idempotent_in(&state, scope, key, &req, &raw, move || async move {
        let payment = work_state
            .payments
            .refund(&actor, id, b.amount, &b.reason)
            .await?;
        Ok(CreatedJson(PaymentDto::from(payment)))
    })
    .await
}

/// Replace the seats of a held booking (owner, `X-Booking-Token` holder or admin), re-priced
/// on the occupancy without its own old seats: all new seats are taken and the old ones freed,
/// or nothing changes. 409 `booking_not_held` unless held with the hold running; 409
/// `payment_pending` while a payment is initiated; 409 `seat_unavailable` when a new seat is
/// taken
#[api_v2_operation(operation_id = "change_seats", tags(Bookings))]
pub async fn change_seats(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
    body: crate::extract::Body<ChangeSeats>,
) -> Res<Json<BookingDto>> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::not_found(format!("booking {} not found", id.as_str())))?;
    let b = body.into_inner();
    let booking = state
        .bookings
        .change_seats(&auth.0, id, guest.0.as_deref(), b.seat_ids, b.seat_labels)
        .await?;
    state.seat_cache.invalidate(booking.show_id);
    Ok(Json(booking.into()))
}

/// A ready response (200 or 202 decided by the handler).
pub struct Raw(actix_web::HttpResponse);

impl actix_web::Responder for Raw {
    type Body = actix_web::body::BoxBody;
    fn respond_to(self, _req: &HttpRequest) -> actix_web::HttpResponse {
        self.0
    }
}
