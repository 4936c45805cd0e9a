//! HTTP handlers: extract, validate, convert into domain types, call a use case, map the result.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpRequest;
use boxoffice_domain::account::{Actor, SecretToken};
use boxoffice_domain::booking::BookingRequest;
use boxoffice_domain::catalog::{
    EventFilter, EventType, Layout, NewCity, NewEvent, NewShow, NewVenue, Page,
};
use boxoffice_domain::error::Violations;
use boxoffice_domain::layout::{event_show, ClassRequest, LayoutRequest, SeatRequest};
use boxoffice_domain::marketplace::appointment::AppointmentRequest;
use boxoffice_domain::service::Booked;
use boxoffice_domain::values::Currency;
use boxoffice_domain::DomainError;
use futures_util::StreamExt;
use paperclip::actix::{api_v2_operation, web, CreatedJson};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, GuestToken, MaybeAuth, TokenChecked};
use crate::dto::*;
use crate::error::ApiError;
use crate::extract::{Body, RawBody};
use crate::idempotency::{idempotent, IdempotencyKeyHeader, Replayable};
use crate::ApiState;

use paperclip::actix::web::Json;
type Res<T> = Result<T, ApiError>;

pub(crate) fn page(limit: Option<i64>, offset: Option<i64>) -> Res<Page> {
    Ok(Page::parse(limit, offset)?)
}

fn currency(state: &ApiState, code: Option<&str>) -> Res<Currency> {
    match code {
        None => Ok(state.default_currency),
        Some(c) => Currency::parse(c).map_err(|e| ApiError::invalid("currency", e.message)),
    }
}

pub(crate) fn positive_id(id: i64, entity: &'static str) -> Res<i64> {
    if id <= 0 {
        return Err(DomainError::not_found(entity, id).into());
    }
    Ok(id)
}

// ---------- cities & venues ----------

/// Create a city
#[api_v2_operation(operation_id = "create_city", tags(Cities))]
pub async fn create_city(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<CreateCity>,
) -> Res<CreatedJson<CityDto>> {
    body.validate()?;
    let b = body.into_inner();
    let city = NewCity::parse(&b.name, &b.country, b.latitude, b.longitude)?;
    Ok(CreatedJson(
        state.catalog.create_city(&auth.0, city).await?.into(),
    ))
}

/// List cities
#[api_v2_operation(operation_id = "list_cities", tags(Cities))]
pub async fn list_cities(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    q: web::Query<PageQuery>,
) -> Res<Json<CityList>> {
    q.validate()?;
    let p = page(q.limit, q.offset)?;
    let r = state.catalog.list_cities(p).await?;
    Ok(Json(CityList::from_paged(r)))
}

/// Create a venue in a city
#[api_v2_operation(operation_id = "create_venue", tags(Venues))]
pub async fn create_venue(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<CreateVenue>,
) -> Res<CreatedJson<VenueDto>> {
    body.validate()?;
    let b = body.into_inner();
    let venue = NewVenue::parse_in(
        positive_id(b.city_id, "city")?,
        &b.name,
        b.address.as_deref().unwrap_or(""),
        b.latitude,
        b.longitude,
        b.time_zone.as_deref(),
    )?;
    Ok(CreatedJson(
        state.catalog.create_venue(&auth.0, venue).await?.into(),
    ))
}

/// List venues, optionally of one city
#[api_v2_operation(operation_id = "list_venues", tags(Venues))]
pub async fn list_venues(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    q: web::Query<VenueQuery>,
) -> Res<Json<VenueList>> {
    q.validate()?;
    let p = page(q.limit, q.offset)?;
    let r = state.catalog.list_venues(q.city_id, p).await?;
    Ok(Json(VenueList::from_paged(r)))
}

// ---------- events & shows ----------

/// Create an event (optionally with one general-admission show: `total_seats` + `date`)
#[api_v2_operation(operation_id = "create_event", tags(Events))]
pub async fn create_event(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<CreateEvent>,
) -> Res<CreatedJson<EventDetailDto>> {
    let b = body.into_inner();
    let event = NewEvent::parse(
        &b.title,
        b.description.as_deref().unwrap_or(""),
        &b.event_type,
        positive_id(b.city_id, "city")?,
        b.venue_id.map(|v| positive_id(v, "venue")).transpose()?,
    )?;
    let show = match event_show(b.total_seats, b.date, b.price, b.ends_at)? {
        None => None,
        Some(s) => Some(NewShow {
            venue_id: b.venue_id,
            screen_name: String::new(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            currency: currency(&state, b.currency.as_deref())?,
            layout: Layout::General {
                capacity: s.capacity,
                price: s.price,
            },
        }),
    };
    Ok(CreatedJson(
        state
            .catalog
            .create_event(&auth.0, event, show)
            .await?
            .into(),
    ))
}

/// List events (filters: text `q` in the title or description, organiser, city, type, shows
/// between `from` and `to`), newest first, paginated
#[api_v2_operation(operation_id = "list_events", tags(Events))]
pub async fn list_events(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    q: web::Query<EventQuery>,
) -> Res<Json<EventList>> {
    q.validate()?;
    let p = page(q.limit, q.offset)?;
    let filter = EventFilter {
        city_id: q.city_id,
        event_type: q.event_type.as_deref().map(EventType::parse).transpose()?,
        from: q.from,
        to: q.to,
        text: q.q.clone(),
        organizer_id: q.organizer_id,
    };
    let r = state.catalog.list_events(filter, p).await?;
    Ok(Json(EventList::from_paged(r)))
}

/// An event with its shows, `total_seats` and `available_seats`
#[api_v2_operation(operation_id = "get_event", tags(Events))]
pub async fn get_event(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    id: web::Path<i64>,
) -> Res<Json<EventDetailDto>> {
    let id = positive_id(id.into_inner(), "event")?;
    Ok(Json(state.catalog.get_event(id).await?.into()))
}

fn new_show(state: &ApiState, b: CreateShow) -> Res<NewShow> {
    let layout = LayoutRequest {
        capacity: b.capacity,
        price: b.price,
        seat_classes: b.seat_classes.map(|cs| {
            cs.into_iter()
                .map(|c| ClassRequest {
                    name: c.name,
                    min_price: c.min_price,
                    normal_price: c.normal_price,
                    max_price: c.max_price,
                    rows: c.rows,
                    seats_per_row: c.seats_per_row,
                })
                .collect()
        }),
        seats: b.seats.map(|ss| {
            ss.into_iter()
                .map(|s| SeatRequest {
                    label: s.label,
                    class: s.class,
                    external_ref: s.external_ref,
                })
                .collect()
        }),
    }
    .parse()?;
    Ok(NewShow {
        venue_id: b.venue_id,
        screen_name: b.screen_name.unwrap_or_default(),
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        currency: currency(state, b.currency.as_deref())?,
        layout,
    })
}

/// Add a show to an event: a capacity (general admission) or a seat map
#[api_v2_operation(operation_id = "create_show", tags(Shows))]
pub async fn create_show(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<i64>,
    body: Body<CreateShow>,
) -> Res<CreatedJson<ShowDto>> {
    let event_id = positive_id(id.into_inner(), "event")?;
    let show = new_show(&state, body.into_inner())?;
    Ok(CreatedJson(
        state
            .catalog
            .create_show(&auth.0, event_id, show)
            .await?
            .into(),
    ))
}

/// A show with capacity and free counts per seat class
#[api_v2_operation(operation_id = "get_show", tags(Shows))]
pub async fn get_show(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    id: web::Path<i64>,
) -> Res<Json<ShowDto>> {
    let id = positive_id(id.into_inner(), "show")?;
    Ok(Json(state.catalog.get_show(id).await?.into()))
}

/// One seat with its class's pricing: current price, tier, occupancy and the three tier prices
#[api_v2_operation(operation_id = "get_seat", tags(Seats))]
pub async fn get_seat(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    id: web::Path<i64>,
) -> Res<Json<SeatDetailDto>> {
    let id = positive_id(id.into_inner(), "seat")?;
    Ok(Json(state.catalog.get_seat(id).await?.into()))
}

// ---------- imports ----------

/// Reads a CSV upload: a `multipart/form-data` body (the first file field) or a raw
/// `text/csv` body.
async fn read_csv(req: &HttpRequest, payload: web::Payload, limit: usize) -> Res<Vec<u8>> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let too_large = || {
        ApiError::new(
            crate::codes::EdgeCode::PayloadTooLarge,
            format!("the file is larger than {limit} bytes"),
        )
    };
    let mut payload = payload.into_inner();
    if content_type.starts_with("multipart/form-data") {
        let mut mp = actix_multipart::Multipart::new(req.headers(), payload);
        while let Some(field) = mp.next().await {
            let mut field =
                field.map_err(|e| ApiError::bad_request(format!("bad multipart body: {e}")))?;
            let is_file = field
                .content_disposition()
                .map(|cd| cd.get_filename().is_some() || cd.get_name() == Some("file"))
                .unwrap_or(false);
            let mut buf = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::bad_request(format!("bad multipart body: {e}")))?;
                if buf.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                buf.extend_from_slice(&chunk);
            }
            if is_file {
                return Ok(buf);
            }
        }
        Err(ApiError::bad_request(
            "the multipart body has no file field (send the CSV as field 'file')",
        ))
    } else if content_type.starts_with("text/csv")
        || content_type.starts_with("text/plain")
        || content_type.starts_with("application/csv")
        || content_type.starts_with("application/octet-stream")
    {
        let mut buf = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::bad_request(format!("unreadable body: {e}")))?;
            if buf.len() + chunk.len() > limit {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    } else {
        Err(ApiError::new(
            crate::codes::EdgeCode::UnsupportedMediaType,
            "send the CSV as text/csv or as a multipart/form-data file field",
        ))
    }
}

/// Import a seat map CSV (`id,seat_identifier,seat_class`) into a show; one transaction
#[api_v2_operation(operation_id = "import_seats", tags(Imports))]
pub async fn import_seats(
    state: web::Data<ApiState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Res<Json<ImportResultDto>> {
    let show_id = positive_id(id.into_inner(), "show")?;
    let csv = read_csv(&req, payload, state.csv_limit).await?;
    let s = state.catalog.import_seats(&auth.0, show_id, &csv).await?;
    state.seat_cache.invalidate(show_id);
    Ok(Json(ImportResultDto::new(show_id, s)))
}

/// Import seat class prices CSV (`id,seat_class,min_price,normal_price,max_price`); one transaction
#[api_v2_operation(operation_id = "import_pricing", tags(Imports))]
pub async fn import_pricing(
    state: web::Data<ApiState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Res<Json<ImportResultDto>> {
    let show_id = positive_id(id.into_inner(), "show")?;
    let csv = read_csv(&req, payload, state.csv_limit).await?;
    let s = state.catalog.import_pricing(&auth.0, show_id, &csv).await?;
    state.seat_cache.invalidate(show_id);
    Ok(Json(ImportResultDto::new(show_id, s)))
}

// ---------- bookings ----------

pub(crate) fn booked(state: &ApiState, b: Booked) -> CreatedJson<BookingDto> {
    state.seat_cache.invalidate(b.booking.show_id);
    let mut dto = BookingDto::from(b.booking);
    dto.guest_token = b.guest_token.map(SecretToken::into_inner);
    CreatedJson(dto)
}

/// Book seats of a seated show or places of a general-admission show. Signed in: the booking is
/// yours. As a guest: the 201 carries a `guest_token` for reading and cancelling it. Signed-in
/// callers may send an `Idempotency-Key` to make retries safe (see its description).
#[api_v2_operation(operation_id = "create_booking", tags(Bookings))]
pub async fn create_booking(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    key: IdempotencyKeyHeader,
    req: HttpRequest,
    body: RawBody<CreateBooking>,
) -> Res<Replayable<CreatedJson<BookingDto>>> {
    let (b, raw) = body.into_parts();
    let (work_state, actor) = (state.clone(), auth.0.clone());
    idempotent(&state, &auth.0, key, &req, &raw, move || async move {
        let booked_ = match booking_target(&b)? {
            Target::Show(show_id) => {
                let request = BookingRequest {
                    show_id,
                    seat_ids: b.seat_ids,
                    seat_labels: b.seat_labels,
                    quantity: b.quantity,
                    name: b.name.unwrap_or_default(),
                    phone: b.phone,
                    email: b.email,
                };
                work_state.bookings.book(&actor, request).await?
            }
            Target::Service(service_id) => {
                let request = AppointmentRequest {
                    service_id,
                    starts_at: b.starts_at,
                    notes: b.notes,
                    name: b.name.unwrap_or_default(),
                    phone: b.phone,
                    email: b.email,
                };
                work_state
                    .bookings
                    .book_appointment(&actor, request)
                    .await?
            }
        };
        Ok(booked(&work_state, booked_))
    })
    .await
}

/// What a `POST /bookings` books.
enum Target {
    Show(i64),
    Service(i64),
}

/// Exactly one of `show_id` (with seats or a quantity) and `service_id` (with `starts_at`,
/// optional `notes`); the fields of the other kind are refused (422).
fn booking_target(b: &CreateBooking) -> Res<Target> {
    let mut v = Violations::new();
    let target = match (b.show_id, b.service_id) {
        (Some(show_id), None) => {
            if b.starts_at.is_some() || b.notes.is_some() {
                v.add(
                    "starts_at",
                    "starts_at and notes are for a service's slot (service_id)",
                );
            }
            Some(Target::Show(show_id))
        }
        (None, Some(service_id)) => {
            if b.seat_ids.is_some() || b.seat_labels.is_some() || b.quantity.is_some() {
                v.add(
                    "service_id",
                    "a service's slot takes no seat_ids, seat_labels or quantity",
                );
            }
            Some(Target::Service(service_id))
        }
        _ => {
            v.add(
                "show_id",
                "give exactly one of show_id (seats or places of a show) or service_id (a slot of a service)",
            );
            None
        }
    };
    v.finish()?;
    target.ok_or_else(|| ApiError::from(DomainError::internal("unreachable: violations empty")))
}

/// Book one general-admission place of an event that has exactly one show
#[api_v2_operation(operation_id = "book_event", tags(Bookings))]
pub async fn book_event(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    id: web::Path<i64>,
    body: Body<BookEvent>,
) -> Res<CreatedJson<BookingDto>> {
    let event_id = positive_id(id.into_inner(), "event")?;
    let event = state.catalog.get_event(event_id).await?;
    let show_id = match event.shows.as_slice() {
        [only] => only.show.id,
        [] => {
            return Err(ApiError::new(
                boxoffice_domain::ConflictCode::NoShow,
                format!("event {event_id} has no show to book"),
            ))
        }
        many => {
            return Err(ApiError::new(
                boxoffice_domain::ConflictCode::AmbiguousShow,
                format!(
                    "event {event_id} has {} shows: book one with POST /api/v1/bookings and its show_id",
                    many.len()
                ),
            ))
        }
    };
    let b = body.into_inner();
    let request = BookingRequest {
        show_id,
        quantity: Some(1),
        name: b.name.unwrap_or_default(),
        phone: b.phone,
        email: b.email,
        ..Default::default()
    };
    let booked_ = state.bookings.book(&auth.0, request).await?;
    Ok(booked(&state, booked_))
}

/// Your bookings (signed in; a guest reads a booking by id with its `X-Booking-Token`), newest
/// first. `?email=` / `?phone=`: admins find anyone's bookings by contact; others may only give
/// their own.
#[api_v2_operation(operation_id = "list_bookings", tags(Bookings))]
pub async fn list_bookings(
    state: web::Data<ApiState>,
    auth: Auth,
    q: web::Query<BookingQuery>,
) -> Res<Json<BookingList>> {
    q.validate()?;
    let p = page(q.limit, q.offset)?;
    let r = state
        .bookings
        .list(&auth.0, q.email.as_deref(), q.phone.as_deref(), p)
        .await?;
    Ok(Json(BookingList::from_paged(r)))
}

pub(crate) fn booking_id(raw: &str) -> Res<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("booking {raw} not found")))
}

/// One booking: its owner, the holder of its guest token (`X-Booking-Token`), an admin, or an
/// appointment's provider; anyone else gets 404
#[api_v2_operation(operation_id = "get_booking", tags(Bookings))]
pub async fn get_booking(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
) -> Res<Json<BookingDto>> {
    let id = booking_id(&id)?;
    Ok(Json(
        state
            .bookings
            .get(&auth.0, id, guest.0.as_deref())
            .await?
            .into(),
    ))
}

/// The history of a booking, oldest first: every status change of the booking (and of its
/// payments and refunds) with who caused it and why. Same access as `GET /bookings/{id}`
/// (owner, `X-Booking-Token` holder, admin, an appointment's provider; anyone else gets 404)
#[api_v2_operation(operation_id = "get_booking_history", tags(Bookings))]
pub async fn booking_history(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
) -> Res<Json<BookingHistoryDto>> {
    let id = booking_id(&id)?;
    let entries = state
        .bookings
        .history(&auth.0, id, guest.0.as_deref())
        .await?;
    Ok(Json(BookingHistoryDto {
        items: entries.into_iter().map(HistoryEntryDto::from).collect(),
    }))
}

/// What cancelling the booking now would do: whether it can be cancelled (`reason` says why
/// not) and what it would refund under the cancellation policy — the decision
/// `POST /bookings/{id}/cancel` takes, shown before it is asked. Nothing is written. Same
/// access as `GET /bookings/{id}` (owner, `X-Booking-Token` holder, admin, an appointment's
/// provider; anyone else gets 404)
#[api_v2_operation(operation_id = "get_cancellation_quote", tags(Bookings))]
pub async fn cancellation_quote(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
) -> Res<Json<CancellationQuoteDto>> {
    let id = booking_id(&id)?;
    let quote = state
        .bookings
        .cancellation_quote(&auth.0, id, guest.0.as_deref())
        .await?;
    Ok(Json(quote.into()))
}

async fn cancel(
    state: &ApiState,
    actor: &Actor,
    guest: &GuestToken,
    raw_id: &str,
) -> Res<Json<BookingDto>> {
    let booking = state
        .bookings
        .cancel(actor, booking_id(raw_id)?, guest.0.as_deref())
        .await?;
    state.seat_cache.invalidate(booking.show_id);
    Ok(Json(booking.into()))
}

/// Cancel a booking (owner, guest-token holder or admin): it stays (status `cancelled`) and its
/// seats/places are free again at once
#[api_v2_operation(operation_id = "cancel_booking", tags(Bookings))]
pub async fn cancel_booking(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
) -> Res<Json<BookingDto>> {
    cancel(&state, &auth.0, &guest, &id).await
}

/// Cancel a booking (same as `POST /bookings/{id}/cancel`)
#[api_v2_operation(operation_id = "delete_booking", tags(Bookings))]
pub async fn delete_booking(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    guest: GuestToken,
    id: web::Path<String>,
) -> Res<Json<BookingDto>> {
    cancel(&state, &auth.0, &guest, &id).await
}

// ---------- ops ----------

/// Liveness: the process answers
#[api_v2_operation(operation_id = "health", tags(Ops))]
pub async fn health() -> Res<Json<HealthDto>> {
    Ok(Json(HealthDto {
        status: "ok".into(),
    }))
}

/// Readiness: the migrations are applied and the database answers within
/// `database.ready_timeout_ms`. Otherwise 503 `unavailable` with `Retry-After` (never 500)
#[api_v2_operation(operation_id = "ready", tags(Ops))]
pub async fn ready(state: web::Data<ApiState>) -> Res<Json<HealthDto>> {
    // Whatever the cause, a not-ready instance says 503 so that a balancer routes around it.
    use boxoffice_domain::DomainError;
    state.health.ready().await.map_err(|e| match e {
        DomainError::Unavailable(_) => e,
        other => DomainError::Unavailable(other.to_string()),
    })?;
    Ok(Json(HealthDto {
        status: "ready".into(),
    }))
}
