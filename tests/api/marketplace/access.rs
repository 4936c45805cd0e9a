//! Who may offer, change and delete which services.

use super::*;

#[tokio::test]
async fn providers_offer_their_own_admins_anyone_s_and_customers_none() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let p = app.signup("p@example.com", "provider").await;
    let q = app.signup("q@example.com", "provider").await;
    let c = app.signup("c@example.com", "customer").await;
    assert_error(
        &app.as_user(&c).post_json("/services", &haircut(hair)).await,
        403,
        "forbidden",
    );
    assert_error(
        &app.anon().post_json("/services", &haircut(hair)).await,
        401,
        "authentication_required",
    );
    // A provider names only themself.
    let own = offer(
        &app.as_user(&p),
        &with(haircut(hair), json!({"provider_id": p.id})),
    )
    .await;
    assert_eq!(own["provider_id"], p.id.as_str());
    assert_error(
        &app.as_user(&p)
            .post_json(
                "/services",
                &with(haircut(hair), json!({"provider_id": q.id})),
            )
            .await,
        403,
        "forbidden",
    );
    // An admin names a provider: an active provider account, else 422; an unknown one is 404.
    let for_q = offer(
        &app.as_admin(),
        &with(haircut(hair), json!({"provider_id": q.id})),
    )
    .await;
    assert_eq!(for_q["provider_id"], q.id.as_str());
    assert_invalid(
        &app.as_admin()
            .post_json(
                "/services",
                &with(haircut(hair), json!({"provider_id": c.id})),
            )
            .await,
        "provider_id",
    );
    let unknown = uuid::Uuid::new_v4();
    assert_error(
        &app.as_admin()
            .post_json(
                "/services",
                &with(haircut(hair), json!({"provider_id": unknown})),
            )
            .await,
        404,
        "not_found",
    );
    // The provider the admin named manages it.
    let (status, changed) = app
        .as_user(&q)
        .patch_json(
            &format!("/services/{}", id_of(&for_q)),
            &json!({"price": 100}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
}

#[tokio::test]
async fn only_its_provider_and_admins_change_or_delete_a_service() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let p = app.signup("p@example.com", "provider").await;
    let q = app.signup("q@example.com", "provider").await;
    let c = app.signup("c@example.com", "customer").await;
    let s = offer(&app.as_user(&p), &haircut(hair)).await;
    let path = format!("/services/{}", id_of(&s));
    for other in [&q, &c] {
        let caller = app.as_user(other);
        assert_error(
            &caller.patch_json(&path, &json!({"price": 1})).await,
            403,
            "forbidden",
        );
        assert_error(&caller.delete(&path).await, 403, "forbidden");
        // Reading is for anyone.
        let (status, _) = caller.get(&path).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_error(
        &app.anon().patch_json(&path, &json!({"price": 1})).await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.anon().delete(&path).await,
        401,
        "authentication_required",
    );
    // A bad token is 401 on the public reads too.
    assert_error(
        &app.with_token("not-a-token").get(&path).await,
        401,
        "invalid_token",
    );
    let (status, changed) = app
        .as_admin()
        .patch_json(&path, &json!({"title": "Admin's cut"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["saved"], true);
    assert_eq!(
        changed["service"]["provider_id"],
        p.id.as_str(),
        "the provider stays"
    );
    let (status, _) = app.as_admin().delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn inactive_services_are_listed_to_admins_and_to_their_own_provider() {
    let app = spawn_app().await;
    let hair = category(&app, "Hair").await;
    let p = app.signup("p@example.com", "provider").await;
    let q = app.signup("q@example.com", "provider").await;
    let paused = offer(
        &app.as_user(&p),
        &with(haircut(hair), json!({"active": false})),
    )
    .await;
    // Hidden from the search, readable by id.
    let (_, found) = app.anon().get("/services").await;
    assert_eq!(found["total"], 0);
    let (status, read) = app
        .anon()
        .get(&format!("/services/{}", id_of(&paused)))
        .await;
    assert_eq!((status, &read["active"]), (StatusCode::OK, &json!(false)));
    let own = format!("/services?provider_id={}&include_inactive=true", p.id);
    let (status, mine) = app.as_user(&p).get(&own).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["total"], 1);
    let (status, all) = app.as_admin().get("/services?include_inactive=true").await;
    assert_eq!((status, &all["total"]), (StatusCode::OK, &json!(1)));
    assert_error(&app.as_user(&q).get(&own).await, 403, "forbidden");
    assert_error(
        &app.as_user(&p).get("/services?include_inactive=true").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.anon().get("/services?include_inactive=true").await,
        401,
        "authentication_required",
    );
    // include_inactive=false is the plain search.
    let (status, _) = app.anon().get("/services?include_inactive=false").await;
    assert_eq!(status, StatusCode::OK);
}
