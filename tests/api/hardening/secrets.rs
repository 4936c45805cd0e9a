//! Secrets never in logs; the production profile refusing the development secret.

use super::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init()
        .expect("install the global subscriber (one process per test: run with nextest)");

    // The delivery worker runs in the server, so the reset email goes through the log mailer.
    let app = spawn_app_with(|s| {
        s.email.transport = "log".into();
        s.outbox.enabled = true;
        s.outbox.interval_ms = 20;
    })
    .await;
    let email = "logged@example.com";
    let password = "Sup3r-Secret-Passw0rd-7f3a";
    let wrong_password = "Wr0ng-Guess-Passw0rd-91bc";
    let reset_password = "N3w-Reset-Passw0rd-5d2e";
    let fake_reset_token = "fake-reset-token-0b9e1c7d2a";
    let garbage_token = "garbage-bearer-token-6c4f8e";

    let (status, signup) = app
        .anon()
        .post_json(
            "/auth/signup",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signup}");
    let (status, login) = app
        .anon()
        .post_json(
            "/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let login_refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let (status, refreshed) = app
        .anon()
        .post_json("/auth/refresh", &json!({"refresh_token": login_refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let access = refreshed["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (status, me) = app.with_token(&access).get("/users/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let r = app
        .anon()
        .post_json(
            "/auth/login",
            &json!({"email": email, "password": wrong_password}),
        )
        .await;
    assert_error(&r, 401, "invalid_credentials");
    let (status, _) = app
        .anon()
        .post_json("/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let r = app
        .anon()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": fake_reset_token, "new_password": reset_password}),
        )
        .await;
    assert_error(&r, 401, "invalid_reset_token");
    let r = app.with_token(garbage_token).get("/users/me").await;
    assert_error(&r, 401, "invalid_token");

    // The reset work runs after the answer; let it and the request logs finish.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let log = String::from_utf8_lossy(&captured.0.lock().expect("log buffer")).into_owned();
    assert!(
        log.contains("/api/v1/auth/login"),
        "the request log was not captured ({} bytes)",
        log.len()
    );
    let jwt_secret = app.settings.auth.jwt_secret.expose().to_owned();
    let token = |v: &Value, k: &str| v[k].as_str().expect(k).to_owned();
    let secrets = [
        ("password", password.to_owned()),
        ("wrong password", wrong_password.to_owned()),
        ("new password of the reset", reset_password.to_owned()),
        ("reset token", fake_reset_token.to_owned()),
        ("garbage bearer token", garbage_token.to_owned()),
        ("signup access token", token(&signup, "access_token")),
        ("signup refresh token", token(&signup, "refresh_token")),
        ("login access token", token(&login, "access_token")),
        ("login refresh token", login_refresh),
        ("refreshed access token", access),
        (
            "refreshed refresh token",
            token(&refreshed, "refresh_token"),
        ),
        ("admin access token", app.admin_token.clone()),
        ("admin password", ADMIN_PASSWORD.to_owned()),
        ("jwt secret", jwt_secret.clone()),
    ];
    for (what, secret) in &secrets {
        if let Some(at) = log.find(secret.as_str()) {
            let start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            panic!("the {what} is in the log: {}", &log[start..end]);
        }
    }
    assert!(!format!("{:?}", app.settings).contains(&jwt_secret));
}

// ---------- 7. production profile ----------

#[test]
fn production_profile_refuses_weak_or_default_secrets() {
    // nextest runs each test in its own process: changing the environment here is safe.
    // A good webhook secret first, so that each refusal below is about the JWT secret.
    let webhook_secret = format!("whsec-{}", uuid::Uuid::new_v4().simple());
    std::env::set_var("APP_PAYMENTS__WEBHOOK_SECRET", &webhook_secret);
    std::env::remove_var("APP_AUTH__JWT_SECRET");
    let err = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect_err("production must refuse the development secret");
    assert!(err.to_string().contains("development default"), "{err}");
    assert!(err.to_string().contains("auth.jwt_secret"), "{err}");

    let short = "s".repeat(31);
    std::env::set_var("APP_AUTH__JWT_SECRET", &short);
    let err = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect_err("a 31-byte secret is too short");
    assert!(err.to_string().contains("32 bytes"), "{err}");

    let strong: String = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )[..40]
        .to_owned();
    std::env::set_var("APP_AUTH__JWT_SECRET", &strong);
    // The webhook secret's development default is refused too.
    std::env::remove_var("APP_PAYMENTS__WEBHOOK_SECRET");
    let err = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect_err("production must refuse the development webhook secret");
    assert!(err.to_string().contains("webhook_secret"), "{err}");
    assert!(err.to_string().contains("development default"), "{err}");
    std::env::set_var("APP_PAYMENTS__WEBHOOK_SECRET", &webhook_secret);
    let settings = boxoffice::Settings::load_from("production", CONFIG_DIR)
        .expect("random secrets are accepted");
    std::env::remove_var("APP_AUTH__JWT_SECRET");
    std::env::remove_var("APP_PAYMENTS__WEBHOOK_SECRET");
    assert!(!format!("{settings:?}").contains(&webhook_secret));
    assert_eq!(settings.profile, "production");
    assert_eq!(settings.auth.jwt_secret.expose(), strong);
    assert!(!format!("{settings:?}").contains(&strong));
}

#[tokio::test]
async fn production_binary_will_not_start_with_the_development_secret() {
    let app = spawn_app().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("APP_PROFILE", "production")
        .env("APP_CONFIG_DIR", CONFIG_DIR)
        .env("DATABASE_URL", app.db_url())
        .env_remove("APP_AUTH__JWT_SECRET")
        // A good webhook secret: the refusal must be about the JWT secret.
        .env(
            "APP_PAYMENTS__WEBHOOK_SECRET",
            format!("whsec-{}", uuid::Uuid::new_v4().simple()),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run boxoffice");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().expect("kill");
            let _ = child.wait();
            panic!("the production server started with the development secret");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!status.success(), "exit status {status}, stderr: {stderr}");
    assert!(
        stderr.contains("development default") && stderr.contains("jwt_secret"),
        "the reason is not on stderr: {stderr}"
    );
}
