//! Domain errors. Adapters map their failures into these; the HTTP edge maps these to statuses
//! (one place: `api-actix`'s error module).

use std::error::Error as StdError;
use std::sync::Arc;

use serde::Serialize;

pub use crate::codes::{AuthCode, ConflictCode, DeclineCode, DomainCode, ForbiddenCode};
use crate::payment_model::Payment;
use crate::status::BookingStatus;
use crate::values::TotalOverflows;

/// One failing input field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects field errors while parsing a request into domain types.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    /// Records the error of `result` under `field` and returns its value, if any.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(())` when nothing failed, else the validation error.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}

/// What an [`DomainError::Internal`] says: what was being done, and the error that made it fail
/// (`source`, kept so that the log shows the whole chain; shared, so the error stays `Clone`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{context}")]
pub struct InternalError {
    pub context: String,
    #[source]
    pub source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl InternalError {
    pub fn new(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            source: None,
        }
    }

    pub fn with_source(
        context: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            context: context.into(),
            source: Some(Arc::from(source.into())),
        }
    }

    /// The context and every source, outermost first, joined with `: `.
    pub fn chain(&self) -> String {
        let mut out = self.context.clone();
        let mut next: Option<&(dyn StdError + 'static)> = self.source();
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

/// Two internal errors are equal when they say the same (context and chain).
impl PartialEq for InternalError {
    fn eq(&self, other: &Self) -> bool {
        self.chain() == other.chain()
    }
}

impl From<String> for InternalError {
    fn from(context: String) -> Self {
        Self::new(context)
    }
}

impl From<&str> for InternalError {
    fn from(context: &str) -> Self {
        Self::new(context)
    }
}

/// Everything a domain operation can refuse, plus `Internal` for failures of the machinery.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// Input that breaks a rule (422), with the failing fields.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// An unknown id (404).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// Some requested seats are held or booked by someone else (409).
    #[error("seats not available: {seats:?}")]
    SeatsUnavailable { seats: Vec<String> },
    /// Not enough free general-admission places (409).
    #[error("sold out: {requested} requested, {available} available")]
    SoldOut { requested: u32, available: u32 },
    /// The seats' class has no price at all (409).
    #[error("not for sale: {seats:?}")]
    NotForSale { seats: Vec<String> },
    /// The show has started; it can no longer be booked (409).
    #[error("the show has already started")]
    ShowStarted,
    /// A booking state change that the state machine does not allow (409).
    #[error("a {from} booking cannot be {action}")]
    IllegalTransition {
        from: BookingStatus,
        action: &'static str,
    },
    /// Another state conflict, e.g. a duplicate name (409).
    #[error("{message}")]
    Conflict { code: ConflictCode, message: String },
    /// A CSV import failed at a line (422). The header is line 1.
    #[error("line {line}: {problem}")]
    InvalidCsv {
        line: u64,
        column: Option<String>,
        problem: String,
    },
    /// The caller is not authenticated, or its credentials are bad (401).
    #[error("{message}")]
    Unauthorized { code: AuthCode, message: String },
    /// The caller is authenticated but may not do this (403).
    #[error("{message}")]
    Forbidden {
        code: ForbiddenCode,
        message: String,
    },
    /// The gateway declined the payment (402): `card_declined` or `insufficient_funds`, with
    /// the (failed) payment.
    #[error("payment declined: {code}")]
    PaymentDeclined {
        code: DeclineCode,
        payment: Box<Payment>,
    },
    /// A dependency is unreachable or saturated (database down, pool exhausted): retry later (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A failure of the machinery (a bug, a broken invariant, a database error that is no
    /// decision), with its cause. Never shown to clients in detail; the edge logs the chain.
    #[error("internal error: {0}")]
    Internal(#[source] InternalError),
}

impl DomainError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }
    /// 401 `authentication_required`: the operation needs a signed-in user.
    pub fn unauthenticated() -> Self {
        Self::Unauthorized {
            code: AuthCode::AuthenticationRequired,
            message: "sign in: send an access token as `Authorization: Bearer <token>`".into(),
        }
    }
    pub fn unauthorized(code: AuthCode, message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }
    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: ForbiddenCode::Forbidden,
            message: message.into(),
        }
    }
    /// 409 with `code`.
    pub fn conflict(code: ConflictCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
    /// 500: a failure of the machinery without an error to carry.
    pub fn internal(context: impl Into<String>) -> Self {
        Self::Internal(InternalError::new(context))
    }
    /// 500: `context` failed because of `source` (kept as the error's source).
    pub fn internal_from(
        context: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self::Internal(InternalError::with_source(context, source))
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The machine-readable code of this error (the `code` of the HTTP error body).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => DomainCode::ValidationFailed.as_str(),
            Self::NotFound { .. } => DomainCode::NotFound.as_str(),
            Self::SeatsUnavailable { .. } => DomainCode::SeatUnavailable.as_str(),
            Self::SoldOut { .. } => DomainCode::SoldOut.as_str(),
            Self::NotForSale { .. } => DomainCode::NotForSale.as_str(),
            Self::ShowStarted => DomainCode::ShowStarted.as_str(),
            Self::IllegalTransition { .. } => DomainCode::IllegalTransition.as_str(),
            Self::Conflict { code, .. } => code.as_str(),
            Self::InvalidCsv { .. } => DomainCode::InvalidCsv.as_str(),
            Self::Unauthorized { code, .. } => code.as_str(),
            Self::Forbidden { code, .. } => code.as_str(),
            Self::PaymentDeclined { code, .. } => code.as_str(),
            Self::Unavailable(_) => DomainCode::Unavailable.as_str(),
            Self::Internal(_) => DomainCode::Internal.as_str(),
        }
    }
}

impl From<TotalOverflows> for DomainError {
    fn from(e: TotalOverflows) -> Self {
        DomainError::invalid("total", e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection reset")]
    struct Io;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct Query(#[source] Io);

    #[test]
    fn an_internal_error_keeps_its_source_chain() {
        let e = DomainError::internal_from("database", Query(Io));
        assert_eq!(e.to_string(), "internal error: database");
        let DomainError::Internal(inner) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(inner.chain(), "database: query failed: connection reset");
        let source = std::error::Error::source(&e).expect("the internal error");
        let cause = source.source().expect("the query error");
        assert_eq!(cause.to_string(), "query failed");
        assert_eq!(e.clone(), e);
        assert_ne!(e, DomainError::internal("database"));
        assert_eq!(
            DomainError::Internal("x".into()),
            DomainError::internal("x")
        );
    }
}
