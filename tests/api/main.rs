//! Integration tests of the HTTP API: a real server on a random port over a fresh PostgreSQL
//! database per test (`DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).

mod auth;
mod authz;
mod bookings;
mod catalog;
mod cli;
mod concurrency;
mod edges;
mod errors;
mod event_search;
mod faults;
mod hardening;
mod helpers;
mod history;
mod holds;
mod idempotency;
mod imports;
mod inbox;
mod limits;
mod live;
mod marketplace;
mod migrations;
mod notifications;
mod openapi;
mod payments;
mod quote;
mod seat_map;
mod smtp_server;
mod web_app;
mod webhook_receiver;
mod webhooks;
