//! Categories: anyone reads the active ones, admins write (and list the inactive ones too).

use super::*;

#[tokio::test]
async fn admins_create_and_change_categories_and_anyone_lists_the_active_ones() {
    let app = spawn_app().await;
    let admin = app.as_admin();
    let (status, hair) = admin
        .post_json(
            "/categories",
            &json!({"name": "  Hair ", "description": "Cuts\nand colour"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hair}");
    assert_eq!(hair["name"], "Hair");
    assert_eq!(hair["description"], "Cuts\nand colour");
    assert_eq!(hair["active"], true);
    assert!(hair["created_at"].as_str().unwrap().ends_with('Z'));
    let hair_id = id_of(&hair);
    // One name whatever its case.
    let dup = admin
        .post_json("/categories", &json!({"name": "HAIR"}))
        .await;
    assert_error(&dup, 409, "duplicate");
    let lessons = category(&app, "Lessons").await;
    let (status, off) = admin
        .post_json("/categories", &json!({"name": "Archive", "active": false}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{off}");
    assert_eq!(off["active"], false);
    // Anyone lists the active ones, by name, paginated.
    let (status, list) = app.anon().get("/categories").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Hair", "Lessons"]);
    assert_eq!(
        (list["total"].as_i64(), list["limit"].as_i64()),
        (Some(2), Some(50))
    );
    let (_, page) = app.anon().get("/categories?limit=1&offset=1").await;
    assert_eq!(page["items"][0]["id"], lessons);
    assert_eq!(
        (page["total"].as_i64(), page["offset"].as_i64()),
        (Some(2), Some(1))
    );
    // The inactive ones too: admins only.
    let (status, all) = admin.get("/categories?include_inactive=true").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 3);
    let customer = app.signup("c@example.com", "customer").await;
    assert_error(
        &app.as_user(&customer)
            .get("/categories?include_inactive=true")
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.anon().get("/categories?include_inactive=true").await,
        401,
        "authentication_required",
    );
    // A change replaces the fields given.
    let (status, changed) = admin
        .patch_json(
            &format!("/categories/{hair_id}"),
            &json!({"description": "", "active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (
            &changed["name"],
            &changed["description"],
            &changed["active"]
        ),
        (&json!("Hair"), &json!(""), &json!(false))
    );
    let (_, list) = app.anon().get("/categories").await;
    assert_eq!(list["total"], 1);
    assert_error(
        &admin
            .patch_json(&format!("/categories/{lessons}"), &json!({"name": "hair"}))
            .await,
        409,
        "duplicate",
    );
    assert_error(
        &admin
            .patch_json("/categories/999", &json!({"active": true}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn only_admins_write_categories_and_bad_input_is_422() {
    let app = spawn_app().await;
    let id = category(&app, "Hair").await;
    let provider = app.signup("p@example.com", "provider").await;
    let customer = app.signup("c@example.com", "customer").await;
    for user in [&provider, &customer] {
        let caller = app.as_user(user);
        assert_error(
            &caller
                .post_json("/categories", &json!({"name": "Mine"}))
                .await,
            403,
            "forbidden",
        );
        assert_error(
            &caller
                .patch_json(&format!("/categories/{id}"), &json!({"name": "Mine"}))
                .await,
            403,
            "forbidden",
        );
    }
    assert_error(
        &app.anon()
            .post_json("/categories", &json!({"name": "Mine"}))
            .await,
        401,
        "authentication_required",
    );
    let admin = app.as_admin();
    assert_invalid(
        &admin.post_json("/categories", &json!({"name": " "})).await,
        "name",
    );
    assert_invalid(
        &admin
            .post_json("/categories", &json!({"name": "n".repeat(101)}))
            .await,
        "name",
    );
    assert_invalid(
        &admin
            .post_json(
                "/categories",
                &json!({"name": "ok", "description": "d".repeat(2001)}),
            )
            .await,
        "description",
    );
    assert_invalid(
        &admin
            .post_json("/categories", &json!({"name": "ok", "colour": "red"}))
            .await,
        "colour",
    );
    assert_invalid(
        &admin
            .patch_json(&format!("/categories/{id}"), &json!({"name": "a\tb"}))
            .await,
        "name",
    );
    assert_invalid(&app.anon().get("/categories?limit=0").await, "limit");
    // Unparsable ids are the 404 of an unknown one.
    assert_error(
        &admin.patch_json("/categories/abc", &json!({})).await,
        404,
        "not_found",
    );
}
