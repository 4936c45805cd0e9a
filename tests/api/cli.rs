//! The `boxoffice import` subcommands, run as the real binary against the app's database.

use std::process::Command;

use crate::helpers::spawn_app;

fn fixture_path(name: &str) -> String {
    format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn import(db_url: &str, what: &str, show: i64, file: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args([
            "import",
            what,
            "--show",
            &show.to_string(),
            &fixture_path(file),
        ])
        .env("DATABASE_URL", db_url)
        .env("APP_CONFIG_DIR", "/nonexistent")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run boxoffice")
}

#[tokio::test]
async fn cli_imports_quirky_files_and_rejects_a_bad_one_whole() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await; // class A: A1..A10
    let url = app.db_url().to_owned();

    let (u, s) = (url.clone(), show);
    let out = tokio::task::spawn_blocking(move || import(&u, "seats", s, "seats_quirky.csv"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{:?} {stdout} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("12 rows, 6 created, 6 updated, 0 unchanged"),
        "{stdout}"
    );

    let (u, s) = (url.clone(), show);
    let out = tokio::task::spawn_blocking(move || import(&u, "pricing", s, "pricing_quirky.csv"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("2 rows, 0 created, 2 updated"), "{stdout}");

    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 16);
    let b1 = seats.iter().find(|s| s["label"] == "B1").expect("B1");
    // B: min absent, normal $120.00 → the low band falls back to normal.
    assert_eq!(b1["price"], 12000);
    let a1 = seats.iter().find(|s| s["label"] == "A1").expect("A1");
    assert_eq!(a1["price"], 29763);
    assert_eq!(a1["external_ref"], "1");

    let (u, s) = (url.clone(), show);
    let out = tokio::task::spawn_blocking(move || import(&u, "seats", s, "seats_bad_row.csv"))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(app.seats(show).await.len(), 16);
}

fn seed(db_url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .arg("seed")
        .env("DATABASE_URL", db_url)
        .env("APP_PROFILE", "test")
        .env(
            "APP_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
        )
        .env("RUST_LOG", "warn")
        .output()
        .expect("run boxoffice seed")
}

#[tokio::test]
async fn seed_loads_demo_data_and_accounts_once() {
    let app = spawn_app().await;
    let url = app.db_url().to_owned();
    let first = tokio::task::spawn_blocking(move || seed(&url))
        .await
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("demo data loaded"),
        "{first:?}"
    );
    // The demo accounts sign in; the provider organises the demo events.
    let login = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.anon()
                .post_json(
                    "/auth/login",
                    &serde_json::json!({"email": email, "password": password}),
                )
                .await
        }
    };
    let (s, provider) = login("provider@boxoffice.local", "demo-provider-password").await;
    assert_eq!(s.as_u16(), 200, "{provider}");
    assert_eq!(provider["user"]["role"], "provider");
    let (s, admin) = login("admin@boxoffice.local", "demo-admin-password").await;
    assert_eq!(s.as_u16(), 200, "{admin}");
    assert_eq!(admin["user"]["role"], "admin");
    let (s, customer) = login("customer@boxoffice.local", "demo-customer-password").await;
    assert_eq!(s.as_u16(), 200, "{customer}");
    assert_eq!(customer["user"]["role"], "customer");
    let (_, events) = app.anon().get("/events").await;
    let items = events["items"].as_array().expect("events");
    assert_eq!(items.len(), 3, "{events}");
    assert!(items
        .iter()
        .all(|e| e["organizer_id"] == provider["user"]["id"]));
    // Idempotent: a second run changes nothing.
    let url = app.db_url().to_owned();
    let second = tokio::task::spawn_blocking(move || seed(&url))
        .await
        .unwrap();
    assert!(second.status.success(), "{second:?}");
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("nothing to do"),
        "{second:?}"
    );
    let (_, again) = app.anon().get("/events").await;
    assert_eq!(again["total"], 3);
    // The marketplace's demo: the provider's three services, once, with free slots.
    let (_, services) = app.anon().get("/services?sort=price_asc").await;
    assert_eq!(services["total"], 3, "{services}");
    let titles: Vec<&str> = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Yoga class", "Haircut", "Guitar lesson"]);
    assert!(services["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["provider_id"] == provider["user"]["id"]));
    let yoga = services["items"][0]["id"].as_i64().unwrap();
    let (_, slots) = app.anon().get(&format!("/services/{yoga}/slots")).await;
    assert_eq!(slots["items"][0]["remaining"], 8, "{slots}");
}
