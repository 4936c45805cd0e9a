//! The marketplace's shapes in the OpenAPI document: enums, formats, limits and nullable
//! fields, from the domain's constants.

use serde_json::json;

#[test]
fn the_document_states_the_availability_shape_and_the_search_parameters() {
    let spec = boxoffice_api::openapi_spec();
    let schemas = &spec["components"]["schemas"];
    let prop = |schema: &str, prop: &str| schemas[schema]["properties"][prop].clone();
    assert_eq!(
        prop("WeeklyIntervalDto", "weekday")["enum"],
        json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    );
    for p in ["start", "end"] {
        assert_eq!(
            prop("WeeklyIntervalDto", p)["pattern"],
            "^([01][0-9]|2[0-3]):[0-5][0-9]$"
        );
        assert_eq!(prop("AvailabilityExceptionDto", p)["nullable"], true);
    }
    assert_eq!(
        prop("AvailabilityExceptionDto", "kind")["enum"],
        json!(["closed", "extra"])
    );
    assert_eq!(prop("AvailabilityExceptionDto", "date")["format"], "date");
    let zones = prop("AvailabilityInputDto", "time_zone")["enum"].clone();
    assert!(zones.as_array().unwrap().contains(&json!("Europe/Berlin")));
    assert_eq!(prop("AvailabilityDto", "time_zone")["enum"], zones);
    assert_eq!(
        prop("AvailabilityInputDto", "duration_minutes")["minimum"],
        5
    );
    assert_eq!(
        prop("AvailabilityInputDto", "duration_minutes")["maximum"],
        1440
    );
    assert_eq!(prop("AvailabilityPatchDto", "capacity")["maximum"], 1000);
    assert_eq!(prop("AvailabilityInputDto", "exceptions")["maxItems"], 366);
    assert_eq!(prop("CreateService", "late_refund_percent")["maximum"], 100);
    assert_eq!(prop("CreateService", "image_urls")["maxItems"], 10);
    assert_eq!(prop("CreateService", "provider_id")["format"], "uuid");
    assert_eq!(
        prop("CreateService", "availability")["$ref"],
        "#/components/schemas/AvailabilityInputDto"
    );
    // An optional nested object: allOf its reference, nullable.
    assert_eq!(
        prop("UpdateService", "availability"),
        json!({"allOf": [{"$ref": "#/components/schemas/AvailabilityPatchDto"}], "nullable": true})
    );
    assert_eq!(
        prop("ServiceDto", "availability")["$ref"],
        "#/components/schemas/AvailabilityDto"
    );
    for p in ["reminder_minutes_before", "deleted_at"] {
        assert_eq!(prop("ServiceDto", p)["nullable"], true, "{p}");
    }
    let params = spec["paths"]["/api/v1/services"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .clone();
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["schema"]
            .clone()
    };
    assert_eq!(
        param("sort")["enum"],
        json!(["price_asc", "price_desc", "newest", "soonest"])
    );
    assert_eq!(param("min_price")["minimum"], 0);
    assert_eq!(param("provider_id")["format"], "uuid");
    assert_eq!(param("include_inactive")["type"], "boolean");
    assert_eq!(
        spec["paths"]["/api/v1/services/{id}"]["delete"]["tags"],
        json!(["Services"])
    );
    assert_eq!(
        spec["paths"]["/api/v1/categories"]["get"]["tags"],
        json!(["Categories"])
    );
}

#[test]
fn the_document_states_the_appointment_routes_and_their_rules() {
    let spec = boxoffice_api::openapi_spec();
    let op = |path: &str, method: &str| spec["paths"][path][method].clone();
    // A provider's calendar filters by a booking status.
    let calendar = op("/api/v1/providers/me/appointments", "get");
    let status = calendar["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap()["schema"]
        .clone();
    assert_eq!(
        status["enum"],
        json!([
            "held",
            "pending",
            "confirmed",
            "completed",
            "expired",
            "cancelled"
        ])
    );
    // Booking a slot and moving one name slot_taken; a slot query names its service's 404.
    for (path, method) in [
        ("/api/v1/bookings", "post"),
        ("/api/v1/bookings/{id}/slot", "put"),
    ] {
        let description = op(path, method)["description"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(
            description.contains("`slot_taken`"),
            "{path}: {description}"
        );
    }
    assert!(op("/api/v1/services/{id}/slots", "get")["responses"]["404"].is_object());
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["CreateBooking"]["properties"]["notes"]["maxLength"],
        2000
    );
    for name in [
        "SlotDto",
        "AppointmentDto",
        "AvailabilityConflictDto",
        "ServiceChangeDto",
    ] {
        assert!(schemas[name].is_object(), "{name}");
    }
    assert_eq!(
        schemas["BookingDto"]["properties"]["show_id"]["nullable"],
        true
    );
    assert_eq!(
        schemas["BookingDto"]["properties"]["appointment"]["nullable"],
        true
    );
}
