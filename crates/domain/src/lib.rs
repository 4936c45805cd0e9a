//! boxoffice domain: entities, value objects, rules and ports. Pure: no database, no HTTP, no
//! async runtime, no I/O. See `docs/architecture.md`.

pub mod account;
pub mod accounts;
pub mod booking;
pub mod catalog;
pub mod codes;
pub mod error;
pub mod idempotency;
pub mod import;
pub mod lifecycle;
pub mod limits;
pub mod payment;
pub mod ports;
pub mod pricing;
pub mod service;
pub mod values;
pub mod webhook;

pub use codes::{AuthCode, ConflictCode, DeclineCode, DomainCode, ForbiddenCode};
pub use error::{DomainError, FieldError};

#[cfg(test)]
mod tests;
