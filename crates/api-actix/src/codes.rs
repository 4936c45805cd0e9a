//! Every error code the API answers and its one status: the domain's families
//! (`boxoffice_domain::codes`) plus the codes the HTTP edge decides itself ([`EdgeCode`]). The
//! error map ([`crate::error`]), the OpenAPI error lists (`openapi/statuses.rs`) and the error
//! table of `docs/api.md` (checked by a test below) all come from here.

use std::fmt;

use actix_web::http::StatusCode;
use boxoffice_domain::codes::{AuthCode, ConflictCode, DeclineCode, DomainCode, ForbiddenCode};

/// The codes decided by the HTTP edge (parsing, limits, idempotency headers, rate limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeCode {
    /// Malformed JSON, query string or multipart body (400).
    BadRequest,
    /// A bad `Idempotency-Key` header (400).
    InvalidIdempotencyKey,
    /// A body over its size limit (413).
    PayloadTooLarge,
    /// A body of another content type than the endpoint takes (415).
    UnsupportedMediaType,
    /// An `Idempotency-Key` used before for a different request (422).
    IdempotencyKeyReused,
    /// A token bucket is empty; see `Retry-After` (429).
    RateLimited,
    /// The client has as many live streams open as it may (429).
    TooManyStreams,
}

impl EdgeCode {
    pub const ALL: [EdgeCode; 7] = [
        EdgeCode::BadRequest,
        EdgeCode::InvalidIdempotencyKey,
        EdgeCode::PayloadTooLarge,
        EdgeCode::UnsupportedMediaType,
        EdgeCode::IdempotencyKeyReused,
        EdgeCode::RateLimited,
        EdgeCode::TooManyStreams,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EdgeCode::BadRequest => "bad_request",
            EdgeCode::InvalidIdempotencyKey => "invalid_idempotency_key",
            EdgeCode::PayloadTooLarge => "payload_too_large",
            EdgeCode::UnsupportedMediaType => "unsupported_media_type",
            EdgeCode::IdempotencyKeyReused => "idempotency_key_reused",
            EdgeCode::RateLimited => "rate_limited",
            EdgeCode::TooManyStreams => "too_many_streams",
        }
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            EdgeCode::BadRequest => "malformed JSON, query string or multipart body",
            EdgeCode::InvalidIdempotencyKey => "a bad Idempotency-Key header",
            EdgeCode::PayloadTooLarge => "a body over its size limit",
            EdgeCode::UnsupportedMediaType => "a body of another content type",
            EdgeCode::IdempotencyKeyReused => {
                "an Idempotency-Key used before for a different request"
            }
            EdgeCode::RateLimited => "a token bucket is empty",
            EdgeCode::TooManyStreams => "the client has as many live streams open as it may",
        }
    }
}

/// One error code the API answers, of any family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    Domain(DomainCode),
    Conflict(ConflictCode),
    Auth(AuthCode),
    Forbidden(ForbiddenCode),
    Decline(DeclineCode),
    Edge(EdgeCode),
}

impl Code {
    /// Every code, family by family.
    pub fn all() -> Vec<Code> {
        let mut all: Vec<Code> = Vec::new();
        all.extend(DomainCode::ALL.map(Code::Domain));
        all.extend(ConflictCode::ALL.map(Code::Conflict));
        all.extend(AuthCode::ALL.map(Code::Auth));
        all.extend(ForbiddenCode::ALL.map(Code::Forbidden));
        all.extend(DeclineCode::ALL.map(Code::Decline));
        all.extend(EdgeCode::ALL.map(Code::Edge));
        all
    }

    /// The wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Domain(c) => c.as_str(),
            Code::Conflict(c) => c.as_str(),
            Code::Auth(c) => c.as_str(),
            Code::Forbidden(c) => c.as_str(),
            Code::Decline(c) => c.as_str(),
            Code::Edge(c) => c.as_str(),
        }
    }

    /// What the code means, in one line.
    pub const fn meaning(self) -> &'static str {
        match self {
            Code::Domain(c) => c.meaning(),
            Code::Conflict(c) => c.meaning(),
            Code::Auth(c) => c.meaning(),
            Code::Forbidden(c) => c.meaning(),
            Code::Decline(c) => c.meaning(),
            Code::Edge(c) => c.meaning(),
        }
    }

    /// The one status every answer with this code has.
    pub const fn status_u16(self) -> u16 {
        match self {
            Code::Domain(c) => match c {
                DomainCode::ValidationFailed | DomainCode::InvalidCsv => 422,
                DomainCode::NotFound => 404,
                DomainCode::SeatUnavailable
                | DomainCode::SoldOut
                | DomainCode::NotForSale
                | DomainCode::ShowStarted
                | DomainCode::IllegalTransition => 409,
                DomainCode::Unavailable => 503,
                DomainCode::Internal => 500,
            },
            Code::Conflict(_) => 409,
            Code::Auth(_) => 401,
            Code::Forbidden(_) => 403,
            Code::Decline(_) => 402,
            Code::Edge(c) => match c {
                EdgeCode::BadRequest | EdgeCode::InvalidIdempotencyKey => 400,
                EdgeCode::PayloadTooLarge => 413,
                EdgeCode::UnsupportedMediaType => 415,
                EdgeCode::IdempotencyKeyReused => 422,
                EdgeCode::RateLimited | EdgeCode::TooManyStreams => 429,
            },
        }
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.status_u16()).expect("a valid status")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! from_family {
    ($($family:ident => $variant:ident),*) => {
        $(impl From<$family> for Code {
            fn from(c: $family) -> Self {
                Code::$variant(c)
            }
        })*
    };
}

from_family!(
    DomainCode => Domain,
    ConflictCode => Conflict,
    AuthCode => Auth,
    ForbiddenCode => Forbidden,
    DeclineCode => Decline,
    EdgeCode => Edge
);

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The `(status, code)` pairs of the error table in `docs/api.md` ("### Errors").
    fn documented() -> BTreeSet<(u16, String)> {
        let doc = include_str!("../../../docs/api.md");
        let section = doc
            .split("### Errors")
            .nth(1)
            .expect("docs/api.md has an Errors section");
        let mut out = BTreeSet::new();
        for line in section.lines().skip_while(|l| !l.starts_with("| status")) {
            if !line.starts_with('|') {
                break;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let Ok(status) = cells[1].parse::<u16>() else {
                continue;
            };
            for code in cells[2].split('`').skip(1).step_by(2) {
                out.insert((status, code.to_owned()));
            }
        }
        out
    }

    #[test]
    fn the_docs_error_table_lists_every_code_with_its_status_and_no_other() {
        let ours: BTreeSet<(u16, String)> = Code::all()
            .into_iter()
            .map(|c| (c.status_u16(), c.as_str().to_owned()))
            .collect();
        let documented = documented();
        let missing: Vec<_> = ours.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&ours).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "docs/api.md's error table is missing {missing:?} and lists unknown {unknown:?}"
        );
    }

    #[test]
    fn every_code_string_is_used_once() {
        let all = Code::all();
        let strings: BTreeSet<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(strings.len(), all.len());
        assert!(all.iter().all(|c| !c.meaning().is_empty()));
    }
}
