//! Replays, mismatches and scoping of a key.

use super::*;

#[tokio::test]
async fn the_same_key_and_body_replay_the_first_answer_and_book_once() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let body = seats_body(show, &["A1", "A2"]);

    let first = post(&app, Some(&ann.access_token), Some(b"key-1"), &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    let again = post(&app, Some(&ann.access_token), Some(b"key-1"), &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert!(again.replayed, "a replay carries Idempotent-Replayed: true");
    assert_eq!(again.bytes, first.bytes, "the replay is byte-identical");
    let third = post(&app, Some(&ann.access_token), Some(b"key-1"), &body).await;
    assert_eq!(third.bytes, first.bytes);

    // One booking: two seats taken, one booking listed.
    assert_eq!(booked_labels(&app, show).await, vec!["A1", "A2"]);
    let mine = my_bookings(&app, &ann).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["id"], first.body["id"]);

    // The key is kept at least 24 h after the answer.
    assert_eq!(
        count_keys(
            &app,
            &format!(
                "scope = 'user:{}' AND key = 'key-1' AND status = 'completed' \
                 AND response_status = 201 AND expires_at >= completed_at + interval '24 hours'",
                ann.id
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn without_a_key_every_request_is_new() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let body = quantity_body(show, 1);
    let a = post(&app, Some(&ann.access_token), None, &body).await;
    let b = post(&app, Some(&ann.access_token), None, &body).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert!(!a.replayed && !b.replayed);
    assert_ne!(a.id(), b.id());
    assert_eq!(my_bookings(&app, &ann).await.len(), 2);
    assert_eq!(count_keys(&app, "true").await, 0);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let first = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);

    let other = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &seats_body(show, &["A2"]),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert_eq!(other.code(), "idempotency_key_reused");
    assert!(!other.replayed);
    // The same JSON spaced differently is a different request: bodies are compared as bytes.
    let spaced = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &format!("{{\"show_id\": {show}, \"seat_labels\": [\"A1\"]}}"),
    )
    .await;
    assert_eq!(spaced.code(), "idempotency_key_reused");

    assert_eq!(booked_labels(&app, show).await, vec!["A1"]);
    assert_eq!(my_bookings(&app, &ann).await.len(), 1);
    // The first request still replays.
    let again = post(
        &app,
        Some(&ann.access_token),
        Some(b"key-1"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert!(again.replayed);
    assert_eq!(again.bytes, first.bytes);
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let show = app.ga_show(event, 10, Some(500)).await["id"]
        .as_i64()
        .unwrap();
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let body = quantity_body(show, 2);

    // The same key and the same body from two users: two bookings, one each.
    let a = post(&app, Some(&ann.access_token), Some(b"shared-key"), &body).await;
    let b = post(&app, Some(&bob.access_token), Some(b"shared-key"), &body).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert!(!b.replayed, "bob must not get ann's answer");
    assert_ne!(a.id(), b.id());
    assert_eq!(a.body["user_id"], ann.id.as_str());
    assert_eq!(b.body["user_id"], bob.id.as_str());
    // A different body under the same key from a third user is not a mismatch either.
    let cy = app.signup("cy@example.com", "customer").await;
    let c = post(
        &app,
        Some(&cy.access_token),
        Some(b"shared-key"),
        &quantity_body(show, 1),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);

    // Each replays their own.
    let a2 = post(&app, Some(&ann.access_token), Some(b"shared-key"), &body).await;
    let b2 = post(&app, Some(&bob.access_token), Some(b"shared-key"), &body).await;
    assert!(a2.replayed && b2.replayed);
    assert_eq!(a2.bytes, a.bytes);
    assert_eq!(b2.bytes, b.bytes);
    assert_eq!(my_bookings(&app, &ann).await.len(), 1);
    assert_eq!(my_bookings(&app, &bob).await.len(), 1);
    assert_eq!(app.show(show).await["available_seats"], 5);
}

#[tokio::test]
async fn a_refusal_is_replayed_even_after_the_seat_is_free_again() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let bob = app.signup("bob@example.com", "customer").await;
    let bobs = post(
        &app,
        Some(&bob.access_token),
        None,
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(bobs.status, StatusCode::CREATED);

    let body = seats_body(show, &["A1"]);
    let taken = post(&app, Some(&ann.access_token), Some(b"try-A1"), &body).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert_eq!(taken.code(), "seat_unavailable");

    // Bob cancels: A1 is free, but Ann's retry is answered as the first time.
    let (status, _) = app
        .as_user(&bob)
        .post_json(&format!("/bookings/{}/cancel", bobs.id()), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let retry = post(&app, Some(&ann.access_token), Some(b"try-A1"), &body).await;
    assert_eq!(retry.status, StatusCode::CONFLICT);
    assert!(retry.replayed);
    assert_eq!(retry.bytes, taken.bytes);
    assert!(booked_labels(&app, show).await.is_empty());
    assert!(my_bookings(&app, &ann).await.is_empty());

    // A new key is a new attempt.
    let fresh = post(&app, Some(&ann.access_token), Some(b"try-A1-again"), &body).await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
}

#[tokio::test]
async fn a_failed_validation_is_replayed() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    let body = json!({"show_id": show, "seat_labels": ["A1"], "email": "not-an-email"}).to_string();
    let first = post(&app, Some(&ann.access_token), Some(b"bad-email"), &body).await;
    assert_error(
        &(first.status, first.body.clone()),
        422,
        "validation_failed",
    );
    assert!(!first.replayed);
    let again = post(&app, Some(&ann.access_token), Some(b"bad-email"), &body).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.replayed);
    assert_eq!(again.bytes, first.bytes);
    // The key stays bound to that request.
    let fixed = post(
        &app,
        Some(&ann.access_token),
        Some(b"bad-email"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(fixed.code(), "idempotency_key_reused");
    assert!(booked_labels(&app, show).await.is_empty());
}

#[tokio::test]
async fn a_body_refused_before_processing_does_not_use_the_key() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let ann = app.signup("ann@example.com", "customer").await;
    // Malformed JSON and a wrong shape are refused by the body parser, before the key is
    // looked at: nothing is stored.
    let malformed = post(&app, Some(&ann.access_token), Some(b"k"), "{\"show_id\":").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let shape = json!({"show_id": show, "seat_labels": ["A1"], "colour": 1}).to_string();
    let unknown = post(&app, Some(&ann.access_token), Some(b"k"), &shape).await;
    assert_error(
        &(unknown.status, unknown.body.clone()),
        422,
        "validation_failed",
    );
    assert_eq!(count_keys(&app, "true").await, 0);
    // So the corrected request may use the key.
    let ok = post(
        &app,
        Some(&ann.access_token),
        Some(b"k"),
        &seats_body(show, &["A1"]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert!(!ok.replayed);
}
