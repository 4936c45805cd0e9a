//! What a booking email says (`crate::email`) and the venue's time zone (`crate::time_zone`):
//! the model, the show time in the venue's zone (summer and winter time), the hold's end, the
//! cancel link, and the two parts rendered from the templates — the HTML one escaped.

use chrono::{TimeZone as _, Utc};
use uuid::Uuid;

use super::support::t0;
use crate::booking::{Booking, BookingItem, BookingStatus};
use crate::email::{booking_email, booking_page_url};
use crate::outbox::Topic;
use crate::time_zone::{ShowTime, TimeZone};
use crate::values::Currency;

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).unwrap()
}

fn general_admission(name: &str, currency: &str, total: i64) -> Booking {
    Booking {
        id: Uuid::from_u128(0xabc),
        reference: "BX-GA234567".into(),
        show_id: Some(3),
        event_id: Some(2),
        appointment: None,
        status: BookingStatus::Confirmed,
        customer_name: name.into(),
        phone: None,
        email: Some("ann@example.com".into()),
        quantity: 3,
        total_amount: total,
        currency: Currency::parse(currency).unwrap(),
        items: vec![BookingItem {
            seat_id: None,
            label: None,
            seat_class: None,
            quantity: 3,
            price: total / 3,
            tier: None,
        }],
        created_at: t0(),
        updated_at: t0(),
        cancelled_at: None,
        user_id: None,
        guest_token_hash: None,
        expires_at: Some(t0()),
        payments: vec![],
    }
}

#[test]
fn a_zone_is_an_iana_name_and_anything_else_is_refused() {
    assert_eq!(zone("Europe/Berlin").name(), "Europe/Berlin");
    assert_eq!(zone("America/New_York").name(), "America/New_York");
    // Exactly a name of the list the OpenAPI document gives: no blanks around it.
    assert!(TimeZone::parse("  America/New_York ").is_err());
    assert!(TimeZone::names().any(|n| n == "Europe/Berlin"));
    assert!(TimeZone::names().all(|n| TimeZone::parse(n).is_ok()));
    assert_eq!(zone("UTC"), TimeZone::UTC);
    assert_eq!(TimeZone::default(), TimeZone::UTC);
    for bad in [
        "",
        "   ",
        "Mars/Olympus_Mons",
        "europe/berlin",
        "CEST",
        "+02:00",
    ] {
        let e = TimeZone::parse(bad).unwrap_err();
        assert!(!e.message.is_empty(), "{bad:?}");
    }
    assert!(TimeZone::parse(&"A".repeat(65))
        .unwrap_err()
        .message
        .contains("at most 64"));
    // A stored zone: a show without a venue, or a name this build does not know, is UTC.
    assert_eq!(TimeZone::from_stored(None), TimeZone::UTC);
    assert_eq!(TimeZone::from_stored(Some("Nowhere/Else")), TimeZone::UTC);
    assert_eq!(
        TimeZone::from_stored(Some("Asia/Tokyo")),
        zone("Asia/Tokyo")
    );
}

#[test]
fn a_moment_is_told_in_the_venue_s_zone_summer_and_winter_time_alike() {
    let berlin = zone("Europe/Berlin");
    let at = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    // Winter (CET, UTC+1).
    assert_eq!(
        berlin.local(at(2026, 12, 12, 19, 0)),
        "Sat 12 Dec 2026, 20:00 (Europe/Berlin)"
    );
    // The day summer time starts (29 March 2026, 01:00 UTC): 20:00 is 18:00 UTC after it...
    assert_eq!(
        berlin.local(at(2026, 3, 29, 18, 0)),
        "Sun 29 Mar 2026, 20:00 (Europe/Berlin)"
    );
    // ...and the day before, 19:00 UTC.
    assert_eq!(
        berlin.local(at(2026, 3, 28, 19, 0)),
        "Sat 28 Mar 2026, 20:00 (Europe/Berlin)"
    );
    // Across the date line, and UTC itself.
    assert_eq!(
        zone("Pacific/Auckland").local(at(2026, 12, 12, 19, 0)),
        "Sun 13 Dec 2026, 08:00 (Pacific/Auckland)"
    );
    assert_eq!(
        TimeZone::UTC.local(at(2026, 12, 12, 19, 0)),
        "Sat 12 Dec 2026, 19:00 (UTC)"
    );
}

#[test]
fn the_model_has_every_line_of_the_email_and_the_cancel_link_carries_no_secret() {
    let b = general_admission("Ann", "JPY", 3600);
    let show = ShowTime {
        starts_at: Utc.with_ymd_and_hms(2026, 12, 12, 11, 0, 0).unwrap(),
        time_zone: zone("Asia/Tokyo"),
    };
    let m = booking_email(
        Topic::BookingConfirmed,
        &b,
        show,
        "https://tickets.example.com/",
    );
    assert_eq!(m.subject, "Booking BX-GA234567 is confirmed");
    assert_eq!(m.name, "Ann");
    assert_eq!(m.opening, "Your booking is confirmed. Enjoy the show!");
    assert_eq!(m.reference, "BX-GA234567");
    assert_eq!(m.status, "confirmed");
    assert_eq!(m.show_time, "Sat 12 Dec 2026, 20:00 (Asia/Tokyo)");
    assert_eq!(m.places, vec!["3 place(s)".to_owned()]);
    assert_eq!(m.total, "3600 JPY");
    // Only the email of the hold tells when it ends.
    assert_eq!(m.held_until, None);
    let held = booking_email(Topic::BookingHeld, &b, show, "https://tickets.example.com");
    assert_eq!(
        held.held_until.as_deref(),
        Some("Sun 2 Jun 2030, 05:00 (Asia/Tokyo)")
    );
    // The web app's booking page, one slash whatever the setting ends with; no token in it.
    let page = "https://tickets.example.com/bookings/00000000-0000-0000-0000-000000000abc";
    assert_eq!(m.booking_url, page);
    assert_eq!(
        booking_page_url(" https://tickets.example.com// ", b.id),
        page
    );
    assert!(!m.booking_url.contains('?'));
}

#[test]
fn both_parts_are_rendered_and_the_html_one_escapes_what_the_buyer_typed() {
    let b = general_admission("<b>Ann & co</b>", "EUR", 4500);
    let show = ShowTime {
        starts_at: Utc.with_ymd_and_hms(2026, 12, 12, 19, 0, 0).unwrap(),
        time_zone: zone("Europe/Berlin"),
    };
    let r = booking_email(Topic::BookingConfirmed, &b, show, "http://127.0.0.1:8080")
        .render()
        .unwrap();
    // The text part says it as typed.
    assert_eq!(
        r.text,
        "Hello <b>Ann & co</b>,\n\n\
         Your booking is confirmed. Enjoy the show!\n\n\
         Booking reference: BX-GA234567\n\
         Status: confirmed\n\
         Show: Sat 12 Dec 2026, 20:00 (Europe/Berlin)\n\
         Places: 3 place(s)\n\
         Total: 45.00 EUR\n\n\
         To see or cancel your booking: \
         http://127.0.0.1:8080/bookings/00000000-0000-0000-0000-000000000abc\n\n\
         boxoffice\n"
    );
    // The HTML part escapes it: no tag of the buyer's survives.
    assert!(
        r.html
            .contains("Hello &lt;b&gt;Ann &amp; co&lt;&#x2f;b&gt;,"),
        "{}",
        r.html
    );
    assert!(!r.html.contains("<b>Ann"));
    for part in [
        "<title>Booking BX-GA234567 is confirmed</title>",
        "<strong>BX-GA234567</strong>",
        "Sat 12 Dec 2026, 20:00 (Europe&#x2f;Berlin)",
        "45.00 EUR",
        "href=\"http:&#x2f;&#x2f;127.0.0.1:8080&#x2f;bookings&#x2f;00000000-0000-0000-0000-000000000abc\"",
    ] {
        assert!(r.html.contains(part), "{part:?} in {}", r.html);
    }
    assert!(!r.html.contains("Held until"));
}
