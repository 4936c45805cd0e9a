//! Booking access: no IDOR, guest tokens, and the scope of booking lists.

use super::*;

/// An error body with `id` replaced, to compare the shape of two 404s.
fn without_id(body: &Value, id: &str) -> String {
    body.to_string().replace(id, "<id>")
}

/// GET, cancel, DELETE or start paying of one booking.
async fn booking_op(caller: &Caller<'_>, op: &str, id: &str) -> (StatusCode, Value) {
    match op {
        "GET" => caller.get(&format!("/bookings/{id}")).await,
        "cancel" => {
            caller
                .post_json(&format!("/bookings/{id}/cancel"), &json!({}))
                .await
        }
        "DELETE" => caller.delete(&format!("/bookings/{id}")).await,
        "pay" => {
            caller
                .post_json(
                    "/payments/initiate",
                    &json!({"booking_id": id, "payment_method": "tok_success"}),
                )
                .await
        }
        _ => unreachable!("{op}"),
    }
}

#[tokio::test]
async fn other_people_cannot_see_or_cancel_a_booking_by_id() {
    let app = spawn_app().await;
    let a = app.signup("alice@example.com", "customer").await;
    let b = app.signup("bob@example.com", "customer").await;
    let provider = app.signup("prov@example.com", "provider").await;
    let show = app.simple_seated_show().await;
    let booking = book_seat(&app.as_user(&a), show, "A1").await;
    let id = booking_id(&booking);
    assert_eq!(booking["user_id"], a.id.as_str());
    let random = uuid::Uuid::new_v4().to_string();

    for (who, caller) in [
        ("customer B", app.as_user(&b)),
        ("anonymous", app.anon()),
        ("provider", app.as_user(&provider)),
        (
            "customer B with a made-up booking token",
            app.as_user(&b).header("X-Booking-Token", "not-the-token"),
        ),
    ] {
        for op in ["GET", "cancel", "DELETE", "pay"] {
            let theirs = booking_op(&caller, op, &id).await;
            let unknown = booking_op(&caller, op, &random).await;
            assert_eq!(theirs.0.as_u16(), 404, "{who} {op}: {}", theirs.1);
            assert_eq!(theirs.1["error"]["code"], "not_found", "{who} {op}");
            assert_eq!(unknown.0.as_u16(), 404, "{who} {op} unknown: {}", unknown.1);
            assert_eq!(
                without_id(&theirs.1, &id),
                without_id(&unknown.1, &random),
                "{who} {op}: someone else's booking must look exactly like an unknown id"
            );
        }
    }

    // The owner and an admin see it; it is still active (held: unpaid) and its seat still taken.
    let owner = app.as_user(&a).get(&format!("/bookings/{id}")).await;
    expect_status(&owner, 200, "owner GET");
    let (status, seen) = app.as_admin().get(&format!("/bookings/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["status"], "held", "{seen}");
    assert_eq!(seen["cancelled_at"], Value::Null);
    assert_eq!(
        seen["payments"],
        json!([]),
        "no one else started paying it: {seen}"
    );
    assert_eq!(seen["user_id"], a.id.as_str());
    assert_eq!(seen["reference"], booking["reference"]);
    let a1 = app
        .seats(show)
        .await
        .into_iter()
        .find(|s| s["label"] == "A1")
        .expect("A1");
    assert_eq!(a1["is_booked"], true);
    assert_eq!(a1["status"], "held");
}

// ---------- 4. guest bookings ----------

#[tokio::test]
async fn guest_bookings_are_reached_with_their_own_token_only() {
    let app = spawn_app().await;
    let show = app.simple_seated_show().await;
    let anon = app.anon();

    let first = book_seat(&anon, show, "A1").await;
    let second = book_seat(&anon, show, "A2").await;
    let token = first["guest_token"]
        .as_str()
        .expect("guest_token")
        .to_owned();
    let other_token = second["guest_token"]
        .as_str()
        .expect("guest_token")
        .to_owned();
    assert!(!token.is_empty());
    assert_ne!(token, other_token);
    assert_eq!(first["user_id"], Value::Null);
    assert!(first.as_object().unwrap().contains_key("user_id"));
    let id = booking_id(&first);
    let path = format!("/bookings/{id}");

    // With its token: readable, and the token is never shown again.
    let (status, got) = app
        .anon()
        .header("X-Booking-Token", &token)
        .get(&path)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["user_id"], Value::Null);
    assert!(
        !got.as_object().unwrap().contains_key("guest_token"),
        "GET must not show the guest token: {got}"
    );

    // Without, with a wrong one, or with another booking's token: as if it did not exist.
    assert_error(&app.anon().get(&path).await, 404, "not_found");
    assert_error(
        &app.anon()
            .header("X-Booking-Token", "wrong-token")
            .get(&path)
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", &other_token)
            .get(&path)
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", &other_token)
            .post_json(&format!("{path}/cancel"), &json!({}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.anon()
            .header("X-Booking-Token", "wrong-token")
            .delete(&path)
            .await,
        404,
        "not_found",
    );

    // A signed-in customer holding the token may read it too.
    let customer = app.signup("carol@example.com", "customer").await;
    assert_error(&app.as_user(&customer).get(&path).await, 404, "not_found");
    let (status, got) = app
        .as_user(&customer)
        .header("X-Booking-Token", &token)
        .get(&path)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert!(!got.as_object().unwrap().contains_key("guest_token"));

    // Still held (unpaid) after all the refused attempts; then cancelled with the token.
    let (_, before) = app.as_admin().get(&path).await;
    assert_eq!(before["status"], "held", "{before}");
    assert_eq!(before["cancelled_at"], Value::Null);
    let (status, cancelled) = app
        .anon()
        .header("X-Booking-Token", &token)
        .post_json(&format!("{path}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(!cancelled.as_object().unwrap().contains_key("guest_token"));
    let a1 = app
        .seats(show)
        .await
        .into_iter()
        .find(|s| s["label"] == "A1")
        .expect("A1");
    assert_eq!(a1["is_booked"], false);
    // The other guest booking is untouched; its own token deletes it.
    let second_id = booking_id(&second);
    let (status, deleted) = app
        .anon()
        .header("X-Booking-Token", &other_token)
        .delete(&format!("/bookings/{second_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["status"], "cancelled");

    // A guest must say who they are.
    let r = app
        .anon()
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": ["A5"]}),
        )
        .await;
    assert_error(&r, 422, "validation_failed");

    // Signed in: the booking is the user's, without a guest token, with the profile's contact.
    let (status, me) = app
        .as_user(&customer)
        .patch_json(
            "/users/me",
            &json!({"first_name": "Carol", "last_name": "Danvers"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, mine) = app
        .as_user(&customer)
        .post_json(
            "/bookings",
            &json!({"show_id": show, "seat_labels": ["A3"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["user_id"], customer.id.as_str());
    assert!(
        !mine.as_object().unwrap().contains_key("guest_token"),
        "{mine}"
    );
    assert_eq!(mine["email"], customer.email.as_str());
    assert_eq!(mine["name"], "Carol Danvers");
    let (status, got) = app
        .as_user(&customer)
        .get(&format!("/bookings/{}", booking_id(&mine)))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["user_id"], customer.id.as_str());

    // The same through POST /events/{id}/book.
    let city = app.create_city().await;
    let ga = app.create_ga_event(city, 10, 700).await["id"]
        .as_i64()
        .unwrap();
    let (status, guest) = app
        .anon()
        .post_json(
            &format!("/events/{ga}/book"),
            &json!({"name": "Gus", "phone": "+1 555 000 1111"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{guest}");
    assert_eq!(guest["user_id"], Value::Null);
    let guest_token = guest["guest_token"].as_str().expect("guest_token");
    let (status, _) = app
        .anon()
        .header("X-Booking-Token", guest_token)
        .get(&format!("/bookings/{}", booking_id(&guest)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, signed) = app
        .as_user(&customer)
        .post_json(&format!("/events/{ga}/book"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    assert_eq!(signed["user_id"], customer.id.as_str());
    assert_eq!(signed["email"], customer.email.as_str());
    assert!(!signed.as_object().unwrap().contains_key("guest_token"));
}

// ---------- 5. listing ----------

fn ids(list: &Value) -> BTreeSet<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {list}"))
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn booking_lists_show_only_what_the_caller_may_see() {
    let app = spawn_app().await;
    let a = app.signup("alice@example.com", "customer").await;
    let b = app.signup("bob@example.com", "customer").await;
    let city = app.create_city().await;
    let ga = app.create_ga_event(city, 100, 300).await["shows"][0]["id"]
        .as_i64()
        .expect("show id");
    let mut a_ids = BTreeSet::new();
    for _ in 0..2 {
        let r = app
            .as_user(&a)
            .post_json("/bookings", &json!({"show_id": ga, "quantity": 1}))
            .await;
        expect_status(&r, 201, "A books");
        assert_eq!(r.1["email"], "alice@example.com");
        a_ids.insert(booking_id(&r.1));
    }
    let r = app
        .as_user(&b)
        .post_json("/bookings", &json!({"show_id": ga, "quantity": 2}))
        .await;
    expect_status(&r, 201, "B books");
    let b_id = booking_id(&r.1);
    // A guest using A's email address: not A's booking.
    let r = app
        .anon()
        .post_json(
            "/bookings",
            &json!({"show_id": ga, "quantity": 1, "name": "Guest",
                    "email": "Alice@Example.com"}),
        )
        .await;
    expect_status(&r, 201, "guest books");
    let guest_id = booking_id(&r.1);

    // Anonymous: no list without a contact, none with one either.
    assert_error(
        &app.anon().get("/bookings").await,
        401,
        "authentication_required",
    );
    assert_error(
        &app.anon().get("/bookings?email=alice@example.com").await,
        401,
        "authentication_required",
    );

    // Signed in: own bookings only (not the guest one with the same email).
    let (status, mine) = app.as_user(&a).get("/bookings").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(ids(&mine), a_ids, "{mine}");
    assert_eq!(mine["total"], 2);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["user_id"] == a.id.as_str()));
    let (_, bobs) = app.as_user(&b).get("/bookings").await;
    assert_eq!(ids(&bobs), BTreeSet::from([b_id.clone()]));
    assert_eq!(bobs["total"], 1);

    // Pagination over A's own bookings.
    let (_, p1) = app.as_user(&a).get("/bookings?limit=1").await;
    let (_, p2) = app.as_user(&a).get("/bookings?limit=1&offset=1").await;
    assert_eq!(p1["total"], 2, "{p1}");
    assert_eq!(p2["total"], 2, "{p2}");
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    let both: BTreeSet<String> = ids(&p1).union(&ids(&p2)).cloned().collect();
    assert_eq!(both, a_ids);

    // By contact: someone else's → 403; one's own → one's own bookings with it.
    assert_error(
        &app.as_user(&a).get("/bookings?email=bob@example.com").await,
        403,
        "forbidden",
    );
    let (status, own) = app
        .as_user(&a)
        .get("/bookings?email=ALICE@example.com")
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(ids(&own), a_ids, "{own}");
    assert_eq!(own["total"], 2);

    // Admins: anyone's bookings by contact, guests included; their own (none) otherwise.
    let (status, all) = app
        .as_admin()
        .get("/bookings?email=alice@example.com")
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let mut expected = a_ids.clone();
    expected.insert(guest_id.clone());
    assert_eq!(ids(&all), expected, "{all}");
    assert_eq!(all["total"], 3);
    let (_, paged) = app
        .as_admin()
        .get("/bookings?email=alice@example.com&limit=2")
        .await;
    assert_eq!(paged["total"], 3);
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    let (status, admins_own) = app.as_admin().get("/bookings").await;
    assert_eq!(status, StatusCode::OK, "{admins_own}");
    assert_eq!(admins_own["total"], 0, "{admins_own}");

    // GET /users/{id}/bookings: that user or an admin.
    let path = format!("/users/{}/bookings", a.id);
    let (status, by_a) = app.as_user(&a).get(&path).await;
    assert_eq!(status, StatusCode::OK, "{by_a}");
    assert_eq!(ids(&by_a), a_ids);
    assert_eq!(by_a["total"], 2);
    assert_error(&app.as_user(&b).get(&path).await, 403, "forbidden");
    assert_error(&app.anon().get(&path).await, 401, "authentication_required");
    let (status, by_admin) = app.as_admin().get(&path).await;
    assert_eq!(status, StatusCode::OK, "{by_admin}");
    assert_eq!(ids(&by_admin), a_ids);
    assert_eq!(by_admin["total"], 2);
    let (_, page) = app
        .as_admin()
        .get(&format!("{path}?limit=1&offset=1"))
        .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(!ids(&page).contains(&guest_id));
}
