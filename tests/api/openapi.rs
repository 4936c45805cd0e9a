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
    // Swagger UI 5, bundled: the page loads only our files, whatever the query string says
    // (`?url=` was Swagger UI's spoofing vector; our initializer has no query-string path).
    for page in [
        "/swagger",
        "/swagger/",
        "/swagger/index.html",
        "/swagger/index.html?url=https://evil.example/x.json",
        "/swagger/index.html?configUrl=https://evil.example/c.json",
    ] {
        let (status, ctype, html) = fetch(&app, page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(ctype.starts_with("text/html"), "{page}: {ctype}");
        for asset in [
            "/swagger/swagger-ui-bundle.js",
            "/swagger/swagger-ui.css",
            "/swagger/swagger-init.js",
        ] {
            assert!(html.contains(asset), "{page} does not load {asset}: {html}");
        }
        assert!(!html.contains("evil.example"), "{page}: {html}");
        assert!(
            !html.contains("//"),
            "{page} loads something from elsewhere: {html}"
        );
    }
    let (status, ctype, init) = fetch(&app, "/swagger/swagger-init.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/javascript"), "{ctype}");
    assert!(init.contains(r#"url: "/openapi.json""#), "{init}");
    assert!(init.contains("queryConfigEnabled: false"), "{init}");
    assert!(
        !init.contains("location") && !init.contains("URLSearchParams"),
        "the initializer must not read the page's URL: {init}"
    );
    let (status, ctype, bundle) = fetch(&app, "/swagger/swagger-ui-bundle.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/javascript"), "{ctype}");
    assert!(
        bundle.contains("SwaggerUIBundle"),
        "not the Swagger UI bundle"
    );
    // Swagger UI 5 (4.1.3 fixed the `?url=` spoofing advisory), the release in VERSION
    let version = boxoffice_api::swagger::VERSION.trim();
    assert!(version.starts_with("5."), "{version}");
    assert!(
        bundle.contains(&format!("PACKAGE_VERSION:\"{version}\"")),
        "the served bundle is not Swagger UI {version}"
    );
    let (status, ctype, _) = fetch(&app, "/swagger/swagger-ui.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/css"), "{ctype}");
    let res = app
        .client
        .get(app.url("/swagger/favicon-32x32.png"))
        .send()
        .await
        .expect("GET favicon");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    // Swagger UI 3 files are gone; unknown names are the JSON 404.
    for gone in [
        "/swagger/swagger-ui.js",
        "/swagger/oauth2-redirect.html",
        "/swagger/x/y",
    ] {
        let (status, body) = app.get(gone).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
        assert_eq!(body["error"]["code"], "not_found", "{gone}: {body}");
    }
}

/// Status, content type and text of a GET.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let res = app
        .client
        .get(app.url(path))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ctype, res.text().await.unwrap())
}

// ---------- the document's properties, over the whole document ----------

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
const TAGS: [&str; 15] = [
    "Events",
    "Shows",
    "Seats",
    "Bookings",
    "Payments",
    "Auth",
    "Users",
    "Cities",
    "Venues",
    "Imports",
    "Notifications",
    "Webhooks",
    "Categories",
    "Services",
    "Ops",
];

/// (path, method, operation) for every operation of the document.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

fn schema_named(spec: &Value, reference: &str) -> Value {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("not a component reference: {reference}"));
    spec["components"]["schemas"][name].clone()
}

/// A schema where a body or a property uses one: a `$ref`, a primitive, a free-form object or an
/// array of those — never an object with properties of its own.
fn assert_no_inline_object(schema: &Value, at: &str) {
    if schema.get("$ref").is_some() {
        return;
    }
    assert!(
        schema.get("properties").is_none(),
        "{at}: an inline object schema (name it): {schema}"
    );
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, s) in schema[key].as_array().into_iter().flatten().enumerate() {
            assert_no_inline_object(s, &format!("{at}.{key}[{i}]"));
        }
    }
    if let Some(items) = schema.get("items") {
        assert_no_inline_object(items, &format!("{at}[]"));
    }
}

/// A `null` anywhere but in an `enum` list is a schema error (a post-processing slip).
fn assert_no_null(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("{at}: null"),
        Value::Object(o) => o
            .iter()
            .filter(|(k, _)| k.as_str() != "enum")
            .for_each(|(k, c)| assert_no_null(c, &format!("{at}.{k}"))),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| assert_no_null(c, &format!("{at}[{i}]"))),
        _ => {}
    }
}

#[test]
fn every_operation_has_a_snake_case_id_and_one_known_tag() {
    let spec = boxoffice_api::openapi_spec();
    assert_no_null(&spec, "");
    let mut ids = std::collections::BTreeSet::new();
    for (path, method, op) in operations(&spec) {
        let id = op["operationId"].as_str().unwrap_or("");
        assert!(!id.is_empty(), "{method} {path}: no operationId");
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !id.starts_with('_')
                && !id.ends_with('_'),
            "{method} {path}: operationId {id} is not snake_case"
        );
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let tags = op["tags"].as_array().cloned().unwrap_or_default();
        assert_eq!(tags.len(), 1, "{method} {path}: tags {tags:?}");
        assert!(
            TAGS.contains(&tags[0].as_str().unwrap_or("")),
            "{method} {path}: unknown tag {}",
            tags[0]
        );
    }
    for id in [
        "list_events",
        "create_booking",
        "confirm_payment",
        "get_seat_map",
        "ready",
    ] {
        assert!(ids.contains(id), "{id} missing");
    }
}

#[test]
fn every_operation_has_its_status_table() {
    let spec = boxoffice_api::openapi_spec();
    for (path, method, op) in operations(&spec) {
        let id = op["operationId"].as_str().unwrap_or("");
        assert!(
            boxoffice_api::openapi::operation_doc(id).is_some(),
            "{id}: no row in openapi::OPERATIONS or openapi::marketplace_statuses"
        );
        let responses = op["responses"].as_object().expect("responses");
        let statuses: Vec<u16> = responses
            .keys()
            .map(|s| s.parse().expect("a status"))
            .collect();
        assert!(
            statuses.iter().any(|s| (200..300).contains(s)),
            "{id}: no 2xx"
        );
        // /health reads nothing and touches nothing; /ready has no input and answers 503; a
        // password-reset request is answered before any lookup (the same 202, and as fast,
        // whether or not the account exists).
        if !matches!(id, "health" | "request_password_reset") {
            assert!(statuses.contains(&503), "{method} {path}: no 503");
        }
        if !matches!(id, "health" | "ready") {
            assert!(
                statuses.iter().any(|s| (400..500).contains(s)),
                "{method} {path}: no 4xx"
            );
            assert!(statuses.contains(&429), "{method} {path}: no 429");
        }
        for (status, r) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{id} {status}"
                );
                assert!(
                    op["description"]
                        .as_str()
                        .unwrap_or("")
                        .contains(&format!("- {status}: `")),
                    "{id}: the description does not list the codes of {status}"
                );
            }
        }
        if op.get("requestBody").is_some() {
            for s in [400, 413, 415, 422] {
                assert!(statuses.contains(&s), "{id}: a body but no {s}");
            }
        }
        if op["security"].as_array().is_some() {
            assert!(statuses.contains(&401), "{id}: a token but no 401");
        }
    }
    let status_of = |path: &str, method: &str| -> Vec<String> {
        spec["paths"][path][method]["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .cloned()
            .collect()
    };
    assert!(status_of("/api/v1/auth/password-reset", "post").contains(&"202".into()));
    let confirm = status_of("/api/v1/payments/confirm", "post");
    for s in ["200", "202", "402"] {
        assert!(confirm.contains(&s.to_owned()), "confirm: {s}");
    }
    assert!(status_of("/api/v1/bookings", "post").contains(&"201".into()));
    assert!(status_of("/api/v1/auth/logout", "post").contains(&"204".into()));
}

#[test]
fn every_schema_is_named_and_request_bodies_are_closed() {
    let spec = boxoffice_api::openapi_spec();
    for (path, method, op) in operations(&spec) {
        let id = op["operationId"].as_str().unwrap_or("").to_owned();
        for (status, r) in op["responses"].as_object().expect("responses") {
            for (media, m) in r["content"].as_object().into_iter().flatten() {
                assert_no_inline_object(&m["schema"], &format!("{id} {status} {media}"));
            }
        }
        for (media, m) in op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert_no_inline_object(&m["schema"], &format!("{id} body {media}"));
            if media == "application/json" {
                let reference = m["schema"]["$ref"].as_str().expect("a named body");
                let body = schema_named(&spec, reference);
                assert_eq!(
                    body["additionalProperties"], false,
                    "{method} {path}: unknown fields are refused"
                );
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            assert_no_inline_object(&p["schema"], &format!("{id} parameter {}", p["name"]));
        }
    }
    for (name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (prop, p) in schema["properties"].as_object().into_iter().flatten() {
            assert_no_inline_object(p, &format!("{name}.{prop}"));
            if !required.contains(&prop.as_str()) {
                assert_eq!(
                    p["nullable"], true,
                    "{name}.{prop} is optional but not nullable"
                );
            }
        }
    }
}

#[test]
fn the_server_s_rules_are_in_the_schemas() {
    use boxoffice_domain::limits::MAX_AMOUNT;
    let spec = boxoffice_api::openapi_spec();
    let schemas = &spec["components"]["schemas"];
    assert_eq!(spec["servers"][0]["url"], "/");
    // nullable fields that responses carry as null
    for (schema, prop) in [
        ("SeatDto", "price"),
        ("SeatDto", "held_until"),
        ("SeatClassDto", "min_price"),
        ("ShowDto", "venue_id"),
        ("BookingDto", "phone"),
        ("BookingDto", "cancelled_at"),
        ("BookingItemDto", "seat_id"),
        ("BookingItemDto", "tier"),
        ("PaymentDto", "failure_code"),
        ("HistoryEntryDto", "from"),
        ("HistoryEntryDto", "reason"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][prop]["nullable"], true,
            "{schema}.{prop}"
        );
    }
    // enums from the domain
    let enum_of = |schema: &str, prop: &str| schemas[schema]["properties"][prop]["enum"].clone();
    assert_eq!(
        enum_of("BookingDto", "status"),
        serde_json::json!([
            "held",
            "pending",
            "confirmed",
            "completed",
            "expired",
            "cancelled"
        ])
    );
    assert_eq!(
        enum_of("ShowDto", "kind"),
        serde_json::json!(["seated", "general"])
    );
    assert_eq!(
        enum_of("UserDto", "role"),
        serde_json::json!(["customer", "provider", "admin"])
    );
    assert_eq!(
        enum_of("Signup", "role"),
        serde_json::json!(["customer", "provider", "", null])
    );
    assert!(enum_of("SeatClassDto", "tier").as_array().is_some());
    assert!(enum_of("PaymentDto", "outcome").as_array().is_some());
    // limits
    let prop = |schema: &str, prop: &str| schemas[schema]["properties"][prop].clone();
    assert_eq!(prop("CreateEvent", "price")["maximum"], MAX_AMOUNT);
    assert_eq!(prop("CreateEvent", "price")["minimum"], 0);
    use boxoffice_domain::account::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
    assert_eq!(prop("Signup", "password")["minLength"], PASSWORD_MIN_CHARS);
    assert_eq!(prop("Signup", "password")["maxLength"], PASSWORD_MAX_CHARS);
    assert_eq!(prop("Signup", "email")["format"], "email");
    assert_eq!(prop("CreateCity", "latitude")["maximum"], 90.0);
    assert_eq!(prop("CreateCity", "longitude")["minimum"], -180.0);
    assert_eq!(prop("RefundPayment", "reason")["maxLength"], 500);
    assert_eq!(prop("InitiatePayment", "booking_id")["format"], "uuid");
    assert_eq!(prop("CreateShow", "starts_at")["format"], "date-time");
    assert!(prop("CreateBooking", "seat_ids")["description"]
        .as_str()
        .is_some_and(|d| d.contains("exactly one of")));
    // query and path parameters
    let param = |path: &str, name: &str| {
        spec["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{path} {name}"))
    };
    assert_eq!(param("/api/v1/events", "limit")["schema"]["maximum"], 500);
    assert_eq!(param("/api/v1/events", "limit")["schema"]["minimum"], 1);
    assert_eq!(param("/api/v1/events", "offset")["schema"]["minimum"], 0);
    assert_eq!(param("/api/v1/events/{id}", "id")["schema"]["minimum"], 1);
    assert_eq!(
        param("/api/v1/bookings/{id}", "id")["schema"]["format"],
        "uuid"
    );
    // the CSV imports' bodies
    for path in [
        "/api/v1/shows/{id}/seats/import",
        "/api/v1/shows/{id}/pricing/import",
    ] {
        let content = &spec["paths"][path]["post"]["requestBody"]["content"];
        assert!(content.get("text/csv").is_some(), "{path}");
        assert_eq!(
            content["multipart/form-data"]["schema"]["$ref"],
            "#/components/schemas/CsvUpload"
        );
    }
}
