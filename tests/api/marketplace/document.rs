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
        json!(["price_asc", "price_desc", "newest"])
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
