//! What a registration must be, who hears of what, what a delivery says and how it is signed.

use chrono::Duration;
use serde_json::json;
use uuid::Uuid;

use super::super::support::{fields, t0, usd};
use crate::account::Role;
use crate::booking::{Booking, BookingStatus};
use crate::outbox::Topic;
use crate::payment_model::{Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus};
use crate::webhook::{verify_webhook, WebhookError, WEBHOOK_SIGNATURE_HEADER};
use crate::webhook_url::{AllowList, WebhookUrl};
use crate::webhooks::{
    answered_ok, parse_events, payload_for, receives, signed_request, subscribable, Secret,
    WebhookInput, WebhookTarget, DELIVERY_HEADER, EVENTS, EVENT_HEADER, SECRET_PREFIX,
};

fn input(url: &str, events: &[&str], secret: Option<&str>) -> WebhookInput {
    WebhookInput {
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret: secret.map(str::to_owned),
    }
}

#[test]
fn the_events_are_the_news_about_bookings() {
    assert_eq!(EVENTS.len(), 12);
    for t in Topic::ALL {
        assert_eq!(subscribable(t), EVENTS.contains(&t), "{t:?}");
    }
    for t in [
        Topic::Announcement,
        Topic::PasswordResetRequested,
        Topic::Webhook,
    ] {
        assert!(!subscribable(t));
    }
    // Repeats count once; the order is the canonical one; names are exact.
    assert!(parse_events(&[" refund.issued".into()]).is_err());
    let events = parse_events(&[
        "refund.issued".into(),
        "booking.confirmed".into(),
        "booking.confirmed".into(),
    ])
    .unwrap();
    assert_eq!(events, vec![Topic::BookingConfirmed, Topic::RefundIssued]);
    assert!(parse_events(&[]).unwrap_err().contains("at least one"));
    for bad in [
        "announcement",
        "password.reset_requested",
        "webhook",
        "booking.*",
        "",
    ] {
        let e = parse_events(&[bad.to_owned()]).unwrap_err();
        assert!(e.contains("is not a webhook event"), "{bad}: {e}");
        assert!(
            e.contains("booking.confirmed"),
            "the known ones are listed: {e}"
        );
    }
}

#[test]
fn a_registration_names_every_failing_field() {
    let allow = AllowList::default();
    let ok = input(
        "https://hooks.example.com/x",
        &["booking.confirmed"],
        Some("a-secret-of-16-chars"),
    )
    .parse(&allow)
    .unwrap();
    assert_eq!(ok.url.as_str(), "https://hooks.example.com/x");
    assert_eq!(ok.events, vec![Topic::BookingConfirmed]);
    assert_eq!(ok.secret.unwrap().expose(), "a-secret-of-16-chars");
    assert!(input("https://h.example.com", &["booking.held"], None)
        .parse(&allow)
        .unwrap()
        .secret
        .is_none());
    let e = input("http://127.0.0.1/x", &["nope"], Some("short"))
        .parse(&allow)
        .unwrap_err();
    assert_eq!(fields(&e), vec!["url", "events", "secret"]);
    // The secret's Debug never shows it, nor the input's.
    let s = Secret::parse("a-secret-of-16-chars").unwrap();
    assert!(!format!("{s:?}").contains("a-secret"));
    let i = input(
        "https://h.example.com",
        &["booking.held"],
        Some("a-secret-of-16-chars"),
    );
    assert!(!format!("{i:?}").contains("a-secret"));
}

#[test]
fn a_secret_is_16_to_256_printable_characters_or_generated() {
    assert!(Secret::parse(&"x".repeat(16)).is_ok());
    assert!(Secret::parse(&"x".repeat(256)).is_ok());
    assert!(Secret::parse(&"x".repeat(15)).is_err());
    assert!(Secret::parse(&"x".repeat(257)).is_err());
    assert!(Secret::parse("sixteen chars ok").is_err(), "a blank");
    assert!(Secret::parse("sixteen-chars-ok\n").is_err());
    assert!(Secret::parse("sixteen-chars-ök").is_err(), "not ASCII");
    let g = Secret::generated("abc123");
    assert_eq!(g.expose(), format!("{SECRET_PREFIX}abc123"));
}

fn target(role: Role, owner: Uuid) -> WebhookTarget {
    WebhookTarget {
        id: Uuid::from_u128(1),
        owner_id: owner,
        owner_role: role,
        owner_active: true,
        events: vec![Topic::BookingConfirmed, Topic::PaymentSucceeded],
        active: true,
        created_at: t0(),
    }
}

#[test]
fn a_provider_hears_of_its_own_events_bookings_and_an_admin_of_all() {
    let provider = Uuid::from_u128(10);
    let other = Uuid::from_u128(11);
    let at = t0() + Duration::seconds(1);
    let p = target(Role::Provider, provider);
    assert!(receives(&p, Topic::BookingConfirmed, Some(provider), at));
    assert!(!receives(&p, Topic::BookingConfirmed, Some(other), at));
    assert!(!receives(&p, Topic::BookingConfirmed, None, at));
    let a = target(Role::Admin, Uuid::from_u128(12));
    assert!(receives(&a, Topic::BookingConfirmed, Some(other), at));
    assert!(receives(&a, Topic::BookingConfirmed, None, at));
    // Only the topics it subscribed to.
    assert!(!receives(&a, Topic::BookingHeld, None, at));
    assert!(receives(&a, Topic::PaymentSucceeded, None, at));
    // Nothing that happened before it was registered.
    assert!(!receives(
        &a,
        Topic::BookingConfirmed,
        None,
        t0() - Duration::seconds(1)
    ));
    assert!(receives(&a, Topic::BookingConfirmed, None, t0()));
    // An inactive webhook, an inactive owner, a demoted owner: nothing.
    let mut off = a.clone();
    off.active = false;
    assert!(!receives(&off, Topic::BookingConfirmed, None, at));
    let mut gone = a.clone();
    gone.owner_active = false;
    assert!(!receives(&gone, Topic::BookingConfirmed, None, at));
    let demoted = target(Role::Customer, provider);
    assert!(!receives(
        &demoted,
        Topic::BookingConfirmed,
        Some(provider),
        at
    ));
}

fn booking() -> Booking {
    Booking {
        id: Uuid::from_u128(7),
        reference: "BX-ABCD2345".into(),
        show_id: Some(3),
        event_id: Some(2),
        appointment: None,
        status: BookingStatus::Confirmed,
        customer_name: "Ada Lovelace".into(),
        phone: Some("+441234567890".into()),
        email: Some("ada@example.com".into()),
        quantity: 2,
        total_amount: 2550,
        currency: usd(),
        items: vec![],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id: None,
        guest_token_hash: None,
        expires_at: Some(t0() + Duration::minutes(10)),
        payments: vec![],
    }
}

fn payment(status: PaymentStatus, refunds: Vec<Refund>) -> Payment {
    Payment {
        id: Uuid::from_u128(20),
        booking_id: Uuid::from_u128(7),
        amount: 2550,
        currency: usd(),
        status,
        method: PaymentMethod::ALL[0],
        gateway_ref: Some("pay_1".into()),
        failure_code: None,
        outcome: None,
        refunds,
        created_at: t0(),
        updated_at: t0(),
    }
}

#[test]
fn the_payload_says_what_happened_to_which_booking_in_minor_units_without_personal_data() {
    let id = Uuid::from_u128(99);
    let p = payload_for(id, Topic::BookingConfirmed, t0(), &booking());
    assert_eq!(
        p,
        json!({
            "id": id,
            "type": "booking.confirmed",
            "created_at": "2030-06-01T20:00:00.000000Z",
            "data": {
                "booking": {
                    "id": Uuid::from_u128(7),
                    "reference": "BX-ABCD2345",
                    "status": "confirmed",
                    "kind": "show",
                    "show_id": 3,
                    "event_id": 2,
                    "appointment": null,
                    "quantity": 2,
                    "total_amount": 2550,
                    "currency": "USD",
                    "expires_at": "2030-06-01T20:10:00.000000Z",
                    "created_at": "2030-06-01T20:00:00.000000Z",
                }
            }
        })
    );
    let text = p.to_string();
    for private in ["Ada", "ada@example.com", "+44"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    // A payment topic carries the payment; a refund the refund.
    let mut b = booking();
    b.payments = vec![payment(PaymentStatus::Succeeded, vec![])];
    let p = payload_for(id, Topic::PaymentSucceeded, t0(), &b);
    assert_eq!(p["data"]["payment"]["status"], "succeeded");
    assert_eq!(p["data"]["payment"]["amount"], 2550);
    assert!(p["data"].get("refund").is_none());
    b.payments = vec![payment(
        PaymentStatus::Succeeded,
        vec![Refund {
            id: Uuid::from_u128(30),
            payment_id: Uuid::from_u128(20),
            amount: 1275,
            status: RefundStatus::Succeeded,
            reason: "cancelled".into(),
            gateway_ref: Some("re_1".into()),
            failure_code: None,
            created_at: t0(),
            updated_at: t0(),
        }],
    )];
    let p = payload_for(id, Topic::RefundIssued, t0(), &b);
    assert_eq!(p["data"]["refund"]["amount"], 1275);
    assert_eq!(p["data"]["refund"]["currency"], "USD");
    assert!(p["data"].get("payment").is_none());
}

#[test]
fn a_delivery_is_signed_like_the_payment_webhook_and_verifies_with_its_secret() {
    let url = WebhookUrl::parse("https://hooks.example.com/x", &AllowList::default()).unwrap();
    let id = Uuid::from_u128(99);
    let payload = payload_for(id, Topic::BookingConfirmed, t0(), &booking());
    let secret = b"whsec_the-partner-secret";
    let r = signed_request(url, id, Topic::BookingConfirmed, &payload, secret, t0());
    let header = |name: &str| {
        r.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(header("Content-Type"), "application/json");
    assert_eq!(header(EVENT_HEADER), "booking.confirmed");
    assert_eq!(header(DELIVERY_HEADER), id.to_string());
    let signature = header(WEBHOOK_SIGNATURE_HEADER);
    assert!(signature.starts_with(&format!("t={},v1=", t0().timestamp())));
    // The body is the payload; the signature verifies with the secret, at the time it was sent.
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(),
        payload
    );
    let now = t0().timestamp();
    assert_eq!(
        verify_webhook(secret, &signature, &r.body, now, 300),
        Ok(())
    );
    assert_eq!(
        verify_webhook(b"another secret", &signature, &r.body, now, 300),
        Err(WebhookError::BadSignature)
    );
    let mut changed = r.body.clone();
    changed[0] = b' ';
    assert_eq!(
        verify_webhook(secret, &signature, &changed, now, 300),
        Err(WebhookError::BadSignature)
    );
    // A replay long after is refused by the receiver's tolerance.
    assert_eq!(
        verify_webhook(secret, &signature, &r.body, now + 301, 300),
        Err(WebhookError::OutsideTolerance)
    );
    // The same payload gives the same body: a retry sends the same bytes.
    let again = signed_request(
        WebhookUrl::parse("https://hooks.example.com/x", &AllowList::default()).unwrap(),
        id,
        Topic::BookingConfirmed,
        &payload,
        secret,
        t0(),
    );
    assert_eq!(again.body, r.body);
}

#[test]
fn only_a_2xx_answer_delivers() {
    for ok in [200, 201, 202, 204, 299] {
        assert!(answered_ok(ok));
    }
    for failed in [100, 199, 301, 302, 304, 400, 404, 410, 429, 500, 503] {
        assert!(!answered_ok(failed));
    }
}
