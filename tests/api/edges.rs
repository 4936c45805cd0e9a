//! Newcomer rough edges: an empty seated show filled by CSV import, the mock gateway's ledger
//! surviving a restart, and the request log (plain text when piped, probes at DEBUG).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_seated_show_created_empty_is_filled_by_csv_import_and_booked() {
    let app = spawn_app().await;
    let event = app.quick_event().await;
    let (status, show) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "seat_classes": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{show}");
    assert_eq!(show["kind"], "seated");
    assert_eq!(show["seat_classes"], json!([]));
    assert_eq!(
        (&show["total_seats"], &show["price"]),
        (&json!(0), &Value::Null)
    );
    let id = show["id"].as_i64().unwrap();
    assert!(app.seats(id).await.is_empty());

    let csv = "id,seat_identifier,seat_class\n1,A1,Stalls\n2,A2,Stalls\n3,A3,Stalls\n4,B1,Box\n";
    let (status, imported) = app
        .post_raw(&format!("/shows/{id}/seats/import"), "text/csv", csv)
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(app.seats(id).await.len(), 4);
    // Imported classes have no price yet: not for sale.
    assert_error(
        &app.anon().book_labels(id, &["A1"]).await,
        409,
        "not_for_sale",
    );

    let pricing = "id,seat_class,min_price,normal_price,max_price\n\
                   1,Stalls,$10.00,$20.00,$30.00\n2,Box,,$50.00,\n";
    let (status, priced) = app
        .post_raw(&format!("/shows/{id}/pricing/import"), "text/csv", pricing)
        .await;
    assert_eq!(status, StatusCode::OK, "{priced}");

    // Stalls: 0/3 min, 1/3 min; Box: normal.
    let booked = app.anon().hold(id, &["A1", "A2", "B1"]).await;
    assert_eq!(booked["total_amount"], 1000 + 1000 + 5000);
    let show = app.show(id).await;
    assert_eq!(
        (&show["total_seats"], &show["available_seats"]),
        (&json!(4), &json!(1))
    );
    // Seats without classes are still refused; capacity and seat classes together too.
    let (status, body) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "seat_classes": [],
                    "seats": [{"label": "A1", "class": "Nope"}]}),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "{body}");
    let (status, body) = app
        .post_json(
            &format!("/events/{event}/shows"),
            &json!({"starts_at": in_days(7), "ends_at": in_days(8), "seat_classes": [],
                    "capacity": 10}),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "{body}");
}

#[tokio::test]
async fn a_refund_after_a_restart_finds_its_charge() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let admin = app.as_admin();
    let booking = admin.hold(show, &["A1", "A2"]).await;
    let paid = admin.pay(&id_of(&booking)).await;
    let charge = paid["gateway_ref"].as_str().unwrap().to_owned();

    // "Restart": a second server over the same database with a new gateway instance, which
    // remembers nothing in memory.
    let pool = boxoffice::connect_for_command(app.db_url(), &app.settings).expect("pool");
    let gateway = Arc::new(boxoffice::mock_gateway(&app.settings, &pool));
    assert_eq!(gateway.refundable(&charge).await.unwrap(), Some(200));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let parts = boxoffice::Parts {
        clock: app.clock.clone(),
        gateway: gateway.clone(),
    };
    let server = boxoffice::start_with(listener, app.db_url(), &app.settings, parts)
        .await
        .expect("second server");
    tokio::spawn(server);

    let res = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/payments/{}/refund",
            id_of(&paid)
        ))
        .bearer_auth(&app.admin_token)
        .json(&json!({"amount": 150, "reason": "after a restart"}))
        .send()
        .await
        .expect("refund");
    let (status, refunded) = decode(res).await;
    assert_eq!(status, StatusCode::CREATED, "{refunded}");
    assert_eq!(refunded["refunds"][0]["status"], "succeeded", "{refunded}");
    assert_eq!(refunded["refunded_amount"], 150);
    // Both gateways read the same ledger.
    assert_eq!(gateway.refundable(&charge).await.unwrap(), Some(50));
    assert_eq!(app.gateway.refundable(&charge).await.unwrap(), Some(50));
    // More than what remains is refused by the first server too.
    let over = app
        .as_admin()
        .refund(&id_of(&paid), Some(51), "too much")
        .await;
    assert_invalid(&over, "amount");
}

#[tokio::test]
async fn the_request_log_is_plain_text_when_piped_and_probes_are_at_debug() {
    let app = spawn_app().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", app.db_url())
        .env("APP_CONFIG_DIR", "/nonexistent")
        .env("APP_JOBS__ENABLED", "false")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run boxoffice serve");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/health")).send().await.is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not start");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in ["/health", "/ready", "/api/v1/events"] {
        let res = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect(path);
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().expect("stop serve");
    let log = tokio::task::spawn_blocking(move || {
        let mut log = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        child.wait().unwrap();
        log
    })
    .await
    .unwrap();
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escapes in a piped log:\n{log}"
    );
    assert!(log.contains("http.route=/api/v1/events"), "{log}");
    assert!(!log.contains("http.route=/health"), "{log}");
    assert!(!log.contains("http.route=/ready"), "{log}");
}

#[tokio::test]
async fn the_ledger_in_postgres_charges_and_refunds_once_under_concurrent_retries() {
    use boxoffice_domain::payment::{
        ChargeRequest, PaymentGateway, PaymentMethod, RefundOutcome, RefundRequest,
    };
    use boxoffice_domain::values::Currency;

    let app = spawn_app().await;
    let pool = boxoffice::connect_for_command(app.db_url(), &app.settings).expect("pool");
    let gateways: Vec<_> = (0..4)
        .map(|_| Arc::new(boxoffice::mock_gateway(&app.settings, &pool)))
        .collect();
    let usd = Currency::parse("USD").unwrap();
    let charge = ChargeRequest {
        payment_id: uuid::Uuid::new_v4(),
        amount: 900,
        currency: usd,
        method: PaymentMethod::Success,
    };
    let answers =
        futures_util::future::join_all(gateways.iter().map(|g| g.charge(charge.clone()))).await;
    let refs: std::collections::HashSet<String> = answers
        .into_iter()
        .map(|a| a.expect("charge").gateway_ref().to_owned())
        .collect();
    assert_eq!(refs.len(), 1, "one charge for one payment: {refs:?}");
    let charge_ref = refs.into_iter().next().unwrap();

    let refund = RefundRequest {
        refund_id: uuid::Uuid::new_v4(),
        gateway_ref: charge_ref.clone(),
        amount: 600,
        currency: usd,
    };
    let answers =
        futures_util::future::join_all(gateways.iter().map(|g| g.refund(refund.clone()))).await;
    let outcomes: std::collections::HashSet<String> = answers
        .into_iter()
        .map(|a| match a.expect("refund") {
            RefundOutcome::Succeeded { gateway_ref } => gateway_ref,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(outcomes.len(), 1, "one refund for one refund id");
    assert_eq!(
        gateways[0].refundable(&charge_ref).await.unwrap(),
        Some(300)
    );
    // Another refund id for more than remains is refused; for what remains it succeeds.
    let more = |amount| RefundRequest {
        refund_id: uuid::Uuid::new_v4(),
        gateway_ref: charge_ref.clone(),
        amount,
        currency: usd,
    };
    assert_eq!(
        gateways[1].refund(more(301)).await.unwrap(),
        RefundOutcome::Failed {
            code: "amount_exceeds_charge".into()
        }
    );
    assert!(matches!(
        gateways[2].refund(more(300)).await.unwrap(),
        RefundOutcome::Succeeded { .. }
    ));
    assert_eq!(gateways[3].refundable(&charge_ref).await.unwrap(), Some(0));
}
