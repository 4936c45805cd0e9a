//! Helpers shared by the domain unit tests.

use crate::codes::*;
use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::account::{Actor, Role, User};
use crate::error::DomainError;
use crate::values::Currency;

/// A fixed instant: 2030-06-01 20:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 20, 0, 0).unwrap()
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

/// The field names of a `Validation` error, in order; panics on any other error.
pub fn fields(err: &DomainError) -> Vec<String> {
    match err {
        DomainError::Validation(fs) => fs.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The field names of the validation error in `result`; panics when it is `Ok` or another error.
pub fn failing_fields<T: std::fmt::Debug>(result: Result<T, DomainError>) -> Vec<String> {
    match result {
        Ok(v) => panic!("expected a validation error, got Ok({v:?})"),
        Err(e) => fields(&e),
    }
}

/// Whether `result` is a validation error naming `field` (and nothing but validation errors).
pub fn has_field(fs: &[String], field: &str) -> bool {
    fs.iter().any(|f| f == field)
}

/// An active user with `role`, a fresh id and a lower-case email unique to that id.
pub fn user(role: Role) -> User {
    let id = Uuid::new_v4();
    User {
        id,
        email: format!("{}-{}@example.com", role.as_str(), id.simple()),
        phone: None,
        first_name: String::new(),
        last_name: String::new(),
        address: String::new(),
        role,
        active: true,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A signed-in caller with `role`.
pub fn actor(role: Role) -> Actor {
    Actor::User(user(role))
}

/// A signed-in admin.
pub fn admin() -> Actor {
    actor(Role::Admin)
}

/// The `code` of an `Unauthorized` error; panics on anything else.
pub fn unauthorized_code<T: std::fmt::Debug>(result: Result<T, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Unauthorized { code, .. }) => code.as_str(),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// Whether `result` is a `Forbidden` error with code `forbidden`.
pub fn is_forbidden<T>(result: &Result<T, DomainError>) -> bool {
    matches!(
        result,
        Err(DomainError::Forbidden {
            code: ForbiddenCode::Forbidden,
            ..
        })
    )
}
