//! The one post-processing step of paperclip's OpenAPI 3 document
//! (docs/decisions/0010-openapi-post-processing.md).
//!
//! paperclip generates the paths, operations (ids, tags, summaries), parameters, security and the
//! shapes of the request and response types from the code. What it cannot say is added here, on
//! the `serde_json::Value` of the v3 document, from the code's own constants:
//!
//! - `servers`, and the HTTP bearer scheme (OpenAPI 2, paperclip's model, has no bearer scheme);
//! - every object schema named: paperclip inlines nested structs (`BookingDto.items[]`); every
//!   inline copy of a registered type (compared with the references inside both expanded) is
//!   replaced by a `$ref` to it;
//! - `nullable: true` on every optional property (an `Option` field: not required, serialized as
//!   `null`, and a request's `null` reads as absent; an optional nested object is `allOf` its
//!   `$ref`);
//! - `additionalProperties: false` on request bodies (they all `deny_unknown_fields`);
//! - enums (from the domain's `ALL` constants) and the limits the server enforces (from the
//!   domain's constants), in `rules`;
//! - the CSV imports' `text/csv` and `multipart/form-data` request bodies;
//! - per operation, the exact success statuses and the error statuses with the codes it can
//!   answer (`statuses::OPERATIONS` plus what its inputs imply), listed in its description too;
//!   the response headers an operation sends (`statuses::RESPONSE_HEADERS`, e.g. the seat map's
//!   `ETag`).

use std::collections::BTreeSet;

use serde_json::{json, Value};

mod marketplace_statuses;
mod rules;
mod statuses;

pub use statuses::{operation_doc, OperationDoc, OPERATIONS, RESPONSE_HEADERS};

/// Finishes paperclip's document (see the module docs).
pub fn finish(spec: &mut Value) {
    spec["servers"] = json!([{
        "url": "/",
        "description": "The host that serves this document; every path carries its /api/v1 \
                        prefix (a client's base URL is the host alone, e.g. http://127.0.0.1:8080)"
    }]);
    bearer_scheme(spec);
    hoist_inline_schemas(spec);
    let requests = request_schemas(spec);
    let schemas = spec["components"]["schemas"]
        .as_object_mut()
        .expect("components.schemas");
    for (name, schema) in schemas.iter_mut() {
        let is_request = requests.contains(name);
        mark_optional_nullable(schema);
        if is_request {
            schema["additionalProperties"] = json!(false);
        }
    }
    for (schema, property, rule) in rules::property_rules() {
        let target = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(property))
            .unwrap_or_else(|| panic!("property rule for unknown {schema}.{property}"));
        merge(target, rule);
        // A nullable request enum names null among its values (OpenAPI 3.0.3).
        if requests.contains(schema) && target["nullable"] == json!(true) {
            if let Some(values) = target.get_mut("enum").and_then(Value::as_array_mut) {
                values.push(Value::Null);
            }
        }
    }
    csv_bodies(spec);
    event_streams(spec);
    parameters(spec);
    statuses::responses(spec);
}

/// paperclip generates OpenAPI 2 and converts it; OpenAPI 2 has no bearer scheme, so the
/// `Authorization` header key it produces becomes an OpenAPI 3 HTTP bearer scheme here.
fn bearer_scheme(spec: &mut Value) {
    if let Some(schemes) = spec
        .pointer_mut("/components/securitySchemes")
        .and_then(|v| v.as_object_mut())
    {
        schemes.insert(
            crate::auth::SECURITY_SCHEME.to_owned(),
            json!({
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token from POST /api/v1/auth/login (or /auth/signup, /auth/refresh), sent as `Authorization: Bearer <token>`. Routes that list this requirement answer 401 without it; routes that also list an empty requirement accept anonymous callers."
            }),
        );
    }
}

fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p,
    }
}

// ---------- named schemas ----------

pub(crate) fn ref_to(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// An object schema with properties (a struct), as opposed to a free-form object.
fn is_struct_schema(v: &Value) -> bool {
    v.get("properties").is_some_and(Value::is_object)
}

/// `v` without the keys a use adds to a type's schema (its field's doc comment).
fn shape(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("description");
    }
    v
}

/// `v` with every `$ref` to a component replaced by that component, itself expanded (to
/// `depth` levels): paperclip refers to a type inside a list (`Vec<T>`) but copies it inline
/// inside a copy of its parent, so two copies of one type compare equal only expanded.
fn expanded(v: &Value, schemas: &serde_json::Map<String, Value>, depth: u8) -> Value {
    match v {
        Value::Object(o) => {
            let target = o
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| schemas.get(name));
            match target {
                Some(t) if depth > 0 => expanded(t, schemas, depth - 1),
                _ => Value::Object(
                    o.iter()
                        .map(|(k, c)| (k.clone(), expanded(c, schemas, depth)))
                        .collect(),
                ),
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|c| expanded(c, schemas, depth)).collect()),
        _ => v.clone(),
    }
}

/// How deep [`expanded`] follows references (a guard against recursive types).
const EXPAND_DEPTH: u8 = 8;

/// Replaces every inline copy of a component schema (other than a component's own root) with a
/// `$ref` to it; the outermost match wins. Copies are compared with their references expanded
/// ([`expanded`]).
fn hoist_inline_schemas(spec: &mut Value) {
    let components = spec["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
        .clone();
    let originals: Vec<(String, Value)> = components
        .iter()
        .map(|(k, v)| (k.clone(), expanded(&shape(v), &components, EXPAND_DEPTH)))
        .collect();
    fn walk(
        v: &mut Value,
        originals: &[(String, Value)],
        components: &serde_json::Map<String, Value>,
        root: bool,
    ) {
        if !root && is_struct_schema(v) {
            let s = expanded(&shape(v), components, EXPAND_DEPTH);
            if let Some((name, _)) = originals.iter().find(|(_, o)| *o == s) {
                *v = ref_to(name);
                return;
            }
        }
        match v {
            Value::Object(o) => {
                for child in o.values_mut() {
                    walk(child, originals, components, false);
                }
            }
            Value::Array(a) => a
                .iter_mut()
                .for_each(|c| walk(c, originals, components, false)),
            _ => {}
        }
    }
    if let Some(schemas) = spec["components"]["schemas"].as_object_mut() {
        for s in schemas.values_mut() {
            walk(s, &originals, &components, true);
        }
    }
    walk(&mut spec["paths"], &originals, &components, false);
}

/// The names of the schemas a request body uses, directly or nested.
fn request_schemas(spec: &Value) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    if let Some(n) = r.strip_prefix("#/components/schemas/") {
                        out.push(n.to_owned());
                    }
                }
                o.values().for_each(|c| refs(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for item in spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            refs(&op["requestBody"], &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(n) = todo.pop() {
        if seen.insert(n.clone()) {
            refs(&spec["components"]["schemas"][&n], &mut todo);
        }
    }
    seen
}

/// paperclip leaves an `Option` field out of `required` and nothing else: such a field is
/// serialized as `null` (responses) and reads `null` as absent (requests). An optional nested
/// object becomes `allOf` its reference, `nullable`.
fn mark_optional_nullable(schema: &mut Value) {
    let required: BTreeSet<String> = schema["required"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, p) in props.iter_mut() {
            if !required.contains(name) {
                // A `$ref`'s siblings are ignored (OpenAPI 3.0): a nullable reference is
                // `allOf` the reference.
                if let Some(reference) = p.get("$ref").cloned() {
                    *p = json!({ "allOf": [{ "$ref": reference }] });
                }
                p["nullable"] = json!(true);
            }
        }
    }
}

fn parameters(spec: &mut Value) {
    for item in spec["paths"].as_object_mut().expect("paths").values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let id = op["operationId"].as_str().unwrap_or("").to_owned();
            let params = op.get_mut("parameters").and_then(Value::as_array_mut);
            for p in params.into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or("").to_owned();
                // Booking, payment, user, webhook and webhook delivery ids are UUIDs (an
                // unparsable one is a 404).
                if p["in"] == "path"
                    && (name == "id" || name == "delivery_id")
                    && p["schema"]["type"] == "string"
                {
                    merge(&mut p["schema"], json!({ "format": "uuid" }));
                }
                // A blank contact filter is no filter.
                if p["in"] == "query" && (name == "email" || name == "phone") {
                    p["allowEmptyValue"] = json!(true);
                }
                if p["in"] == "path" || p["in"] == "query" {
                    if let Some(rule) = rules::parameter_rules(&id, &name, &p["schema"]) {
                        merge(&mut p["schema"], rule);
                    }
                }
            }
        }
    }
}

/// The live streams answer `text/event-stream`: their events, each `id:`, `event:` and one
/// `data:` line of JSON, are described with the schemas of their data.
fn event_streams(spec: &mut Value) {
    let streams = [
        (
            "/api/v1/shows/{id}/seats/stream",
            "Server-Sent Events. First `event: snapshot` (data: `SeatMapSnapshotDto`, the show \
             and all its seats at a version), then `event: change` for every change of a seat's \
             status (held, booked, freed) or of the availability counts (data: \
             `SeatMapChangeDto`, with the next version and the previous one). Each event's `id` \
             is its version: a client that reconnects with `Last-Event-ID` gets the changes it \
             missed, or a fresh `snapshot` when they are no longer kept. After new seats are \
             imported, a new `snapshot` replaces the map. A comment line (`: keep-alive`) comes \
             every 15 s on an idle stream; a reader too slow to keep up is disconnected (and \
             reconnects).",
            &["SeatMapSnapshotDto", "SeatMapChangeDto"][..],
        ),
        (
            "/api/v1/notifications/stream",
            "Server-Sent Events: `event: notification` for each new notification of the caller \
             (data: `NotificationDto`; `id`: the notification's id — a client that reconnects \
             with `Last-Event-ID` first gets the ones after it, at most 100). A comment line \
             (`: keep-alive`) comes every 15 s on an idle stream.",
            &["NotificationDto"][..],
        ),
    ];
    for (path, description, events) in streams {
        let refs: Vec<Value> = events.iter().map(|e| ref_to(e)).collect();
        spec["paths"][path]["get"]["responses"]["200"] = json!({
            "description": description,
            "content": {
                "text/event-stream": {
                    "schema": { "type": "string", "x-event-data": refs }
                }
            }
        });
    }
    // The snapshot's parts are the documented shapes of `GET /shows/{id}` and its seats
    // (registered only here, paperclip copies them inline).
    let snapshot = &mut spec["components"]["schemas"]["SeatMapSnapshotDto"]["properties"];
    snapshot["show"] = ref_to("ShowDto");
    snapshot["seats"] = ref_to("SeatList");
}

/// The CSV imports read the raw body themselves: a `text/csv` body or a `multipart/form-data`
/// file field named `file`.
fn csv_bodies(spec: &mut Value) {
    spec["components"]["schemas"]["CsvUpload"] = json!({
        "type": "object",
        "description": "A CSV file as a multipart/form-data upload (the field `file`).",
        "required": ["file"],
        "additionalProperties": false,
        "properties": { "file": { "type": "string", "format": "binary" } },
    });
    for path in [
        "/api/v1/shows/{id}/seats/import",
        "/api/v1/shows/{id}/pricing/import",
    ] {
        spec["paths"][path]["post"]["requestBody"] = json!({
            "required": true,
            "description": "The CSV file: as the raw body (`text/csv`) or as the multipart field `file`.",
            "content": {
                "text/csv": { "schema": { "type": "string" } },
                "multipart/form-data": { "schema": ref_to("CsvUpload") },
            }
        });
    }
}
