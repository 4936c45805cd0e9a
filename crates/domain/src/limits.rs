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

/// bcrypt reads only the first 72 bytes of a password: longer ones are refused (422), never
/// silently truncated.
pub const PASSWORD_MAX_BYTES: usize = 72;

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
}
