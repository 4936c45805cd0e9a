//! boxoffice domain: entities, value objects, rules and ports. Pure: no database, no HTTP, no
//! async runtime, no I/O. See `docs/architecture.md`.

pub mod account;
pub mod accounts;
pub mod booking;
pub mod booking_access;
pub mod cancellation;
pub mod catalog;
pub mod codes;
pub mod delivery;
pub mod email;
pub mod engine;
pub mod error;
pub mod idempotency;
pub mod idempotency_service;
pub mod import;
pub mod inbox;
pub mod layout;
pub mod lifecycle;
pub mod limits;
pub mod live;
pub mod marketplace;
pub mod outbox;
pub mod payment;
pub mod payment_model;
pub mod plan;
pub mod ports;
pub mod pricing;
pub mod quote;
pub mod seat_map;
pub mod service;
pub mod status;
pub mod time_zone;
pub mod values;
pub mod webhook;
pub mod webhook_service;
pub mod webhook_url;
pub mod webhooks;

pub use codes::{AuthCode, ConflictCode, DeclineCode, DomainCode, ForbiddenCode};
pub use error::{DomainError, FieldError, InternalError};

#[cfg(test)]
mod tests;
