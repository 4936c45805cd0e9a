//! The seat map's conditional reads: a strong `ETag` on every 200, `If-None-Match` → 304 while
//! the map is unchanged, a new tag once it changes (a booking here or on another instance, a
//! hold running out), with the cache on and off.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// `GET url` with an optional `If-None-Match`: status, `ETag`, body bytes.
async fn read(url: &str, if_none_match: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(tag) = if_none_match {
        req = req.header("If-None-Match", tag);
    }
    let res = req.send().await.expect("seat map");
    let status = res.status();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().expect("ascii etag").to_owned())
        .unwrap_or_default();
    let body = res.bytes().await.expect("body").to_vec();
    (status, etag, body)
}

fn assert_strong_tag(etag: &str) {
    assert_eq!(etag.len(), 34, "{etag}");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert!(etag[1..33].bytes().all(|b| b.is_ascii_hexdigit()), "{etag}");
}

fn status_of(body: &[u8], label: &str) -> String {
    let map: Value = serde_json::from_slice(body).expect("seat map JSON");
    map["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["label"] == label)
        .map(|s| s["status"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

/// 200 with a tag, 304 on a match (also weak, in a list, `*`), 200 on another tag, a new tag
/// after a booking.
async fn conditional_reads(app: &TestApp) {
    let show = app.simple_seated_show().await;
    let url = app.url(&format!("/shows/{show}/seats"));
    let (status, etag, body) = read(&url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_strong_tag(&etag);
    let (_, again, same) = read(&url, None).await;
    assert_eq!(
        (&again, &same),
        (&etag, &body),
        "an unchanged map keeps its tag"
    );

    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"0123\", {etag}"),
        "*".to_owned(),
    ] {
        let (status, tag_back, empty) = read(&url, Some(&tag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "If-None-Match: {tag}");
        assert_eq!(tag_back, etag, "a 304 names the tag");
        assert!(empty.is_empty(), "a 304 has no body");
    }
    for tag in ["\"0123\"", "garbage", ""] {
        let (status, tag_back, full) = read(&url, Some(tag)).await;
        assert_eq!(status, StatusCode::OK, "If-None-Match: {tag}");
        assert_eq!((&tag_back, &full), (&etag, &body));
    }

    app.as_admin().hold(show, &["A1"]).await;
    let (status, changed, body) = read(&url, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK, "the booking changed the map");
    assert_strong_tag(&changed);
    assert_ne!(changed, etag);
    assert_eq!(status_of(&body, "A1"), "held");
    let (status, _, _) = read(&url, Some(&changed)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_seat_map_has_an_etag_and_answers_304_while_unchanged() {
    let app = spawn_app().await;
    conditional_reads(&app).await;
}

#[tokio::test]
async fn without_the_cache_too_and_a_hold_running_out_changes_the_tag() {
    let app = spawn_app_with(|s| s.server.seat_map_cache_ms = 0).await;
    conditional_reads(&app).await;

    let show = app.simple_seated_show().await;
    let url = app.url(&format!("/shows/{show}/seats"));
    app.as_admin().hold(show, &["A5"]).await;
    let (_, held, body) = read(&url, None).await;
    assert_eq!(status_of(&body, "A5"), "held");
    app.clock.advance(past_the_hold());
    let (status, free, body) = read(&url, Some(&held)).await;
    assert_eq!(status, StatusCode::OK, "a past-due hold frees its seats");
    assert_ne!(free, held);
    assert_eq!(status_of(&body, "A5"), "available");
}

#[tokio::test]
async fn a_booking_through_another_instance_shows_within_the_cache_bound() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let url = app.url(&format!("/shows/{show}/seats"));
    let (_, before, _) = read(&url, None).await;

    // A second server over the same database: its booking does not drop this one's cache.
    let pool = boxoffice::connect_for_command(app.db_url(), &app.settings).expect("pool");
    let parts = boxoffice::Parts {
        clock: app.clock.clone(),
        gateway: Arc::new(boxoffice::mock_gateway(&app.settings, &pool)),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = boxoffice::start_with(listener, app.db_url(), &app.settings, parts)
        .await
        .expect("second server");
    tokio::spawn(server);
    let (status, booked) = decode(
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/v1/bookings"))
            .bearer_auth(&app.admin_token)
            .json(&seat_labels_body(show, &["A3"]))
            .send()
            .await
            .expect("book on the other instance"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");

    let bound = std::time::Duration::from_millis(app.settings.server.seat_map_cache_ms);
    tokio::time::sleep(bound + std::time::Duration::from_millis(50)).await;
    let (status, after, body) = read(&url, Some(&before)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "visible once the cache bound has passed"
    );
    assert_ne!(after, before);
    assert_eq!(status_of(&body, "A3"), "held");
}

#[test]
fn the_document_names_the_304_and_the_etag() {
    let spec = boxoffice_api::openapi_spec();
    let op = &spec["paths"]["/api/v1/shows/{id}/seats"]["get"];
    assert!(
        op["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(|p| p["in"] == "header" && p["name"] == "If-None-Match"),
        "{op}"
    );
    for status in ["200", "304"] {
        assert_eq!(
            op["responses"][status]["headers"]["ETag"]["schema"]["type"], "string",
            "{status}"
        );
    }
    assert!(
        op["responses"]["304"].get("content").is_none(),
        "a 304 has no body"
    );
}
