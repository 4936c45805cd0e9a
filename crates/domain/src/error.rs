//! Domain errors. Adapters map their failures into these; the HTTP edge maps these to statuses
//! (one place: `api-actix`'s error module).

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
    /// A failure of the machinery (a bug, a broken invariant). Never shown to clients in detail.
    #[error("internal error: {0}")]
    Internal(String),
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
