//! The bodies of the marketplace's catalogue (issue 14, `docs/marketplace.md`): categories and
//! services, with a service's availability in its wire form — weekdays `mon` … `sun`, local
//! times `HH:MM` in the service's IANA `time_zone`, exceptions `closed` (a date) or `extra` (a
//! date with hours).

use boxoffice_domain::marketplace::appointment::Appointment;
use boxoffice_domain::marketplace::availability::{
    clock_time, weekday_name, Availability, AvailabilityException, AvailabilityInput,
    AvailabilityPatch, ExceptionInput, WeeklyIntervalInput,
};
use boxoffice_domain::marketplace::catalog::{
    Category, Service, ServiceInput, ServicePatch, ServiceUpdate,
};
use boxoffice_domain::marketplace::slots::Slot;
use chrono::{DateTime, NaiveDate, Utc};
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::timestamp;

// ---------- categories ----------

/// A category to create (admins).
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// 1 to 100 characters, one line; unique whatever its case (409 `duplicate`).
    pub name: String,
    /// At most 2,000 characters, lines allowed. Default empty.
    pub description: Option<String>,
    /// An inactive category takes no new services. Default true.
    pub active: Option<bool>,
}

/// A change to a category (admins): each field given replaces the stored one (`""` clears the
/// description).
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    pub name: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct CategoryQuery {
    /// Also the inactive categories (admins only: 403 for anyone else).
    pub include_inactive: Option<bool>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CategoryDto {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// An inactive category takes no new services (its services stay).
    pub active: bool,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        Self {
            id: c.id,
            name: c.name,
            description: c.description,
            active: c.active,
            created_at: c.created_at,
        }
    }
}

// ---------- availability ----------

/// One weekly working interval, in the service's local time: `start` before `end` on the same
/// day (an interval never crosses midnight: split it in two). At most 12 a weekday, none
/// overlapping another of its weekday (touching is fine: `[start, end)`).
#[derive(Debug, Clone, Serialize, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyIntervalDto {
    /// mon, tue, wed, thu, fri, sat or sun
    pub weekday: String,
    /// `HH:MM`, 00:00 to 23:59
    pub start: String,
    /// `HH:MM`, after `start`
    pub end: String,
}

/// A change to the weekly pattern on one local date: `kind` `closed` (no work that date; no
/// `start`/`end`) or `extra` (hours on top of the week's that date; `start` and `end` given,
/// `start` before `end`). A date is closed at most once; extra hours of one date follow the
/// weekly intervals' rules. At most 366 exceptions.
#[derive(Debug, Clone, Serialize, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityExceptionDto {
    /// closed or extra
    pub kind: String,
    /// The local date (`YYYY-MM-DD`).
    pub date: NaiveDate,
    /// `HH:MM` (kind extra only; null for closed)
    pub start: Option<String>,
    /// `HH:MM`, after `start` (kind extra only; null for closed)
    pub end: Option<String>,
}

/// When a new service can be booked. The times are local times of `time_zone`.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityInputDto {
    /// The provider's IANA time zone (`Europe/Berlin`), exactly as the tz database spells it.
    pub time_zone: String,
    /// The weekly working intervals (may be empty: then only `extra` exceptions open slots).
    pub weekly: Vec<WeeklyIntervalDto>,
    /// Closed dates and extra hours. Default none.
    pub exceptions: Option<Vec<AvailabilityExceptionDto>>,
    /// Length of an appointment: 5 to 1,440 minutes.
    pub duration_minutes: i64,
    /// Time kept free before each appointment: 0 to 240 minutes. Default 0.
    pub buffer_before_minutes: Option<i64>,
    /// Time kept free after each appointment: 0 to 240 minutes. Default 0.
    pub buffer_after_minutes: Option<i64>,
    /// Customers per slot: 1 to 1,000. Default 1.
    pub capacity: Option<i64>,
    /// Bookings close this many minutes before a slot: 0 to 43,200. Default 0.
    pub min_notice_minutes: Option<i64>,
    /// Bookings open this many days ahead: 1 to 730. Default 90.
    pub max_advance_days: Option<i64>,
}

/// A change to a service's availability: each part given replaces the stored one (a list
/// wholly); the result is checked as a whole.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityPatchDto {
    pub time_zone: Option<String>,
    pub weekly: Option<Vec<WeeklyIntervalDto>>,
    pub exceptions: Option<Vec<AvailabilityExceptionDto>>,
    pub duration_minutes: Option<i64>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub capacity: Option<i64>,
    pub min_notice_minutes: Option<i64>,
    pub max_advance_days: Option<i64>,
}

/// A service's availability.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AvailabilityDto {
    /// The provider's IANA time zone: every time here is a local time of it.
    pub time_zone: String,
    pub weekly: Vec<WeeklyIntervalDto>,
    pub exceptions: Vec<AvailabilityExceptionDto>,
    pub duration_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub capacity: u32,
    pub min_notice_minutes: u32,
    pub max_advance_days: u32,
}

fn weekly_input(w: Vec<WeeklyIntervalDto>) -> Vec<WeeklyIntervalInput> {
    w.into_iter()
        .map(|w| WeeklyIntervalInput {
            weekday: w.weekday,
            start: w.start,
            end: w.end,
        })
        .collect()
}

fn exceptions_input(e: Vec<AvailabilityExceptionDto>) -> Vec<ExceptionInput> {
    e.into_iter()
        .map(|e| ExceptionInput {
            kind: e.kind,
            date: e.date,
            start: e.start,
            end: e.end,
        })
        .collect()
}

impl From<AvailabilityInputDto> for AvailabilityInput {
    fn from(a: AvailabilityInputDto) -> Self {
        Self {
            time_zone: a.time_zone,
            weekly: weekly_input(a.weekly),
            exceptions: a.exceptions.map(exceptions_input),
            duration_minutes: a.duration_minutes,
            buffer_before_minutes: a.buffer_before_minutes,
            buffer_after_minutes: a.buffer_after_minutes,
            capacity: a.capacity,
            min_notice_minutes: a.min_notice_minutes,
            max_advance_days: a.max_advance_days,
        }
    }
}

impl From<AvailabilityPatchDto> for AvailabilityPatch {
    fn from(a: AvailabilityPatchDto) -> Self {
        Self {
            time_zone: a.time_zone,
            weekly: a.weekly.map(weekly_input),
            exceptions: a.exceptions.map(exceptions_input),
            duration_minutes: a.duration_minutes,
            buffer_before_minutes: a.buffer_before_minutes,
            buffer_after_minutes: a.buffer_after_minutes,
            capacity: a.capacity,
            min_notice_minutes: a.min_notice_minutes,
            max_advance_days: a.max_advance_days,
        }
    }
}

impl From<Availability> for AvailabilityDto {
    fn from(a: Availability) -> Self {
        Self {
            time_zone: a.time_zone.name().to_owned(),
            weekly: a
                .weekly
                .iter()
                .map(|w| WeeklyIntervalDto {
                    weekday: weekday_name(w.weekday).to_owned(),
                    start: clock_time(w.start),
                    end: clock_time(w.end),
                })
                .collect(),
            exceptions: a
                .exceptions
                .iter()
                .map(|e| AvailabilityExceptionDto {
                    kind: e.kind().as_str().to_owned(),
                    date: e.date(),
                    start: match e {
                        AvailabilityException::Extra { start, .. } => Some(clock_time(*start)),
                        AvailabilityException::Closed { .. } => None,
                    },
                    end: match e {
                        AvailabilityException::Extra { end, .. } => Some(clock_time(*end)),
                        AvailabilityException::Closed { .. } => None,
                    },
                })
                .collect(),
            duration_minutes: a.duration_minutes,
            buffer_before_minutes: a.buffer_before_minutes,
            buffer_after_minutes: a.buffer_after_minutes,
            capacity: a.capacity,
            min_notice_minutes: a.min_notice_minutes,
            max_advance_days: a.max_advance_days,
        }
    }
}

// ---------- services ----------

/// A service to offer (providers for themselves; admins for themselves or a named provider).
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    /// Whose service it is: an admin may name an active provider; a provider may name only
    /// themself (403 otherwise). Default: the caller.
    pub provider_id: Option<Uuid>,
    /// 1 to 200 characters, one line.
    pub title: String,
    /// At most 10,000 characters, lines allowed. Default empty.
    pub description: Option<String>,
    /// An active category (404 unknown, 422 inactive).
    pub category_id: i64,
    /// Price of one appointment (per customer) in minor units.
    pub price: i64,
    /// ISO 4217 code; default from the server's config.
    pub currency: Option<String>,
    pub availability: AvailabilityInputDto,
    /// Appointments wait for the provider's acceptance. Default false.
    pub requires_acceptance: Option<bool>,
    /// A cancellation at least this many hours before the start is refunded in full: 0 to
    /// 8,760. Default 24.
    pub full_refund_hours_before: Option<i64>,
    /// A later cancellation is refunded this percentage: 0 to 100. Default 50.
    pub late_refund_percent: Option<i64>,
    /// A reminder this many minutes before the start: 1 to 10,080; 0 or absent: none.
    pub reminder_minutes_before: Option<i64>,
    /// Pictures: at most 10 http or https URLs (a host, no credentials, at most 2,048
    /// characters each), no repeats.
    pub image_urls: Option<Vec<String>>,
    /// An inactive service is not listed in the search. Default true.
    pub active: Option<bool>,
}

/// A change to a service (its provider or an admin): each field given replaces the stored one;
/// the parts of `availability` given replace those parts. `reminder_minutes_before: 0`
/// removes the reminder, `image_urls: []` the pictures, `description: ""` the description.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateService {
    pub title: Option<String>,
    pub description: Option<String>,
    /// An active category (404 unknown, 422 inactive).
    pub category_id: Option<i64>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub availability: Option<AvailabilityPatchDto>,
    pub requires_acceptance: Option<bool>,
    pub full_refund_hours_before: Option<i64>,
    pub late_refund_percent: Option<i64>,
    /// 0 removes the reminder.
    pub reminder_minutes_before: Option<i64>,
    pub image_urls: Option<Vec<String>>,
    pub active: Option<bool>,
}

impl From<CreateService> for ServiceInput {
    fn from(b: CreateService) -> Self {
        Self {
            provider_id: b.provider_id,
            title: b.title,
            description: b.description,
            category_id: b.category_id,
            price: b.price,
            currency: b.currency,
            availability: b.availability.into(),
            requires_acceptance: b.requires_acceptance,
            full_refund_hours_before: b.full_refund_hours_before,
            late_refund_percent: b.late_refund_percent,
            reminder_minutes_before: b.reminder_minutes_before,
            image_urls: b.image_urls,
            active: b.active,
        }
    }
}

impl From<UpdateService> for ServicePatch {
    fn from(b: UpdateService) -> Self {
        Self {
            title: b.title,
            description: b.description,
            category_id: b.category_id,
            price: b.price,
            currency: b.currency,
            availability: b.availability.map(Into::into).unwrap_or_default(),
            requires_acceptance: b.requires_acceptance,
            full_refund_hours_before: b.full_refund_hours_before,
            late_refund_percent: b.late_refund_percent,
            reminder_minutes_before: b.reminder_minutes_before,
            image_urls: b.image_urls,
            active: b.active,
        }
    }
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct ServiceQuery {
    /// Only services whose title or description contains this text, ignoring case (`%` and `_`
    /// are plain characters). Trimmed; blank means no search; at most 200 characters.
    pub q: Option<String>,
    pub category_id: Option<i64>,
    /// Only services costing at least this much (minor units, whatever the currency).
    pub min_price: Option<i64>,
    /// Only services costing at most this much (minor units); not below `min_price`.
    pub max_price: Option<i64>,
    /// Only this provider's services.
    pub provider_id: Option<Uuid>,
    /// Also inactive services: admins, or a provider with `provider_id` = their own id (403
    /// otherwise). Deleted services are never listed.
    pub include_inactive: Option<bool>,
    /// Only services with a free slot starting on this date (`YYYY-MM-DD`) of their provider's
    /// calendar (at most the first 200 services matching the other filters are looked at).
    pub available_on: Option<NaiveDate>,
    /// price_asc, price_desc, newest (default) or soonest (the soonest free slot within 31
    /// days first; services without one last; at most the first 200 services matching the
    /// other filters are looked at)
    pub sort: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

/// A service a provider offers.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ServiceDto {
    pub id: i64,
    /// The provider (user id) who offers it.
    pub provider_id: Uuid,
    pub title: String,
    pub description: String,
    pub category_id: i64,
    /// Price of one appointment (per customer), minor units of `currency`.
    pub price: i64,
    pub currency: String,
    pub availability: AvailabilityDto,
    pub requires_acceptance: bool,
    pub full_refund_hours_before: u32,
    pub late_refund_percent: u32,
    /// Minutes before the start a reminder is sent (null: none).
    pub reminder_minutes_before: Option<u32>,
    pub image_urls: Vec<String>,
    /// An inactive service is not listed in the search.
    pub active: bool,
    /// When it was deleted (null: it is not). A deleted service reads only for its provider
    /// and admins.
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Service> for ServiceDto {
    fn from(s: Service) -> Self {
        let f = s.fields;
        Self {
            id: s.id,
            provider_id: s.provider_id,
            title: f.title,
            description: f.description,
            category_id: f.category_id,
            price: f.price,
            currency: f.currency.as_str().to_owned(),
            availability: f.availability.into(),
            requires_acceptance: f.requires_acceptance,
            full_refund_hours_before: f.full_refund_hours_before,
            late_refund_percent: f.late_refund_percent,
            reminder_minutes_before: f.reminder_minutes_before,
            image_urls: f.image_urls,
            active: f.active,
            deleted_at: s.deleted_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

// ---------- slots and appointments ----------

/// A local wall-clock time of the provider's zone, `YYYY-MM-DDTHH:MM:SS` (no offset).
fn local(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `GET /services/{id}/slots`: the range (RFC 3339 instants). Default: from now, 7 days; at most
/// 31 days.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct SlotQuery {
    /// Slots starting at or after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Slots starting before this instant (default: `from` + 7 days; at most `from` + 31 days).
    pub to: Option<DateTime<Utc>>,
}

/// A free slot: book it with `POST /bookings {service_id, starts_at}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SlotDto {
    /// The start (UTC): the `starts_at` to book.
    #[serde(serialize_with = "timestamp::serialize")]
    pub starts_at: DateTime<Utc>,
    /// `starts_at` + the service's duration (UTC).
    #[serde(serialize_with = "timestamp::serialize")]
    pub ends_at: DateTime<Utc>,
    /// The start on the provider's wall clock (`time_zone`), e.g. `2027-03-28T01:30:00`.
    pub local_start: String,
    /// The end on the provider's wall clock.
    pub local_end: String,
    /// The zone's offset from UTC at the start, in seconds (7200 for CEST).
    pub utc_offset_seconds: i32,
    /// Places left: 1 for a free one-to-one slot; for a class, its capacity minus places booked.
    pub remaining: u32,
}

impl From<Slot> for SlotDto {
    fn from(s: Slot) -> Self {
        Self {
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            local_start: local(s.local_start),
            local_end: local(s.local_end),
            utc_offset_seconds: s.utc_offset_seconds,
            remaining: s.remaining,
        }
    }
}

/// The free slots of a service, earliest first.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SlotList {
    pub service_id: i64,
    /// The provider's IANA zone, in which `local_start` and `local_end` are told.
    pub time_zone: String,
    #[serde(serialize_with = "timestamp::serialize")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub to: DateTime<Utc>,
    pub items: Vec<SlotDto>,
}

/// The slot of an appointment booking.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AppointmentDto {
    pub service_id: i64,
    pub service_title: String,
    /// The provider (user id).
    pub provider_id: Uuid,
    #[serde(serialize_with = "timestamp::serialize")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub ends_at: DateTime<Utc>,
    /// The provider's IANA zone.
    pub time_zone: String,
    /// The start on the provider's wall clock, e.g. `2027-03-28T10:00:00`.
    pub local_start: String,
    /// The end on the provider's wall clock.
    pub local_end: String,
    /// Places taken (1).
    pub places: u32,
    /// The customer's note to the provider ('' when none).
    pub notes: String,
}

impl From<Appointment> for AppointmentDto {
    fn from(a: Appointment) -> Self {
        Self {
            local_start: local(a.local_start()),
            local_end: local(a.local_end()),
            service_id: a.service_id,
            service_title: a.service_title,
            provider_id: a.provider_id,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            time_zone: a.time_zone.name().to_owned(),
            places: a.places,
            notes: a.notes,
        }
    }
}

/// `PUT /bookings/{id}/slot`: the new start, a free slot of the same service.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct MoveSlot {
    pub starts_at: DateTime<Utc>,
}

/// `GET /providers/me/appointments`.
#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct AppointmentQuery {
    /// Appointments starting at or after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Appointments starting before this instant (default: `from` + 31 days; at most that).
    pub to: Option<DateTime<Utc>>,
    /// Only this status as stored: held, pending, confirmed, completed, expired or cancelled.
    pub status: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

/// `PATCH /services/{id}?dry_run=true` checks a change without writing it.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ServiceChangeQuery {
    /// Check only: answer the service as it would be and its conflicts; write nothing.
    pub dry_run: Option<bool>,
}

/// An active appointment that the service's availability leaves outside its slots (kept as it
/// is: an availability change never cancels an appointment).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AvailabilityConflictDto {
    pub booking_id: Uuid,
    #[serde(serialize_with = "timestamp::serialize")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub ends_at: DateTime<Utc>,
}

/// A changed service (or, with `dry_run`, as it would be) and the appointments its
/// availability leaves outside its slots.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ServiceChangeDto {
    pub service: ServiceDto,
    /// Upcoming active appointments that are not on a slot of the new availability, earliest
    /// first (empty when none).
    pub availability_conflicts: Vec<AvailabilityConflictDto>,
    /// Whether the change was written (false for a dry run).
    pub saved: bool,
}

impl ServiceChangeDto {
    pub fn new(u: ServiceUpdate, saved: bool) -> Self {
        Self {
            service: u.service.into(),
            availability_conflicts: u
                .conflicts
                .into_iter()
                .map(|c| AvailabilityConflictDto {
                    booking_id: c.booking_id,
                    starts_at: c.starts_at,
                    ends_at: c.ends_at,
                })
                .collect(),
            saved,
        }
    }
}
