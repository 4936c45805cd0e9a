//! Services and categories of the marketplace (issue 14, `docs/marketplace.md`): what they are,
//! the inputs that create and change them and their rules, the search of services, and who may
//! do what ([`service_owner_for`], [`may_read_service`], [`require_service_manager`],
//! [`may_list_inactive`]). The ports are in [`ports`], the use cases in [`MarketplaceCatalog`].

use chrono::{DateTime, Utc};
use url::Url;
use uuid::Uuid;

use super::availability::{under, Availability, AvailabilityInput, AvailabilityPatch};
use crate::error::{DomainError, FieldError, Violations};
use crate::values::{check_amount, check_chars, Currency, InvalidValue, Lines, TextRule};

mod access;
mod ports;
mod search;
mod service;

pub use access::*;
pub use ports::*;
pub use search::*;
pub use service::{
    availability_conflicts, MarketplaceCatalog, ServiceSlots, ServiceUpdate, DEFAULT_SLOT_DAYS,
};

// ---------- limits ----------

/// The longest category name (characters).
pub const CATEGORY_NAME_MAX_CHARS: usize = 100;
/// The longest category description (characters).
pub const CATEGORY_DESCRIPTION_MAX_CHARS: usize = 2_000;
/// The longest service title (characters): an event's.
pub const SERVICE_TITLE_MAX_CHARS: usize = crate::limits::TITLE_MAX_CHARS;
/// The longest service description (characters): an event's.
pub const SERVICE_DESCRIPTION_MAX_CHARS: usize = crate::limits::DESCRIPTION_MAX_CHARS;
/// Most pictures of a service.
pub const MAX_IMAGE_URLS: usize = 10;
/// The longest picture URL (characters).
pub const MAX_IMAGE_URL_CHARS: usize = 2_048;
/// The most hours before an appointment a full refund may be promised (a year).
pub const MAX_FULL_REFUND_HOURS: u32 = 8_760;
/// The most minutes before an appointment a reminder may be sent (a week).
pub const MAX_REMINDER_MINUTES: u32 = 10_080;
/// The cancellation terms of a service that states none: the platform's policy (a full refund
/// at least 24 hours before, half later).
pub const DEFAULT_FULL_REFUND_HOURS: u32 = 24;
pub const DEFAULT_LATE_REFUND_PERCENT: u32 = 50;

const CATEGORY_NAME_RULE: TextRule = TextRule::line(CATEGORY_NAME_MAX_CHARS);
const CATEGORY_DESCRIPTION_RULE: TextRule =
    TextRule::optional_lines(CATEGORY_DESCRIPTION_MAX_CHARS);
const TITLE_RULE: TextRule = TextRule::line(SERVICE_TITLE_MAX_CHARS);
const DESCRIPTION_RULE: TextRule = TextRule::optional_lines(SERVICE_DESCRIPTION_MAX_CHARS);

// ---------- categories ----------

/// A kind of service (hairdressing, tutoring, …): the admins keep the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// An inactive category takes no new services (its services stay).
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A category as it comes in (`POST`); absent: no description, active.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryInput {
    pub name: String,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// A category's fields, checked: what storage writes (a new one, or the whole of a changed one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCategory {
    /// Unique whatever its case.
    pub name: String,
    pub description: String,
    pub active: bool,
}

/// A change to a category (`PATCH`): each field given replaces the stored one (`""` clears the
/// description).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

fn category(name: &str, description: &str, active: bool) -> Result<NewCategory, DomainError> {
    let mut v = Violations::new();
    let name = v.check("name", CATEGORY_NAME_RULE.parse(name, "name"));
    let description = v.check(
        "description",
        CATEGORY_DESCRIPTION_RULE.parse(description, "description"),
    );
    v.finish()?;
    Ok(NewCategory {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        active,
    })
}

impl NewCategory {
    /// `name` one line of 1 to [`CATEGORY_NAME_MAX_CHARS`] characters, `description` at most
    /// [`CATEGORY_DESCRIPTION_MAX_CHARS`] (lines allowed), both trimmed.
    pub fn parse(input: &CategoryInput) -> Result<Self, DomainError> {
        category(
            &input.name,
            input.description.as_deref().unwrap_or(""),
            input.active.unwrap_or(true),
        )
    }
}

impl CategoryPatch {
    /// `current` with the fields given replaced, checked as [`NewCategory::parse`] does.
    pub fn apply(&self, current: &Category) -> Result<NewCategory, DomainError> {
        category(
            self.name.as_deref().unwrap_or(&current.name),
            self.description.as_deref().unwrap_or(&current.description),
            self.active.unwrap_or(current.active),
        )
    }
}

/// The one rule of a service's category: it must be active (an inactive one takes no new
/// services and no service moves into it). 422 naming `category_id` otherwise.
pub fn check_category_open(category: &Category) -> Result<(), DomainError> {
    if category.active {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "category_id",
            format!("category {} is not active", category.id),
        ))
    }
}

// ---------- services ----------

/// A service a provider offers: what it is, what it costs, when it can be booked and on which
/// terms. A deleted service (`deleted_at`) is kept for the history of its appointments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: i64,
    pub provider_id: Uuid,
    pub fields: NewService,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Service {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A service's fields, checked: what storage writes (a new one, or the whole of a changed one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub title: String,
    pub description: String,
    pub category_id: i64,
    /// Per appointment (per customer), minor units.
    pub price: i64,
    pub currency: Currency,
    pub availability: Availability,
    /// Appointments wait for the provider's acceptance (else they are confirmed when paid).
    pub requires_acceptance: bool,
    /// Cancelling at least this many hours before the start refunds everything …
    pub full_refund_hours_before: u32,
    /// … and later, this percentage (0 to 100).
    pub late_refund_percent: u32,
    /// A reminder this many minutes before the start (`None`: no reminder).
    pub reminder_minutes_before: Option<u32>,
    /// Pictures (http or https URLs), at most [`MAX_IMAGE_URLS`].
    pub image_urls: Vec<String>,
    /// An inactive service is not listed in the search (its page still reads).
    pub active: bool,
}

/// A service as it comes in (`POST`). Absent optional fields take their defaults: no
/// description, the server's currency, no acceptance step, the platform's cancellation terms
/// ([`DEFAULT_FULL_REFUND_HOURS`], [`DEFAULT_LATE_REFUND_PERCENT`]), no reminder, no pictures,
/// active.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInput {
    /// Whose service: the caller's own when absent; an admin may name a provider.
    pub provider_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub category_id: i64,
    pub price: i64,
    pub currency: Option<String>,
    pub availability: AvailabilityInput,
    pub requires_acceptance: Option<bool>,
    pub full_refund_hours_before: Option<i64>,
    pub late_refund_percent: Option<i64>,
    /// `0` (like absent) means no reminder.
    pub reminder_minutes_before: Option<i64>,
    pub image_urls: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// A change to a service (`PATCH`): each field given replaces the stored one; the parts of
/// `availability` given replace those parts. `reminder_minutes_before: 0` removes the reminder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServicePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<i64>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub availability: AvailabilityPatch,
    pub requires_acceptance: Option<bool>,
    pub full_refund_hours_before: Option<i64>,
    pub late_refund_percent: Option<i64>,
    pub reminder_minutes_before: Option<i64>,
    pub image_urls: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// A picture's URL: `http://` or `https://` (any case) and a host right after it, no
/// credentials, at most [`MAX_IMAGE_URL_CHARS`] characters; kept in its normal form (the WHATWG
/// parser's).
pub fn parse_image_url(raw: &str) -> Result<String, InvalidValue> {
    if raw.chars().count() > MAX_IMAGE_URL_CHARS {
        return Err(InvalidValue::new(format!(
            "an image URL has at most {MAX_IMAGE_URL_CHARS} characters"
        )));
    }
    let raw = raw.trim();
    check_chars(raw, "an image URL", Lines::One)?;
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &raw[7..]
    } else if lower.starts_with("https://") {
        &raw[8..]
    } else {
        return Err(InvalidValue::new(
            "an image URL starts with http:// or https://",
        ));
    };
    // The plain form: a host right after `//` (the parser would also read `https:///host`).
    if rest
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#'))
    {
        return Err(InvalidValue::new("an image URL needs a host after //"));
    }
    let url = Url::parse(raw).map_err(|e| InvalidValue::new(format!("not a URL ({e})")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidValue::new("an image URL needs a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidValue::new(
            "an image URL must not carry credentials (user:password@)",
        ));
    }
    Ok(url.to_string())
}

fn parse_image_urls(v: &mut Violations, raw: &[String]) -> Vec<String> {
    if raw.len() > MAX_IMAGE_URLS {
        v.add("image_urls", format!("at most {MAX_IMAGE_URLS} image URLs"));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (n, url) in raw.iter().enumerate() {
        let field = format!("image_urls[{n}]");
        if let Some(url) = v.check(&field, parse_image_url(url)) {
            if out.contains(&url) {
                v.add(field, "the same image URL twice");
            } else {
                out.push(url);
            }
        }
    }
    out
}

/// `raw` as a count within `max`, or the failure under `field`.
fn bounded(v: &mut Violations, field: &str, raw: i64, max: u32, unit: &str) -> u32 {
    match u32::try_from(raw) {
        Ok(n) if n <= max => n,
        _ => {
            v.add(field, format!("{field} must be 0 to {max} {unit}"));
            0
        }
    }
}

/// A reminder as it comes in: `0` is none, else 1 to [`MAX_REMINDER_MINUTES`].
fn reminder(v: &mut Violations, raw: i64) -> Option<u32> {
    match bounded(
        v,
        "reminder_minutes_before",
        raw,
        MAX_REMINDER_MINUTES,
        "minutes",
    ) {
        0 => None,
        n => Some(n),
    }
}

fn currency(v: &mut Violations, raw: &str) -> Option<Currency> {
    v.check("currency", Currency::parse(raw))
}

fn price(v: &mut Violations, raw: i64) -> i64 {
    v.check("price", check_amount(raw)).unwrap_or(0)
}

fn positive_category(v: &mut Violations, id: i64) -> i64 {
    if id <= 0 {
        v.add("category_id", "category_id is a positive id");
    }
    id
}

/// The availability's failures under `availability`.
fn availability(
    v: &mut Violations,
    parsed: Result<Availability, Vec<FieldError>>,
) -> Option<Availability> {
    match parsed {
        Ok(a) => Some(a),
        Err(fields) => {
            for f in under("availability", fields) {
                v.add(f.field, f.message);
            }
            None
        }
    }
}

impl NewService {
    /// The checked fields of `input`, or every failing field: `title` (one line, 1 to
    /// [`SERVICE_TITLE_MAX_CHARS`]), `description` (at most [`SERVICE_DESCRIPTION_MAX_CHARS`],
    /// lines allowed), `category_id` (positive), `price` (0 to [`crate::limits::MAX_AMOUNT`]),
    /// `currency` (ISO 4217; `default_currency` when absent), `availability.*`
    /// ([`AvailabilityInput::parse`]), `full_refund_hours_before` (0 to
    /// [`MAX_FULL_REFUND_HOURS`]), `late_refund_percent` (0 to 100),
    /// `reminder_minutes_before` (0 = none, at most [`MAX_REMINDER_MINUTES`]), `image_urls`
    /// ([`parse_image_url`] each, at most [`MAX_IMAGE_URLS`], no repeats).
    pub fn parse(input: &ServiceInput, default_currency: Currency) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let title = v.check("title", TITLE_RULE.parse(&input.title, "title"));
        let description = v.check(
            "description",
            DESCRIPTION_RULE.parse(input.description.as_deref().unwrap_or(""), "description"),
        );
        let category_id = positive_category(&mut v, input.category_id);
        let price = price(&mut v, input.price);
        let currency = match &input.currency {
            Some(raw) => currency(&mut v, raw),
            None => Some(default_currency),
        };
        let availability = availability(&mut v, input.availability.parse());
        let full_refund_hours_before =
            input
                .full_refund_hours_before
                .map_or(DEFAULT_FULL_REFUND_HOURS, |h| {
                    bounded(
                        &mut v,
                        "full_refund_hours_before",
                        h,
                        MAX_FULL_REFUND_HOURS,
                        "hours",
                    )
                });
        let late_refund_percent = input
            .late_refund_percent
            .map_or(DEFAULT_LATE_REFUND_PERCENT, |p| {
                bounded(&mut v, "late_refund_percent", p, 100, "percent")
            });
        let reminder_minutes_before = input
            .reminder_minutes_before
            .and_then(|m| reminder(&mut v, m));
        let image_urls = parse_image_urls(&mut v, input.image_urls.as_deref().unwrap_or(&[]));
        v.finish()?;
        match (title, description, currency, availability) {
            (Some(title), Some(description), Some(currency), Some(availability)) => Ok(Self {
                title,
                description,
                category_id,
                price,
                currency,
                availability,
                requires_acceptance: input.requires_acceptance.unwrap_or(false),
                full_refund_hours_before,
                late_refund_percent,
                reminder_minutes_before,
                image_urls,
                active: input.active.unwrap_or(true),
            }),
            _ => Err(DomainError::internal("unreachable: violations empty")),
        }
    }
}

impl ServicePatch {
    /// `current` with the fields given replaced, checked as [`NewService::parse`] checks them
    /// (the availability as a whole, after its parts are replaced).
    pub fn apply(&self, current: &NewService) -> Result<NewService, DomainError> {
        let mut v = Violations::new();
        let mut next = current.clone();
        if let Some(raw) = &self.title {
            next.title = v
                .check("title", TITLE_RULE.parse(raw, "title"))
                .unwrap_or_default();
        }
        if let Some(raw) = &self.description {
            next.description = v
                .check("description", DESCRIPTION_RULE.parse(raw, "description"))
                .unwrap_or_default();
        }
        if let Some(id) = self.category_id {
            next.category_id = positive_category(&mut v, id);
        }
        if let Some(raw) = self.price {
            next.price = price(&mut v, raw);
        }
        if let Some(raw) = &self.currency {
            next.currency = currency(&mut v, raw).unwrap_or(current.currency);
        }
        if !self.availability.is_empty() {
            let parsed = self.availability.apply(&current.availability);
            next.availability =
                availability(&mut v, parsed).unwrap_or_else(|| current.availability.clone());
        }
        if let Some(b) = self.requires_acceptance {
            next.requires_acceptance = b;
        }
        if let Some(h) = self.full_refund_hours_before {
            next.full_refund_hours_before = bounded(
                &mut v,
                "full_refund_hours_before",
                h,
                MAX_FULL_REFUND_HOURS,
                "hours",
            );
        }
        if let Some(p) = self.late_refund_percent {
            next.late_refund_percent = bounded(&mut v, "late_refund_percent", p, 100, "percent");
        }
        if let Some(m) = self.reminder_minutes_before {
            next.reminder_minutes_before = reminder(&mut v, m);
        }
        if let Some(urls) = &self.image_urls {
            next.image_urls = parse_image_urls(&mut v, urls);
        }
        if let Some(a) = self.active {
            next.active = a;
        }
        v.finish()?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
