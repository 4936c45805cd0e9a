//! The OpenAPI document: the checked-in file is current, and the server serves the same.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

fn checked_in() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}; run `make openapi`"));
    serde_json::from_str(&text).expect("docs/openapi.json is not JSON")
}

#[test]
fn checked_in_spec_is_current() {
    assert!(
        boxoffice_api::openapi_spec() == checked_in(),
        "docs/openapi.json is stale: run `make openapi`"
    );
}

#[tokio::test]
async fn served_spec_and_swagger_ui() {
    let app = spawn_app().await;
    let (status, served) = app.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        served == checked_in(),
        "the served /openapi.json differs from docs/openapi.json"
    );
    let res = app
        .client
        .get(app.url("/swagger/index.html"))
        .send()
        .await
        .expect("GET swagger");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
}
