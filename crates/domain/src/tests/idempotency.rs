//! Idempotency keys: the key format, scopes, the request hash, the decision on a key seen
//! again, which answers are kept, and the service over a mocked store.

use std::sync::Arc;

use chrono::Duration;
use futures_executor::block_on;
use uuid::Uuid;

use crate::account::{Actor, Role};
use crate::idempotency::{
    decide, keeps, request_hash, Begin, Decision, IdempotencyKey, IdempotencyRecord,
    IdempotencyRules, IdempotencyScope, InvalidKey, KeyState, Lease, RequestHash, StoredResponse,
    MAX_KEY_LEN,
};
use crate::idempotency_service::IdempotencyService;
use crate::ports::{MockClock, MockIdempotencyStore};

use super::support::{actor, t0, user};

// --- the key ------------------------------------------------------------------------------------

#[test]
fn keys_of_visible_ascii_up_to_255_characters_are_accepted() {
    for ok in [
        "a",
        "!",
        "~",
        "6f1c2b9e-0d3a-4c55-9a7e-3f0e8d1c2b4a",
        "order-42/attempt#1?x=y",
    ] {
        assert_eq!(IdempotencyKey::parse(ok).unwrap().as_str(), ok);
    }
    let longest = "k".repeat(MAX_KEY_LEN);
    assert_eq!(IdempotencyKey::parse(&longest).unwrap().as_str(), longest);
}

#[test]
fn empty_long_and_invisible_keys_are_refused() {
    assert_eq!(IdempotencyKey::parse(""), Err(InvalidKey::Empty));
    assert_eq!(
        IdempotencyKey::parse(&"k".repeat(MAX_KEY_LEN + 1)),
        Err(InvalidKey::TooLong)
    );
    assert_eq!(
        IdempotencyKey::parse(&"k".repeat(300)),
        Err(InvalidKey::TooLong)
    );
    for bad in ["a b", " a", "a\t", "clé", "ключ", "a\u{7f}", "a\0", "\n"] {
        assert_eq!(
            IdempotencyKey::parse(bad),
            Err(InvalidKey::NotVisibleAscii),
            "{bad:?}"
        );
    }
    // Raw header bytes that are not UTF-8 at all.
    assert_eq!(
        IdempotencyKey::parse_bytes(&[b'a', 0xff, b'b']),
        Err(InvalidKey::NotVisibleAscii)
    );
    // The messages say what is wrong, for the 400.
    assert!(InvalidKey::TooLong.to_string().contains("255"));
}

// --- scopes -------------------------------------------------------------------------------------

#[test]
fn each_account_has_its_own_scope_and_anonymous_callers_none() {
    let a = user(Role::Customer);
    let b = user(Role::Customer);
    let scope_a = IdempotencyScope::for_actor(&Actor::User(a.clone())).unwrap();
    assert_eq!(scope_a, IdempotencyScope::user(a.id));
    assert_eq!(scope_a.as_str(), format!("user:{}", a.id));
    assert_ne!(
        scope_a,
        IdempotencyScope::for_actor(&Actor::User(b)).unwrap()
    );
    // Admins are scoped to their own account like anyone else.
    assert!(IdempotencyScope::for_actor(&actor(Role::Admin)).is_some());
    assert_eq!(IdempotencyScope::for_actor(&Actor::Anonymous), None);
    // A guest booking's scope never equals an account's, even for the same UUID.
    let booking = IdempotencyScope::guest_booking(a.id);
    assert_ne!(booking, scope_a);
    assert_eq!(booking.as_str(), format!("booking:{}", a.id));
}

#[test]
fn a_guest_key_is_scoped_to_the_request_and_its_booking_token() {
    use crate::account::TokenHash;
    let h = request_hash("POST", "/api/v1/bookings", br#"{"show_id":1}"#);
    let other = request_hash("POST", "/api/v1/bookings", br#"{"show_id":2}"#);
    let guest = IdempotencyScope::guest_request(&h, None);
    // Same request, same scope: a retry finds the first answer.
    assert_eq!(guest, IdempotencyScope::guest_request(&h, None));
    assert!(guest.as_str().starts_with("anon:"));
    // Another body, or a booking token, or another token: another scope.
    assert_ne!(guest, IdempotencyScope::guest_request(&other, None));
    let t = TokenHash::of("token-a");
    assert_ne!(guest, IdempotencyScope::guest_request(&h, Some(&t)));
    assert_ne!(
        IdempotencyScope::guest_request(&h, Some(&t)),
        IdempotencyScope::guest_request(&h, Some(&TokenHash::of("token-b")))
    );
    // A guest's key is at least 16 characters (a UUID has 36).
    assert_eq!(
        IdempotencyKey::parse("order-42").unwrap().check_for_guest(),
        Err(InvalidKey::TooShortForGuest)
    );
    assert!(
        IdempotencyKey::parse("0b6a8f0e-3c1d-4d6f-9c1e-2f4a7b9d1e55")
            .unwrap()
            .check_for_guest()
            .is_ok()
    );
    // Signed in, the account's scope whatever the request.
    let u = user(Role::Customer);
    assert_eq!(
        IdempotencyScope::for_request(&Actor::User(u.clone()), &h, Some(&t)),
        IdempotencyScope::user(u.id)
    );
    assert_eq!(
        IdempotencyScope::for_request(&Actor::Anonymous, &h, None),
        guest
    );
}

// --- the request hash ---------------------------------------------------------------------------

#[test]
fn the_request_hash_covers_method_path_and_exact_body_bytes() {
    let body = br#"{"show_id":1,"seat_labels":["A1"]}"#;
    let h = request_hash("POST", "/api/v1/bookings", body);
    assert_eq!(h, request_hash("POST", "/api/v1/bookings", body));
    assert_ne!(h, request_hash("PUT", "/api/v1/bookings", body));
    assert_ne!(h, request_hash("POST", "/api/v1/bookings/", body));
    assert_ne!(
        h,
        request_hash(
            "POST",
            "/api/v1/bookings",
            br#"{"show_id":1,"seat_labels":["A2"]}"#
        )
    );
    // The same JSON with other spacing or key order is another request.
    assert_ne!(
        h,
        request_hash(
            "POST",
            "/api/v1/bookings",
            br#"{"show_id": 1, "seat_labels": ["A1"]}"#
        )
    );
    assert_ne!(h, request_hash("POST", "/api/v1/bookings", b""));
}

#[test]
fn the_request_hash_cannot_be_confused_by_moving_bytes_between_parts() {
    assert_ne!(
        request_hash("POST", "/a", b"bc"),
        request_hash("POST", "/ab", b"c")
    );
    assert_ne!(
        request_hash("POS", "T/a", b""),
        request_hash("POST", "/a", b"")
    );
    assert_ne!(request_hash("", "", b""), request_hash("", "", b"\0"));
}

#[test]
fn the_request_hash_is_sha256_of_the_length_prefixed_parts() {
    use sha2::{Digest, Sha256};
    let mut input = Vec::new();
    for part in [&b"POST"[..], b"/x", b"{}"] {
        input.extend_from_slice(&(part.len() as u64).to_be_bytes());
        input.extend_from_slice(part);
    }
    let expected: [u8; 32] = Sha256::digest(&input).into();
    let h = request_hash("POST", "/x", b"{}");
    assert_eq!(h.as_bytes(), &expected);
    assert_eq!(RequestHash::from_slice(&expected), Some(h));
    assert_eq!(RequestHash::from_slice(&expected[..31]), None);
    assert_eq!(RequestHash::from_bytes(expected), h);
    // Debug shows a prefix only.
    assert!(format!("{h:?}").starts_with("RequestHash("));
}

// --- which answers are kept ---------------------------------------------------------------------

#[test]
fn successes_and_refusals_are_kept_server_failures_are_not() {
    for status in [200, 201, 204, 302, 400, 402, 404, 409, 422, 499] {
        assert!(keeps(status), "{status}");
    }
    for status in [500, 502, 503, 504, 599] {
        assert!(!keeps(status), "{status}");
    }
}

#[test]
fn stored_bodies_stay_out_of_debug_output() {
    let r = response(201, br#"{"guest_token":"secret"}"#);
    let shown = format!("{r:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("201"));
}

// --- the decision -------------------------------------------------------------------------------

fn rules() -> IdempotencyRules {
    IdempotencyRules::default()
}

fn hash() -> RequestHash {
    request_hash("POST", "/api/v1/bookings", b"{\"show_id\":1}")
}

fn other_hash() -> RequestHash {
    request_hash("POST", "/api/v1/bookings", b"{\"show_id\":2}")
}

fn response(status: u16, body: &[u8]) -> StoredResponse {
    StoredResponse {
        status,
        body: body.to_vec(),
        content_type: Some("application/json".into()),
    }
}

fn in_progress(started_secs_ago: i64) -> IdempotencyRecord {
    let started_at = t0() - Duration::seconds(started_secs_ago);
    IdempotencyRecord {
        request_hash: hash(),
        state: KeyState::InProgress,
        started_at,
        expires_at: started_at + Duration::hours(24),
    }
}

fn completed(status: u16) -> IdempotencyRecord {
    IdempotencyRecord {
        request_hash: hash(),
        state: KeyState::Completed(response(status, b"{\"id\":\"x\"}")),
        started_at: t0() - Duration::minutes(5),
        expires_at: t0() + Duration::hours(24),
    }
}

#[test]
fn the_default_rules_keep_keys_a_day_and_take_over_after_a_minute() {
    let r = rules();
    assert!(r.ttl >= Duration::hours(24));
    assert_eq!(r.takeover_after, Duration::seconds(60));
    assert_eq!(r.wait_for_concurrent, Duration::seconds(2));
}

#[test]
fn a_new_key_starts() {
    assert_eq!(decide(None, &hash(), t0(), &rules()), Decision::Start);
}

#[test]
fn the_same_request_replays_the_stored_answer_whatever_its_status() {
    for status in [201, 409, 422] {
        assert_eq!(
            decide(Some(&completed(status)), &hash(), t0(), &rules()),
            Decision::Replay(response(status, b"{\"id\":\"x\"}"))
        );
    }
}

#[test]
fn another_request_with_the_key_is_a_mismatch_in_every_state() {
    assert_eq!(
        decide(Some(&completed(201)), &other_hash(), t0(), &rules()),
        Decision::Mismatch
    );
    assert_eq!(
        decide(Some(&in_progress(1)), &other_hash(), t0(), &rules()),
        Decision::Mismatch
    );
    // Even an abandoned attempt keeps its key bound to its request.
    assert_eq!(
        decide(Some(&in_progress(3600)), &other_hash(), t0(), &rules()),
        Decision::Mismatch
    );
}

#[test]
fn an_attempt_in_progress_is_waited_for_until_it_is_abandoned() {
    assert_eq!(
        decide(Some(&in_progress(0)), &hash(), t0(), &rules()),
        Decision::InProgress
    );
    assert_eq!(
        decide(Some(&in_progress(59)), &hash(), t0(), &rules()),
        Decision::InProgress
    );
    // At the takeover age exactly, and after it, the attempt is taken over.
    assert_eq!(
        decide(Some(&in_progress(60)), &hash(), t0(), &rules()),
        Decision::TakeOver
    );
    assert_eq!(
        decide(Some(&in_progress(600)), &hash(), t0(), &rules()),
        Decision::TakeOver
    );
    let patient = IdempotencyRules {
        takeover_after: Duration::minutes(15),
        ..rules()
    };
    assert_eq!(
        decide(Some(&in_progress(600)), &hash(), t0(), &patient),
        Decision::InProgress
    );
}

#[test]
fn an_expired_record_counts_as_absent() {
    let mut old = completed(201);
    old.expires_at = t0();
    assert_eq!(decide(Some(&old), &hash(), t0(), &rules()), Decision::Start);
    // Expired, a different request may use the key again.
    assert_eq!(
        decide(Some(&old), &other_hash(), t0(), &rules()),
        Decision::Start
    );
    old.expires_at = t0() + Duration::milliseconds(1);
    assert_eq!(
        decide(Some(&old), &other_hash(), t0(), &rules()),
        Decision::Mismatch
    );
}

// --- the service over a mocked store ------------------------------------------------------------

fn clock() -> MockClock {
    let mut c = MockClock::new();
    c.expect_now().returning(t0);
    c
}

fn key() -> IdempotencyKey {
    IdempotencyKey::parse("key-1").unwrap()
}

#[test]
fn begin_asks_the_store_with_the_clock_and_the_rules() {
    let scope = IdempotencyScope::user(Uuid::new_v4());
    let lease = Lease(Uuid::new_v4());
    let mut store = MockIdempotencyStore::new();
    let expected_scope = scope.clone();
    store
        .expect_begin()
        .withf(move |s, k, h, now, r| {
            *s == expected_scope
                && k.as_str() == "key-1"
                && *h == hash()
                && *now == t0()
                && *r == IdempotencyRules::default()
        })
        .times(1)
        .returning(move |_, _, _, _, _| Ok(Begin::Begun(lease)));
    let service = IdempotencyService::new(
        Arc::new(store),
        Arc::new(clock()),
        IdempotencyRules::default(),
    );
    assert_eq!(
        block_on(service.begin(&scope, &key(), hash())).unwrap(),
        Begin::Begun(lease)
    );
    assert_eq!(service.rules(), &IdempotencyRules::default());
}

#[test]
fn finishing_with_a_kept_answer_stores_it_for_the_ttl() {
    let scope = IdempotencyScope::user(Uuid::new_v4());
    let lease = Lease(Uuid::new_v4());
    for status in [201u16, 409, 422] {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_complete()
            .withf(move |_, k, l, r, now, expires_at| {
                k.as_str() == "key-1"
                    && *l == lease
                    && r.status == status
                    && *now == t0()
                    && *expires_at == t0() + Duration::hours(24)
            })
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(()));
        store.expect_abandon().never();
        let service = IdempotencyService::new(
            Arc::new(store),
            Arc::new(clock()),
            IdempotencyRules::default(),
        );
        block_on(service.finish(&scope, &key(), lease, response(status, b"{}"))).unwrap();
    }
}

#[test]
fn finishing_with_a_server_failure_releases_the_key() {
    let scope = IdempotencyScope::user(Uuid::new_v4());
    let lease = Lease(Uuid::new_v4());
    let mut store = MockIdempotencyStore::new();
    store.expect_complete().never();
    store
        .expect_abandon()
        .withf(move |_, k, l| k.as_str() == "key-1" && *l == lease)
        .times(2)
        .returning(|_, _, _| Ok(()));
    let service = IdempotencyService::new(
        Arc::new(store),
        Arc::new(clock()),
        IdempotencyRules::default(),
    );
    block_on(service.finish(&scope, &key(), lease, response(503, b"{}"))).unwrap();
    block_on(service.abandon(&scope, &key(), lease)).unwrap();
}
