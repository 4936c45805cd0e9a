//! `POST /api/v1/shows/{id}/quote`: the price of a prospective booking, seat by seat, as the
//! booking would charge it now (the domain's `quote_booking`). Nothing is held or written.

use boxoffice_domain::quote::BookingQuote;
use chrono::{DateTime, Utc};
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, Apiv2Schema};
use serde::{Deserialize, Serialize};

use crate::auth::TokenChecked;
use crate::dto::BookingItemDto;
use crate::error::ApiError;
use crate::extract::Body;
use crate::ApiState;

/// The places to price: exactly one of `seat_ids` or `seat_labels` (a seated show) or
/// `quantity` (general admission), under the same rules as a booking.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub seat_ids: Option<Vec<i64>>,
    pub seat_labels: Option<Vec<String>>,
    pub quantity: Option<i64>,
}

/// The price of a prospective booking: what `POST /api/v1/bookings` with the same places
/// would charge if nothing changes meanwhile.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct QuoteDto {
    pub show_id: i64,
    /// One line per seat (its label, class, tier and price), or one line of `quantity`
    /// general-admission places at `price` each: the lines the booking would get.
    pub items: Vec<BookingItemDto>,
    pub quantity: u32,
    /// Sum of the lines, in minor units.
    pub total_amount: i64,
    pub currency: String,
    /// When the quote was computed; a booking made later may cost more if the show filled
    /// up meanwhile.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub priced_at: DateTime<Utc>,
}

impl From<BookingQuote> for QuoteDto {
    fn from(q: BookingQuote) -> Self {
        Self {
            show_id: q.show_id,
            items: q.items.into_iter().map(BookingItemDto::from).collect(),
            quantity: q.quantity,
            total_amount: q.total_amount,
            currency: q.currency.as_str().to_owned(),
            priced_at: q.priced_at,
        }
    }
}

/// Price a prospective booking of a show
///
/// Seat by seat with the tier each seat would get (or the places of a general-admission
/// show), exactly as `POST /api/v1/bookings` would charge now; nothing is held or written.
/// Anonymous callers are welcome; a bad bearer token is 401. Errors: 404 `not_found` (show or
/// seat), 422 `validation_failed` (places as for a booking), 409 `seat_unavailable`,
/// `not_for_sale`, `sold_out`, `show_started`.
#[api_v2_operation(operation_id = "quote_booking", tags(Shows))]
pub async fn quote_booking(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    id: web::Path<i64>,
    body: Body<QuoteRequest>,
) -> Result<Json<QuoteDto>, ApiError> {
    let show_id = id.into_inner();
    if show_id <= 0 {
        return Err(boxoffice_domain::DomainError::not_found("show", show_id).into());
    }
    let b = body.into_inner();
    let quote = state
        .bookings
        .quote(show_id, b.seat_ids, b.seat_labels, b.quantity)
        .await?;
    Ok(Json(quote.into()))
}
