//! The booking engine's use cases (`crate::engine`) over an in-memory fake of its transaction
//! port: every rule, with exact prices, statuses and history rows.

pub mod fake;
pub mod world;

mod appoint;
mod batch;
mod book;
mod cancel;
mod change;
mod expire;
mod general;
mod outbox;
mod payments;
mod quote;
mod settle;
