//! What a booking email says (issue 12): the model ([`booking_email`]: every line decided here)
//! and its text and HTML parts, rendered from the templates kept in the repository
//! (`templates/email/booking.txt`, `booking.html`, embedded at build time; MiniJinja, with
//! HTML escaping on for `.html`). Rendering is pure (no I/O), so the domain owns it: ADR 0015.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;
use uuid::Uuid;

use crate::booking::Booking;
use crate::error::DomainError;
use crate::inbox::{headline, opening};
use crate::outbox::Topic;
use crate::time_zone::ShowTime;
use crate::values::Money;

const TEXT: &str = "booking.txt";
const HTML: &str = "booking.html";

/// The templates, parsed once. `.html` is escaped (the buyer's name is theirs to choose).
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // A variable the model does not have is a bug, not an empty line.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in [
        (TEXT, include_str!("../../../templates/email/booking.txt")),
        (HTML, include_str!("../../../templates/email/booking.html")),
    ] {
        env.add_template(name, source)
            .expect("the email templates parse (a unit test renders them)");
    }
    env
});

/// Everything a booking email says, decided from the booking, its show time and the web app's
/// address. The templates lay it out and add nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookingEmail {
    /// The subject, and the HTML part's heading ([`headline`]).
    pub subject: String,
    /// The buyer's name as they gave it.
    pub name: String,
    /// The first sentence ([`opening`]).
    pub opening: String,
    pub reference: String,
    pub status: String,
    /// What `show_time` is the start of: `Show`, or `Appointment`.
    pub when_label: String,
    /// The show's (an appointment's) start in its venue's (provider's) zone
    /// ([`crate::time_zone::TimeZone::local`]).
    pub show_time: String,
    /// `A1 (Stalls)`, or `2 place(s)` for general admission, or the service and the end of an
    /// appointment: `Haircut (until 10:45)`.
    pub places: Vec<String>,
    /// The amount due as text, formatted from the integer minor units with the currency's
    /// decimals: `25.50 USD` for 2550 cents, `1200 JPY` for 1200 yen.
    pub total: String,
    /// A hold's end, in the venue's zone (only in the email telling of the hold).
    pub held_until: Option<String>,
    /// The web app's page of the booking ([`booking_page_url`]); never a secret.
    pub booking_url: String,
}

/// The web app's page of a booking, where its buyer sees and cancels it: `{public_url}/bookings/
/// {id}`. It carries no token: a guest proves the booking is theirs on that page.
pub fn booking_page_url(public_url: &str, booking_id: Uuid) -> String {
    format!(
        "{}/bookings/{booking_id}",
        public_url.trim().trim_end_matches('/')
    )
}

/// The model of the email telling `booking`'s buyer about `topic`.
pub fn booking_email(
    topic: Topic,
    booking: &Booking,
    show: ShowTime,
    public_url: &str,
) -> BookingEmail {
    let appointment = booking.appointment.iter().map(|a| {
        format!(
            "{} (until {})",
            a.service_title,
            a.local_end().format("%H:%M")
        )
    });
    let places = booking
        .items
        .iter()
        .map(|i| match (&i.label, &i.seat_class) {
            (Some(label), Some(class)) => format!("{label} ({class})"),
            (Some(label), None) => label.clone(),
            _ => format!("{} place(s)", i.quantity),
        })
        .chain(appointment)
        .collect();
    let total = Money {
        amount_minor: booking.total_amount,
        currency: booking.currency,
    };
    let held_until = match topic {
        Topic::BookingHeld => booking.expires_at.map(|at| show.time_zone.local(at)),
        _ => None,
    };
    BookingEmail {
        subject: headline(topic, &booking.reference),
        name: booking.customer_name.clone(),
        opening: opening(topic, booking.kind()).to_owned(),
        reference: booking.reference.clone(),
        status: booking.status.as_str().to_owned(),
        when_label: match booking.kind() {
            crate::booking::BookingKind::Show => "Show",
            crate::booking::BookingKind::Appointment => "Appointment",
        }
        .to_owned(),
        show_time: show.time_zone.local(show.starts_at),
        places,
        total: total.to_string(),
        held_until,
        booking_url: booking_page_url(public_url, booking.id),
    }
}

/// The rendered parts of an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub html: String,
}

impl BookingEmail {
    /// The plain-text and HTML parts from the templates. A failure is a bug of the templates
    /// (they are compiled in and rendered by the unit tests).
    pub fn render(&self) -> Result<Rendered, DomainError> {
        let render = |name: &str| {
            TEMPLATES
                .get_template(name)
                .and_then(|t| t.render(self))
                .map_err(|e| DomainError::internal(format!("the email template {name}: {e:#}")))
        };
        Ok(Rendered {
            text: render(TEXT)?,
            html: render(HTML)?,
        })
    }
}
