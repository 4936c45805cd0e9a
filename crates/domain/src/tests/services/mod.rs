//! The use-case services against mockall mocks of the ports.

use futures_executor::block_on;
use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;

use crate::account::Actor;
use crate::booking::{Booking, BookingRequest, BookingStatus, Places};
use crate::catalog::{
    Event, EventDetail, EventFilter, EventType, Layout, NewEvent, NewSeat, NewSeatClass, NewShow,
    Page, Paged, Show, ShowDetail, ShowKind,
};
use crate::error::DomainError;
use crate::import::ImportSummary;
use crate::ports::{
    BookingFilter, Cancelled, ContactQuery, MockBookingRepository, MockCatalogRepository,
    MockClock, MockTokenGenerator,
};
use crate::pricing::TierPrices;
use crate::service::{BookingRules, BookingService, CatalogService};
use crate::values::SeatLabel;

use super::support::{admin, failing_fields, t0, usd};

mod bookings;
mod catalog;

fn clock_at_t0() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(t0);
    clock
}

fn booking(id: Uuid, status: BookingStatus) -> Booking {
    Booking {
        id,
        reference: "BX-00000000".into(),
        show_id: Some(7),
        event_id: Some(1),
        appointment: None,
        status,
        customer_name: "Ada".into(),
        phone: None,
        email: Some("ada@example.com".into()),
        quantity: 2,
        total_amount: 4_000,
        currency: usd(),
        items: vec![],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id: None,
        guest_token_hash: None,
        expires_at: None,
        payments: vec![],
    }
}

/// The guest token every guest booking of these tests gets.
const GUEST_TOKEN: &str = "guest-token-0123456789";

fn tokens() -> MockTokenGenerator {
    let mut tokens = MockTokenGenerator::new();
    tokens.expect_token().returning(|| GUEST_TOKEN.to_owned());
    tokens
}

fn booking_service(repo: MockBookingRepository, clock: MockClock) -> BookingService {
    BookingService::new(
        Arc::new(repo),
        Arc::new(clock),
        Arc::new(tokens()),
        BookingRules::default(),
    )
}

fn valid_request() -> BookingRequest {
    BookingRequest {
        show_id: 7,
        seat_ids: Some(vec![3, 4]),
        name: " Ada ".into(),
        email: Some("ADA@Example.com".into()),
        ..Default::default()
    }
}

fn event() -> Event {
    Event {
        id: 1,
        title: "Gig".into(),
        description: String::new(),
        event_type: EventType::Concert,
        city_id: 1,
        venue_id: None,
        organizer_id: None,
        created_at: t0(),
    }
}

fn general_show(capacity: u32) -> NewShow {
    NewShow {
        venue_id: None,
        screen_name: String::new(),
        starts_at: t0() + Duration::days(1),
        ends_at: t0() + Duration::days(1) + Duration::hours(2),
        currency: usd(),
        layout: Layout::General {
            capacity,
            price: Some(1_000),
        },
    }
}

fn seated_show() -> NewShow {
    NewShow {
        layout: Layout::Seated {
            classes: vec![NewSeatClass {
                name: "A".into(),
                prices: TierPrices::default(),
            }],
            seats: vec![NewSeat {
                label: SeatLabel::parse("A1").unwrap(),
                class: "A".into(),
                external_ref: None,
            }],
        },
        ..general_show(1)
    }
}

fn show_detail(capacity: u32) -> ShowDetail {
    ShowDetail {
        show: Show {
            id: 9,
            event_id: 1,
            venue_id: None,
            screen_name: String::new(),
            starts_at: t0(),
            ends_at: t0() + Duration::hours(2),
            kind: ShowKind::General,
            currency: usd(),
            capacity: Some(capacity),
            free_places: Some(capacity),
            price: Some(1_000),
            created_at: t0(),
        },
        classes: vec![],
    }
}

fn new_event() -> NewEvent {
    NewEvent::parse("Gig", "", "concert", 1, None).unwrap()
}
