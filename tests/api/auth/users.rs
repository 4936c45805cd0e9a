//! Profiles, the admin's user management, and the `create-admin` command.

use super::*;

#[tokio::test]
async fn users_edit_their_profile_but_not_their_role() {
    let app = spawn_app().await;
    let gus = app.signup("gus@example.com", "customer").await;
    let caller = app.as_user(&gus);

    let (s, body) = caller
        .patch_json(
            "/users/me",
            &json!({"first_name": "Gus", "phone": "+15550123"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["first_name"], "Gus");
    assert_eq!(body["phone"], "+15550123");
    let who = me(&app, &gus.access_token).await;
    assert_eq!(who["first_name"], "Gus");
    assert_eq!(who["phone"], "+15550123");

    let r = caller
        .patch_json("/users/me", &json!({"role": "admin"}))
        .await;
    assert_invalid(&r, "role");
    let r = caller
        .patch_json("/users/me", &json!({"active": false}))
        .await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    let who = me(&app, &gus.access_token).await;
    assert_eq!(who["role"], "customer");
    assert_eq!(who["active"], true);
    assert_eq!(who["first_name"], "Gus");

    // Anonymous: no profile.
    let (s, _) = app.anon().get("/users/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admins_list_and_read_users_others_only_themselves() {
    let app = spawn_app().await;
    let hal = app.signup("hal@example.com", "customer").await;
    let ida = app.signup("ida@example.com", "customer").await;
    let jo = app.signup("jo@example.com", "provider").await;
    let kim = app.signup("kim@example.com", "provider").await;

    let (s, all) = app.as_admin().get("/users").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 5, "admin + 4: {all}");
    let emails: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["email"].as_str().expect("email"))
        .collect();
    for e in [
        ADMIN_EMAIL,
        "hal@example.com",
        "ida@example.com",
        "jo@example.com",
    ] {
        assert!(emails.contains(&e), "{e} missing: {all}");
    }

    let (s, providers) = app.as_admin().get("/users?role=provider").await;
    assert_eq!(s, StatusCode::OK, "{providers}");
    assert_eq!(providers["total"], 2, "{providers}");
    let items = providers["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|u| u["role"] == "provider"), "{providers}");
    let mut ids: Vec<&str> = items.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = vec![jo.id.as_str(), kim.id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // Non-admins cannot list.
    let (s, body) = app.as_user(&hal).get("/users").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    // One user: themselves or an admin.
    let (s, body) = app.as_user(&hal).get(&format!("/users/{}", hal.id)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "hal@example.com");
    let (s, body) = app.as_admin().get(&format!("/users/{}", hal.id)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["id"], hal.id.as_str());
    let (s, body) = app.as_user(&ida).get(&format!("/users/{}", hal.id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.get("email").is_none() && body["error"]["code"].is_string());
}

#[tokio::test]
async fn admin_promotes_deactivates_and_reactivates_users_but_not_themselves() {
    let app = spawn_app().await;
    let lea = app.signup("lea@example.com", "customer").await;
    let city = app.create_city().await;
    let event = json!({"title": "Lea's gig", "event_type": "concert", "city_id": city});

    // A customer cannot create events, nor change users.
    let (s, _) = app.as_user(&lea).post_json("/events", &event).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .as_user(&lea)
        .patch_json(&format!("/users/{}", lea.id), &json!({"role": "provider"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Promoted by the admin: a provider who can create events.
    let (s, body) = app
        .as_admin()
        .patch_json(&format!("/users/{}", lea.id), &json!({"role": "provider"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "provider");
    let promoted = assert_token_dto(
        &login(&app, &lea.email, &lea.password).await,
        StatusCode::OK,
    );
    assert_eq!(promoted["user"]["role"], "provider");
    assert_eq!(jwt_claims(access(&promoted))["role"], "provider");
    let (s, created) = app
        .with_token(access(&promoted))
        .post_json("/events", &event)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["organizer_id"], lea.id.as_str());

    // Deactivated: live access tokens, refresh tokens and logins all stop at once.
    let (s, body) = app
        .as_admin()
        .patch_json(&format!("/users/{}", lea.id), &json!({"active": false}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let res = app
        .with_token(access(&promoted))
        .request(reqwest::Method::GET, "/users/me")
        .send()
        .await
        .expect("request");
    assert_401_challenge(res, "account_disabled").await;
    assert_error(
        &app.as_user(&lea).get("/users/me").await,
        401,
        "account_disabled",
    );
    for token in [lea.refresh_token.as_str(), refresh_of(&promoted)] {
        let (s, body) = refresh(&app, token).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    let res = post_raw_response(
        &app,
        "/auth/login",
        &json!({"email": lea.email, "password": lea.password}),
    )
    .await;
    assert_401_challenge(res, "account_disabled").await;

    // Reactivated: signs in again.
    let (s, body) = app
        .as_admin()
        .patch_json(&format!("/users/{}", lea.id), &json!({"active": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    let back = assert_token_dto(
        &login(&app, &lea.email, &lea.password).await,
        StatusCode::OK,
    );
    assert_eq!(me(&app, access(&back)).await["active"], true);

    // An admin cannot lock themselves out.
    let admin = me(&app, &app.admin_token).await;
    let admin_id = admin["id"].as_str().expect("admin id");
    assert_eq!(admin["role"], "admin");
    let r = app
        .as_admin()
        .patch_json(&format!("/users/{admin_id}"), &json!({"active": false}))
        .await;
    assert_error(&r, 409, "self_lockout");
    let r = app
        .as_admin()
        .patch_json(&format!("/users/{admin_id}"), &json!({"role": "customer"}))
        .await;
    assert_error(&r, 409, "self_lockout");
    let still = me(&app, &app.admin_token).await;
    assert_eq!(still["active"], true);
    assert_eq!(still["role"], "admin");
}

// ---------- create-admin ----------

fn create_admin(db_url: &str, email: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["create-admin", "--email", email])
        .env("DATABASE_URL", db_url)
        .env("APP_PROFILE", "test")
        .env(
            "APP_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run boxoffice create-admin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

pub(crate) async fn run_create_admin(
    app: &TestApp,
    email: &str,
    password: &str,
) -> std::process::Output {
    let (url, email, password) = (
        app.db_url().to_owned(),
        email.to_owned(),
        password.to_owned(),
    );
    tokio::task::spawn_blocking(move || create_admin(&url, &email, &password))
        .await
        .expect("join")
}

#[tokio::test]
async fn create_admin_command_makes_an_admin_once_with_a_valid_password() {
    let app = spawn_app().await;

    let out = run_create_admin(&app, "ops@example.com", "ops-password-1").await;
    assert!(
        out.status.success(),
        "{:?} {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r = login(&app, "ops@example.com", "ops-password-1").await;
    let ops = assert_token_dto(&r, StatusCode::OK);
    assert_eq!(ops["user"]["role"], "admin");
    assert_eq!(jwt_claims(access(&ops))["role"], "admin");
    // The new admin can do admin things.
    let (s, users) = app.with_token(access(&ops)).get("/users").await;
    assert_eq!(s, StatusCode::OK, "{users}");
    assert_eq!(users["total"], 2);

    // The same email again (any case): refused.
    let out = run_create_admin(&app, "OPS@example.com", "other-password-1").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "second create-admin succeeded");
    assert!(
        stderr.contains("could not create the admin") && stderr.contains("already exists"),
        "stderr: {stderr}"
    );
    assert_error(
        &login(&app, "ops@example.com", "other-password-1").await,
        401,
        "invalid_credentials",
    );

    // Too short a password: refused, nothing created.
    let out = run_create_admin(&app, "ops2@example.com", "abcde").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "5-char password accepted");
    assert!(stderr.contains("password"), "stderr: {stderr}");
    assert_error(
        &login(&app, "ops2@example.com", "abcde").await,
        401,
        "invalid_credentials",
    );
    let (_, users) = app.as_admin().get("/users?role=admin").await;
    assert_eq!(users["total"], 2, "{users}");
}
