//! Categories and services: their inputs and rules (`rules`), who may do what (`access`), and
//! the use cases over mocks of their ports (`service`).

use chrono::{DateTime, TimeZone as _, Utc};
use uuid::Uuid;

use super::super::availability::AvailabilityInput;
use super::super::availability::WeeklyIntervalInput;
use super::*;
use crate::account::{Actor, Role, User};
use crate::values::Currency;

mod access;
mod rules;
mod service;

/// 2030-06-01 20:00 UTC.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 20, 0, 0).unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn user(role: Role) -> User {
    let id = Uuid::new_v4();
    User {
        id,
        email: format!("{}@example.com", id.simple()),
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

fn actor(role: Role) -> Actor {
    Actor::User(user(role))
}

/// The field names of a validation error; panics on anything else.
fn fields<T: std::fmt::Debug>(r: Result<T, DomainError>) -> Vec<String> {
    match r {
        Err(DomainError::Validation(fs)) => fs.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn is_forbidden<T: std::fmt::Debug>(r: &Result<T, DomainError>) -> bool {
    matches!(r, Err(DomainError::Forbidden { .. }))
}

fn is_unauthenticated<T: std::fmt::Debug>(r: &Result<T, DomainError>) -> bool {
    matches!(r, Err(DomainError::Unauthorized { .. }))
}

fn is_not_found<T: std::fmt::Debug>(r: &Result<T, DomainError>, what: &str) -> bool {
    matches!(r, Err(DomainError::NotFound { entity, .. }) if *entity == what)
}

/// A haircut: an hour on Monday mornings in Berlin, 25.00 EUR, in category 1.
fn input() -> ServiceInput {
    ServiceInput {
        title: "Haircut".into(),
        category_id: 1,
        price: 2_500,
        currency: Some("eur".into()),
        availability: AvailabilityInput {
            time_zone: "Europe/Berlin".into(),
            weekly: vec![WeeklyIntervalInput {
                weekday: "mon".into(),
                start: "09:00".into(),
                end: "12:00".into(),
            }],
            duration_minutes: 60,
            ..AvailabilityInput::default()
        },
        ..ServiceInput::default()
    }
}

fn fields_of_input() -> NewService {
    NewService::parse(&input(), eur()).unwrap()
}

fn service(id: i64, provider: Uuid) -> Service {
    Service {
        id,
        provider_id: provider,
        fields: fields_of_input(),
        deleted_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn category(id: i64, active: bool) -> Category {
    Category {
        id,
        name: format!("category {id}"),
        description: String::new(),
        active,
        created_at: t0(),
    }
}
