//! `Body<T>`: the JSON body extractor of the API. Like `web::Json`, but a value of the wrong shape
//! is a 422 that names the failing field by its path (`seat_classes[0].min_price`), and every
//! failure is our JSON error body: malformed JSON 400, wrong content type 415, too large 413.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{
    DefaultOperationRaw, DefaultSchemaRaw, Either, Parameter, ParameterIn,
};
use paperclip::v2::schema::Apiv2Schema;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Body<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses `bytes` as a `T`, naming the failing field on a shape error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if !inner.is_data() {
                return Err(ApiError::bad_request(format!("malformed JSON: {inner}")));
            }
            let msg = inner.to_string();
            let mut field = if path == "." { String::new() } else { path };
            // The path of an unknown field ends with the field; a missing one is not in it.
            if let Some((_, rest)) = msg.split_once("missing field `") {
                if let Some((name, _)) = rest.split_once('`') {
                    field = if field.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{field}.{name}")
                    };
                }
            }
            if field.is_empty() {
                field = "body".to_owned();
            }
            let message = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            return Err(ApiError::new(
                boxoffice_domain::DomainCode::ValidationFailed,
                format!("{field}: {message}"),
            )
            .with_details(json!({ "fields": [{ "field": field, "message": message }] })));
        }
    };
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || m.ends_with("+json")
        })
        .unwrap_or(false)
}

/// Reads a JSON body's bytes: 415 unless the content type is JSON, 413 over the size limit
/// (`PayloadConfig`), 400 when it cannot be read.
fn json_bytes(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<actix_web::web::Bytes, ApiError>> {
    let json = is_json(req);
    let bytes = actix_web::web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !json {
            return Err(ApiError::new(
                crate::codes::EdgeCode::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        bytes.await.map_err(|e| {
            let too_large = e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE;
            if too_large {
                ApiError::new(
                    crate::codes::EdgeCode::PayloadTooLarge,
                    "the body is too large",
                )
            } else {
                ApiError::bad_request(format!("unreadable body: {e}"))
            }
        })
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            Ok(Body(parse_json(&bytes)?))
        })
    }
}

/// A JSON request body of type `T` together with its raw bytes as received (for hashing a
/// request, e.g. an idempotency key's request hash). Parsed and refused exactly like [`Body`],
/// and documented the same way.
#[derive(Debug)]
pub struct RawBody<T> {
    value: T,
    bytes: actix_web::web::Bytes,
}

impl<T> RawBody<T> {
    /// The parsed value and the raw bytes.
    pub fn into_parts(self) -> (T, actix_web::web::Bytes) {
        (self.value, self.bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T> Deref for RawBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for RawBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            let value = parse_json(&bytes)?;
            Ok(RawBody { value, bytes })
        })
    }
}

impl<T: Apiv2Schema> Apiv2Schema for RawBody<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for RawBody<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        Body::<T>::update_parameter(op);
    }
}

/// A JSON request body kept as raw bytes, not parsed here (a signed webhook: its signature is
/// checked over the exact bytes before anything reads them). Documented as `T`.
pub struct UncheckedBody<T> {
    pub bytes: actix_web::web::Bytes,
    _shape: std::marker::PhantomData<T>,
}

impl<T: 'static> FromRequest for UncheckedBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move {
            Ok(UncheckedBody {
                bytes: bytes.await?,
                _shape: std::marker::PhantomData,
            })
        })
    }
}

impl<T: Apiv2Schema> Apiv2Schema for UncheckedBody<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for UncheckedBody<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        Body::<T>::update_parameter(op);
    }
}

impl<T: Apiv2Schema> Apiv2Schema for Body<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for Body<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        op.parameters.push(Either::Right(Parameter {
            description: None,
            in_: ParameterIn::Body,
            name: "body".into(),
            required: true,
            schema: Some({
                let mut def = T::schema_with_ref();
                def.retain_ref();
                def
            }),
            ..Default::default()
        }));
    }
}

/// A JSON response whose body is already rendered (e.g. from a cache), documented as `T`.
pub struct JsonBytes<T> {
    body: actix_web::web::Bytes,
    _shape: std::marker::PhantomData<T>,
}

impl<T> JsonBytes<T> {
    pub fn new(body: actix_web::web::Bytes) -> Self {
        Self {
            body,
            _shape: std::marker::PhantomData,
        }
    }
}

impl<T> actix_web::Responder for JsonBytes<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> actix_web::HttpResponse {
        actix_web::HttpResponse::Ok()
            .content_type("application/json")
            .body(self.body)
    }
}

impl<T: Apiv2Schema> Apiv2Schema for JsonBytes<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for JsonBytes<T> {
    fn update_parameter(_op: &mut DefaultOperationRaw) {}

    fn update_response(op: &mut DefaultOperationRaw) {
        op.responses.insert(
            "200".into(),
            Either::Right(paperclip::v2::models::Response {
                description: Some("OK".into()),
                schema: Some({
                    let mut def = T::schema_with_ref();
                    def.retain_ref();
                    def
                }),
                ..Default::default()
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        price: Option<i64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        classes: Vec<Inner>,
    }

    fn field_of(body: &str) -> (u16, String) {
        let e = parse_json::<Outer>(body.as_bytes()).unwrap_err();
        let field = e
            .details
            .as_ref()
            .and_then(|d| d["fields"][0]["field"].as_str())
            .unwrap_or("")
            .to_owned();
        (e.status.as_u16(), field)
    }

    #[test]
    fn names_the_failing_field() {
        assert_eq!(
            field_of(r#"{"name":"a","classes":[{"price":1.5}]}"#),
            (422, "classes[0].price".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","classes":[],"x":1}"#),
            (422, "x".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","classes":[{"y":1}]}"#),
            (422, "classes[0].y".into())
        );
        assert_eq!(field_of(r#"{"classes":[]}"#), (422, "name".into()));
        assert_eq!(field_of(r#"{"name":"a""#).0, 400);
        assert_eq!(field_of(r#"{"name":"a","classes":[]} trailing"#).0, 400);
        assert!(parse_json::<Outer>(br#"{"name":"a","classes":[]}"#).is_ok());
    }
}
