//! The service marketplace (issue 14): providers offer services with weekly availability in
//! their own time zone; customers book time slots (appointments) that can never double-book.
//!
//! - [`availability`]: the value types of a service's working time (weekly intervals,
//!   exceptions, buffers, booking window) and their validation;
//! - [`slots`]: the one rule that turns availability and the booked time into free slots,
//!   correct across DST transitions;
//! - [`catalog`]: services and categories (entities, validation, search filters);
//! - [`appointment`]: a booking of a slot — its request, what is stored, its own rules (the
//!   use cases that write are [`crate::engine::appoint`]).

pub mod appointment;
pub mod availability;
pub mod catalog;
pub mod slots;
