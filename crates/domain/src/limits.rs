//! The limits every entry point enforces on input (JSON and CSV alike), in one place. The
//! OpenAPI document states the same numbers (its post-processing reads these constants), and
//! `docs/api.md` lists them.

/// The largest money amount (minor units) accepted anywhere: a price, a payment amount, a refund.
/// With at most [`crate::catalog::MAX_SEATS_PER_SHOW`] places in one booking, no total of a
/// permitted booking can overflow 64 bits (10^12 × 10^5 = 10^17 < 2^63 ≈ 9.2 × 10^18).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// The most seats or places one booking may have (the ceiling of the setting
/// `booking.max_seats_per_booking`); with [`MAX_AMOUNT`] per place a booking's total stays far
/// below 2^63, and it is below [`crate::catalog::MAX_SEATS_PER_SHOW`] as well.
pub const MAX_PLACES_PER_BOOKING: u32 = 100;

/// The earliest year a timestamp may have: RFC 3339 has no year 0 or negative years.
pub const MIN_YEAR: i32 = 1;

/// The latest year a timestamp may have: RFC 3339 stops at 9999, and a show's default end
/// (its start + 2 h) must still fit, so inputs stop a year earlier.
pub const MAX_YEAR: i32 = 9998;

/// bcrypt reads only the first 72 bytes of a password. A longer password (up to
/// [`crate::account::PASSWORD_MAX_CHARS`] characters) is pre-hashed by the hashing adapter, so no
/// part of it is ever silently ignored.
pub const PASSWORD_MAX_BYTES: usize = 72;

/// The largest |latitude| of a city or venue, in degrees.
pub const LATITUDE_MAX: f64 = 90.0;
/// The largest |longitude| of a city or venue, in degrees.
pub const LONGITUDE_MAX: f64 = 180.0;

/// The longest country name (characters).
pub const COUNTRY_MAX_CHARS: usize = 100;
/// The longest address of a venue or a user (characters).
pub const ADDRESS_MAX_CHARS: usize = 500;
/// The longest event title (characters).
pub const TITLE_MAX_CHARS: usize = 200;
/// The longest event description (characters).
pub const DESCRIPTION_MAX_CHARS: usize = 10_000;
/// The longest screen (hall) name of a show (characters).
pub const SCREEN_NAME_MAX_CHARS: usize = 200;
/// The longest seat class name (characters).
pub const CLASS_NAME_MAX_CHARS: usize = 50;
/// The longest first or last name of a user (characters).
pub const PERSON_NAME_MAX_CHARS: usize = 100;
/// The longest text search of events (`GET /events?q=`, characters after trimming).
pub const SEARCH_MAX_CHARS: usize = 200;
/// The most seats in one generated row of a seat class (`rows` × `seats_per_row`).
pub const SEATS_PER_ROW_MAX: u32 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_permitted_total_overflows() {
        let places = i64::try_from(crate::catalog::MAX_SEATS_PER_SHOW).unwrap();
        assert!(MAX_AMOUNT.checked_mul(places).is_some());
        let per_booking = usize::try_from(MAX_PLACES_PER_BOOKING).unwrap();
        assert!(per_booking <= crate::catalog::MAX_SEATS_PER_SHOW);
    }

    /// The `ALL` arrays the OpenAPI document lists as enums hold every value once.
    #[test]
    fn enum_lists_are_complete() {
        use crate::catalog::{SeatStatus, ShowKind};
        use crate::payment::{DeclineCode, HistoryEntity};
        use crate::pricing::Tier;
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        for k in ShowKind::ALL {
            assert_eq!(ShowKind::parse(k.as_str()), Some(k));
        }
        for e in HistoryEntity::ALL {
            assert_eq!(HistoryEntity::parse(e.as_str()), Some(e));
        }
        let statuses: std::collections::HashSet<_> =
            SeatStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses.len(), 3);
        let codes: std::collections::HashSet<_> =
            DeclineCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), 2);
    }
}
