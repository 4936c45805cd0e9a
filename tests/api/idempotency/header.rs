//! The `Idempotency-Key` header itself; a guest retrying.

use super::*;

#[tokio::test]
async fn invalid_keys_are_400_and_do_nothing() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let body = seats_body(show, &["A1"]);
    let long = "k".repeat(300);
    for bad in [
        &b""[..],
        long.as_bytes(),
        "clé".as_bytes(),
        "ключ".as_bytes(),
        b"two words",
        b"tab\there",
    ] {
        let r = post(&app, Some(&ann.access_token), Some(bad), &body).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{:?}: {}",
            String::from_utf8_lossy(bad),
            r.body
        );
        assert_eq!(r.code(), "invalid_idempotency_key", "{}", r.body);
    }
    // 255 characters is the longest accepted.
    let longest = "k".repeat(255);
    let ok = post(
        &app,
        Some(&ann.access_token),
        Some(longest.as_bytes()),
        &body,
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(booked_labels(&app, show).await, vec!["A1"]);
}

#[tokio::test]
async fn the_header_sent_twice_is_400() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let res = app
        .anon_client
        .post(app.url(BOOKINGS))
        .bearer_auth(&ann.access_token)
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&json!({"show_id": show, "seat_labels": ["A1"]}))
        .send()
        .await
        .expect("POST");
    assert_error(&decode(res).await, 400, "invalid_idempotency_key");
    assert!(booked_labels(&app, show).await.is_empty());
}

#[tokio::test]
async fn a_guest_that_lost_the_answer_retries_and_gets_the_same_booking() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 50, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let body = json!({"show_id": show, "quantity": 2, "name": "Gus", "email": "gus@example.com"})
        .to_string();
    let key = b"7f0c1c2e-guest-retry-5b1e-4d6a-9f70-3c2b1a0e9d8c";
    let first = post(&app, None, Some(key), &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    let token = first.body["guest_token"].as_str().expect("guest_token");
    // The answer was lost: the same key and body gets the same booking and the same token,
    // byte for byte, and nothing is booked twice.
    let again = post(&app, None, Some(key), &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert!(again.replayed);
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(again.body["guest_token"], token);
    assert_eq!(app.show(show).await["available_seats"], 48);
    // Kept under a hash of the key, the answer sealed: neither the key as sent nor the guest
    // token is in the table.
    assert_eq!(count_keys(&app, "scope LIKE 'anon:%'").await, 1);
    let raw = std::str::from_utf8(key).unwrap();
    assert_eq!(count_keys(&app, &format!("key = '{raw}'")).await, 0);
    let in_clear = format!("position(convert_to('{token}', 'UTF8') in response_body) > 0");
    assert_eq!(count_keys(&app, &in_clear).await, 0);
    // The key is scoped to the request: another body with the same key is another request
    // (another guest's booking, not the first one's answer), and a signed-in caller with the
    // same key and body does not get the guest's answer either.
    let other = json!({"show_id": show, "quantity": 1, "name": "Ida", "email": "ida@example.com"})
        .to_string();
    let second = post(&app, None, Some(key), &other).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert!(!second.replayed);
    assert_ne!(second.id(), first.id());
    assert_ne!(second.body["guest_token"], token);
    let ann = app.signup("ann@example.com", "customer").await;
    let signed_in = post(&app, Some(&ann.access_token), Some(key), &body).await;
    assert_eq!(signed_in.status, StatusCode::CREATED, "{}", signed_in.body);
    assert!(!signed_in.replayed);
    assert_ne!(signed_in.id(), first.id());
    assert!(signed_in.body["guest_token"].is_null());
    assert_eq!(app.show(show).await["available_seats"], 45);
    // A bad token is still a 401, key or not.
    let bad = post(&app, Some("not-a-token"), Some(key), &body).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}
