//! The booking responses: a booking with its items and payments, its history.

use super::*;

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
    /// `show` (seats or places of a show) or `appointment` (a slot of a service).
    pub kind: String,
    /// The show (null for an appointment).
    pub show_id: Option<i64>,
    /// The show's event (null for an appointment).
    pub event_id: Option<i64>,
    /// The slot of an appointment (null for a show's booking).
    pub appointment: Option<super::marketplace::AppointmentDto>,
    /// held, pending (an appointment waiting for its provider), confirmed, completed, expired
    /// or cancelled
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
            kind: b.kind().as_str().to_owned(),
            reference: b.reference,
            show_id: b.show_id,
            event_id: b.event_id,
            appointment: b.appointment.map(Into::into),
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

/// What cancelling a booking now would do (`GET /bookings/{id}/cancellation`): the server's
/// decision, the one `POST /bookings/{id}/cancel` takes. Nothing is written.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CancellationQuoteDto {
    pub booking_id: Uuid,
    /// Whether the booking can be cancelled now.
    pub cancellable: bool,
    /// Why not (null when it can be): booking_expired, booking_cancelled or booking_completed.
    pub reason: Option<String>,
    /// What a cancellation now would refund, in minor units (0 when nothing was paid, nothing is
    /// due, or it cannot be cancelled).
    pub refund_amount: i64,
    /// What the booking's succeeded payment charged, in minor units (0 when unpaid).
    pub paid_amount: i64,
    pub currency: String,
    /// The refund policy in words, e.g. "Full refund until 24 hours before the show starts;
    /// 50 % of the amount paid after that; nothing once it has started."
    pub policy: String,
}

impl From<CancellationQuote> for CancellationQuoteDto {
    fn from(q: CancellationQuote) -> Self {
        Self {
            booking_id: q.booking_id,
            cancellable: q.cancellable,
            reason: q.reason.map(str::to_owned),
            refund_amount: q.refund_amount,
            paid_amount: q.paid_amount,
            currency: q.currency.as_str().to_owned(),
            policy: q.policy,
        }
    }
}
