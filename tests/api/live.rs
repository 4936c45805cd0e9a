//! Live streams (issue 12): a show's seat map and a user's notifications as Server-Sent Events,
//! across two instances over one database, with `Last-Event-ID`, tickets and limits.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

/// One event of a stream.
#[derive(Debug, Clone)]
struct Event {
    id: Option<String>,
    event: String,
    data: Value,
}

impl Event {
    fn version(&self) -> i64 {
        self.data["version"].as_i64().expect("a version")
    }
}

/// An open event stream, read event by event.
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(b: reqwest::RequestBuilder) -> Sse {
        let resp = b.send().await.expect("open the stream");
        assert_eq!(resp.status(), StatusCode::OK, "stream refused");
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Sse {
            resp,
            buf: String::new(),
        }
    }

    /// The next event within `within` (keep-alive comments and `retry` skipped), `None` when
    /// none came.
    async fn next_within(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if let Some(event) = event {
                    let data = serde_json::from_str(&data).expect("JSON data");
                    return Some(Event { id, event, data });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    async fn next(&mut self) -> Event {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("an event within 10 s")
    }
}

fn seat_stream(app: &TestApp, show: i64) -> reqwest::RequestBuilder {
    app.anon_client
        .get(app.url(&format!("/shows/{show}/seats/stream")))
}

/// The seats of a `change` event as (label, new status), the labels from a snapshot's seats.
fn statuses(change: &Event, snapshot: &Event) -> Vec<(String, String)> {
    let label = |id: &Value| -> String {
        snapshot.data["seats"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == *id)
            .expect("a seat of the snapshot")["label"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut out = Vec::new();
    for status in ["held", "booked", "available"] {
        for id in change.data[status].as_array().unwrap() {
            out.push((label(id), status.to_owned()));
        }
    }
    out.sort();
    out
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn a_show_stream_starts_with_a_snapshot_then_sends_each_change_with_the_next_version() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let mut stream = Sse::open(seat_stream(&app, show)).await;
    let snapshot = stream.next().await;
    assert_eq!(snapshot.event, "snapshot");
    let v = snapshot.version();
    assert_eq!(
        snapshot.id,
        Some(v.to_string()),
        "the event id is the version"
    );
    assert_eq!(snapshot.data["show"]["id"], show);
    let seats = snapshot.data["seats"]["items"].as_array().unwrap();
    assert!(!seats.is_empty());
    assert!(seats.iter().all(|s| s["status"] == "available"));
    let available = snapshot.data["show"]["available_seats"].as_u64().unwrap();

    let booking = app.anon().hold(show, &["A1", "A2"]).await;
    let held = stream.next().await;
    assert_eq!(held.event, "change");
    assert_eq!(held.version(), v + 1, "the next version");
    assert_eq!(held.data["previous_version"], v);
    assert_eq!(
        statuses(&held, &snapshot),
        pairs(&[("A1", "held"), ("A2", "held")])
    );
    assert_eq!(held.data["available_seats"], available - 2);
    assert_eq!(held.data["classes"][0]["held_seats"], 2);

    // A refused booking (A1 is taken) changes nothing and sends nothing.
    let (status, _) = app.anon().book_labels(show, &["A1"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        stream
            .next_within(Duration::from_millis(800))
            .await
            .is_none(),
        "no event for a refused booking"
    );

    app.as_admin().pay(&id_of(&booking)).await;
    let booked = stream.next().await;
    assert_eq!(booked.version(), v + 2);
    assert_eq!(
        statuses(&booked, &snapshot),
        pairs(&[("A1", "booked"), ("A2", "booked")])
    );
    assert_eq!(booked.data["classes"][0]["booked_seats"], 2);
}

#[tokio::test]
async fn last_event_id_resumes_from_a_known_version_or_starts_afresh() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let mut first = Sse::open(seat_stream(&app, show)).await;
    let snapshot = first.next().await;
    let v = snapshot.version();
    app.anon().hold(show, &["A1"]).await;
    let change = first.next().await;
    assert_eq!(change.version(), v + 1);
    drop(first);

    // Back from the snapshot's version: the change it missed, not a snapshot.
    let mut resumed =
        Sse::open(seat_stream(&app, show).header("Last-Event-ID", v.to_string())).await;
    let missed = resumed.next().await;
    assert_eq!((missed.event.as_str(), missed.version()), ("change", v + 1));
    assert_eq!(statuses(&missed, &snapshot), pairs(&[("A1", "held")]));

    // Back from the current version: nothing until the next change.
    let mut current =
        Sse::open(seat_stream(&app, show).header("Last-Event-ID", (v + 1).to_string())).await;
    assert!(current
        .next_within(Duration::from_millis(500))
        .await
        .is_none());
    app.anon().hold(show, &["A2"]).await;
    let next = current.next().await;
    assert_eq!((next.event.as_str(), next.version()), ("change", v + 2));

    // An unknown version or garbage: a fresh snapshot.
    for seen in ["999999999", "yesterday"] {
        let mut fresh = Sse::open(seat_stream(&app, show).header("Last-Event-ID", seen)).await;
        let snap = fresh.next().await;
        assert_eq!((snap.event.as_str(), snap.version()), ("snapshot", v + 2));
    }
}

#[tokio::test]
async fn an_unknown_show_is_404_and_a_general_admission_show_streams_its_places() {
    let app = spawn_app().await;
    let (status, body) = app.anon().get("/shows/987654/seats/stream").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");

    let event = app.quick_event().await;
    let show = app.ga_show(event, 50, Some(1000)).await["id"]
        .as_i64()
        .unwrap();
    let mut stream = Sse::open(seat_stream(&app, show)).await;
    let snapshot = stream.next().await;
    assert_eq!(snapshot.data["show"]["available_seats"], 50);
    assert_eq!(snapshot.data["seats"]["items"], json!([]));
    let (status, _) = app.book_quantity(show, 3).await;
    assert_eq!(status, StatusCode::CREATED);
    let change = stream.next().await;
    assert_eq!(change.version(), snapshot.version() + 1);
    assert_eq!(change.data["available_seats"], 47);
    assert_eq!(change.data["total_seats"], 50);
    for status in ["held", "booked", "available"] {
        assert_eq!(change.data[status], json!([]));
    }
}

#[tokio::test]
async fn a_booking_through_one_instance_reaches_the_streams_and_the_cache_of_another() {
    // A long seat-map cache: only the signal can make instance B drop its copy in time.
    let app = spawn_app_with(|s| s.server.seat_map_cache_ms = 600_000).await;
    let show = app.simple_seated_show().await;
    let b = app.second_instance().await;
    let client = reqwest::Client::new();
    let seats_on_b = format!("{b}/api/v1/shows/{show}/seats");
    let a1_on_b = |map: &Value| {
        map["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["label"] == "A1")
            .unwrap()["status"]
            .clone()
    };
    let map: Value = client
        .get(&seats_on_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a1_on_b(&map), "available", "B has the map cached now");
    let mut stream = Sse::open(client.get(format!("{b}/api/v1/shows/{show}/seats/stream"))).await;
    let snapshot = stream.next().await;
    let v = snapshot.version();

    app.anon().hold(show, &["A1"]).await; // through instance A
    let change = stream.next().await;
    assert_eq!(change.version(), v + 1);
    assert_eq!(statuses(&change, &snapshot), pairs(&[("A1", "held")]));
    let map: Value = client
        .get(&seats_on_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        a1_on_b(&map),
        "held",
        "B's cached map was dropped by the signal"
    );

    // Both instances name the same state with the same version.
    let mut on_a = Sse::open(seat_stream(&app, show)).await;
    assert_eq!(on_a.next().await.version(), v + 1);
}

#[tokio::test]
async fn my_notifications_stream_by_bearer_or_by_a_single_use_ticket() {
    let app = spawn_app().await;
    let ann = app.signup("ann-live@example.com", "customer").await;
    let (status, body) = app.anon().get("/notifications/stream").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let mut by_bearer = Sse::open(
        app.as_user(&ann)
            .request(reqwest::Method::GET, "/notifications/stream"),
    )
    .await;
    let (status, ticket) = app
        .as_user(&ann)
        .post_json("/notifications/stream-ticket", &json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let path = format!("/notifications/stream?ticket={ticket}");
    let mut by_ticket = Sse::open(app.anon().request(reqwest::Method::GET, &path)).await;
    let (status, body) = app.anon().get(&path).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a ticket is good once: {body}"
    );
    assert_eq!(body["error"]["code"], "invalid_stream_ticket");

    let (status, body) = app
        .as_admin()
        .post_json(
            "/notifications/push",
            &json!({"title": "Doors open at 7", "body": "See you", "user_ids": [ann.id]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for stream in [&mut by_bearer, &mut by_ticket] {
        let n = stream.next().await;
        assert_eq!(n.event, "notification");
        assert_eq!(n.data["title"], "Doors open at 7");
        assert_eq!(n.data["user_id"], ann.id.as_str());
        assert_eq!(n.id, Some(n.data["id"].to_string()));
    }

    // Back with the id of an earlier notification: the ones after it first.
    app.as_admin()
        .post_json(
            "/notifications/push",
            &json!({"title": "Second", "body": "b", "user_ids": [ann.id]}),
        )
        .await;
    let second = by_bearer.next().await;
    let first_id = second.data["id"].as_i64().unwrap() - 1;
    let mut resumed = Sse::open(
        app.as_user(&ann)
            .request(reqwest::Method::GET, "/notifications/stream")
            .header("Last-Event-ID", first_id.to_string()),
    )
    .await;
    assert_eq!(resumed.next().await.data["title"], "Second");
}

#[tokio::test]
async fn a_client_holds_a_bounded_number_of_streams() {
    // A closed connection is noticed when the next keep-alive cannot be written.
    let app = spawn_app_with(|s| {
        s.live.max_streams_per_client = 2;
        s.live.keep_alive_secs = 1;
    })
    .await;
    let show = app.simple_seated_show().await;
    let first = Sse::open(seat_stream(&app, show)).await;
    let _second = Sse::open(seat_stream(&app, show)).await;
    let (status, body) = app.anon().get(&format!("/shows/{show}/seats/stream")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_streams");
    // Closing one frees its place.
    drop(first);
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let resp = seat_stream(&app, show).send().await.unwrap();
        if resp.status() == StatusCode::OK {
            ok = true;
            break;
        }
    }
    assert!(ok, "a closed stream gives its place back");
}
