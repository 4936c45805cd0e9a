//! Body limits and JSON.

use super::*;

#[tokio::test]
async fn oversized_bodies_are_413_never_500() {
    let app = spawn_app_with(|s| {
        s.server.json_limit_bytes = 4096;
        s.server.csv_limit_bytes = 1024;
    })
    .await;

    let big = json!({"name": "x".repeat(10 * 1024), "country": "Testland",
                     "latitude": 1.0, "longitude": 2.0});
    let r = full(app.as_admin().request(Method::POST, "/cities").json(&big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body["error"].is_object(), "JSON error body: {}", r.body);

    let show = app.simple_seated_show().await;
    let mut csv = String::from("id,seat_identifier,seat_class\n");
    let mut i = 0;
    while csv.len() <= 2048 {
        i += 1;
        csv.push_str(&format!("{i},B{i},A\n"));
    }
    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            csv.clone(),
        )
        .await;
    assert_error(&r, 413, "payload_too_large");
    let r = app
        .post_multipart(
            &format!("/shows/{show}/seats/import"),
            csv.into_bytes(),
            "seats.csv",
        )
        .await;
    assert_error(&r, 413, "payload_too_large");

    // A small body still works.
    let city = app.create_city().await;
    assert!(city > 0);
}

#[tokio::test]
async fn deeply_nested_json_is_a_client_error_and_unknown_fields_are_named() {
    let app = spawn_app().await;
    let depth = 10_000;
    let nested_arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let bodies = [
        format!(
            r#"{{"name": {nested_arrays}, "country": "Testland", "latitude": 1.0, "longitude": 2.0}}"#
        ),
        nested_arrays.clone(),
        format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth)),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let r = full(
            app.as_admin()
                .request(Method::POST, "/cities")
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert!(
            r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "nested body {i}: {} {}",
            r.status,
            r.body
        );
        assert!(r.body["error"]["code"].is_string(), "body {i}: {}", r.body);
    }
    let health = full(bare(&app, Method::GET, "/health")).await;
    assert_eq!(health.status, StatusCode::OK, "server still healthy");
    assert!(app.create_city().await > 0);

    // Unknown fields are refused and named.
    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "new@example.com", "password": "long-enough-pw", "nickname": "x"}),
        )
        .await;
    assert_invalid(&r, "nickname");
    let user = app.signup("known@example.com", "customer").await;
    let r = app
        .as_user(&user)
        .patch_json("/users/me", &json!({"first_name": "Kim", "is_admin": true}))
        .await;
    assert_invalid(&r, "is_admin");
    let (status, me) = app.as_user(&user).get("/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "customer");
    assert_ne!(me["first_name"], "Kim", "a refused patch changed nothing");
}
