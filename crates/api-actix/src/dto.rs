//! Request and response bodies of the HTTP API, and their conversion from/into domain types.
//! Requests reject unknown fields (422 naming the field).

use boxoffice_domain::account::User;
use boxoffice_domain::booking::{Booking, BookingItem};
use boxoffice_domain::catalog::{
    City, Event, EventDetail, SeatClassAvailability, SeatDetail, SeatStatus, SeatView, ShowDetail,
    Venue,
};
use boxoffice_domain::import::ImportSummary;
use boxoffice_domain::payment::{HistoryEntry, Payment, Refund};
use chrono::{DateTime, Utc};
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::timestamp;

// ---------- requests ----------

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateCity {
    #[validate(length(min = 1, max = 200, message = "name must be 1 to 200 characters"))]
    pub name: String,
    #[validate(length(min = 1, max = 100, message = "country must be 1 to 100 characters"))]
    pub country: String,
    #[validate(range(min = -90.0, max = 90.0, message = "latitude must be between -90 and 90"))]
    pub latitude: f64,
    #[validate(range(min = -180.0, max = 180.0, message = "longitude must be between -180 and 180"))]
    pub longitude: f64,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateVenue {
    pub city_id: i64,
    #[validate(length(min = 1, max = 200, message = "name must be 1 to 200 characters"))]
    pub name: String,
    #[validate(length(max = 500, message = "address must be at most 500 characters"))]
    pub address: Option<String>,
    #[validate(range(min = -90.0, max = 90.0, message = "latitude must be between -90 and 90"))]
    pub latitude: f64,
    #[validate(range(min = -180.0, max = 180.0, message = "longitude must be between -180 and 180"))]
    pub longitude: f64,
}

/// An event. With `total_seats` and `date` it also gets one general-admission show of that
/// capacity starting at `date` (ending at `ends_at`, default two hours later).
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    pub title: String,
    pub description: Option<String>,
    /// movie, concert, sport, standup, theatre or other
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    pub total_seats: Option<i64>,
    pub date: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Price of one general-admission place in minor units (absent = free).
    pub price: Option<i64>,
    /// ISO 4217 code; default from config.
    pub currency: Option<String>,
}

/// A seat class of a new seat map: prices in minor units (any may be absent), and optionally
/// `rows` × `seats_per_row` to generate seats labelled `<row><number>`.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct SeatClassInput {
    pub name: String,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub rows: Option<Vec<String>>,
    pub seats_per_row: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct SeatInput {
    pub label: String,
    pub class: String,
    pub external_ref: Option<String>,
}

/// A show: either `capacity` (general admission, optional `price`) or a seat map
/// (`seat_classes`, plus `seats` and/or per-class `rows`/`seats_per_row`). `seat_classes: []`
/// makes an empty seated show, filled later by the seats and pricing CSV imports.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateShow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue_id: Option<i64>,
    pub screen_name: Option<String>,
    pub currency: Option<String>,
    pub capacity: Option<i64>,
    pub price: Option<i64>,
    pub seat_classes: Option<Vec<SeatClassInput>>,
    pub seats: Option<Vec<SeatInput>>,
}

/// Book seats (`seat_ids` or `seat_labels`) of a seated show, or a `quantity` of a
/// general-admission show. Guests give `name` and at least one of `phone`/`email`; for a
/// signed-in caller they default to the profile and the booking belongs to the account.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateBooking {
    pub show_id: i64,
    /// Seats by id. Give exactly one of `seat_ids`, `seat_labels` (seated shows) or `quantity`
    /// (general admission).
    pub seat_ids: Option<Vec<i64>>,
    /// Seats by label (`A1`). Give exactly one of `seat_ids`, `seat_labels` or `quantity`.
    pub seat_labels: Option<Vec<String>>,
    /// Places of a general-admission show. Give exactly one of `seat_ids`, `seat_labels` or
    /// `quantity`.
    pub quantity: Option<i64>,
    /// The buyer's name: required for guests; a signed-in caller's defaults to the profile.
    pub name: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub phone: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub email: Option<String>,
}

/// Book one general-admission place of an event that has exactly one show.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct BookEvent {
    /// The buyer's name: required for guests; a signed-in caller's defaults to the profile.
    pub name: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub phone: Option<String>,
    /// Guests give at least one of `phone` and `email`.
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct VenueQuery {
    pub city_id: Option<i64>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct EventQuery {
    pub city_id: Option<i64>,
    pub event_type: Option<String>,
    /// Only events with a show starting at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only events with a show starting before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct BookingQuery {
    /// Bookings made with this email (blank: no filter; with `phone` too, email is used and
    /// both must be well-formed).
    pub email: Option<String>,
    /// Bookings made with this phone number (blank: no filter).
    pub phone: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

// ---------- responses ----------

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CityDto {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<City> for CityDto {
    fn from(c: City) -> Self {
        Self {
            id: c.id,
            name: c.name,
            country: c.country,
            latitude: c.latitude,
            longitude: c.longitude,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct VenueDto {
    pub id: i64,
    pub city_id: i64,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<Venue> for VenueDto {
    fn from(v: Venue) -> Self {
        Self {
            id: v.id,
            city_id: v.city_id,
            name: v.name,
            address: v.address,
            latitude: v.latitude,
            longitude: v.longitude,
            created_at: v.created_at,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct EventDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    /// The provider (user id) who organises the event.
    pub organizer_id: Option<Uuid>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            title: e.title,
            description: e.description,
            event_type: e.event_type.as_str().to_owned(),
            city_id: e.city_id,
            venue_id: e.venue_id,
            organizer_id: e.organizer_id,
            created_at: e.created_at,
        }
    }
}

/// A seat class of a show with its counts and the price of its next seat.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatClassDto {
    pub id: i64,
    pub name: String,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub total_seats: u64,
    pub available_seats: u64,
    pub held_seats: u64,
    pub booked_seats: u64,
    /// Price of the next seat sold (None: not for sale).
    pub current_price: Option<i64>,
    /// Tier in force: min, normal or max.
    pub tier: String,
    pub for_sale: bool,
}

impl From<SeatClassAvailability> for SeatClassDto {
    fn from(c: SeatClassAvailability) -> Self {
        let quote = c.current_quote();
        let band = boxoffice_domain::pricing::TierPrices::band(c.sold(), c.total_seats);
        Self {
            id: c.id,
            available_seats: c.available(),
            total_seats: c.total_seats,
            held_seats: c.held_seats,
            booked_seats: c.booked_seats,
            current_price: quote.map(|q| q.price),
            tier: band.as_str().to_owned(),
            for_sale: c.prices.is_for_sale(),
            min_price: c.prices.min_price,
            normal_price: c.prices.normal_price,
            max_price: c.prices.max_price,
            name: c.name,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ShowDto {
    pub id: i64,
    pub event_id: i64,
    pub venue_id: Option<i64>,
    pub screen_name: String,
    #[serde(serialize_with = "timestamp::serialize")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub ends_at: DateTime<Utc>,
    /// seated or general
    pub kind: String,
    pub currency: String,
    /// General admission: price of one place (None = free).
    pub price: Option<i64>,
    /// Seats (seated) or capacity (general admission).
    pub total_seats: u64,
    pub available_seats: u64,
    pub seat_classes: Vec<SeatClassDto>,
}

impl From<ShowDetail> for ShowDto {
    fn from(d: ShowDetail) -> Self {
        let total = d.total_places();
        let available = d.available_places();
        let s = d.show;
        Self {
            id: s.id,
            event_id: s.event_id,
            venue_id: s.venue_id,
            screen_name: s.screen_name,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            kind: s.kind.as_str().to_owned(),
            currency: s.currency.as_str().to_owned(),
            price: s.price,
            total_seats: total,
            available_seats: available,
            seat_classes: d.classes.into_iter().map(SeatClassDto::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct EventDetailDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub event_type: String,
    pub city_id: i64,
    pub venue_id: Option<i64>,
    pub organizer_id: Option<Uuid>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    /// Summed over the shows.
    pub total_seats: u64,
    /// Summed over the shows.
    pub available_seats: u64,
    pub shows: Vec<ShowDto>,
}

impl From<EventDetail> for EventDetailDto {
    fn from(d: EventDetail) -> Self {
        let total = d.total_places();
        let available = d.available_places();
        let e = d.event;
        Self {
            id: e.id,
            title: e.title,
            description: e.description,
            event_type: e.event_type.as_str().to_owned(),
            city_id: e.city_id,
            venue_id: e.venue_id,
            organizer_id: e.organizer_id,
            created_at: e.created_at,
            total_seats: total,
            available_seats: available,
            shows: d.shows.into_iter().map(ShowDto::from).collect(),
        }
    }
}

/// A seat in the seat map.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatDto {
    pub id: i64,
    pub label: String,
    pub row: String,
    pub number: u32,
    pub class: String,
    /// available, held or booked
    pub status: String,
    /// For a held seat: when its hold ends (it is free again then unless paid).
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub held_until: Option<DateTime<Utc>>,
    pub is_booked: bool,
    /// Current price of the seat's class in minor units (None: not for sale).
    pub price: Option<i64>,
    pub external_ref: Option<String>,
}

impl SeatDto {
    pub fn new(s: SeatView, price: Option<i64>) -> Self {
        Self {
            id: s.id,
            is_booked: s.status != SeatStatus::Available,
            status: s.status.as_str().to_owned(),
            held_until: s.held_until,
            label: s.label,
            row: s.row,
            number: s.number,
            class: s.class,
            price,
            external_ref: s.external_ref,
        }
    }
}

/// A seat class's pricing as seen from one seat.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatPricingDto {
    pub current_price: Option<i64>,
    /// min, normal or max
    pub tier: String,
    /// Seats of the class in active bookings, as a percentage of the class.
    pub occupancy_percent: f64,
    pub sold_seats: u64,
    pub class_seats: u64,
    pub min_price: Option<i64>,
    pub normal_price: Option<i64>,
    pub max_price: Option<i64>,
    pub for_sale: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatDetailDto {
    pub id: i64,
    pub show_id: i64,
    pub label: String,
    pub class: String,
    pub status: String,
    pub is_booked: bool,
    pub currency: String,
    pub pricing: SeatPricingDto,
}

impl From<SeatDetail> for SeatDetailDto {
    fn from(d: SeatDetail) -> Self {
        let c = d.class;
        let quote = c.current_quote();
        let pricing = SeatPricingDto {
            current_price: quote.map(|q| q.price),
            tier: boxoffice_domain::pricing::TierPrices::band(c.sold(), c.total_seats)
                .as_str()
                .to_owned(),
            occupancy_percent: (c.occupancy_percent() * 100.0).round() / 100.0,
            sold_seats: c.sold(),
            class_seats: c.total_seats,
            min_price: c.prices.min_price,
            normal_price: c.prices.normal_price,
            max_price: c.prices.max_price,
            for_sale: c.prices.is_for_sale(),
        };
        Self {
            id: d.seat.id,
            show_id: d.show_id,
            is_booked: d.seat.status != SeatStatus::Available,
            status: d.seat.status.as_str().to_owned(),
            label: d.seat.label,
            class: d.seat.class,
            currency: d.currency.as_str().to_owned(),
            pricing,
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct BookingItemDto {
    pub seat_id: Option<i64>,
    pub label: Option<String>,
    pub seat_class: Option<String>,
    pub quantity: u32,
    /// Price of one seat/place in minor units.
    pub price: i64,
    pub tier: Option<String>,
}

impl From<BookingItem> for BookingItemDto {
    fn from(i: BookingItem) -> Self {
        Self {
            seat_id: i.seat_id,
            label: i.label,
            seat_class: i.seat_class,
            quantity: i.quantity,
            price: i.price,
            tier: i.tier.map(|t| t.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct BookingDto {
    pub id: Uuid,
    /// Short human reference, e.g. BX-7KQ2M9AB3F.
    pub reference: String,
    pub show_id: i64,
    pub event_id: i64,
    /// held, confirmed, completed, expired or cancelled
    pub status: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub quantity: u32,
    pub total_amount: i64,
    pub currency: String,
    pub items: Vec<BookingItemDto>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The account that owns the booking; absent for a guest booking.
    pub user_id: Option<Uuid>,
    /// When the hold ends (a booking with something to pay is held until it is paid); kept
    /// after it is paid or expires. Null for a booking that was free (confirmed at once).
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The booking's payments, oldest first, each with its refunds.
    pub payments: Vec<PaymentDto>,
    /// Only in the 201 response of a guest booking, and only then: send it as the
    /// `X-Booking-Token` header to read or cancel this booking. It is not stored in clear and
    /// cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_token: Option<String>,
}

impl From<Booking> for BookingDto {
    fn from(b: Booking) -> Self {
        Self {
            id: b.id,
            reference: b.reference,
            show_id: b.show_id,
            event_id: b.event_id,
            status: b.status.as_str().to_owned(),
            name: b.customer_name,
            phone: b.phone,
            email: b.email,
            quantity: b.quantity,
            total_amount: b.total_amount,
            currency: b.currency.as_str().to_owned(),
            items: b.items.into_iter().map(BookingItemDto::from).collect(),
            created_at: b.created_at,
            updated_at: b.updated_at,
            cancelled_at: b.cancelled_at,
            user_id: b.user_id,
            expires_at: b.expires_at,
            payments: b.payments.into_iter().map(PaymentDto::from).collect(),
            guest_token: None,
        }
    }
}

/// Money given back against a payment.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct RefundDto {
    pub id: Uuid,
    pub payment_id: Uuid,
    /// Minor units, in the payment's currency.
    pub amount: i64,
    /// pending, succeeded or failed
    pub status: String,
    pub reason: String,
    /// The gateway's id of the refund (re_…), once it accepted it.
    pub gateway_ref: Option<String>,
    /// Why the gateway refused it, for a failed refund.
    pub failure_code: Option<String>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Refund> for RefundDto {
    fn from(r: Refund) -> Self {
        Self {
            id: r.id,
            payment_id: r.payment_id,
            amount: r.amount,
            status: r.status.as_str().to_owned(),
            reason: r.reason,
            gateway_ref: r.gateway_ref,
            failure_code: r.failure_code,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A payment of a booking's total.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct PaymentDto {
    pub id: Uuid,
    pub booking_id: Uuid,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    /// initiated, succeeded or failed
    pub status: String,
    /// The test payment method: tok_success, tok_declined, tok_insufficient_funds, tok_delayed
    pub payment_method: String,
    /// The gateway's id of the charge (pay_…), once it answered.
    pub gateway_ref: Option<String>,
    /// For a failed payment: card_declined or insufficient_funds.
    pub failure_code: Option<String>,
    /// For a succeeded payment, what it did to the booking: booking_confirmed, booking_revived
    /// (paid after the hold expired, the same seats were still free), refunded_booking_expired
    /// (paid after the hold expired, the seats were gone: refunded in full) or
    /// refunded_booking_cancelled (the booking was no longer payable: refunded in full).
    pub outcome: Option<String>,
    /// Oldest first.
    pub refunds: Vec<RefundDto>,
    /// The sum of the pending and succeeded refunds (minor units).
    pub refunded_amount: i64,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Payment> for PaymentDto {
    fn from(p: Payment) -> Self {
        Self {
            refunded_amount: p.refunded_amount(),
            id: p.id,
            booking_id: p.booking_id,
            amount: p.amount,
            currency: p.currency.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            payment_method: p.method.as_str().to_owned(),
            gateway_ref: p.gateway_ref,
            failure_code: p.failure_code,
            outcome: p.outcome.map(|o| o.as_str().to_owned()),
            refunds: p.refunds.into_iter().map(RefundDto::from).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Start paying a held booking: `payment_method` is a test token of the mock gateway;
/// `amount` (minor units), when given, must equal the booking's total.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct InitiatePayment {
    pub booking_id: Uuid,
    pub payment_method: String,
    pub amount: Option<i64>,
}

/// Confirm (charge) an initiated payment.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPayment {
    pub payment_id: Uuid,
}

/// Refund (part of) a succeeded payment: `amount` in minor units (default: all that remains),
/// and why.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct RefundPayment {
    pub amount: Option<i64>,
    pub reason: String,
}

/// The new seats of a held booking: exactly one of `seat_ids` or `seat_labels`.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSeats {
    /// The new seats by id. Give exactly one of `seat_ids` or `seat_labels`.
    pub seat_ids: Option<Vec<i64>>,
    /// The new seats by label. Give exactly one of `seat_ids` or `seat_labels`.
    pub seat_labels: Option<Vec<String>>,
}

/// A gateway's notification (`POST /payments/webhook`), signed over its raw bytes.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEventBody {
    /// payment.succeeded or payment.failed
    #[serde(rename = "type")]
    pub kind: String,
    pub payment_id: Uuid,
    /// The gateway's id of the charge.
    pub gateway_ref: String,
    /// For payment.failed: card_declined or insufficient_funds.
    pub failure_code: Option<String>,
}

/// The answer to a webhook: the payment as it stands after the event.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct WebhookAck {
    pub received: bool,
    pub payment: PaymentDto,
}

/// One status change of a booking, or of one of its payments or refunds.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HistoryEntryDto {
    /// When the change happened (UTC).
    #[serde(serialize_with = "timestamp::serialize")]
    pub at: DateTime<Utc>,
    /// booking, payment or refund
    pub entity: String,
    /// The id of the booking, payment or refund.
    pub entity_id: String,
    /// The status before; null when the entity was created in status `to`.
    pub from: Option<String>,
    /// The status after, e.g. confirmed or cancelled.
    pub to: String,
    /// Who caused it: `user:<uuid>`, `guest`, `operator` or a system name; null when unknown.
    pub actor: Option<String>,
    /// Why, when there is more to say (e.g. "cancelled by an admin").
    pub reason: Option<String>,
}

impl From<HistoryEntry> for HistoryEntryDto {
    fn from(e: HistoryEntry) -> Self {
        Self {
            at: e.at,
            entity: e.entity.as_str().to_owned(),
            entity_id: e.entity_id,
            from: e.from,
            to: e.to,
            actor: e.actor,
            reason: e.reason,
        }
    }
}

/// The history of a booking, oldest first.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct BookingHistoryDto {
    pub items: Vec<HistoryEntryDto>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ImportResultDto {
    pub show_id: i64,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl ImportResultDto {
    pub fn new(show_id: i64, s: ImportSummary) -> Self {
        Self {
            show_id,
            rows: s.rows,
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
        }
    }
}

macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// A page of a list: `items`, the `total` of matching rows, `limit` and `offset`.
        #[derive(Debug, Serialize, Apiv2Schema)]
        pub struct $name {
            pub items: Vec<$item>,
            pub total: i64,
            pub limit: i64,
            pub offset: i64,
        }

        impl $name {
            /// The list envelope of a page of domain values.
            pub fn from_paged<D>(page: boxoffice_domain::catalog::Paged<D>) -> Self
            where
                $item: From<D>,
            {
                Self {
                    items: page.items.into_iter().map(<$item>::from).collect(),
                    total: page.total,
                    limit: page.page.limit,
                    offset: page.page.offset,
                }
            }
        }
    };
}

list_type!(CityList, CityDto);
list_type!(VenueList, VenueDto);
list_type!(EventList, EventDto);
list_type!(SeatList, SeatDto);
list_type!(BookingList, BookingDto);
list_type!(UserList, UserDto);

// ---------- accounts ----------

/// Sign up as a customer (default) or a provider. Admins are made by an admin.
#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct Signup {
    pub email: String,
    /// 8 characters to 72 bytes of UTF-8 (what bcrypt reads; longer is refused, never cut).
    pub password: String,
    /// customer (default; also when blank) or provider
    pub role: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

impl std::fmt::Debug for Signup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signup")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A refresh token (for `/auth/refresh` and `/auth/logout`).
#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { refresh_token: <redacted> }")
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the reset email.
    pub token: String,
    /// 8 characters to 72 bytes of UTF-8 (what bcrypt reads; longer is refused, never cut).
    pub new_password: String,
}

impl std::fmt::Debug for PasswordResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordResetConfirm { <redacted> }")
    }
}

/// Changes to the caller's own profile. Absent fields stay; an empty string clears a field.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

/// An admin's changes to a user: role, `active` (false = deactivated: their tokens stop
/// working at once) and profile fields.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// customer, provider or admin
    pub role: Option<String>,
    pub active: Option<bool>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct UserQuery {
    /// Only users of this role.
    pub role: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub phone: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    /// customer, provider or admin
    pub role: String,
    pub active: bool,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            phone: u.phone,
            first_name: u.first_name,
            last_name: u.last_name,
            address: u.address,
            role: u.role.as_str().to_owned(),
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A signed-in session. Send `access_token` as `Authorization: Bearer <access_token>`; when it
/// expires, trade `refresh_token` at `/auth/refresh` for a new pair (the old one stops working).
#[derive(Serialize, Apiv2Schema)]
pub struct TokenDto {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub user: UserDto,
}

impl std::fmt::Debug for TokenDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDto { <redacted> }")
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AcceptedDto {
    pub status: String,
    pub message: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HealthDto {
    pub status: String,
}
