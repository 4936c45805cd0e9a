//! Access control: the authorisation matrix of `Actor`, access to one booking, and the checks the
//! catalogue and booking use cases make before they touch storage.

use crate::codes::*;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use futures_executor::block_on;
use uuid::Uuid;

use crate::account::{cancellation_reason, may_access_booking, Actor, Role, TokenHash, User};
use crate::booking::{Booking, BookingCommand, BookingRequest, BookingStatus};
use crate::catalog::{
    City, EventDetail, Layout, NewCity, NewEvent, NewShow, NewVenue, Page, Paged, Show, ShowDetail,
    ShowKind,
};
use crate::error::DomainError;
use crate::payment::{HistoryEntity, HistoryEntry};
use crate::ports::{
    BookingFilter, Cancelled, ContactQuery, MockBookingRepository, MockCatalogRepository,
    MockClock, MockTokenGenerator,
};
use crate::service::{BookingRules, BookingService, CatalogService};
use crate::values::Email;

use super::support::{actor, admin, is_forbidden, t0, unauthorized_code, usd, user};

mod booking_access;
mod bookings;
mod catalog;
mod history;
mod matrix;

const GUEST_TOKEN: &str = "generated-guest-token-0123456789abcdef";

fn booking(id: Uuid, user_id: Option<Uuid>, guest: Option<&str>) -> Booking {
    Booking {
        id,
        reference: "BX-00000000".into(),
        show_id: Some(7),
        event_id: Some(1),
        appointment: None,
        status: BookingStatus::Confirmed,
        customer_name: "Ada".into(),
        phone: None,
        email: Some("ada@example.com".into()),
        quantity: 1,
        total_amount: 1_000,
        currency: usd(),
        items: vec![],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id,
        guest_token_hash: guest.map(TokenHash::of),
        expires_at: None,
        payments: vec![],
    }
}

fn booked_from(cmd: &BookingCommand) -> Booking {
    Booking {
        customer_name: cmd.buyer.name.as_str().to_owned(),
        email: cmd.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        phone: cmd.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        user_id: cmd.user_id,
        guest_token_hash: cmd.guest_token_hash,
        ..booking(Uuid::new_v4(), None, None)
    }
}

fn bookings(repo: MockBookingRepository, tokens: MockTokenGenerator) -> BookingService {
    let mut clock = MockClock::new();
    clock.expect_now().returning(t0);
    BookingService::new(
        Arc::new(repo),
        Arc::new(clock),
        Arc::new(tokens),
        BookingRules::default(),
    )
}

fn no_tokens() -> MockTokenGenerator {
    let mut tokens = MockTokenGenerator::new();
    tokens.expect_token().times(0);
    tokens
}

fn empty_page(_: BookingFilter, page: Page) -> Result<Paged<Booking>, DomainError> {
    Ok(Paged {
        items: vec![],
        total: 0,
        page,
    })
}

fn request(name: &str, email: Option<&str>, phone: Option<&str>) -> BookingRequest {
    BookingRequest {
        show_id: 7,
        quantity: Some(1),
        name: name.into(),
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        ..Default::default()
    }
}

struct Cast {
    customer: Actor,
    organiser: Actor,
    other_provider: Actor,
    admin: Actor,
}

fn cast() -> Cast {
    Cast {
        customer: actor(Role::Customer),
        organiser: actor(Role::Provider),
        other_provider: actor(Role::Provider),
        admin: admin(),
    }
}
