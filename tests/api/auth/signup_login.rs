//! Signup and login.

use super::*;

#[tokio::test]
async fn signup_issues_tokens_with_customer_default_and_provider_on_request() {
    let app = spawn_app().await;

    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "ann@example.com", "password": "ann-password",
                    "first_name": "Ann", "phone": "+15550001"}),
        )
        .await;
    let ann = assert_token_dto(&r, StatusCode::CREATED);
    assert_eq!(ann["user"]["role"], "customer");
    assert_eq!(ann["user"]["active"], true);
    assert_eq!(ann["user"]["email"], "ann@example.com");
    assert_eq!(ann["user"]["first_name"], "Ann");
    assert_eq!(ann["user"]["phone"], "+15550001");
    // The signup tokens work at once.
    let who = me(&app, access(&ann)).await;
    assert_eq!(who["id"], ann["user"]["id"]);
    assert_eq!(who["role"], "customer");
    let (s, rotated) = refresh(&app, refresh_of(&ann)).await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["user"]["id"], ann["user"]["id"]);

    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "pat@example.com", "password": "pat-password", "role": "provider"}),
        )
        .await;
    let pat = assert_token_dto(&r, StatusCode::CREATED);
    assert_eq!(pat["user"]["role"], "provider");
    assert_eq!(me(&app, access(&pat)).await["role"], "provider");
    assert_eq!(jwt_claims(access(&pat))["role"], "provider");
}

#[tokio::test]
async fn signup_rejects_admin_role_taken_email_and_bad_password_lengths() {
    let app = spawn_app().await;

    let r = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "eve@example.com", "password": "eve-password", "role": "admin"}),
        )
        .await;
    assert_invalid(&r, "role");
    // Nothing was created: the address is still free, and as a customer.
    let eve = app.signup("eve@example.com", "customer").await;
    assert_eq!(me(&app, &eve.access_token).await["role"], "customer");

    let dup = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": "EVE@Example.COM", "password": "other-password"}),
        )
        .await;
    assert_error(&dup, 409, "email_taken");
    // The original password still signs in; the duplicate's does not.
    assert_eq!(
        login(&app, "eve@example.com", "correct-horse-battery")
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &login(&app, "eve@example.com", "other-password").await,
        401,
        "invalid_credentials",
    );

    for (email, password) in [
        ("short@example.com", "x".repeat(7)),
        ("long@example.com", "x".repeat(129)),
    ] {
        let r = app
            .anon()
            .post_json(
                "/auth/signup",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_invalid(&r, "password");
        assert_error(
            &login(&app, email, &password).await,
            401,
            "invalid_credentials",
        );
    }
    // The bounds themselves (8 and 128 characters) are accepted and sign in.
    for (email, password) in [
        ("eight@example.com", "y".repeat(8)),
        ("max@example.com", "é".repeat(128)),
    ] {
        let r = app
            .anon()
            .post_json(
                "/auth/signup",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_token_dto(&r, StatusCode::CREATED);
        assert_eq!(login(&app, email, &password).await.0, StatusCode::OK);
    }
}

// ---------- login ----------

#[tokio::test]
async fn login_accepts_right_password_any_email_case_and_rejects_with_challenge() {
    let app = spawn_app().await;
    let bob = app.signup("bob@example.com", "customer").await;

    let r = login(&app, &bob.email, &bob.password).await;
    let body = assert_token_dto(&r, StatusCode::OK);
    assert_eq!(body["user"]["id"], bob.id.as_str());
    assert_eq!(body["user"]["role"], "customer");
    let who = me(&app, access(&body)).await;
    assert_eq!(who["id"], bob.id.as_str());
    assert_eq!(who["email"], "bob@example.com");

    // The email is case-insensitive.
    let r = login(&app, "BOB@Example.Com", &bob.password).await;
    let body = assert_token_dto(&r, StatusCode::OK);
    assert_eq!(body["user"]["id"], bob.id.as_str());

    // Wrong password and unknown email: the same 401, with a challenge.
    let res = post_raw_response(
        &app,
        "/auth/login",
        &json!({"email": bob.email, "password": "wrong-password"}),
    )
    .await;
    assert_401_challenge(res, "invalid_credentials").await;
    let res = post_raw_response(
        &app,
        "/auth/login",
        &json!({"email": "nobody@example.com", "password": bob.password}),
    )
    .await;
    assert_401_challenge(res, "invalid_credentials").await;
}
