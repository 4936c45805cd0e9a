//! The search: text, category, price range and provider filters, the sorts, pages, and its
//! parameters' rules.

use super::*;

/// Titles of a list's items, in order.
fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {list}"))
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_search_filters_sorts_and_pages() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let lessons = category(&app, "Lessons").await;
    let p = app.signup("p@example.com", "provider").await;
    let q = app.signup("q@example.com", "provider").await;
    let specs = [
        (&p, hair, "Haircut", "wash and cut", 2500),
        (&p, hair, "Beard trim", "", 900),
        (&q, hair, "100% organic colour", "no ammonia", 6000),
        (
            &q,
            lessons,
            "Piano lesson",
            "for beginners: hair-raising",
            3000,
        ),
        (&p, lessons, "Maths_tutoring", "", 4000),
    ];
    for (who, category_id, title, description, price) in specs {
        offer(
            &app.as_user(who),
            &with(
                haircut(category_id),
                json!({"title": title, "description": description, "price": price}),
            ),
        )
        .await;
        // Distinct creation times, for the newest-first order.
        app.clock.advance(chrono::Duration::seconds(1));
    }
    let search = |query: &str| {
        let path = format!("/services{query}");
        let anon = app.anon();
        async move {
            let (status, body) = anon.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body
        }
    };
    // Newest first by default.
    let all = search("").await;
    assert_eq!(
        titles(&all),
        [
            "Maths_tutoring",
            "Piano lesson",
            "100% organic colour",
            "Beard trim",
            "Haircut"
        ]
    );
    assert_eq!(
        (all["total"].as_i64(), all["limit"].as_i64()),
        (Some(5), Some(50))
    );
    assert_eq!(
        titles(&search("?sort=price_asc").await),
        [
            "Beard trim",
            "Haircut",
            "Piano lesson",
            "Maths_tutoring",
            "100% organic colour"
        ]
    );
    assert_eq!(
        titles(&search("?sort=price_desc").await),
        [
            "100% organic colour",
            "Maths_tutoring",
            "Piano lesson",
            "Haircut",
            "Beard trim"
        ]
    );
    // Text in the title or the description, any case; % and _ are plain characters.
    assert_eq!(
        titles(&search("?q=HAIR&sort=price_asc").await),
        ["Haircut", "Piano lesson"]
    );
    assert_eq!(titles(&search("?q=100%25").await), ["100% organic colour"]);
    assert_eq!(titles(&search("?q=s_t").await), ["Maths_tutoring"]);
    assert_eq!(titles(&search("?q=%25_").await), Vec::<String>::new());
    assert_eq!(
        search("?q=%20%20").await["total"],
        5,
        "a blank search is none"
    );
    // Category, price range (inclusive), provider; together they all apply.
    assert_eq!(
        titles(&search(&format!("?category_id={lessons}&sort=price_asc")).await),
        ["Piano lesson", "Maths_tutoring"]
    );
    assert_eq!(
        titles(&search("?min_price=2500&max_price=4000&sort=price_asc").await),
        ["Haircut", "Piano lesson", "Maths_tutoring"]
    );
    assert_eq!(
        titles(&search(&format!("?provider_id={}&sort=price_desc", q.id)).await),
        ["100% organic colour", "Piano lesson"]
    );
    assert_eq!(
        titles(
            &search(&format!(
                "?provider_id={}&category_id={hair}&max_price=1000",
                p.id
            ))
            .await
        ),
        ["Beard trim"]
    );
    // Pages: the total counts every match.
    let page = search("?sort=price_asc&limit=2&offset=2").await;
    assert_eq!(titles(&page), ["Piano lesson", "Maths_tutoring"]);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["limit"].as_i64(),
            page["offset"].as_i64()
        ),
        (Some(5), Some(2), Some(2))
    );
    // A signed-in caller gets the same answer.
    let (status, mine) = app.as_user(&p).get("/services").await;
    assert_eq!((status, mine["total"].as_i64()), (StatusCode::OK, Some(5)));
}

#[tokio::test]
async fn bad_search_parameters_are_refused() {
    let app = spawn_app().await;
    let anon = app.anon();
    assert_invalid(&anon.get("/services?sort=cheapest").await, "sort");
    assert_invalid(&anon.get("/services?min_price=-1").await, "min_price");
    assert_invalid(
        &anon.get("/services?max_price=1000000000001").await,
        "max_price",
    );
    assert_invalid(
        &anon.get("/services?min_price=500&max_price=499").await,
        "max_price",
    );
    assert_invalid(
        &anon.get(&format!("/services?q={}", "x".repeat(201))).await,
        "q",
    );
    assert_invalid(&anon.get("/services?q=a%0Ab").await, "q");
    assert_invalid(&anon.get("/services?limit=501").await, "limit");
    assert_invalid(&anon.get("/services?offset=-1").await, "offset");
    assert_error(
        &anon.get("/services?provider_id=nope").await,
        400,
        "bad_request",
    );
    assert_error(
        &anon.get("/services?min_price=abc").await,
        400,
        "bad_request",
    );
    assert_error(&anon.get("/services/abc").await, 404, "not_found");
    assert_error(&anon.get("/services/999").await, 404, "not_found");
}
