//! Time zones (issue 12): a venue's IANA zone, and a moment told in it (the show time and the
//! hold's end in the booking emails).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::values::InvalidValue;

/// The longest zone name accepted (the longest IANA name is about 32 characters).
pub const TIME_ZONE_MAX_CHARS: usize = 64;

/// An IANA time zone (`Europe/Berlin`, `America/New_York`, `UTC`), spelt as the tz database
/// spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl Default for TimeZone {
    fn default() -> Self {
        Self::UTC
    }
}

impl TimeZone {
    /// A venue without a zone, a show without a venue.
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    /// The one rule of a zone name that comes in: exactly a name of the IANA tz database, as
    /// it spells it ([`TimeZone::names`]; no blanks around it). Anything else is invalid (the
    /// caller names the field).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw;
        if name.is_empty() {
            return Err(InvalidValue::new("the time zone must not be empty"));
        }
        if name.chars().count() > TIME_ZONE_MAX_CHARS {
            return Err(InvalidValue::new(format!(
                "the time zone must have at most {TIME_ZONE_MAX_CHARS} characters"
            )));
        }
        name.parse::<Tz>().map(TimeZone).map_err(|_| {
            InvalidValue::new(format!(
                "'{name}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)"
            ))
        })
    }

    /// The zone of a stored venue (`None`: a show without a venue). A name this build does not
    /// know (the tz database moves on) reads as UTC rather than failing a delivery.
    pub fn from_stored(name: Option<&str>) -> Self {
        name.and_then(|n| Self::parse(n).ok()).unwrap_or(Self::UTC)
    }

    /// Every zone name [`TimeZone::parse`] takes (the tz database's, links included), in its
    /// order: the OpenAPI document lists them.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone itself, to convert between local wall-clock time and instants (the
    /// marketplace's slot rule).
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// `at` as a person at the venue reads it: `Sat 12 Dec 2026, 20:00 (Europe/Berlin)`.
    pub fn local(&self, at: DateTime<Utc>) -> String {
        format!(
            "{} ({})",
            at.with_timezone(&self.0).format("%a %-d %b %Y, %H:%M"),
            self.name()
        )
    }
}

/// When a booking's show starts, and the zone of its venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowTime {
    pub starts_at: DateTime<Utc>,
    pub time_zone: TimeZone,
}
