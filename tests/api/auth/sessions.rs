//! Refresh-token rotation and reuse detection; logout.

use super::*;

#[tokio::test]
async fn refresh_rotates_detects_reuse_and_revokes_only_that_family() {
    let app = spawn_app().await;
    let cat = app.signup("cat@example.com", "provider").await;

    // Two independent sign-ins (two families).
    let first = assert_token_dto(
        &login(&app, &cat.email, &cat.password).await,
        StatusCode::OK,
    );
    let other = assert_token_dto(
        &login(&app, &cat.email, &cat.password).await,
        StatusCode::OK,
    );

    // Claims of the access token.
    let claims = jwt_claims(access(&first));
    assert_eq!(claims["sub"], cat.id.as_str(), "{claims}");
    assert_eq!(claims["role"], "provider", "{claims}");
    assert_eq!(claims["iss"], "boxoffice", "{claims}");
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert_eq!(exp - iat, 900, "{claims}");
    let jti = claims["jti"].as_str().expect("jti").to_owned();
    assert!(!jti.is_empty());
    let other_jti = jwt_claims(access(&other))["jti"]
        .as_str()
        .expect("jti")
        .to_owned();
    assert_ne!(jti, other_jti, "two tokens share a jti");

    // Rotation: a new pair that works.
    let old_refresh = refresh_of(&first).to_owned();
    let rotated = assert_token_dto(&refresh(&app, &old_refresh).await, StatusCode::OK);
    assert_ne!(refresh_of(&rotated), old_refresh);
    assert_ne!(access(&rotated), access(&first));
    assert_eq!(rotated["user"]["id"], cat.id.as_str());
    assert_eq!(me(&app, access(&rotated)).await["id"], cat.id.as_str());
    let rotated_claims = jwt_claims(access(&rotated));
    assert_eq!(rotated_claims["sub"], cat.id.as_str());
    assert_ne!(rotated_claims["jti"], claims["jti"]);

    // The old refresh token again: reuse, with a challenge.
    let res = post_raw_response(
        &app,
        "/auth/refresh",
        &json!({"refresh_token": old_refresh}),
    )
    .await;
    assert_401_challenge(res, "token_reused").await;
    // ... which revoked the whole family: the newest token of that sign-in fails too.
    let (s, body) = refresh(&app, refresh_of(&rotated)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");

    // The other sign-in is unaffected.
    let again = assert_token_dto(&refresh(&app, refresh_of(&other)).await, StatusCode::OK);
    assert_eq!(again["user"]["id"], cat.id.as_str());
    assert_token_dto(&refresh(&app, refresh_of(&again)).await, StatusCode::OK);

    // An unknown refresh token.
    let res = post_raw_response(
        &app,
        "/auth/refresh",
        &json!({"refresh_token": "not-a-real-token"}),
    )
    .await;
    assert_401_challenge(res, "invalid_token").await;
}

/// The contract: a revoked refresh token (signed out, or the rest of a family revoked after a
/// reuse) is `invalid_token`; only presenting an already *used* token is `token_reused`.
#[tokio::test]
async fn revoked_refresh_tokens_are_invalid_token_not_token_reused() {
    let app = spawn_app().await;
    let dan = app.signup("dan@example.com", "customer").await;

    // Signed out → revoked.
    let (s, _) = app
        .anon()
        .post_json("/auth/logout", &json!({"refresh_token": dan.refresh_token}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &refresh(&app, &dan.refresh_token).await,
        401,
        "invalid_token",
    );

    // Family revoked by a reuse → its newest (never used) token is revoked, not reused.
    let session = assert_token_dto(
        &login(&app, &dan.email, &dan.password).await,
        StatusCode::OK,
    );
    let rotated = assert_token_dto(&refresh(&app, refresh_of(&session)).await, StatusCode::OK);
    assert_error(
        &refresh(&app, refresh_of(&session)).await,
        401,
        "token_reused",
    );
    assert_error(
        &refresh(&app, refresh_of(&rotated)).await,
        401,
        "invalid_token",
    );
}

// ---------- logout ----------

#[tokio::test]
async fn logout_ends_that_sign_in_and_always_answers_204() {
    let app = spawn_app().await;
    let eva = app.signup("eva@example.com", "customer").await;
    let other = assert_token_dto(
        &login(&app, &eva.email, &eva.password).await,
        StatusCode::OK,
    );

    let (s, _) = app
        .anon()
        .post_json("/auth/logout", &json!({"refresh_token": eva.refresh_token}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let res = post_raw_response(
        &app,
        "/auth/refresh",
        &json!({"refresh_token": eva.refresh_token}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .is_some());

    // Garbage, and the same token again: still 204.
    for token in ["garbage", "", eva.refresh_token.as_str()] {
        let (s, body) = app
            .anon()
            .post_json("/auth/logout", &json!({"refresh_token": token}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "logout {token:?}: {body}");
    }

    // The other sign-in still refreshes.
    assert_token_dto(&refresh(&app, refresh_of(&other)).await, StatusCode::OK);
}
