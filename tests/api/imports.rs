//! CSV imports over HTTP: raw `text/csv` and multipart uploads, idempotent re-imports,
//! all-or-nothing on a bad file.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// A seated show with one seat `Z1` of class `Z`.
async fn empty_seated_show(app: &TestApp) -> i64 {
    let event = app.quick_event().await;
    app.seated_show(
        event,
        &[ClassSpec {
            name: "Z",
            prices: (Some(1), None, None),
            rows: &["Z"],
            seats_per_row: 1,
        }],
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

fn class<'a>(show: &'a Value, name: &str) -> &'a Value {
    show["seat_classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no class {name}: {show}"))
}

#[tokio::test]
async fn import_seats_then_pricing() {
    let app = spawn_app().await;
    let show = empty_seated_show(&app).await;
    let seats_path = format!("/shows/{show}/seats/import");
    let pricing_path = format!("/shows/{show}/pricing/import");

    let (status, r) = app
        .post_raw(&seats_path, "text/csv", fixture("seats_quirky.csv"))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"show_id": show, "rows": 12, "created": 12, "updated": 0, "unchanged": 0})
    );
    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 13);
    let a1 = seats.iter().find(|s| s["label"] == "A1").unwrap();
    assert_eq!(a1["class"], "A");
    assert_eq!(a1["external_ref"], "1");
    assert_eq!(a1["price"], Value::Null);
    let b6 = seats.iter().find(|s| s["label"] == "B6").unwrap();
    assert_eq!(b6["class"], "B");
    assert_eq!(b6["external_ref"], "12");

    // Classes from the seats file have no price yet: not for sale.
    let detail = app.show(show).await;
    assert_eq!(class(&detail, "A")["for_sale"], false);
    assert_error(&app.book_labels(show, &["A1"]).await, 409, "not_for_sale");

    let (status, r) = app
        .post_multipart(&pricing_path, fixture("pricing_quirky.csv"), "pricing.csv")
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["rows"], 2);
    assert_eq!(r["created"], 0);
    assert_eq!(r["updated"], 2);

    let detail = app.show(show).await;
    let a = class(&detail, "A");
    assert_eq!(a["min_price"], 29763);
    assert_eq!(a["normal_price"], 35000);
    assert_eq!(a["max_price"], Value::Null);
    assert_eq!(a["current_price"], 29763);
    let b = class(&detail, "B");
    assert_eq!(b["min_price"], Value::Null);
    assert_eq!(b["normal_price"], 12000);
    assert_eq!(b["max_price"], 15050);
    // Min tier without a min price → the normal price.
    assert_eq!(b["current_price"], 12000);
    let seats = app.seats(show).await;
    assert_eq!(
        seats.iter().find(|s| s["label"] == "A3").unwrap()["price"],
        29763
    );
    assert_eq!(
        seats.iter().find(|s| s["label"] == "B3").unwrap()["price"],
        12000
    );

    // Now for sale.
    let (status, booked) = app.book_labels(show, &["A1", "B1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["total_amount"], 29763 + 12000);

    // Re-import both: nothing changes.
    let (status, r) = app
        .post_raw(&seats_path, "text/csv", fixture("seats_quirky.csv"))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"show_id": show, "rows": 12, "created": 0, "updated": 0, "unchanged": 12})
    );
    let (status, r) = app
        .post_multipart(&pricing_path, fixture("pricing_quirky.csv"), "pricing.csv")
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"show_id": show, "rows": 2, "created": 0, "updated": 0, "unchanged": 2})
    );
    assert_eq!(app.seats(show).await.len(), 13);
    // The booking survived the re-import.
    let seats = app.seats(show).await;
    assert_eq!(seats.iter().filter(|s| s["is_booked"] == true).count(), 2);
}

#[tokio::test]
async fn import_pricing_first_creates_classes() {
    let app = spawn_app().await;
    let show = empty_seated_show(&app).await;
    // Raw text/csv for pricing, multipart for seats (both forms work on both endpoints).
    let (status, r) = app
        .post_raw(
            &format!("/shows/{show}/pricing/import"),
            "text/csv",
            fixture("pricing_quirky.csv"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["created"], 2);
    let (status, r) = app
        .post_multipart(
            &format!("/shows/{show}/seats/import"),
            fixture("seats_quirky.csv"),
            "seats.csv",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["created"], 12);
    let detail = app.show(show).await;
    assert_eq!(detail["total_seats"], 13);
    assert_eq!(class(&detail, "A")["total_seats"], 6);
    assert_eq!(class(&detail, "A")["for_sale"], true);
    let (status, b) = app.book_labels(show, &["B6"]).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["total_amount"], 12000);
}

#[tokio::test]
async fn bad_files_are_rejected_whole() {
    let app = spawn_app().await;
    let show = empty_seated_show(&app).await;

    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            fixture("seats_bad_row.csv"),
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    assert_eq!(r.1["error"]["details"]["line"], 4);
    assert_eq!(r.1["error"]["details"]["column"], "seat_identifier");
    assert_eq!(app.seats(show).await.len(), 1, "nothing written");
    assert_eq!(
        app.show(show).await["seat_classes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let r = app
        .post_multipart(
            &format!("/shows/{show}/pricing/import"),
            fixture("pricing_bad_price.csv"),
            "bad.csv",
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    assert_eq!(r.1["error"]["details"]["line"], 3);
    assert_eq!(r.1["error"]["details"]["column"], "normal_price");
    // Row 1 (class A) was valid but must not have been written.
    let classes = app.show(show).await["seat_classes"].clone();
    assert_eq!(classes.as_array().unwrap().len(), 1, "{classes}");

    // A header-only file, a missing column.
    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            "id,seat_identifier,seat_class\r\n",
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    let r = app
        .post_raw(
            &format!("/shows/{show}/seats/import"),
            "text/csv",
            "id,seat\n1,A1\n",
        )
        .await;
    assert_error(&r, 422, "invalid_csv");
    assert_eq!(r.1["error"]["details"]["line"], 1);

    // Unknown show → 404; a general-admission show has no seat map → 409.
    let r = app
        .post_raw(
            "/shows/424242/seats/import",
            "text/csv",
            fixture("seats_quirky.csv"),
        )
        .await;
    assert_error(&r, 404, "not_found");
    let event = app.quick_event().await;
    let ga = app.ga_show(event, 10, None).await["id"].as_i64().unwrap();
    let r = app
        .post_raw(
            &format!("/shows/{ga}/seats/import"),
            "text/csv",
            fixture("seats_quirky.csv"),
        )
        .await;
    assert_error(&r, 409, "not_seated");
    // Wrong media type → 415.
    let r = app
        .post_raw(&format!("/shows/{show}/seats/import"), "image/png", "x")
        .await;
    assert_error(&r, 415, "unsupported_media_type");
    assert_eq!(app.seats(show).await.len(), 1);
}

#[tokio::test]
async fn reimport_moves_seats_between_classes() {
    let app = spawn_app().await;
    let show = empty_seated_show(&app).await;
    let path = format!("/shows/{show}/seats/import");
    let (status, _) = app
        .post_raw(&path, "text/csv", fixture("seats_quirky.csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let changed = "id,seat_identifier,seat_class\n1,A1,B\n2,A2,A\n99,C1,A\n";
    let (status, r) = app.post_raw(&path, "text/csv", changed).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"show_id": show, "rows": 3, "created": 1, "updated": 1, "unchanged": 1})
    );
    let seats = app.seats(show).await;
    assert_eq!(seats.len(), 14);
    assert_eq!(
        seats.iter().find(|s| s["label"] == "A1").unwrap()["class"],
        "B"
    );
}
