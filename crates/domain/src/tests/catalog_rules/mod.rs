//! Catalogue rules: cities, venues, events, pages, shows, seat maps and capacity counts.

use chrono::Duration;

use crate::catalog::{
    generate_seats, tier_in_force, Event, EventDetail, EventType, Layout, NewCity, NewEvent,
    NewSeat, NewSeatClass, NewShow, NewVenue, Page, SeatClassAvailability, Show, ShowDetail,
    ShowKind,
};
use crate::pricing::{Tier, TierPrices};
use crate::values::SeatLabel;

use super::support::{failing_fields, has_field, t0, usd};

mod counts;
mod entries;
mod new_shows;
mod search;

fn prices(min: i64, normal: i64, max: i64) -> TierPrices {
    TierPrices {
        min_price: Some(min),
        normal_price: Some(normal),
        max_price: Some(max),
    }
}
