//! Holds: expiry (lazy and by the sweep), seat changes of a hold, completion.

use boxoffice_domain::ports::Clock;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

mod expiry;
mod seat_change;

const HOLD_EXPIRED: &str = "the hold expired before it was paid";

fn labels_of(booking: &Value) -> Vec<String> {
    booking["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["label"].as_str().expect("label").to_owned())
        .collect()
}

fn prices_of(booking: &Value) -> Vec<i64> {
    booking["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["price"].as_i64().expect("price"))
        .collect()
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The expiry entry a past-due hold gets.
#[track_caller]
fn assert_expiry_entry(entry: &Value, booking: &Value) {
    assert_eq!(entry["entity"], "booking", "{entry}");
    assert_eq!(entry["entity_id"], booking["id"], "{entry}");
    assert_eq!(entry["from"], "held", "{entry}");
    assert_eq!(entry["to"], "expired", "{entry}");
    assert_eq!(entry["actor"], "system", "{entry}");
    assert_eq!(entry["reason"], HOLD_EXPIRED, "{entry}");
    assert_eq!(
        micros(time_of(&entry["at"])),
        micros(time_of(&booking["expires_at"])),
        "the expiry happened at the deadline: {entry}"
    );
}

fn expiry_rows(history: &[Value]) -> usize {
    history
        .iter()
        .filter(|e| e["entity"] == "booking" && e["to"] == "expired")
        .count()
}
