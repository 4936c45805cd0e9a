//! `GET /events?q=` (text in the title or description) and `?organizer_id=` (a provider's own
//! events).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// The titles of a list, sorted.
fn titles(list: &Value) -> Vec<String> {
    let mut t: Vec<String> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {list}"))
        .iter()
        .map(|e| e["title"].as_str().expect("title").to_owned())
        .collect();
    t.sort();
    t
}

async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let (status, list) = app.anon().get(&format!("/events?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {list}");
    assert_eq!(
        list["total"],
        list["items"].as_array().unwrap().len(),
        "{query}"
    );
    titles(&list)
}

/// Creates an event as `caller` (a provider: it organises it).
async fn event(caller: &Caller<'_>, city: i64, title: &str, description: &str) {
    let (status, body) = caller
        .post_json(
            "/events",
            &json!({"title": title, "description": description, "event_type": "concert",
                    "city_id": city}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn q_finds_the_text_in_titles_and_descriptions_ignoring_case() {
    let app = spawn_app().await;
    let city = app.create_city().await;
    let admin = app.as_admin();
    event(&admin, city, "Jazz Night", "A late trio").await;
    event(&admin, city, "Rock", "Loud JAZZ-fusion").await;
    event(&admin, city, "100% Fun", "").await;
    event(&admin, city, "snake_case", "").await;
    event(&admin, city, "Über Café", "").await;
    event(&admin, city, r"Back\slash", "").await;

    let jazz = ["Jazz Night", "Rock"];
    assert_eq!(found(&app, "q=jazz").await, jazz);
    assert_eq!(found(&app, "q=JAZZ").await, jazz);
    assert_eq!(found(&app, "q=%20%20jazz%20").await, jazz);
    assert_eq!(found(&app, "q=late%20trio").await, ["Jazz Night"]);
    assert_eq!(found(&app, "q=%C3%BCber").await, ["Über Café"]);
    assert!(found(&app, "q=opera").await.is_empty());
    // Blank is no search.
    for blank in ["q=", "q=%20%20"] {
        assert_eq!(found(&app, blank).await.len(), 6, "{blank}");
    }
    // LIKE's wildcards and escape character match only themselves.
    assert_eq!(found(&app, "q=%25").await, ["100% Fun"]);
    assert_eq!(found(&app, "q=0%25%20f").await, ["100% Fun"]);
    assert_eq!(found(&app, "q=_").await, ["snake_case"]);
    assert_eq!(found(&app, "q=e_c").await, ["snake_case"]);
    assert!(found(&app, "q=j_zz").await.is_empty());
    assert_eq!(found(&app, "q=%5C").await, [r"Back\slash"]);
    // With the other filters.
    let other = app.create_city().await;
    event(&admin, other, "Jazz Brunch", "").await;
    assert_eq!(
        found(&app, &format!("q=jazz&city_id={other}")).await,
        ["Jazz Brunch"]
    );

    // At most 200 characters (after trimming), one line.
    let longest = "é".repeat(200);
    assert!(found(&app, &format!("q=%20{longest}%20")).await.is_empty());
    let too_long = app.anon().get(&format!("/events?q={longest}x")).await;
    assert_invalid(&too_long, "q");
    assert_invalid(&app.anon().get("/events?q=a%0Ab").await, "q");
}

#[tokio::test]
async fn organizer_id_lists_one_organiser_s_events() {
    let app = spawn_app().await;
    let city = app.create_city().await;
    let ann = app.signup("ann@example.com", "provider").await;
    let bob = app.signup("bob@example.com", "provider").await;
    event(&app.as_user(&ann), city, "Ann's concert", "").await;
    event(&app.as_user(&ann), city, "Ann's jazz", "").await;
    event(&app.as_user(&bob), city, "Bob's jazz", "").await;
    event(&app.as_admin(), city, "The admin's", "").await;

    assert_eq!(
        found(&app, &format!("organizer_id={}", ann.id)).await,
        ["Ann's concert", "Ann's jazz"]
    );
    assert_eq!(
        found(&app, &format!("organizer_id={}", bob.id)).await,
        ["Bob's jazz"]
    );
    // The provider asking for its own, with a search.
    let (status, mine) = app
        .as_user(&ann)
        .get(&format!("/events?organizer_id={}&q=JAZZ", ann.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(titles(&mine), ["Ann's jazz"]);
    assert_eq!(mine["items"][0]["organizer_id"], ann.id.as_str());
    // Nobody's events; a malformed id is an unparsable query value.
    let nobody = uuid::Uuid::new_v4();
    assert!(found(&app, &format!("organizer_id={nobody}"))
        .await
        .is_empty());
    assert_error(
        &app.anon().get("/events?organizer_id=ann").await,
        400,
        "bad_request",
    );
}
