//! The outbox delivered by email (issue 12): a booking's changes reach its buyer once each,
//! nothing is sent for a refused booking, and while the mail server is down messages wait,
//! are retried with backoff, and end dead.

use std::path::PathBuf;

use super::helpers::*;
use chrono::Duration;
use reqwest::StatusCode;

/// A fresh directory for the file mail transport (removed on drop).
pub(super) struct MailDir(pub(super) PathBuf);

impl MailDir {
    pub(super) fn new() -> Self {
        Self(std::env::temp_dir().join(format!("boxoffice-outbox-mail-{}", uuid::Uuid::new_v4())))
    }

    /// Every email in the directory: (subject, body).
    pub(super) fn emails(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.0) else {
            return vec![];
        };
        let mut out = Vec::new();
        for e in entries.filter_map(Result::ok) {
            let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
            if e.path().extension().is_some_and(|x| x == "eml") {
                let subject = raw
                    .lines()
                    .find_map(|l| l.strip_prefix("Subject: "))
                    .unwrap_or_default()
                    .to_owned();
                out.push((subject, raw));
            }
        }
        out.sort();
        out
    }

    /// Every email in the directory, decoded (text and HTML parts), by subject.
    fn decoded(&self) -> Vec<boxoffice_infra_notify::ReadEmail> {
        let mut out: Vec<_> = std::fs::read_dir(&self.0)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| boxoffice_infra_notify::read_email(&e.path()).unwrap())
            .collect();
        out.sort_by(|a, b| a.subject.cmp(&b.subject));
        out
    }
}

/// An app whose emails go by SMTP to 127.0.0.1:`port`, with `tweak` applied to the outbox.
async fn smtp_app(port: u16, tweak: impl FnOnce(&mut boxoffice::Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.email.transport = "smtp".into();
        s.email.smtp_url = format!("smtp://127.0.0.1:{port}");
        tweak(s);
    })
    .await
}

impl Drop for MailDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn each_change_of_a_booking_is_emailed_once_and_a_refusal_not_at_all() {
    let mail = MailDir::new();
    let dir = mail.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s| {
        s.email.transport = "file".into();
        s.email.dir = dir;
        s.server.public_url = "https://tickets.example.com/".into();
    })
    .await;
    // A show at a venue in Berlin, at 20:00 there (winter time: 19:00 UTC).
    let city = app.create_city().await;
    let (status, venue) = app
        .post_json(
            "/venues",
            &serde_json::json!({"city_id": city, "name": "Columbiahalle", "latitude": 52.48,
                                "longitude": 13.39, "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    let event = app.create_event(city, "concert", "Winter gig").await;
    let (status, show) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &serde_json::json!({"starts_at": "2030-12-12T19:00:00Z", "ends_at": "2030-12-12T22:00:00Z",
                                "venue_id": venue["id"], "seat_classes": [{"name": "A",
                                "min_price": 100, "normal_price": 100, "max_price": 100,
                                "rows": ["A"], "seats_per_row": 10}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{show}");
    let show = show["id"].as_i64().unwrap();
    let booking = app.anon().hold(show, &["A1", "A2"]).await;
    let reference = booking["reference"].as_str().unwrap().to_owned();
    let held_until: chrono::DateTime<chrono::Utc> =
        booking["expires_at"].as_str().unwrap().parse().unwrap();
    // A1 again: refused, so nothing is written for it.
    let (status, _) = app.anon().book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.as_admin().pay(&id_of(&booking)).await;

    let report = app.deliver().await;
    assert_eq!(
        (report.delivered, report.retried, report.dead),
        (3, 0, 0),
        "held, payment succeeded, confirmed"
    );
    let emails = mail.emails();
    let subjects: Vec<&str> = emails.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        subjects,
        [
            format!("Booking {reference} is confirmed").as_str(),
            &format!("Payment received for booking {reference}"),
            &format!("Your seats are held: booking {reference}"),
        ]
    );
    let (_, confirmed) = &emails[0];
    assert!(confirmed.contains("To: ann@example.com"), "{confirmed}");
    assert!(
        confirmed.contains(&format!("Booking reference: {reference}")),
        "{confirmed}"
    );
    assert!(confirmed.contains("Places: A1 (A), A2 (A)"), "{confirmed}");
    assert!(confirmed.contains("Total: 2.00 USD"), "{confirmed}");
    assert!(confirmed.contains("Message-ID: <"), "{confirmed}");
    // Text and HTML, the show time in the venue's zone, the link to the web app's booking page
    // (no token in it).
    assert!(
        confirmed.contains("Content-Type: multipart/alternative"),
        "{confirmed}"
    );
    let page = format!("https://tickets.example.com/bookings/{}", id_of(&booking));
    let berlin_hold = held_until
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%a %-d %b %Y, %H:%M (Europe/Berlin)")
        .to_string();
    let decoded = mail.decoded();
    assert_eq!(decoded.len(), 3);
    for e in &decoded {
        let html = e.html.as_deref().expect("an HTML part");
        assert!(html.contains(&reference), "{html}");
        assert!(html.contains("20:00 (Europe&#x2f;Berlin)"), "{html}");
        assert!(
            e.body
                .contains("Show: Thu 12 Dec 2030, 20:00 (Europe/Berlin)"),
            "{}",
            e.body
        );
        assert!(
            e.body
                .contains(&format!("To see or cancel your booking: {page}\n")),
            "{}",
            e.body
        );
        assert!(!e.body.contains("X-Booking-Token"), "{}", e.body);
        // Only the hold's email says when it ends, in the venue's zone.
        assert_eq!(
            e.body.contains(&format!("Held until: {berlin_hold}\n")),
            e.subject.starts_with("Your seats are held"),
            "{}",
            e.body
        );
    }

    // Nothing is due any more: a second pass sends nothing again.
    assert_eq!(app.deliver().await, Default::default());
    assert_eq!(mail.emails().len(), 3);
}

#[tokio::test]
async fn while_the_mail_server_is_down_messages_are_retried_then_dead() {
    // A port nothing listens on.
    let port = free_port();
    let app = smtp_app(port, |s| {
        s.outbox.retry_base_secs = 30;
        s.outbox.retry_cap_secs = 60;
        s.outbox.max_attempts = 2;
    })
    .await;
    let show = app.simple_seated_show().await;
    app.anon().hold(show, &["A3"]).await;

    let first = app.deliver().await;
    assert_eq!((first.delivered, first.retried, first.dead), (0, 1, 0));
    // Not due again before the backoff has passed.
    assert_eq!(app.deliver().await, Default::default());
    app.clock.advance(Duration::seconds(31));
    let second = app.deliver().await;
    assert_eq!((second.delivered, second.retried, second.dead), (0, 0, 1));
    // Dead: never tried again.
    app.clock.advance(Duration::hours(1));
    assert_eq!(app.deliver().await, Default::default());
}

#[tokio::test]
async fn an_admin_sees_dead_messages_and_sends_one_again() {
    let port = free_port();
    let app = smtp_app(port, |s| {
        s.outbox.max_attempts = 1;
    })
    .await;
    let show = app.simple_seated_show().await;
    let booking = app.anon().hold(show, &["A4"]).await;
    assert_eq!(app.deliver().await.dead, 1);

    // Admins only: a customer is refused, a guest must sign in.
    let ann = app.signup("ann-outbox@example.com", "customer").await;
    let (status, _) = app.as_user(&ann).get("/admin/outbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.anon().get("/admin/outbox").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = app.as_admin().get("/admin/outbox?status=lost").await;
    assert_invalid(&r, "status");

    let (status, dead) = app.as_admin().get("/admin/outbox?status=dead").await;
    assert_eq!(status, StatusCode::OK, "{dead}");
    assert_eq!(dead["total"], 1, "{dead}");
    let m = &dead["items"][0];
    assert_eq!(m["topic"], "booking.held");
    assert_eq!(m["booking_id"], booking["id"]);
    assert_eq!(m["attempts"], 1);
    assert_eq!(m["delivered_at"], serde_json::Value::Null);
    assert!(
        m["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{m}"
    );
    let id = m["id"].as_i64().unwrap();

    // Sent again: pending, due now, attempts from 0 — and it dies again while SMTP is down.
    let (status, retried) = app
        .as_admin()
        .post_json(&format!("/admin/outbox/{id}/retry"), &serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(
        (retried["status"].as_str(), retried["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    assert_eq!(
        retried["message_id"], m["message_id"],
        "the same message id"
    );
    let (_, pending) = app.as_admin().get("/admin/outbox?status=pending").await;
    assert_eq!(pending["total"], 1);
    assert_eq!(app.deliver().await.dead, 1);

    let (status, _) = app
        .as_admin()
        .post_json("/admin/outbox/999999/retry", &serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_delivered_message_is_not_sent_again() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    app.anon().hold(show, &["A5"]).await;
    // The test profile's `log` transport always succeeds.
    assert_eq!(app.deliver().await.delivered, 1);
    let (_, all) = app.as_admin().get("/admin/outbox").await;
    let m = &all["items"][0];
    assert_eq!(m["status"], "delivered", "{all}");
    assert!(m["delivered_at"].is_string());
    let r = app
        .as_admin()
        .post_json(
            &format!("/admin/outbox/{}/retry", m["id"]),
            &serde_json::json!({}),
        )
        .await;
    assert_error(&r, 409, "already_delivered");
}

#[tokio::test]
async fn when_the_mail_server_comes_back_every_message_is_delivered_once_as_it_sees_it() {
    use super::smtp_server::SmtpServer;
    use std::sync::atomic::Ordering;

    let port = free_port();
    let app = smtp_app(port, |s| {
        s.outbox.retry_base_secs = 30;
        s.outbox.max_attempts = 10;
    })
    .await;
    let show = app.simple_seated_show().await;
    app.anon().hold(show, &["A1"]).await;
    app.anon().hold(show, &["A2"]).await;

    // Nobody listens: both wait.
    let down = app.deliver().await;
    assert_eq!((down.delivered, down.retried), (0, 2));
    // A server that turns mail away: both wait again, nothing was accepted.
    let smtp = SmtpServer::start(port).await;
    smtp.refusing.store(true, Ordering::SeqCst);
    app.clock.advance(Duration::seconds(31));
    let refused = app.deliver().await;
    assert_eq!((refused.delivered, refused.retried), (0, 2));
    assert!(smtp.accepted.lock().unwrap().is_empty());
    // It accepts again: each message once, and never again.
    smtp.refusing.store(false, Ordering::SeqCst);
    app.clock.advance(Duration::seconds(61));
    let back = app.deliver().await;
    assert_eq!((back.delivered, back.retried, back.dead), (2, 0, 0));
    app.clock.advance(Duration::hours(2));
    assert_eq!(app.deliver().await, Default::default());
    let mut ids = smtp.message_ids();
    assert_eq!(ids.len(), 2, "{:?}", smtp.accepted.lock().unwrap());
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2, "two distinct messages");
    let accepted = smtp.accepted.lock().unwrap().clone();
    assert!(accepted
        .iter()
        .all(|m| m.contains("Subject: Your seats are held")));
}

#[tokio::test]
async fn two_workers_at_once_deliver_each_message_once() {
    use super::smtp_server::SmtpServer;

    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let app = smtp_app(port, |s| {
        s.outbox.batch_size = 3;
    })
    .await;
    let show = app.simple_seated_show().await;
    for seat in ["A1", "A2", "A3", "A4", "A5", "A6"] {
        app.anon().hold(show, &[seat]).await;
    }
    let (a, b) = tokio::join!(app.deliver(), app.deliver());
    let (c, d) = tokio::join!(app.deliver(), app.deliver());
    assert_eq!(a.delivered + b.delivered + c.delivered + d.delivered, 6);
    let mut ids = smtp.message_ids();
    assert_eq!(ids.len(), 6);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "no message twice");
}

/// The outbox's password-reset rows: (status, sealed bytes).
async fn reset_rows(app: &TestApp) -> Vec<(String, Option<Vec<u8>>)> {
    let url = app.db_url().to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::sql_types::{Bytea, Nullable, Text};
        use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
        #[derive(QueryableByName)]
        struct R {
            #[diesel(sql_type = Text)]
            status: String,
            #[diesel(sql_type = Nullable<Bytea>)]
            sealed: Option<Vec<u8>>,
        }
        let mut conn = PgConnection::establish(&url).expect("connect");
        diesel::sql_query(
            "SELECT status, sealed FROM outbox WHERE topic = 'password.reset_requested' ORDER BY id",
        )
        .load::<R>(&mut conn)
        .expect("outbox rows")
        .into_iter()
        .map(|r| (r.status, r.sealed))
        .collect()
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn a_password_reset_goes_through_the_outbox_with_its_token_sealed_then_dropped() {
    let mail = MailDir::new();
    let dir = mail.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s| {
        s.email.transport = "file".into();
        s.email.dir = dir;
    })
    .await;
    let cy = app.signup("cy-reset@example.com", "customer").await;
    let (status, _) = app
        .anon()
        .post_json(
            "/auth/password-reset",
            &serde_json::json!({"email": cy.email}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // The request's work runs after the answer: wait for its outbox row.
    let mut rows = vec![];
    for _ in 0..100 {
        rows = reset_rows(&app).await;
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 1);
    let sealed = rows[0].1.clone().expect("the token, sealed");
    assert_eq!(app.deliver().await.delivered, 1);
    let emails = mail.emails();
    assert_eq!(emails.len(), 1);
    let (subject, raw) = &emails[0];
    assert_eq!(subject, "Reset your boxoffice password");
    let token = raw
        .lines()
        .map(str::trim)
        .find(|l| {
            l.len() >= 32
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .expect("a token line")
        .to_owned();
    // The database never held the token in the clear, and holds nothing of it once delivered.
    assert!(!sealed.windows(token.len()).any(|w| w == token.as_bytes()));
    assert_eq!(reset_rows(&app).await, [("delivered".to_owned(), None)]);
    // The token works.
    let (status, _) = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &serde_json::json!({"token": token, "new_password": "An0ther-Passw0rd-42"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_phone_only_booking_is_told_by_text_message() {
    let sms_dir = MailDir::new();
    let dir = sms_dir.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s| {
        s.sms.transport = "file".into();
        s.sms.dir = dir;
    })
    .await;
    let show = app.simple_seated_show().await;
    let (status, booking) = app
        .anon()
        .post_json(
            "/bookings",
            &serde_json::json!({"show_id": show, "seat_labels": ["A8"], "name": "Dee",
                                "phone": "+441234567890"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(app.deliver().await.delivered, 1);
    let texts: Vec<String> = std::fs::read_dir(&sms_dir.0)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let reference = booking["reference"].as_str().unwrap();
    assert_eq!(
        texts,
        [format!(
            "To: +441234567890\n\nboxoffice: Your seats are held: booking {reference}\n"
        )]
    );
}
