//! The enums and limits of the document's properties and parameters, from the domain's
//! constants (never retyped).

use boxoffice_domain::account::{Role, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use boxoffice_domain::booking::BookingStatus;
use boxoffice_domain::catalog::{EventType, Page, SeatStatus, ShowKind, MAX_SEATS_PER_SHOW};
use boxoffice_domain::inbox::{MAX_ANNOUNCEMENT_USERS, MAX_BODY_CHARS, MAX_TITLE_CHARS};
use boxoffice_domain::lifecycle::MAX_REASON_CHARS;
use boxoffice_domain::limits;
use boxoffice_domain::outbox::{OutboxStatus, Topic};
use boxoffice_domain::payment::{
    DeclineCode, HistoryEntity, PaymentMethod, PaymentOutcome, PaymentStatus, RefundStatus,
};
use boxoffice_domain::pricing::Tier;
use boxoffice_domain::values::{Name, Phone, SeatLabel};
use boxoffice_domain::webhook_url::MAX_URL_CHARS;
use boxoffice_domain::webhooks::{EVENTS, SECRET_MAX_CHARS, SECRET_MIN_CHARS};
use serde_json::{json, Value};

/// Text the domain accepts (`values::bounded_text`): not blank, no control characters.
const TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";
/// Optional text: blank is allowed (treated as absent or as "clear"), control characters are not.
pub(super) const OPTIONAL_TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

fn values<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Value {
    Value::Array(all.iter().map(|v| json!(as_str(*v))).collect())
}

fn id() -> Value {
    json!({ "minimum": 1 })
}

fn money() -> Value {
    json!({ "minimum": 0, "maximum": limits::MAX_AMOUNT })
}

fn text(max: usize) -> Value {
    json!({ "minLength": 1, "maxLength": max, "pattern": TEXT_PATTERN })
}

fn optional_text(max: usize) -> Value {
    json!({ "maxLength": max, "pattern": OPTIONAL_TEXT_PATTERN })
}

fn phone() -> Value {
    let pattern = format!(
        r"^\s*(\+?(?:[ ().-]*[0-9]){{{},{}}}[ ().-]*)?\s*$",
        Phone::MIN_DIGITS,
        Phone::MAX_DIGITS
    );
    json!({ "pattern": pattern, "description": format!(
        "{} to {} digits, optionally after a `+`; spaces, dashes, dots and parentheses are \
         separators. Blank means none.", Phone::MIN_DIGITS, Phone::MAX_DIGITS) })
}

/// A buyer's email: blank means none (a guest then gives a phone), so the document states the
/// shape the server reads rather than `format: email`, which refuses the blank.
fn buyer_email() -> Value {
    json!({ "pattern": r"^\s*([^@\s]+@[^@\s]+)?\s*$",
            "description": "An email address; blank means none. Guests give at least one of \
                            `phone` and `email`." })
}

fn seat_label() -> Value {
    json!({ "pattern": format!(r"^\s*[A-Za-z0-9_-]{{1,{}}}\s*$", SeatLabel::MAX) })
}

fn latitude() -> Value {
    json!({ "minimum": -limits::LATITUDE_MAX, "maximum": limits::LATITUDE_MAX })
}

fn longitude() -> Value {
    json!({ "minimum": -limits::LONGITUDE_MAX, "maximum": limits::LONGITUDE_MAX })
}

fn currency() -> Value {
    json!({ "pattern": r"^\s*[A-Za-z]{3}\s*$",
            "description": "ISO 4217 code such as EUR (default from the server's config)" })
}

fn timestamp() -> Value {
    json!({ "description": format!(
        "RFC 3339, years {} to {}", limits::MIN_YEAR, limits::MAX_YEAR) })
}

/// The enum and limit of each property, by schema and property name.
pub(super) fn property_rules() -> Vec<(&'static str, &'static str, Value)> {
    let booking_status = values(&BookingStatus::ALL, BookingStatus::as_str);
    let payment_status = values(&PaymentStatus::ALL, PaymentStatus::as_str);
    let refund_status = values(&RefundStatus::ALL, RefundStatus::as_str);
    let method = values(&PaymentMethod::ALL, PaymentMethod::as_str);
    let outcome = values(&PaymentOutcome::ALL, PaymentOutcome::as_str);
    let decline = values(&DeclineCode::ALL, DeclineCode::as_str);
    let tier = values(&Tier::ALL, Tier::as_str);
    let kind = values(&ShowKind::ALL, ShowKind::as_str);
    let seat_status = values(&SeatStatus::ALL, SeatStatus::as_str);
    let event_type = values(&EventType::ALL, EventType::as_str);
    let role = values(&Role::ALL, Role::as_str);
    let signup_roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Admin)
        .collect();
    // Blank (like absent) signs up a customer.
    let mut signup_role = values(&signup_roles, Role::as_str);
    if let Some(v) = signup_role.as_array_mut() {
        v.push(json!(""));
    }
    let entity = values(&HistoryEntity::ALL, HistoryEntity::as_str);
    let topic = values(&Topic::ALL, Topic::as_str);
    let outbox_status = values(&OutboxStatus::ALL, OutboxStatus::as_str);
    let webhook_event = values(&EVENTS, Topic::as_str);
    let time_zones = json!({
        "enum": boxoffice_domain::time_zone::TimeZone::names().collect::<Vec<_>>()
    });
    let webhook_events = json!({ "items": { "enum": webhook_event } });
    let password = json!({
        "minLength": PASSWORD_MIN_CHARS,
        "maxLength": PASSWORD_MAX_CHARS,
        "description": format!(
            "{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters, every one of which counts \
             (bcrypt reads {} bytes: a longer password is pre-hashed, never cut)",
            limits::PASSWORD_MAX_BYTES
        ),
    });
    let seat_ids = json!({ "minItems": 1, "uniqueItems": true, "items": id() });
    let seat_labels = json!({ "minItems": 1, "uniqueItems": true, "items": seat_label() });
    let e = |v: &Value| json!({ "enum": v });
    let mut rules = vec![
        // requests
        ("CreateCity", "name", text(Name::MAX)),
        ("CreateCity", "country", text(limits::COUNTRY_MAX_CHARS)),
        ("CreateCity", "latitude", latitude()),
        ("CreateCity", "longitude", longitude()),
        ("CreateVenue", "city_id", id()),
        ("CreateVenue", "name", text(Name::MAX)),
        (
            "CreateVenue",
            "address",
            optional_text(limits::ADDRESS_MAX_CHARS),
        ),
        ("CreateVenue", "latitude", latitude()),
        ("CreateVenue", "longitude", longitude()),
        ("CreateVenue", "time_zone", time_zones.clone()),
        ("VenueDto", "time_zone", time_zones),
        ("CreateEvent", "title", text(limits::TITLE_MAX_CHARS)),
        (
            "CreateEvent",
            "description",
            optional_text(limits::DESCRIPTION_MAX_CHARS),
        ),
        ("CreateEvent", "event_type", e(&event_type)),
        ("CreateEvent", "city_id", id()),
        ("CreateEvent", "venue_id", id()),
        (
            "CreateEvent",
            "total_seats",
            json!({ "minimum": 1, "maximum": MAX_SEATS_PER_SHOW }),
        ),
        ("CreateEvent", "date", timestamp()),
        ("CreateEvent", "ends_at", timestamp()),
        ("CreateEvent", "price", money()),
        ("CreateEvent", "currency", currency()),
        ("SeatClassInput", "name", text(limits::CLASS_NAME_MAX_CHARS)),
        ("SeatClassInput", "min_price", money()),
        ("SeatClassInput", "normal_price", money()),
        ("SeatClassInput", "max_price", money()),
        (
            "SeatClassInput",
            "rows",
            json!({ "minItems": 1, "items": { "pattern": r"^\s*[A-Za-z]+\s*$" } }),
        ),
        (
            "SeatClassInput",
            "seats_per_row",
            json!({ "minimum": 1, "maximum": limits::SEATS_PER_ROW_MAX }),
        ),
        ("SeatInput", "label", seat_label()),
        ("SeatInput", "class", text(limits::CLASS_NAME_MAX_CHARS)),
        (
            "SeatInput",
            "external_ref",
            json!({ "pattern": OPTIONAL_TEXT_PATTERN }),
        ),
        ("CreateShow", "starts_at", timestamp()),
        ("CreateShow", "ends_at", timestamp()),
        ("CreateShow", "venue_id", id()),
        (
            "CreateShow",
            "screen_name",
            optional_text(limits::SCREEN_NAME_MAX_CHARS),
        ),
        ("CreateShow", "currency", currency()),
        (
            "CreateShow",
            "capacity",
            json!({ "minimum": 1, "maximum": MAX_SEATS_PER_SHOW }),
        ),
        ("CreateShow", "price", money()),
        (
            "CreateShow",
            "seats",
            json!({ "maxItems": MAX_SEATS_PER_SHOW }),
        ),
        ("CreateShow", "seat_classes", json!({ "minItems": 1 })),
        ("CreateBooking", "show_id", id()),
        ("CreateBooking", "seat_ids", seat_ids.clone()),
        ("CreateBooking", "seat_labels", seat_labels.clone()),
        ("CreateBooking", "quantity", json!({ "minimum": 1 })),
        ("CreateBooking", "name", text(Name::MAX)),
        ("CreateBooking", "phone", phone()),
        ("CreateBooking", "email", buyer_email()),
        ("BookEvent", "name", text(Name::MAX)),
        ("BookEvent", "phone", phone()),
        ("BookEvent", "email", buyer_email()),
        ("ChangeSeats", "seat_ids", seat_ids),
        ("ChangeSeats", "seat_labels", seat_labels),
        ("InitiatePayment", "payment_method", e(&method)),
        ("InitiatePayment", "amount", money()),
        (
            "RefundPayment",
            "amount",
            json!({ "minimum": 1, "maximum": limits::MAX_AMOUNT }),
        ),
        ("RefundPayment", "reason", text(MAX_REASON_CHARS)),
        ("WebhookEventBody", "failure_code", e(&decline)),
        ("Signup", "email", json!({ "format": "email" })),
        ("Signup", "password", password.clone()),
        ("Signup", "role", e(&signup_role)),
        ("Signup", "phone", phone()),
        (
            "Signup",
            "first_name",
            optional_text(limits::PERSON_NAME_MAX_CHARS),
        ),
        (
            "Signup",
            "last_name",
            optional_text(limits::PERSON_NAME_MAX_CHARS),
        ),
        (
            "Signup",
            "address",
            optional_text(limits::ADDRESS_MAX_CHARS),
        ),
        ("Login", "email", json!({ "format": "email" })),
        ("PasswordResetConfirm", "new_password", password),
        ("UpdateMe", "phone", phone()),
        (
            "UpdateMe",
            "first_name",
            optional_text(limits::PERSON_NAME_MAX_CHARS),
        ),
        (
            "UpdateMe",
            "last_name",
            optional_text(limits::PERSON_NAME_MAX_CHARS),
        ),
        (
            "UpdateMe",
            "address",
            optional_text(limits::ADDRESS_MAX_CHARS),
        ),
        ("UpdateUser", "role", e(&role)),
        ("UpdateUser", "phone", phone()),
        (
            "UpdateUser",
            "first_name",
            optional_text(limits::PERSON_NAME_MAX_CHARS),
        ),
        (
            "UpdateUser",
            "last_name",
            optional_text(limits::PERSON_NAME_MAX_CHARS),
        ),
        (
            "UpdateUser",
            "address",
            optional_text(limits::ADDRESS_MAX_CHARS),
        ),
        // responses
        ("BookingDto", "status", e(&booking_status)),
        (
            "CancellationQuoteDto",
            "reason",
            json!({ "enum": boxoffice_domain::cancellation::refusal_reasons().collect::<Vec<_>>() }),
        ),
        ("BookingItemDto", "tier", e(&tier)),
        ("SeatClassDto", "tier", e(&tier)),
        ("SeatPricingDto", "tier", e(&tier)),
        ("ShowDto", "kind", e(&kind)),
        ("SeatDto", "status", e(&seat_status)),
        ("SeatDetailDto", "status", e(&seat_status)),
        ("EventDto", "event_type", e(&event_type)),
        ("EventDetailDto", "event_type", e(&event_type)),
        ("UserDto", "role", e(&role)),
        ("PaymentDto", "status", e(&payment_status)),
        ("PaymentDto", "payment_method", e(&method)),
        ("PaymentDto", "outcome", e(&outcome)),
        ("PaymentDto", "failure_code", e(&decline)),
        ("RefundDto", "status", e(&refund_status)),
        ("HistoryEntryDto", "entity", e(&entity)),
        ("OutboxMessageDto", "topic", e(&topic)),
        ("PushNotification", "title", text(MAX_TITLE_CHARS)),
        ("PushNotification", "body", text(MAX_BODY_CHARS)),
        (
            "PushNotification",
            "user_ids",
            json!({ "minItems": 1, "maxItems": MAX_ANNOUNCEMENT_USERS,
                    "items": { "format": "uuid" } }),
        ),
        ("OutboxMessageDto", "status", e(&outbox_status)),
        (
            "CreateWebhook",
            "url",
            json!({ "minLength": 1, "maxLength": MAX_URL_CHARS,
                    "pattern": r"^\s*[Hh][Tt][Tt][Pp][Ss]?://" }),
        ),
        (
            "CreateWebhook",
            "events",
            json!({ "minItems": 1, "items": { "enum": webhook_event } }),
        ),
        (
            "CreateWebhook",
            "secret",
            json!({ "minLength": SECRET_MIN_CHARS, "maxLength": SECRET_MAX_CHARS,
                    "pattern": "^[!-~]*$" }),
        ),
        ("WebhookDto", "events", webhook_events.clone()),
        ("CreatedWebhookDto", "events", webhook_events),
        ("WebhookDeliveryDto", "event", e(&webhook_event)),
        ("WebhookDeliveryDto", "status", e(&outbox_status)),
    ];
    rules.extend(marketplace_rules());
    // Every response's money is within the ceiling too.
    for (schema, prop) in [
        ("BookingDto", "total_amount"),
        ("PaymentDto", "amount"),
        ("RefundDto", "amount"),
        ("CancellationQuoteDto", "refund_amount"),
        ("CancellationQuoteDto", "paid_amount"),
        ("ServiceDto", "price"),
    ] {
        rules.push((schema, prop, json!({ "minimum": 0 })));
    }
    rules
}

/// `HH:MM`, 00:00 to 23:59 (`availability::parse_clock_time`).
const CLOCK_TIME_PATTERN: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";

fn count(min: u32, max: u32) -> Value {
    json!({ "minimum": min, "maximum": max })
}

/// The marketplace's categories and services (issue 14): their limits, from the domain's
/// constants.
fn marketplace_rules() -> Vec<(&'static str, &'static str, Value)> {
    use boxoffice_domain::marketplace::availability as a;
    use boxoffice_domain::marketplace::catalog as c;
    let weekday = json!({ "enum": a::WEEKDAY_NAMES });
    let kind = values(&a::ExceptionKind::ALL, a::ExceptionKind::as_str);
    let time = json!({ "pattern": CLOCK_TIME_PATTERN });
    let time_zones = json!({
        "enum": boxoffice_domain::time_zone::TimeZone::names().collect::<Vec<_>>()
    });
    let weekly = json!({ "maxItems": 7 * a::MAX_INTERVALS_PER_DAY });
    let exceptions = json!({ "maxItems": a::MAX_EXCEPTIONS });
    let image_urls = json!({
        "maxItems": c::MAX_IMAGE_URLS,
        "uniqueItems": true,
        "items": { "maxLength": c::MAX_IMAGE_URL_CHARS, "pattern": r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]" },
    });
    let mut rules = vec![
        (
            "CreateBooking",
            "notes",
            json!({ "maxLength": boxoffice_domain::marketplace::appointment::NOTES_MAX_CHARS }),
        ),
        ("CreateBooking", "service_id", id()),
        ("CreateCategory", "name", text(c::CATEGORY_NAME_MAX_CHARS)),
        (
            "CreateCategory",
            "description",
            optional_text(c::CATEGORY_DESCRIPTION_MAX_CHARS),
        ),
        ("UpdateCategory", "name", text(c::CATEGORY_NAME_MAX_CHARS)),
        (
            "UpdateCategory",
            "description",
            optional_text(c::CATEGORY_DESCRIPTION_MAX_CHARS),
        ),
        ("WeeklyIntervalDto", "weekday", weekday),
        ("WeeklyIntervalDto", "start", time.clone()),
        ("WeeklyIntervalDto", "end", time.clone()),
        ("AvailabilityExceptionDto", "kind", json!({ "enum": kind })),
        ("AvailabilityExceptionDto", "start", time.clone()),
        ("AvailabilityExceptionDto", "end", time),
        ("AvailabilityDto", "time_zone", time_zones.clone()),
    ];
    for schema in ["AvailabilityInputDto", "AvailabilityPatchDto"] {
        rules.extend([
            (schema, "time_zone", time_zones.clone()),
            (schema, "weekly", weekly.clone()),
            (schema, "exceptions", exceptions.clone()),
            (
                schema,
                "duration_minutes",
                count(a::MIN_DURATION_MINUTES, a::MAX_DURATION_MINUTES),
            ),
            (
                schema,
                "buffer_before_minutes",
                count(0, a::MAX_BUFFER_MINUTES),
            ),
            (
                schema,
                "buffer_after_minutes",
                count(0, a::MAX_BUFFER_MINUTES),
            ),
            (schema, "capacity", count(1, a::MAX_CAPACITY)),
            (
                schema,
                "min_notice_minutes",
                count(0, a::MAX_MIN_NOTICE_MINUTES),
            ),
            (
                schema,
                "max_advance_days",
                count(a::MIN_ADVANCE_DAYS, a::MAX_ADVANCE_DAYS),
            ),
        ]);
    }
    for schema in ["CreateService", "UpdateService"] {
        rules.extend([
            (schema, "title", text(c::SERVICE_TITLE_MAX_CHARS)),
            (
                schema,
                "description",
                optional_text(c::SERVICE_DESCRIPTION_MAX_CHARS),
            ),
            (schema, "category_id", id()),
            (schema, "price", money()),
            (schema, "currency", currency()),
            (
                schema,
                "full_refund_hours_before",
                count(0, c::MAX_FULL_REFUND_HOURS),
            ),
            (schema, "late_refund_percent", count(0, 100)),
            (
                schema,
                "reminder_minutes_before",
                count(0, c::MAX_REMINDER_MINUTES),
            ),
            (schema, "image_urls", image_urls.clone()),
        ]);
    }
    rules
}

/// Query and path parameters of operation `op`: what the server enforces.
pub(super) fn parameter_rules(op: &str, name: &str, schema: &Value) -> Option<Value> {
    let integer = schema["type"] == "integer";
    match name {
        "status" if op == "my_appointments" => Some(json!({
            "enum": values(&BookingStatus::ALL, BookingStatus::as_str)
        })),
        "limit" => Some(json!({ "minimum": 1, "maximum": Page::MAX_LIMIT,
                                "default": Page::DEFAULT_LIMIT })),
        "offset" => Some(json!({ "minimum": 0, "default": 0 })),
        "event_type" => Some(json!({ "enum": values(&EventType::ALL, EventType::as_str) })),
        "role" => Some(json!({ "enum": values(&Role::ALL, Role::as_str) })),
        "status" => Some(json!({ "enum": values(&OutboxStatus::ALL, OutboxStatus::as_str) })),
        "q" => Some(optional_text(limits::SEARCH_MAX_CHARS)),
        "sort" => Some(json!({ "enum": values(
            &boxoffice_domain::marketplace::catalog::ServiceSort::ALL,
            boxoffice_domain::marketplace::catalog::ServiceSort::as_str,
        ) })),
        "min_price" | "max_price" => Some(money()),
        "email" => Some(json!({ "format": "email" })),
        "phone" => Some(phone()),
        "id" if integer => Some(id()),
        _ => None,
    }
}
