//! Unit tests of the domain rules (written separately from the code they test).

mod support;

mod access;
mod accounts;
mod booking_request;
mod booking_state;
mod catalog_rules;
mod delivery;
mod email;
mod engine;
mod idempotency;
mod import_csv;
mod layout;
mod lifecycle;
mod limits;
mod live_state;
mod module_cycles;
mod payments;
mod planning;
mod pricing_props;
mod refresh_tokens;
mod seat_map_order;
mod services;
mod webhooks;
