//! The outbox's delivery (`crate::delivery`): what an email says, and a pass over mocks of its
//! ports — delivered, retried with backoff, dead — plus money as an email shows it.

use std::sync::Arc;

use chrono::Duration;
use futures_executor::block_on;
use mockall::predicate::eq;
use uuid::Uuid;

use super::support::{t0, usd};
use crate::booking::{Booking, BookingItem, BookingStatus};
use crate::delivery::{email_for, sms_for, Delivery, DeliveryPorts, DeliveryReport};
use crate::error::DomainError;
use crate::inbox::{in_app_for, MockInboxStore};
use crate::outbox::{About, AfterFailure, RetryPolicy, Topic};
use crate::ports::MockCatalogRepository;
use crate::ports::{
    ClaimedMessage, MockAccountRepository, MockBookingRepository, MockClock, MockNotifier,
    MockOutboxStore, MockSealer, MockSmsSender,
};
use crate::time_zone::{ShowTime, TimeZone};
use crate::values::{Currency, Money};
use crate::webhooks::{MockWebhookSender, MockWebhookStore, Targets};

fn booking(email: Option<&str>) -> Booking {
    Booking {
        id: Uuid::from_u128(7),
        reference: "BX-ABCD2345".into(),
        show_id: Some(1),
        event_id: Some(1),
        appointment: None,
        status: BookingStatus::Held,
        customer_name: "Ada Lovelace".into(),
        phone: Some("+441234567890".into()),
        email: email.map(str::to_owned),
        quantity: 2,
        total_amount: 2550,
        currency: usd(),
        items: vec![
            BookingItem {
                seat_id: Some(1),
                label: Some("A1".into()),
                seat_class: Some("Stalls".into()),
                quantity: 1,
                price: 1275,
                tier: None,
            },
            BookingItem {
                seat_id: Some(2),
                label: Some("A2".into()),
                seat_class: Some("Stalls".into()),
                quantity: 1,
                price: 1275,
                tier: None,
            },
        ],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id: None,
        guest_token_hash: None,
        expires_at: Some(t0() + Duration::minutes(10)),
        payments: vec![],
    }
}

/// The show of the fixture: 20:00 in Berlin (summer time) on 1 June 2030.
pub(super) fn berlin_show() -> ShowTime {
    ShowTime {
        starts_at: t0() - Duration::hours(2),
        time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
    }
}

const WEB: &str = "https://tickets.example.com";

#[test]
fn the_email_names_the_booking_its_places_and_total_and_carries_the_message_id() {
    let id = Uuid::from_u128(99);
    let held = |b: &Booking| email_for(Topic::BookingHeld, b, berlin_show(), WEB, id);
    let e = held(&booking(Some("ada@example.com"))).unwrap().unwrap();
    assert_eq!(e.to.as_str(), "ada@example.com");
    assert_eq!(e.subject, "Your seats are held: booking BX-ABCD2345");
    assert_eq!(e.message_id, Some(id));
    let html = e.html_body.as_deref().expect("an HTML part");
    for line in [
        "Hello Ada Lovelace,",
        "Booking reference: BX-ABCD2345",
        "Show: Sat 1 Jun 2030, 20:00 (Europe/Berlin)",
        "Places: A1 (Stalls), A2 (Stalls)",
        "Total: 25.50 USD",
        "Held until: Sat 1 Jun 2030, 22:10 (Europe/Berlin)",
        "To see or cancel your booking: https://tickets.example.com/bookings/00000000-0000-0000-0000-000000000007",
    ] {
        assert!(e.text_body.contains(line), "{line:?} in {}", e.text_body);
    }
    // (MiniJinja escapes `/` too: `&#x2f;`.)
    for part in [
        "BX-ABCD2345",
        "A1 (Stalls), A2 (Stalls)",
        "25.50 USD",
        "22:10 (Europe&#x2f;Berlin)",
    ] {
        assert!(html.contains(part), "{part:?} in {html}");
    }
    let confirmed = email_for(
        Topic::BookingConfirmed,
        &booking(Some("ada@example.com")),
        berlin_show(),
        WEB,
        id,
    );
    let confirmed = confirmed.unwrap().unwrap();
    assert_eq!(confirmed.subject, "Booking BX-ABCD2345 is confirmed");
    assert!(!confirmed.text_body.contains("Held until"));
    assert!(!confirmed.html_body.unwrap().contains("Held until"));
    // Every topic has its own subject.
    let mut subjects: Vec<String> = Topic::ALL
        .iter()
        .map(|t| {
            email_for(*t, &booking(Some("a@example.com")), berlin_show(), WEB, id)
                .unwrap()
                .unwrap()
                .subject
        })
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), Topic::ALL.len());
}

#[test]
fn a_booking_without_an_email_gets_no_email() {
    assert_eq!(
        email_for(
            Topic::BookingConfirmed,
            &booking(None),
            berlin_show(),
            WEB,
            Uuid::nil()
        )
        .unwrap(),
        None
    );
}

#[test]
fn money_shows_the_decimals_of_its_currency() {
    let m = |amount_minor, code: &str| {
        Money {
            amount_minor,
            currency: Currency::parse(code).unwrap(),
        }
        .to_string()
    };
    assert_eq!(m(2550, "USD"), "25.50 USD");
    assert_eq!(m(5, "EUR"), "0.05 EUR");
    assert_eq!(m(-5, "EUR"), "-0.05 EUR");
    assert_eq!(m(1200, "JPY"), "1200 JPY");
    assert_eq!(m(1500, "KWD"), "1.500 KWD");
    assert_eq!(m(i64::MIN, "USD"), "-92233720368547758.08 USD");
}

fn claimed(id: i64, attempts: u32) -> ClaimedMessage {
    ClaimedMessage {
        id,
        message_id: Uuid::from_u128(id as u128),
        topic: Topic::BookingConfirmed,
        about: About::Booking(Uuid::from_u128(7)),
        at: t0(),
        attempts,
        sealed: None,
    }
}

/// No partner webhook hears of anything (their own tests: `tests/webhooks/`).
fn no_webhooks() -> MockWebhookStore {
    let mut store = MockWebhookStore::new();
    store
        .expect_targets()
        .returning(|_, _| Ok(Targets::default()));
    store.expect_fan_out().never();
    store
}

/// Every show of the fixture starts at [`berlin_show`].
fn show_times() -> MockCatalogRepository {
    let mut catalog = MockCatalogRepository::new();
    catalog
        .expect_show_time()
        .with(eq(1))
        .returning(|_| Ok(berlin_show()));
    catalog
}

fn delivery(
    outbox: MockOutboxStore,
    bookings: MockBookingRepository,
    notifier: MockNotifier,
) -> Delivery {
    let mut inbox = MockInboxStore::new();
    // The fixture's booking is a guest's: no inbox.
    inbox.expect_add().never();
    delivery_with_inbox(outbox, bookings, notifier, inbox)
}

fn delivery_with_inbox(
    outbox: MockOutboxStore,
    bookings: MockBookingRepository,
    notifier: MockNotifier,
    inbox: MockInboxStore,
) -> Delivery {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(t0());
    delivery_with(
        outbox,
        bookings,
        notifier,
        inbox,
        MockAccountRepository::new(),
        MockSealer::new(),
    )
}

fn delivery_with(
    outbox: MockOutboxStore,
    bookings: MockBookingRepository,
    notifier: MockNotifier,
    inbox: MockInboxStore,
    accounts: MockAccountRepository,
    sealer: MockSealer,
) -> Delivery {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(t0());
    // Text messages go through (the fixture's booking has a phone); their own test checks them.
    let mut sms = MockSmsSender::new();
    sms.expect_send_sms().returning(|_| Ok(()));
    let mut d = Delivery::new(DeliveryPorts {
        outbox: Arc::new(outbox),
        bookings: Arc::new(bookings),
        catalog: Arc::new(show_times()),
        accounts: Arc::new(accounts),
        notifier: Arc::new(notifier),
        sms: Arc::new(sms),
        inbox: Arc::new(inbox),
        sealer: Arc::new(sealer),
        clock: Arc::new(clock),
        webhooks: Arc::new(no_webhooks()),
        webhook_sender: Arc::new(MockWebhookSender::new()),
    });
    d.policy = RetryPolicy {
        base: std::time::Duration::from_secs(10),
        cap: std::time::Duration::from_secs(60),
        max_attempts: 3,
    };
    d
}

#[test]
fn a_pass_delivers_what_it_claimed_and_records_each_failure_with_its_next_try() {
    let mut outbox = MockOutboxStore::new();
    outbox
        .expect_claim_due()
        .withf(|now, lease, limit| *now == t0() && *lease == Duration::seconds(60) && *limit == 100)
        .return_once(|_, _, _| Ok(vec![claimed(1, 1), claimed(2, 1), claimed(3, 3)]));
    outbox
        .expect_mark_delivered()
        .with(eq(1), eq(t0()))
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_failed()
        .withf(|id, error, after| {
            *id == 2
                && error.contains("smtp down")
                && *after == AfterFailure::RetryAt(t0() + Duration::seconds(10))
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    outbox
        .expect_mark_failed()
        .withf(|id, _, after| *id == 3 && *after == AfterFailure::Dead)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut bookings = MockBookingRepository::new();
    bookings
        .expect_get_booking()
        .returning(|_| Ok(booking(Some("ada@example.com"))));
    let mut notifier = MockNotifier::new();
    let mut sent = 0;
    notifier.expect_send_email().times(3).returning(move |e| {
        sent += 1;
        assert_eq!(e.subject, "Booking BX-ABCD2345 is confirmed");
        if sent == 1 {
            Ok(())
        } else {
            Err(DomainError::Unavailable("smtp down".into()))
        }
    });
    let report = block_on(delivery(outbox, bookings, notifier).run_once()).unwrap();
    assert_eq!(
        report,
        DeliveryReport {
            delivered: 1,
            retried: 1,
            dead: 1
        }
    );
}

#[test]
fn a_message_with_nobody_to_write_to_is_delivered_without_an_email() {
    let mut outbox = MockOutboxStore::new();
    outbox
        .expect_claim_due()
        .return_once(|_, _, _| Ok(vec![claimed(5, 1)]));
    outbox
        .expect_mark_delivered()
        .with(eq(5), eq(t0()))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut bookings = MockBookingRepository::new();
    bookings
        .expect_get_booking()
        .returning(|_| Ok(booking(None)));
    let mut notifier = MockNotifier::new();
    notifier.expect_send_email().never();
    let report = block_on(delivery(outbox, bookings, notifier).run_once()).unwrap();
    assert_eq!(report.delivered, 1);
}

#[test]
fn an_account_s_booking_also_reaches_its_inbox_once_per_message() {
    let owner = Uuid::from_u128(42);
    let mut outbox = MockOutboxStore::new();
    outbox
        .expect_claim_due()
        .return_once(|_, _, _| Ok(vec![claimed(8, 2)]));
    outbox
        .expect_mark_delivered()
        .times(1)
        .returning(|_, _| Ok(()));
    let mut bookings = MockBookingRepository::new();
    bookings.expect_get_booking().returning(move |_| {
        let mut b = booking(Some("ada@example.com"));
        b.user_id = Some(owner);
        Ok(b)
    });
    let mut notifier = MockNotifier::new();
    notifier.expect_send_email().times(1).returning(|_| Ok(()));
    let mut inbox = MockInboxStore::new();
    inbox
        .expect_add()
        .withf(move |n| {
            n.user_id == owner
                && n.message_id == Some(Uuid::from_u128(8))
                && n.topic == "booking.confirmed"
                && n.title == "Booking BX-ABCD2345 is confirmed"
                && n.booking_id == Some(Uuid::from_u128(7))
                && n.created_at == t0()
        })
        .times(1)
        .returning(|_| Ok(()));
    let report =
        block_on(delivery_with_inbox(outbox, bookings, notifier, inbox).run_once()).unwrap();
    assert_eq!(report.delivered, 1);
    // A guest's booking has no inbox.
    assert_eq!(
        in_app_for(Topic::BookingHeld, &booking(None), Uuid::nil(), t0()),
        None
    );
}

#[test]
fn an_announcement_needs_a_title_a_body_and_exactly_one_kind_of_recipients() {
    use crate::inbox::{Announcement, Recipients};
    let a = Uuid::from_u128(1);
    let ok = Announcement::parse(
        "  Doors open early ",
        "At 18:00.",
        Some(vec![a, a]),
        false,
        true,
    )
    .unwrap();
    assert_eq!(ok.title, "Doors open early");
    assert_eq!(
        ok.recipients,
        Recipients::Users(vec![a]),
        "repeats counted once"
    );
    assert!(ok.email);
    let all = Announcement::parse("t", "b", None, true, false).unwrap();
    assert_eq!(all.recipients, Recipients::AllActive);
    let fields = |r: Result<Announcement, DomainError>| super::support::failing_fields(r);
    assert_eq!(
        fields(Announcement::parse(" ", "b", None, true, false)),
        ["title"]
    );
    assert_eq!(
        fields(Announcement::parse(&"t".repeat(201), "", None, true, false)),
        ["title", "body"]
    );
    assert_eq!(
        fields(Announcement::parse("t", "b", Some(vec![a]), true, false)),
        ["user_ids"]
    );
    assert_eq!(
        fields(Announcement::parse("t", "b", None, false, false)),
        ["user_ids"]
    );
    assert_eq!(
        fields(Announcement::parse("t", "b", Some(vec![]), false, false)),
        ["user_ids"]
    );
    let many: Vec<Uuid> = (0..1001u128).map(Uuid::from_u128).collect();
    assert_eq!(
        fields(Announcement::parse("t", "b", Some(many), false, false)),
        ["user_ids"]
    );
}

#[test]
fn an_announcement_s_message_emails_the_notification_to_its_recipient() {
    use crate::inbox::Notification;
    let mut outbox = MockOutboxStore::new();
    outbox.expect_claim_due().return_once(|_, _, _| {
        Ok(vec![ClaimedMessage {
            id: 9,
            message_id: Uuid::from_u128(9),
            topic: Topic::Announcement,
            about: About::Notification(77),
            at: t0(),
            attempts: 1,
            sealed: None,
        }])
    });
    outbox
        .expect_mark_delivered()
        .with(eq(9), eq(t0()))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut inbox = MockInboxStore::new();
    inbox.expect_get_with_email().with(eq(77)).returning(|_| {
        Ok((
            Notification {
                id: 77,
                user_id: Uuid::from_u128(5),
                topic: "announcement".into(),
                booking_id: None,
                title: "Doors open early".into(),
                body: "At 18:00.".into(),
                created_at: t0(),
                read_at: None,
            },
            "bo@example.com".into(),
        ))
    });
    inbox.expect_add().never();
    let mut bookings = MockBookingRepository::new();
    bookings.expect_get_booking().never();
    let mut notifier = MockNotifier::new();
    notifier
        .expect_send_email()
        .withf(|e| {
            e.to.as_str() == "bo@example.com"
                && e.subject == "Doors open early"
                && e.text_body.contains("At 18:00.")
                && e.message_id == Some(Uuid::from_u128(9))
        })
        .times(1)
        .returning(|_| Ok(()));
    let report =
        block_on(delivery_with_inbox(outbox, bookings, notifier, inbox).run_once()).unwrap();
    assert_eq!(report.delivered, 1);
}

#[test]
fn a_password_reset_message_emails_the_unsealed_token_to_the_account() {
    let uid = Uuid::from_u128(5);
    let mut outbox = MockOutboxStore::new();
    outbox.expect_claim_due().return_once(move |_, _, _| {
        Ok(vec![ClaimedMessage {
            id: 4,
            message_id: Uuid::from_u128(4),
            topic: Topic::PasswordResetRequested,
            about: About::Account(uid),
            at: t0(),
            attempts: 1,
            sealed: Some(b"sealed".to_vec()),
        }])
    });
    outbox
        .expect_mark_delivered()
        .with(eq(4), eq(t0()))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut accounts = MockAccountRepository::new();
    accounts.expect_get_user().with(eq(uid)).returning(|id| {
        let mut u = super::support::user(crate::account::Role::Customer);
        u.id = id;
        u.email = "ada@example.com".into();
        Ok(u)
    });
    let mut sealer = MockSealer::new();
    sealer
        .expect_open()
        .withf(|b| b == b"sealed")
        .returning(|_| Ok(b"the-token".to_vec()));
    let mut notifier = MockNotifier::new();
    notifier
        .expect_send_email()
        .withf(|e| {
            e.to.as_str() == "ada@example.com"
                && e.subject == "Reset your boxoffice password"
                && e.text_body.lines().any(|l| l.trim() == "the-token")
                && e.text_body.contains("valid for 60 minutes")
        })
        .times(1)
        .returning(|_| Ok(()));
    let mut inbox = MockInboxStore::new();
    inbox.expect_add().never();
    let d = delivery_with(
        outbox,
        MockBookingRepository::new(),
        notifier,
        inbox,
        accounts,
        sealer,
    );
    assert_eq!(block_on(d.run_once()).unwrap().delivered, 1);
}

#[test]
fn a_booking_with_a_phone_gets_a_text_message_with_the_headline() {
    let id = Uuid::from_u128(11);
    let sms = sms_for(Topic::BookingConfirmed, &booking(None), id).unwrap();
    assert_eq!(sms.to.as_str(), "+441234567890");
    assert_eq!(sms.text, "boxoffice: Booking BX-ABCD2345 is confirmed");
    assert_eq!(sms.message_id, Some(id));
    let mut no_phone = booking(Some("ada@example.com"));
    no_phone.phone = None;
    assert_eq!(sms_for(Topic::BookingHeld, &no_phone, id), None);
}
