//! Hostile tokens: 401 with a challenge, never 500 nor anonymous.

use super::*;

#[tokio::test]
async fn bad_tokens_are_401_with_a_challenge_never_500_nor_anonymous() {
    let app = spawn_app().await;
    let user = app.signup("victim@example.com", "customer").await;
    let secret = app.settings.auth.jwt_secret.expose().as_bytes().to_vec();
    let now = Utc::now();
    let real_user = user_value(&user.id, Role::Customer);

    // Control: the real token works.
    let ok = full(with_authorization(
        &app,
        "/users/me",
        &format!("Bearer {}", user.access_token),
    ))
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["id"], user.id.as_str());

    // No header at all.
    let none = full(bare(&app, Method::GET, "/users/me")).await;
    assert_error(&none.sb(), 401, "authentication_required");
    assert_bearer_challenge(&none, "no header");

    let other_secret = JwtKeys::new(
        b"another-secret-of-at-least-32-bytes!!",
        900,
        0,
        "boxoffice",
    )
    .issue(&real_user, now)
    .expect("issue");
    let real_keys = JwtKeys::new(&secret, 900, 0, "boxoffice");
    let expired = real_keys
        .issue(&real_user, now - chrono::Duration::hours(2))
        .expect("issue");
    let not_yet = real_keys
        .issue(&real_user, now + chrono::Duration::hours(1))
        .expect("issue");
    let ghost = real_keys
        .issue(
            &user_value(&uuid::Uuid::new_v4().to_string(), Role::Admin),
            now,
        )
        .expect("issue");
    let evil_issuer = JwtKeys::new(&secret, 900, 0, "evil")
        .issue(&real_user, now)
        .expect("issue");

    let claims = json!({
        "sub": user.id, "role": "admin", "iat": now.timestamp(), "nbf": now.timestamp(),
        "exp": now.timestamp() + 900, "jti": uuid::Uuid::new_v4().to_string(), "iss": "boxoffice",
    });
    let alg_none = format!(
        "{}.{}.",
        b64url_json(&json!({"alg": "none", "typ": "JWT"})),
        b64url_json(&claims)
    );
    let hs512 = format!(
        "{}.{}.{}",
        b64url_json(&json!({"alg": "HS512", "typ": "JWT"})),
        b64url_json(&claims),
        b64url(&[0x5a; 64])
    );

    // The real token with its role claim changed to admin, signature kept.
    let parts: Vec<&str> = user.access_token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {}", user.access_token);
    let mut payload: Value =
        serde_json::from_slice(&b64url_decode(parts[1])).expect("JWT payload is JSON");
    assert_eq!(payload["sub"], user.id.as_str(), "{payload}");
    payload["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64url_json(&payload), parts[2]);

    let cases: Vec<(&str, String, &str)> = vec![
        ("basic scheme", "Basic abc".into(), "invalid_token"),
        ("bearer without token", "Bearer".into(), "invalid_token"),
        (
            "bearer with two words",
            "Bearer a b".into(),
            "invalid_token",
        ),
        (
            "random string",
            "k3j4h5g6f7d8s9a0-not-a-token".into(),
            "invalid_token",
        ),
        ("bearer garbage", "Bearer garbage".into(), "invalid_token"),
        (
            "other secret",
            format!("Bearer {other_secret}"),
            "invalid_token",
        ),
        ("alg none", format!("Bearer {alg_none}"), "invalid_token"),
        ("HS512", format!("Bearer {hs512}"), "invalid_token"),
        ("expired", format!("Bearer {expired}"), "token_expired"),
        (
            "not yet valid",
            format!("Bearer {not_yet}"),
            "invalid_token",
        ),
        ("unknown user", format!("Bearer {ghost}"), "invalid_token"),
        (
            "wrong issuer",
            format!("Bearer {evil_issuer}"),
            "invalid_token",
        ),
        (
            "tampered role",
            format!("Bearer {tampered}"),
            "invalid_token",
        ),
    ];
    for (what, value, code) in &cases {
        let r = full(with_authorization(&app, "/users/me", value)).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{what}: expected 401, body: {}",
            r.body
        );
        assert_eq!(r.body["error"]["code"], *code, "{what}: {}", r.body);
        assert_bearer_challenge(&r, what);
    }

    // The tampered "admin" token does not open admin routes either.
    let admin_route = full(with_authorization(
        &app,
        "/users",
        &format!("Bearer {tampered}"),
    ))
    .await;
    assert_error(&admin_route.sb(), 401, "invalid_token");

    // A bad token on a route that also serves anonymous callers is refused, not ignored.
    let r = full(with_authorization(
        &app,
        "/bookings?email=victim@example.com",
        "Bearer garbage",
    ))
    .await;
    assert_error(&r.sb(), 401, "invalid_token");
    assert_bearer_challenge(&r, "GET /bookings");
}

#[tokio::test]
async fn bad_token_on_a_public_catalogue_route_is_401_not_anonymous() {
    let app = spawn_app().await;
    let user = app.signup("victim@example.com", "customer").await;
    let expired = JwtKeys::new(
        app.settings.auth.jwt_secret.expose().as_bytes(),
        900,
        0,
        "boxoffice",
    )
    .issue(
        &user_value(&user.id, Role::Customer),
        Utc::now() - chrono::Duration::hours(2),
    )
    .expect("issue");

    let public = full(with_authorization(&app, "/cities", "Bearer garbage")).await;
    assert_error(&public.sb(), 401, "invalid_token");
    assert_bearer_challenge(&public, "GET /cities");
    let public_expired = full(with_authorization(
        &app,
        "/events",
        &format!("Bearer {expired}"),
    ))
    .await;
    assert_error(&public_expired.sb(), 401, "token_expired");
    assert_bearer_challenge(&public_expired, "GET /events");
    // ...while no token at all is fine there.
    let anon = full(bare(&app, Method::GET, "/cities")).await;
    assert_eq!(anon.status, StatusCode::OK, "{}", anon.body);
}
