//! Unit tests of the domain rules (written separately from the code they test).

mod support;

mod access;
mod accounts;
mod booking_request;
mod booking_state;
mod catalog_rules;
mod idempotency;
mod import_csv;
mod lifecycle;
mod limits;
mod payments;
mod planning;
mod pricing_props;
mod seat_map_order;
mod services;
