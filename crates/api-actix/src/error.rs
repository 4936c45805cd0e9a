//! The one place where errors become HTTP responses.
//!
//! Body: `{"error": {"code": "...", "message": "...", "details": {...}}}`. Statuses: 400 malformed,
//! 404 unknown id, 409 state conflict, 422 validation, 503 dependency down, 500 only for bugs
//! (generic body; the cause goes to the log, never to the client).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use boxoffice_domain::{DomainCode, DomainError};
use paperclip::actix::{api_v2_errors, Apiv2Schema};
use serde::Serialize;
use serde_json::{json, Value};

pub use crate::codes::{Code, EdgeCode};

/// The JSON error body.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ErrorObject {
    /// Machine-readable code, e.g. `seat_unavailable`, `validation_failed`, `not_found`.
    pub code: String,
    /// A sentence for humans.
    pub message: String,
    /// Structured details (failing fields, seat labels, CSV line…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// An error answered to a client. (These are paperclip's defaults; `openapi/statuses.rs` replaces
/// every error response with the codes of the operation, from [`Code`].)
#[api_v2_errors(
    code = 400,
    description = "Malformed request (bad JSON, bad query string)",
    schema = "ErrorBody",
    code = 401,
    description = "Not signed in, or a bad token; carries `WWW-Authenticate`",
    schema = "ErrorBody",
    code = 403,
    description = "Signed in but not allowed",
    schema = "ErrorBody",
    code = 404,
    description = "Unknown id",
    schema = "ErrorBody",
    code = 409,
    description = "State conflict",
    schema = "ErrorBody",
    code = 422,
    description = "Validation failed, with the failing fields",
    schema = "ErrorBody",
    code = 429,
    description = "Too many requests; see `Retry-After` and `RateLimit-*` headers",
    schema = "ErrorBody",
    code = 503,
    description = "The database is unavailable; retry later",
    schema = "ErrorBody"
)]
#[derive(Debug, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// Always `code.status()`.
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with `code`, answered with the code's one status.
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Self {
        let code = code.into();
        Self {
            status: code.status(),
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(EdgeCode::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(DomainCode::NotFound, message)
    }

    /// A 422 naming one failing field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(DomainCode::ValidationFailed, format!("{field}: {message}"))
            .with_details(json!({ "fields": [{ "field": field, "message": message }] }))
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorObject {
                code: self.code.as_str().to_owned(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
        }
    }
}

/// `Retry-After` (seconds) of every 503: long enough for a restarting database or a failover
/// to come back, short enough that a client's retry is not late.
pub const RETRY_AFTER_SECS: u32 = 2;

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750: say which scheme, and why a presented token failed.
            let challenge = match self.code {
                Code::Auth(code) if code.is_token_failure() => format!(
                    r#"Bearer realm="boxoffice", error="invalid_token", error_description="{code}""#
                ),
                _ => r#"Bearer realm="boxoffice""#.to_owned(),
            };
            res.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((actix_web::http::header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        res.json(self.body())
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        use DomainCode as C;
        match e {
            DomainError::Validation(fields) => {
                let message = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError::new(C::ValidationFailed, message)
                    .with_details(json!({ "fields": fields }))
            }
            DomainError::NotFound { entity, id } => {
                ApiError::not_found(format!("{entity} {id} not found"))
                    .with_details(json!({ "entity": entity, "id": id }))
            }
            DomainError::SeatsUnavailable { seats } => ApiError::new(
                C::SeatUnavailable,
                if seats.is_empty() {
                    "some of the seats were just taken".to_owned()
                } else {
                    format!("seats not available: {}", seats.join(", "))
                },
            )
            .with_details(json!({ "seats": seats })),
            DomainError::SoldOut {
                requested,
                available,
            } => ApiError::new(
                C::SoldOut,
                format!("sold out: {requested} requested, {available} available"),
            )
            .with_details(json!({ "requested": requested, "available": available })),
            DomainError::NotForSale { seats } => ApiError::new(
                C::NotForSale,
                format!(
                    "seats whose class has no price are not for sale: {}",
                    seats.join(", ")
                ),
            )
            .with_details(json!({ "seats": seats })),
            DomainError::ShowStarted => ApiError::new(
                C::ShowStarted,
                "the show has already started and can no longer be booked",
            ),
            DomainError::IllegalTransition { from, action } => ApiError::new(
                C::IllegalTransition,
                format!("a {from} booking cannot be {action}"),
            )
            .with_details(json!({ "status": from.as_str(), "action": action })),
            DomainError::Conflict { code, message } => ApiError::new(code, message),
            DomainError::Unauthorized { code, message } => ApiError::new(code, message),
            DomainError::Forbidden { code, message } => ApiError::new(code, message),
            DomainError::InvalidCsv {
                line,
                column,
                problem,
            } => ApiError::new(C::InvalidCsv, format!("line {line}: {problem}"))
                .with_details(json!({ "line": line, "column": column, "problem": problem })),
            DomainError::PaymentDeclined { code, payment } => ApiError::new(
                code,
                format!(
                    "the payment was declined ({code}); the booking stays held until its hold \
                     expires: start a new payment with another method"
                ),
            )
            .with_details(json!({ "payment": crate::dto::PaymentDto::from(*payment) })),
            DomainError::Unavailable(cause) => {
                // DEBUG, not ERROR per request: a database outage is logged once by the pool
                // (boxoffice_infra_postgres::OutageLog); the request's own line has its 503.
                tracing::debug!(%cause, "dependency unavailable");
                ApiError::new(
                    C::Unavailable,
                    "the service is temporarily unavailable; retry later",
                )
            }
            DomainError::Internal(cause) => {
                // The whole chain: what failed, then each source (e.g. the diesel error).
                tracing::error!(cause = %cause.chain(), "internal error");
                ApiError::new(C::Internal, "internal error")
            }
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields: Vec<Value> = Vec::new();
        for (field, errs) in errors.field_errors() {
            for e in errs {
                let message = e
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("{field} is invalid ({})", e.code));
                fields.push(json!({ "field": field, "message": message }));
            }
        }
        fields.sort_by_key(|f| f["field"].as_str().unwrap_or("").to_owned());
        let message = fields
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f["field"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::new(DomainCode::ValidationFailed, message)
            .with_details(json!({ "fields": fields }))
    }
}

/// Maps a query string that could not be read → 400 naming the problem.
pub fn query_error(err: &actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::bad_request(format!("bad query string: {err}"))
}

/// Maps a path segment that could not be read (e.g. `/shows/abc`) → 404: no such resource.
pub fn path_error(err: &actix_web::error::PathError) -> ApiError {
    ApiError::not_found(format!("no such resource ({err})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let e = ApiError::from(DomainError::Internal("password=hunter2".into()));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("hunter2"));
    }
}
