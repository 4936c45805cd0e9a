//! The ports: what the domain needs from the outside world. Adapters implement them
//! (`infra-postgres` for storage); unit tests use the mockall mocks (`mock` feature or tests).
//!
//! Error contract, for every method: an unknown id MUST be `DomainError::NotFound` naming the
//! entity; a constraint violation MUST be mapped to the matching domain error (never
//! `Internal`); `Internal` is only for failures of the machinery (database unreachable, bug).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::{NewRefreshToken, NewUser, Role, Rotation, TokenHash, User, UserPatch};
use crate::booking::{Booking, BookingCommand, Places};
use crate::catalog::{
    City, Event, EventDetail, EventFilter, NewCity, NewEvent, NewShow, NewVenue, Page, Paged,
    SeatDetail, ShowDetail, Venue,
};
use crate::error::DomainError;
use crate::idempotency::{
    Begin, IdempotencyKey, IdempotencyRules, IdempotencyScope, Lease, RequestHash, StoredResponse,
};
use crate::import::{ImportSummary, PricingRow, SeatRow};
use crate::marketplace::appointment::AppointmentCommand;
use crate::outbox::{About, AfterFailure, OutboxEntry, OutboxStatus, Topic};
use crate::payment::{
    GatewayOutcome, HistoryEntry, Payment, PaymentMethod, Refund, RefundOutcome, RefundPolicy,
};
use crate::seat_map::SeatMap;
use crate::time_zone::ShowTime;
use crate::values::Currency;
use crate::values::{Email, Phone};

/// Storage of the catalogue.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CatalogRepository: Send + Sync + 'static {
    /// MUST return `Conflict { code: "duplicate" }` for a city of the same name and country.
    async fn create_city(&self, city: NewCity) -> Result<City, DomainError>;
    async fn list_cities(&self, page: Page) -> Result<Paged<City>, DomainError>;
    /// MUST return `NotFound("city")` for an unknown city.
    async fn create_venue(&self, venue: NewVenue) -> Result<Venue, DomainError>;
    async fn list_venues(
        &self,
        city_id: Option<i64>,
        page: Page,
    ) -> Result<Paged<Venue>, DomainError>;
    /// Creates the event and, when given, its one general-admission show, atomically.
    /// MUST return `NotFound` for an unknown city or venue.
    async fn create_event(
        &self,
        event: NewEvent,
        show: Option<NewShow>,
    ) -> Result<EventDetail, DomainError>;
    async fn list_events(
        &self,
        filter: EventFilter,
        page: Page,
    ) -> Result<Paged<Event>, DomainError>;
    /// Counts and free places as at `now`: seats and places of past-due holds are free.
    async fn get_event(&self, id: i64, now: DateTime<Utc>) -> Result<EventDetail, DomainError>;
    /// The organiser of an event. MUST return `NotFound("event")` for an unknown event.
    async fn event_organizer(&self, event_id: i64) -> Result<Option<Uuid>, DomainError>;
    /// The organiser of a show's event. MUST return `NotFound("show")` for an unknown show.
    async fn show_organizer(&self, show_id: i64) -> Result<Option<Uuid>, DomainError>;
    /// When a show starts and its venue's time zone (a show without a venue: UTC; a stored zone
    /// unknown to this build: UTC, [`crate::time_zone::TimeZone::from_stored`]). MUST return `NotFound("show")`
    /// for an unknown show.
    async fn show_time(&self, show_id: i64) -> Result<ShowTime, DomainError>;
    /// Creates a show with its seat map or capacity, atomically (all seats or none).
    async fn create_show(&self, event_id: i64, show: NewShow) -> Result<ShowDetail, DomainError>;
    /// As at `now` (past-due holds free, as in [`Self::get_event`]).
    async fn get_show(&self, id: i64, now: DateTime<Utc>) -> Result<ShowDetail, DomainError>;
    /// The show and all its seats in map order ([`SeatMap::assemble`]), as of one snapshot. A
    /// seat of a past-due hold at `now` is `available`; a held one says until when. The chart
    /// may come from memory when the stored chart version shows it unchanged; the states never.
    async fn list_seats(&self, show_id: i64, now: DateTime<Utc>) -> Result<SeatMap, DomainError>;
    async fn get_seat(&self, id: i64, now: DateTime<Utc>) -> Result<SeatDetail, DomainError>;
    /// Upserts seats by label in ONE transaction; classes missing from the show are created
    /// without prices. Re-importing the same rows changes nothing.
    async fn import_seats(
        &self,
        show_id: i64,
        rows: Vec<SeatRow>,
    ) -> Result<ImportSummary, DomainError>;
    /// Upserts class prices by class name in ONE transaction.
    async fn import_pricing(
        &self,
        show_id: i64,
        rows: Vec<PricingRow>,
    ) -> Result<ImportSummary, DomainError>;
}

/// Which bookings to list: at least one of the two is set; both narrow the result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookingFilter {
    pub user_id: Option<Uuid>,
    pub contact: Option<ContactQuery>,
}

/// How to find bookings by their buyer's contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactQuery {
    Email(Email),
    Phone(Phone),
}

/// Storage of bookings. Every method that changes state is ONE transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait BookingRepository: Send + Sync + 'static {
    /// Books the command's places in one transaction by the domain's use case
    /// ([`crate::engine::book::book_batch`]; the adapter may carry other requests for the same
    /// show in that transaction, each answered on its own): reads the show, locks the requested
    /// seats in a fixed order (or takes general-admission places with a guarded update), plans
    /// with [`crate::booking::plan_seated`] / [`crate::booking::plan_general`] and writes the
    /// plan. MUST return `SeatsUnavailable` (never a unique-violation as `Internal`) when a seat
    /// is taken, `SoldOut` when places run out, `NotFound` for an unknown show or seat, and a
    /// `Validation` error for labels unknown in the show. The booking's creation is recorded in
    /// its history (from nothing to its status, actor `command.actor`) in the same transaction:
    /// a booking that fails leaves no row.
    async fn book(
        &self,
        command: BookingCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError>;
    async fn get_booking(&self, id: Uuid) -> Result<Booking, DomainError>;
    /// When a booking's show or appointment starts (the refund policy counts from it) and on
    /// which terms ([`crate::engine::BookingTx::terms`], read without locks). MUST return
    /// `NotFound("booking")` for an unknown booking.
    async fn booking_terms(&self, id: Uuid) -> Result<crate::engine::BookingTerms, DomainError>;
    async fn find_bookings(
        &self,
        filter: BookingFilter,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError>;
    /// Cancels in one transaction (locking the booking row), applying the state machine: a
    /// booking that is not active (a past-due hold counts as expired) MUST give
    /// `IllegalTransition`. Seats/places are free at once. The change is recorded in the
    /// booking's history (old status → `cancelled`, `actor`, `reason`, at `now`) in the same
    /// transaction. When the booking has a succeeded payment, the refund that `policy` gives
    /// ([`crate::payment::refund_amount`], decided inside the transaction) is written
    /// `pending` in the same transaction and returned for the gateway.
    async fn cancel_booking(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
        reason: String,
        policy: RefundPolicy,
    ) -> Result<Cancelled, DomainError>;
    /// Replaces the seats of a held booking whose hold still runs, in one transaction: locks
    /// the new seats (id order) and the booking, plans with
    /// [`crate::booking::plan_seat_change`], frees the old seats and takes the new ones, and
    /// updates quantity and total. All or nothing. MUST give `Conflict { code:
    /// "booking_not_held" }` for any other booking, `Conflict { code: "payment_pending" }`
    /// while a payment of it is `initiated`, and the errors of [`Self::book`] for the seats.
    async fn change_seats(
        &self,
        id: Uuid,
        places: Places,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError>;
    /// Writes `expired` on up to `limit` holds whose deadline is at or before `now` (never on
    /// a booking that was paid), freeing their seats, with a history row each (at the
    /// deadline, actor `system`). Returns how many.
    async fn expire_due(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError>;
    /// Writes `completed` on up to `limit` confirmed bookings whose show ended at or before
    /// `now`, with a history row each. Returns how many.
    async fn complete_ended(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError>;
    /// Writes one `appointment.reminder` outbox message for each of up to `limit` appointments
    /// whose reminder is due at `now` ([`crate::marketplace::appointment::reminder_due`] under
    /// their service's `reminder_minutes_before`) and that is
    /// [`crate::marketplace::appointment::reminded`] (confirmed), marking it reminded in the
    /// same transaction, so that a reminder is written once. Returns how many.
    async fn remind_due(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError>;
    /// The history of a booking (its status changes and those of its payments and refunds),
    /// oldest first. MUST return `NotFound("booking")` for an unknown booking.
    async fn history(&self, booking_id: Uuid) -> Result<Vec<HistoryEntry>, DomainError>;
    /// Reads what [`crate::quote::quote_booking`] needs to price `places` of the show at
    /// `now`, as [`Self::book`] would read it but without locks or writes (past-due holds count
    /// as free). MUST return `NotFound("show")` for an unknown show and the errors of
    /// [`Self::book`] for labels unknown in the show and seats asked of a general-admission
    /// show.
    async fn quote_inputs(
        &self,
        show_id: i64,
        places: Places,
        now: DateTime<Utc>,
    ) -> Result<crate::quote::QuoteInputs, DomainError>;

    /// Books a slot in one transaction by [`crate::engine::appoint::book_appointment`]. MUST
    /// return `Conflict { slot_taken }` when the database refuses the time (a racing booking
    /// took it), `NotFound("service")` for an unknown service.
    async fn book_appointment(
        &self,
        command: AppointmentCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError>;
    /// [`crate::engine::appoint::accept`] in one transaction.
    async fn accept_appointment(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError>;
    /// [`crate::engine::appoint::decline`] in one transaction.
    async fn decline_appointment(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Cancelled, DomainError>;
    /// [`crate::engine::appoint::move_slot`] in one transaction.
    async fn move_appointment(
        &self,
        id: Uuid,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError>;
    /// The appointments of a provider's services (kind `appointment`) that start in
    /// `[from, to)`, with the given status (as stored) when one is given, earliest first.
    async fn find_appointments(
        &self,
        filter: AppointmentFilter,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError>;
}

/// Which appointments a provider lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentFilter {
    pub provider_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub status: Option<crate::booking::BookingStatus>,
}

/// A cancelled booking and the refund its cancellation started, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub booking: Booking,
    pub refund: Option<PendingRefund>,
}

/// A refund written `pending`, with what the gateway needs to carry it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRefund {
    pub refund: Refund,
    /// The gateway's id of the charge to refund.
    pub charge_ref: String,
    pub currency: Currency,
}

/// A payment to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub method: PaymentMethod,
    /// The amount the client expects to pay; must equal the booking's total when given.
    pub expected_amount: Option<i64>,
    /// The history actor.
    pub actor: String,
}

/// A refund to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAsk {
    pub id: Uuid,
    pub payment_id: Uuid,
    /// `None`: everything that remains refundable.
    pub amount: Option<i64>,
    pub reason: String,
    pub actor: String,
}

/// A payment after the gateway's answer was recorded, and the automatic refund that answer
/// started (a payment that came too late), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub payment: Payment,
    pub refund: Option<PendingRefund>,
}

/// Storage of payments and refunds. Every method is one transaction; every status change is
/// recorded in the booking's history in the same transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PaymentRepository: Send + Sync + 'static {
    /// Writes an `initiated` payment of the booking's total, locking the booking: MUST give
    /// `Conflict { code: "booking_not_held" }` unless the booking is held and its hold runs at
    /// `now`, a `Validation` error on `amount` when `expected_amount` differs from the total,
    /// and `Conflict { code: "payment_pending" }` when the booking already has a payment that
    /// is initiated or succeeded (at most one per booking; the database enforces it).
    async fn create_payment(
        &self,
        payment: NewPayment,
        now: DateTime<Utc>,
    ) -> Result<Payment, DomainError>;
    /// MUST return `NotFound("payment")` for an unknown id.
    async fn get_payment(&self, id: Uuid) -> Result<Payment, DomainError>;
    /// Records the gateway's answer to the charge of an `initiated` payment, locking the
    /// booking and the payment. `Pending` keeps it initiated (stores the gateway ref);
    /// `Declined` fails it (the booking stays held until it expires); `Succeeded` succeeds it
    /// and applies [`crate::payment::settlement_for`] to the booking: confirm, revive (the
    /// same seats, all still free) or a full refund written `pending`. A payment that is
    /// already final is returned unchanged (a repeated confirmation or webhook).
    async fn settle_payment(
        &self,
        id: Uuid,
        outcome: GatewayOutcome,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Settled, DomainError>;
    /// Writes a `pending` refund of a succeeded payment, locking it: the amount given
    /// (`1..=remaining`, else `Validation` on `amount`) or, without one, all that remains.
    /// MUST give `Conflict { code: "payment_not_succeeded" }` for a payment that did not
    /// succeed, `Conflict { code: "nothing_to_refund" }` when nothing remains, and
    /// `Conflict { code: "refund_exceeds_payment" }` when the database's cap refuses it.
    async fn create_refund(
        &self,
        ask: RefundAsk,
        now: DateTime<Utc>,
    ) -> Result<PendingRefund, DomainError>;
    /// Records the gateway's answer to a pending refund; a refund that is already final is
    /// returned unchanged.
    async fn finish_refund(
        &self,
        refund_id: Uuid,
        outcome: RefundOutcome,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Refund, DomainError>;
    /// Up to `limit` refunds still `pending` that were written before `before` (the gateway
    /// was down, or the process stopped before it answered), oldest first.
    async fn pending_refunds(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PendingRefund>, DomainError>;
}

/// Storage of idempotency keys and the answers kept for them (`crate::idempotency`). One row
/// per (scope, key); every method is one transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims the key for a request with `request_hash`, atomically, and commits before it
    /// returns: when no record exists, inserts one in progress (`INSERT … ON CONFLICT DO
    /// NOTHING`) and answers `Begun`; otherwise reads the record (locked) and applies
    /// [`crate::idempotency::decide`] — `Start` (expired) and `TakeOver` (abandoned) rewrite
    /// it as a new attempt in progress and answer `Begun`. Of two concurrent calls for one key
    /// at most one gets `Begun`. May also delete a bounded batch of expired records.
    async fn begin(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: RequestHash,
        now: DateTime<Utc>,
        rules: IdempotencyRules,
    ) -> Result<Begin, DomainError>;
    /// Stores the answer of the attempt `lease`, kept until `expires_at`. Does nothing when
    /// the key is no longer that attempt's (it was taken over).
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        lease: Lease,
        response: StoredResponse,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DomainError>;
    /// Deletes the record of the attempt `lease` if it is still in progress, so that the next
    /// request with the key does the work. Does nothing otherwise.
    async fn abandon(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        lease: Lease,
    ) -> Result<(), DomainError>;
}

/// A message the delivery worker claimed: its row, the message, and how many attempts have been
/// made, this one included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    pub id: i64,
    pub message_id: Uuid,
    pub topic: Topic,
    pub about: About,
    pub at: DateTime<Utc>,
    pub attempts: u32,
    /// A secret the message carries, sealed ([`Sealer`]): a password reset's token.
    pub sealed: Option<Vec<u8>>,
}

/// Seals the secrets an outbox message carries (a password-reset token) so that the database
/// never holds them in the clear; the adapter drops the sealed bytes once the message is
/// delivered or dead.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Sealer: Send + Sync + 'static {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, DomainError>;
    /// MUST fail for bytes it did not seal (or that were changed).
    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, DomainError>;
}

/// The outbox message of a password reset, written with its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetNotice {
    pub message_id: Uuid,
    /// The token, sealed.
    pub sealed_token: Vec<u8>,
}

/// The outbox's delivery side (its writes happen in the booking transactions: `BookingTx`).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Claims up to `limit` pending messages due at `now`, oldest first, in one statement
    /// that skips rows another worker is claiming (`FOR UPDATE SKIP LOCKED`): each claimed
    /// row counts the attempt and is not due again before `now + lease`, so no other worker
    /// takes it while this one delivers, and a worker that dies leaves it to be retried.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, DomainError>;
    /// Marks a claimed message delivered at `now`.
    async fn mark_delivered(&self, id: i64, now: DateTime<Utc>) -> Result<(), DomainError>;
    /// Records a failed attempt: retried at the given time, or dead, with the error.
    async fn mark_failed(
        &self,
        id: i64,
        error: String,
        after: AfterFailure,
    ) -> Result<(), DomainError>;
    /// Messages, newest first, optionally of one status.
    async fn list(
        &self,
        status: Option<OutboxStatus>,
        page: Page,
    ) -> Result<Paged<OutboxEntry>, DomainError>;
    /// MUST return `NotFound("outbox message")` for an unknown id.
    async fn get(&self, id: i64) -> Result<OutboxEntry, DomainError>;
    /// Makes the message pending and due at `now` with its attempts counted from 0 again
    /// (its last error kept until the next attempt) — only while its status is still `from`:
    /// `None` when it changed meanwhile.
    async fn requeue(
        &self,
        id: i64,
        from: OutboxStatus,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxEntry>, DomainError>;
}

/// Where "now" comes from (tests pin it).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Readiness of the storage (for `/ready`).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    async fn ready(&self) -> Result<(), DomainError>;
}

/// An email to one recipient, plain text. Its `Debug` leaves the body out (bodies carry
/// one-time tokens).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: String,
    pub text_body: String,
    /// The HTML part, when the email has one (sent as `multipart/alternative` with the text).
    pub html_body: Option<String>,
    /// The id of the outbox message it delivers (sent as its `Message-ID`, the same on every
    /// retry, so that a repeat is recognisable); `None` for a direct email.
    pub message_id: Option<Uuid>,
}

impl std::fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailMessage")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text_body", &"<redacted>")
            .field("html_body", &self.html_body.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Delivers notifications. `infra-notify` implements it (a file drop for development, SMTP for
/// production). Errors are `Unavailable` when the transport is down.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send_email(&self, message: EmailMessage) -> Result<(), DomainError>;
}

/// A text message to one phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub to: Phone,
    pub text: String,
    /// The id of the outbox message it delivers (the same on every retry).
    pub message_id: Option<Uuid>,
}

/// Sends text messages. `infra-notify` implements it (a file drop, a log line). Errors are
/// `Unavailable` when the transport is down.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SmsSender: Send + Sync + 'static {
    async fn send_sms(&self, message: SmsMessage) -> Result<(), DomainError>;
}

/// Storage of accounts and their secrets (hashes only). Every method is one transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: Send + Sync + 'static {
    /// MUST return `Conflict { code: "email_taken" }` when the email (case-insensitive) exists.
    async fn create_user(&self, user: NewUser, now: DateTime<Utc>) -> Result<User, DomainError>;
    /// MUST return `NotFound("user")` for an unknown id.
    async fn get_user(&self, id: Uuid) -> Result<User, DomainError>;
    /// The user with this email and their password hash, if any.
    async fn find_credentials(&self, email: &Email) -> Result<Option<(User, String)>, DomainError>;
    async fn list_users(&self, role: Option<Role>, page: Page) -> Result<Paged<User>, DomainError>;
    /// MUST return `NotFound("user")` for an unknown id. Deactivating a user also revokes all
    /// their refresh tokens, in the same transaction.
    async fn update_user(
        &self,
        id: Uuid,
        patch: UserPatch,
        now: DateTime<Utc>,
    ) -> Result<User, DomainError>;
    async fn store_refresh_token(
        &self,
        token: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError>;
    /// Rotates in one transaction, locking the presented token's row: a current token (not
    /// used, not revoked, not expired, active user) is marked used and `replacement` is stored in
    /// its family; a token that was already used (rotated) revokes its whole family
    /// (committed) and gives `Reused`; anything else (unknown, expired, revoked by a sign-out
    /// or a family revocation, inactive user) gives `Invalid` and changes nothing.
    async fn rotate_refresh_token(
        &self,
        presented: TokenHash,
        replacement: TokenHash,
        replacement_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Rotation, DomainError>;
    /// Revokes the family of the presented token (a sign-out); unknown tokens are ignored.
    async fn revoke_refresh_family(
        &self,
        presented: TokenHash,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError>;
    /// Stores the token's hash and, in the same transaction, the outbox message that emails
    /// the token (topic `password.reset_requested`, about the account, due at `now`).
    async fn store_reset_token(
        &self,
        user_id: Uuid,
        hash: TokenHash,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        notice: ResetNotice,
    ) -> Result<(), DomainError>;
    /// In one transaction: consumes the reset token if it is unused, unexpired and its user
    /// active, sets the new password hash and revokes all the user's refresh tokens. `None`
    /// when the token is not usable (nothing changes).
    async fn reset_password(
        &self,
        token: TokenHash,
        new_password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, DomainError>;
}

/// Password hashing (bcrypt in the adapter, run off the async threads).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    async fn hash(&self, password: &str) -> Result<String, DomainError>;
    /// `false` for a wrong password or a malformed hash. With `None` (unknown account) it does
    /// the same work against a hash of its own and answers `false`, so that a login takes as
    /// long whether or not the account exists.
    async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, DomainError>;
}

/// Unguessable tokens (at least 256 bits from the OS's random source, URL-safe text).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TokenGenerator: Send + Sync + 'static {
    fn token(&self) -> String;
    fn uuid(&self) -> Uuid;
}

/// Storage of the live streams (issue 12): the versions of shows' stream states and the
/// single-use stream tickets.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LiveStore: Send + Sync + 'static {
    /// The stream version of the show's state whose digest is `digest`
    /// ([`crate::live::ShowState::digest`]): the stored version while the stored digest is
    /// `digest`, else the next version, stored with `digest` (the first is 1). One atomic
    /// statement: two instances stamping the same state get the same version, and a version
    /// never names two states.
    async fn stamp(&self, show_id: i64, digest: i64) -> Result<i64, DomainError>;
    /// Keeps a stream ticket (its hash) of `user_id`, good until `expires_at`, and drops the
    /// tickets that expired by `now` ([`crate::account::secret_expired`]).
    async fn store_ticket(
        &self,
        hash: TokenHash,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError>;
    /// Takes the ticket (it is gone afterwards, whatever the answer): its user and deadline,
    /// `None` for an unknown or already taken ticket.
    async fn take_ticket(
        &self,
        hash: TokenHash,
    ) -> Result<Option<(Uuid, DateTime<Utc>)>, DomainError>;
}
