//! Password reset by email.

use super::*;

#[tokio::test]
async fn password_reset_by_email_is_single_use_expires_and_signs_out_everywhere() {
    let mail = MailDir::new();
    let dir = mail.0.to_string_lossy().into_owned();
    let app = spawn_app_with(|s: &mut boxoffice::Settings| {
        s.email.transport = "file".to_owned();
        s.email.dir = dir;
        // The reset email goes through the outbox: the server's own worker delivers it.
        s.outbox.enabled = true;
        s.outbox.interval_ms = 20;
    })
    .await;
    let fay = app.signup("fay@example.com", "customer").await;
    let second_session = assert_token_dto(
        &login(&app, &fay.email, &fay.password).await,
        StatusCode::OK,
    );

    // Unknown email first, then the known one: both the same 202.
    let (s_unknown, unknown) = app
        .anon()
        .post_json(
            "/auth/password-reset",
            &json!({"email": "ghost@example.com"}),
        )
        .await;
    assert_eq!(s_unknown, StatusCode::ACCEPTED, "{unknown}");
    let (s_known, known) = app
        .anon()
        .post_json("/auth/password-reset", &json!({"email": fay.email}))
        .await;
    assert_eq!(s_known, StatusCode::ACCEPTED, "{known}");
    assert_eq!(known["status"], "accepted");
    assert_eq!(known, unknown, "the answer must not depend on the email");

    let token1 = wait_for_reset_token(&mail.0, &fay.email, &[]).await;
    // No email to the unknown address, and only the one email at all.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        boxoffice_infra_notify::latest_email_to(&mail.0, "ghost@example.com")
            .expect("read")
            .is_none(),
        "an email went to an unknown address"
    );
    assert_eq!(mail.eml_count(), 1);

    // A too-short new password is refused before the token is consumed...
    let r = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": token1, "new_password": "short77"}),
        )
        .await;
    assert_invalid(&r, "new_password");
    // ... a wrong token is refused with a challenge...
    let res = post_raw_response(
        &app,
        "/auth/password-reset/confirm",
        &json!({"token": "A".repeat(43), "new_password": "new-password-1"}),
    )
    .await;
    assert_401_challenge(res, "invalid_reset_token").await;
    // ... and the token still works.
    let (s, body) = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": token1, "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");

    assert_error(
        &login(&app, &fay.email, &fay.password).await,
        401,
        "invalid_credentials",
    );
    let fresh = assert_token_dto(
        &login(&app, &fay.email, "new-password-1").await,
        StatusCode::OK,
    );
    assert_eq!(fresh["user"]["id"], fay.id.as_str());
    // Every refresh token issued before the reset is dead; the new sign-in's works.
    for old in [fay.refresh_token.as_str(), refresh_of(&second_session)] {
        let (s, body) = refresh(&app, old).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_token_dto(&refresh(&app, refresh_of(&fresh)).await, StatusCode::OK);

    // Single use.
    assert_error(
        &app.anon()
            .post_json(
                "/auth/password-reset/confirm",
                &json!({"token": token1, "new_password": "new-password-2"}),
            )
            .await,
        401,
        "invalid_reset_token",
    );

    // A second token, expired in the database, is refused.
    let (s, _) = app
        .anon()
        .post_json("/auth/password-reset", &json!({"email": "FAY@example.com"}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let token2 = wait_for_reset_token(&mail.0, &fay.email, std::slice::from_ref(&token1)).await;
    let url = app.db_url().to_owned();
    let expired = tokio::task::spawn_blocking(move || {
        use diesel::{Connection, PgConnection, RunQueryDsl};
        let mut conn = PgConnection::establish(&url).expect("connect");
        diesel::sql_query(
            "UPDATE password_reset_tokens SET expires_at = now() - interval '1 minute' \
             WHERE used_at IS NULL",
        )
        .execute(&mut conn)
        .expect("expire reset token")
    })
    .await
    .expect("join");
    assert_eq!(expired, 1, "exactly the unused second token");
    assert_error(
        &app.anon()
            .post_json(
                "/auth/password-reset/confirm",
                &json!({"token": token2, "new_password": "new-password-3"}),
            )
            .await,
        401,
        "invalid_reset_token",
    );
    // Neither refused attempt changed the password.
    assert_eq!(
        login(&app, &fay.email, "new-password-1").await.0,
        StatusCode::OK
    );
    for wrong in ["new-password-2", "new-password-3"] {
        assert_error(
            &login(&app, &fay.email, wrong).await,
            401,
            "invalid_credentials",
        );
    }
}
