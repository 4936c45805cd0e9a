//! The outbox messages the engine writes (`crate::outbox`): one per history row that is news,
//! in the same transaction, never for a refused change; and the topic and retry rules.

use chrono::{Duration, TimeZone, Utc};
use uuid::Uuid;

use super::fake::Fake;
use super::world::*;
use crate::booking::BookingStatus;
use crate::engine::cancel::cancel;
use crate::engine::expire::expire_due;
use crate::engine::{book, HistoryRecord};
use crate::outbox::{topic_of, AfterFailure, RetryPolicy, Topic};
use crate::payment::{HistoryEntity, RefundPolicy};

fn topics(f: &Fake, booking_id: Uuid) -> Vec<Topic> {
    f.outbox
        .iter()
        .filter(|m| m.booking_id == booking_id)
        .map(|m| m.topic)
        .collect()
}

/// The messages are exactly the news among the history rows, in the same order and at the same
/// instants, each with its own id.
fn assert_outbox_follows_history(f: &Fake) {
    let news: Vec<(Uuid, Topic, chrono::DateTime<Utc>)> = f
        .history
        .iter()
        .filter_map(|h: &HistoryRecord| {
            topic_of(h.entity, h.from.as_deref(), &h.to).map(|t| (h.booking_id, t, h.at))
        })
        .collect();
    let written: Vec<(Uuid, Topic, chrono::DateTime<Utc>)> = f
        .outbox
        .iter()
        .map(|m| (m.booking_id, m.topic, m.at))
        .collect();
    assert_eq!(written, news);
    let mut ids: Vec<Uuid> = f.outbox.iter().map(|m| m.message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), f.outbox.len(), "message ids are unique");
}

#[test]
fn a_hold_paid_then_cancelled_writes_one_message_per_change() {
    let mut f = seated();
    let b = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0()).id;
    assert_eq!(topics(&f, b), [Topic::BookingHeld]);
    pay(&mut f, b, t0() + minutes(1));
    assert_eq!(
        topics(&f, b),
        [
            Topic::BookingHeld,
            Topic::PaymentSucceeded,
            Topic::BookingConfirmed
        ]
    );
    cancel(
        &mut f,
        b,
        t0() + minutes(2),
        "guest",
        "changed my mind",
        &RefundPolicy::default(),
    )
    .unwrap();
    assert_eq!(topics(&f, b).last(), Some(&Topic::BookingCancelled));
    assert_outbox_follows_history(&f);
}

#[test]
fn a_refused_booking_writes_no_message() {
    let mut f = seated();
    book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0());
    let before = f.outbox.len();
    let refused = book::book(&mut f, &request(SHOW, ids(&[seat(STALLS, 1)])), t0());
    assert!(refused.is_err());
    assert_eq!(f.outbox.len(), before);
}

#[test]
fn an_expired_hold_writes_its_expiry() {
    let mut f = seated();
    let b = book_ok(&mut f, SHOW, ids(&[seat(STALLS, 1)]), t0());
    let deadline = b.expires_at.unwrap();
    assert_eq!(expire_due(&mut f, deadline + minutes(1), 10).unwrap(), 1);
    assert_eq!(
        topics(&f, b.id),
        [Topic::BookingHeld, Topic::BookingExpired]
    );
    let expiry = f.outbox.last().unwrap();
    assert_eq!(
        expiry.at, deadline,
        "dated at the deadline, like its history row"
    );
    assert_outbox_follows_history(&f);
}

#[test]
fn topics_name_every_booking_change_and_only_final_payment_and_refund_answers() {
    use BookingStatus as S;
    assert_eq!(Topic::of_booking(None, S::Held), Topic::BookingHeld);
    assert_eq!(
        Topic::of_booking(None, S::Confirmed),
        Topic::BookingConfirmed
    );
    assert_eq!(
        Topic::of_booking(Some(S::Held), S::Held),
        Topic::BookingSeatsChanged
    );
    assert_eq!(
        Topic::of_booking(Some(S::Expired), S::Confirmed),
        Topic::BookingConfirmed
    );
    assert_eq!(
        Topic::of_booking(Some(S::Held), S::Expired),
        Topic::BookingExpired
    );
    assert_eq!(
        Topic::of_booking(Some(S::Confirmed), S::Completed),
        Topic::BookingCompleted
    );
    assert_eq!(
        Topic::of_booking(Some(S::Held), S::Cancelled),
        Topic::BookingCancelled
    );
    let p = HistoryEntity::Payment;
    assert_eq!(topic_of(p, None, "initiated"), None);
    assert_eq!(
        topic_of(p, Some("initiated"), "succeeded"),
        Some(Topic::PaymentSucceeded)
    );
    assert_eq!(
        topic_of(p, Some("initiated"), "failed"),
        Some(Topic::PaymentFailed)
    );
    let r = HistoryEntity::Refund;
    assert_eq!(topic_of(r, None, "pending"), None);
    assert_eq!(topic_of(r, Some("pending"), "failed"), None);
    assert_eq!(
        topic_of(r, Some("pending"), "succeeded"),
        Some(Topic::RefundIssued)
    );
    assert_eq!(topic_of(HistoryEntity::Booking, None, "nonsense"), None);
    for t in Topic::ALL {
        assert_eq!(Topic::parse(t.as_str()), Some(t));
    }
    assert_eq!(Topic::parse("booking.unknown"), None);
}

#[test]
fn retries_back_off_exponentially_up_to_the_cap_then_give_up() {
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let policy = RetryPolicy {
        base: std::time::Duration::from_secs(10),
        cap: std::time::Duration::from_secs(60),
        max_attempts: 5,
    };
    let waits: Vec<AfterFailure> = (1..=5).map(|n| policy.after_failure(n, now)).collect();
    assert_eq!(
        waits,
        [
            AfterFailure::RetryAt(now + Duration::seconds(10)),
            AfterFailure::RetryAt(now + Duration::seconds(20)),
            AfterFailure::RetryAt(now + Duration::seconds(40)),
            AfterFailure::RetryAt(now + Duration::seconds(60)),
            AfterFailure::Dead,
        ]
    );
    // A huge attempt count neither overflows nor waits past the cap.
    let wide = RetryPolicy {
        max_attempts: u32::MAX,
        ..policy
    };
    assert_eq!(
        wide.after_failure(200, now),
        AfterFailure::RetryAt(now + Duration::seconds(60))
    );
    assert_eq!(RetryPolicy::default().max_attempts, 10);
}
