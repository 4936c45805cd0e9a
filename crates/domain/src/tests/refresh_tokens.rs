//! The state of a presented refresh token (`account::refresh_token_state`).

use chrono::{Duration, TimeZone, Utc};

use crate::account::{refresh_token_state, RefreshTokenState as S};

#[test]
fn used_tokens_are_reuses_whatever_else_is_true_of_them() {
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let used = Some(now - Duration::minutes(5));
    let later = now + Duration::days(1);
    assert_eq!(refresh_token_state(used, None, later, now), S::Reused);
    assert_eq!(refresh_token_state(used, Some(now), later, now), S::Reused);
    assert_eq!(refresh_token_state(used, None, now, now), S::Reused);
}

#[test]
fn revoked_or_expired_tokens_are_invalid_at_the_exact_instant() {
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        refresh_token_state(None, Some(now), now + Duration::days(1), now),
        S::Invalid
    );
    assert_eq!(refresh_token_state(None, None, now, now), S::Invalid);
    assert_eq!(
        refresh_token_state(None, None, now + Duration::microseconds(1), now),
        S::Current
    );
}

#[test]
fn a_secret_is_expired_at_its_deadline() {
    use crate::account::secret_expired;
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    assert!(secret_expired(now, now));
    assert!(secret_expired(now - Duration::microseconds(1), now));
    assert!(!secret_expired(now + Duration::microseconds(1), now));
}
