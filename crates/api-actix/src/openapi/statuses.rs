//! The statuses of every operation: its row of [`OPERATIONS`] plus what its inputs imply.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use boxoffice_domain::codes::{
    AuthCode as A, ConflictCode as C, DeclineCode as D, DomainCode as X, ForbiddenCode as F,
};

use super::ref_to;
use crate::codes::{Code, EdgeCode as E};

/// What one operation answers beyond what its inputs imply.
pub struct OperationDoc {
    pub id: &'static str,
    /// Success statuses and body schemas other than paperclip's one (`None`: no body).
    pub success: &'static [(u16, Option<&'static str>)],
    /// The error codes the handler or its use case can answer, in groups (each code has one
    /// status: [`Code::status_u16`]).
    pub errors: &'static [&'static [Code]],
    /// Touches the database (503 `unavailable` when it is down).
    pub database: bool,
}

pub(super) const FORBIDDEN: &[Code] = &[Code::Forbidden(F::Forbidden)];
pub(super) const NOT_FOUND: &[Code] = &[Code::Domain(X::NotFound)];
const BOOKING_CONFLICTS: &[Code] = &[
    Code::Domain(X::SeatUnavailable),
    Code::Domain(X::SoldOut),
    Code::Domain(X::NotForSale),
    Code::Domain(X::ShowStarted),
];

/// The row of operation `id`, in [`OPERATIONS`] or [`super::marketplace_statuses::MARKETPLACE`].
pub fn operation_doc(id: &str) -> Option<&'static OperationDoc> {
    OPERATIONS
        .iter()
        .chain(super::marketplace_statuses::MARKETPLACE)
        .find(|d| d.id == id)
}

/// Every operation but the marketplace's, by operationId.
pub const OPERATIONS: &[OperationDoc] = &[
    OperationDoc {
        id: "signup",
        success: &[],
        errors: &[&[Code::Conflict(C::EmailTaken)]],
        database: true,
    },
    OperationDoc {
        id: "login",
        success: &[],
        errors: &[&[
            Code::Auth(A::InvalidCredentials),
            Code::Auth(A::AccountDisabled),
        ]],
        database: true,
    },
    OperationDoc {
        id: "refresh_tokens",
        success: &[],
        errors: &[&[
            Code::Auth(A::InvalidToken),
            Code::Auth(A::TokenReused),
            Code::Auth(A::AccountDisabled),
        ]],
        database: true,
    },
    OperationDoc {
        id: "logout",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "request_password_reset",
        success: &[(202, Some("AcceptedDto"))],
        errors: &[],
        database: false,
    },
    OperationDoc {
        id: "confirm_password_reset",
        success: &[],
        errors: &[&[Code::Auth(A::InvalidResetToken)]],
        database: true,
    },
    OperationDoc {
        id: "get_me",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "update_me",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "list_users",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "get_user",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "update_user",
        success: &[],
        errors: &[FORBIDDEN, &[Code::Conflict(C::SelfLockout)]],
        database: true,
    },
    OperationDoc {
        id: "list_user_bookings",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "list_my_notifications",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "count_my_unread_notifications",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "mark_my_notification_read",
        success: &[],
        errors: &[NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "mark_all_my_notifications_read",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "list_user_notifications",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "mark_user_notification_read",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "stream_my_notifications",
        success: &[],
        errors: &[
            &[
                Code::Auth(A::AuthenticationRequired),
                Code::Auth(A::InvalidStreamTicket),
            ],
            &[Code::Edge(E::TooManyStreams)],
        ],
        database: true,
    },
    OperationDoc {
        id: "create_stream_ticket",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "push_notification",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "list_outbox",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "retry_outbox_message",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND, &[Code::Conflict(C::AlreadyDelivered)]],
        database: true,
    },
    OperationDoc {
        id: "create_webhook",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "list_webhooks",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "get_webhook",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "delete_webhook",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "list_webhook_deliveries",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "redeliver_webhook_delivery",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "create_city",
        success: &[],
        errors: &[FORBIDDEN, &[Code::Conflict(C::Duplicate)]],
        database: true,
    },
    OperationDoc {
        id: "list_cities",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "create_venue",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "list_venues",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "create_event",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "list_events",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "get_event",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "create_show",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "book_event",
        success: &[],
        errors: &[&[
            Code::Domain(X::SoldOut),
            Code::Domain(X::ShowStarted),
            Code::Conflict(C::NoShow),
            Code::Conflict(C::AmbiguousShow),
        ]],
        database: true,
    },
    OperationDoc {
        id: "get_show",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "quote_booking",
        success: &[],
        errors: &[NOT_FOUND, BOOKING_CONFLICTS],
        database: true,
    },
    OperationDoc {
        id: "get_seat_map",
        success: &[(304, None)],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "stream_seat_map",
        success: &[],
        errors: &[&[Code::Edge(E::TooManyStreams)]],
        database: true,
    },
    OperationDoc {
        id: "get_seat",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "import_seats",
        success: &[],
        errors: &[
            FORBIDDEN,
            &[Code::Conflict(C::NotSeated)],
            &[Code::Domain(X::InvalidCsv)],
        ],
        database: true,
    },
    OperationDoc {
        id: "import_pricing",
        success: &[],
        errors: &[
            FORBIDDEN,
            &[Code::Conflict(C::NotSeated)],
            &[Code::Domain(X::InvalidCsv)],
        ],
        database: true,
    },
    OperationDoc {
        id: "create_booking",
        success: &[],
        errors: &[
            NOT_FOUND,
            BOOKING_CONFLICTS,
            &[
                Code::Conflict(C::SlotTaken),
                Code::Conflict(C::ServiceInactive),
            ],
        ],
        database: true,
    },
    OperationDoc {
        id: "list_bookings",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "get_booking",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "delete_booking",
        success: &[],
        errors: &[&[Code::Domain(X::IllegalTransition)]],
        database: true,
    },
    OperationDoc {
        id: "cancel_booking",
        success: &[],
        errors: &[&[Code::Domain(X::IllegalTransition)]],
        database: true,
    },
    OperationDoc {
        id: "get_cancellation_quote",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "change_seats",
        success: &[],
        errors: &[&[
            Code::Conflict(C::BookingNotHeld),
            Code::Conflict(C::PaymentPending),
            Code::Domain(X::SeatUnavailable),
            Code::Domain(X::NotForSale),
            Code::Conflict(C::NotSeated),
        ]],
        database: true,
    },
    OperationDoc {
        id: "get_booking_history",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "initiate_payment",
        success: &[],
        errors: &[
            NOT_FOUND,
            &[
                Code::Conflict(C::BookingNotHeld),
                Code::Conflict(C::PaymentPending),
            ],
        ],
        database: true,
    },
    OperationDoc {
        id: "confirm_payment",
        success: &[(202, Some("PaymentDto"))],
        errors: &[
            &[
                Code::Decline(D::CardDeclined),
                Code::Decline(D::InsufficientFunds),
            ],
            NOT_FOUND,
            &[Code::Domain(X::IllegalTransition)],
        ],
        database: true,
    },
    OperationDoc {
        id: "payment_webhook",
        success: &[],
        errors: &[
            &[Code::Auth(A::InvalidSignature)],
            NOT_FOUND,
            &[Code::Conflict(C::GatewayRefMismatch)],
        ],
        database: true,
    },
    OperationDoc {
        id: "get_payment",
        success: &[],
        errors: &[],
        database: true,
    },
    OperationDoc {
        id: "refund_payment",
        success: &[],
        errors: &[
            FORBIDDEN,
            &[
                Code::Conflict(C::PaymentNotSucceeded),
                Code::Conflict(C::NothingToRefund),
                Code::Conflict(C::RefundExceedsPayment),
            ],
        ],
        database: true,
    },
    OperationDoc {
        id: "health",
        success: &[],
        errors: &[],
        database: false,
    },
    OperationDoc {
        id: "ready",
        success: &[],
        errors: &[],
        database: true,
    },
];

/// Response headers an operation sends: operation id, the statuses that carry the header, its
/// name and what it means.
pub const RESPONSE_HEADERS: &[(&str, &[u16], &str, &str)] = &[(
    "get_seat_map",
    &[200, 304],
    "ETag",
    "A strong validator of the seat map's body (a quoted hash of its bytes): equal bodies \
     have equal tags. Send it back in `If-None-Match` to be answered 304 while the map is \
     unchanged.",
)];

/// The short meaning of each error status.
fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Malformed request",
        401 => "Not signed in, a bad token or bad credentials; carries `WWW-Authenticate`",
        402 => "The payment was declined; `details.payment` is the failed payment",
        403 => "Signed in but not allowed",
        404 => "No such resource (an unknown or unparsable id, or one the caller may not see)",
        409 => "State conflict",
        413 => "The body is too large",
        415 => "Unsupported content type",
        422 => "Validation failed; `details.fields` names the failing fields",
        429 => "Too many requests; see `Retry-After`",
        503 => "The database or the payment gateway is unavailable; retry after `Retry-After`",
        _ => "Error",
    }
}

/// The error codes an operation can answer, by status: its row of [`OPERATIONS`] plus what its
/// inputs imply (a body, a query, a path id, a bearer token, an `Idempotency-Key`).
fn error_codes(op: &Value, doc: Option<&OperationDoc>) -> BTreeMap<u16, BTreeSet<&'static str>> {
    let mut out: BTreeMap<u16, BTreeSet<&'static str>> = BTreeMap::new();
    let mut add = |codes: &[Code]| {
        for code in codes {
            out.entry(code.status_u16())
                .or_default()
                .insert(code.as_str());
        }
    };
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let has_header = |name: &str| {
        params
            .iter()
            .any(|p| p["in"] == "header" && p["name"] == name)
    };
    if op.get("requestBody").is_some() {
        add(&[Code::Edge(E::BadRequest)]);
        add(&[Code::Edge(E::PayloadTooLarge)]);
        add(&[Code::Edge(E::UnsupportedMediaType)]);
        add(&[Code::Domain(X::ValidationFailed)]);
    }
    if has("query") {
        add(&[Code::Edge(E::BadRequest)]);
        add(&[Code::Domain(X::ValidationFailed)]);
    }
    if has("path") {
        add(&[Code::Domain(X::NotFound)]);
    }
    if has_header("X-Booking-Token") {
        add(&[Code::Domain(X::NotFound)]);
    }
    if let Some(security) = op["security"].as_array() {
        let optional = security
            .iter()
            .any(|s| s.as_object().is_some_and(Map::is_empty));
        if optional {
            add(&[
                Code::Auth(A::InvalidToken),
                Code::Auth(A::TokenExpired),
                Code::Auth(A::AccountDisabled),
            ]);
        } else {
            add(&[
                Code::Auth(A::AuthenticationRequired),
                Code::Auth(A::InvalidToken),
                Code::Auth(A::TokenExpired),
                Code::Auth(A::AccountDisabled),
            ]);
        }
    }
    if has_header("Idempotency-Key") {
        add(&[Code::Edge(E::InvalidIdempotencyKey)]);
        add(&[Code::Conflict(C::RequestInProgress)]);
        add(&[Code::Edge(E::IdempotencyKeyReused)]);
    }
    let id = op["operationId"].as_str().unwrap_or("");
    if !matches!(id, "health" | "ready") {
        add(&[Code::Edge(E::RateLimited)]);
    }
    if let Some(doc) = doc {
        for codes in doc.errors {
            add(codes);
        }
        if doc.database {
            add(&[Code::Domain(X::Unavailable)]);
        }
    }
    out
}

pub(super) fn responses(spec: &mut Value) {
    for item in spec["paths"].as_object_mut().expect("paths").values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let id = op["operationId"].as_str().unwrap_or("").to_owned();
            let doc = operation_doc(&id);
            let errors = error_codes(op, doc);
            let responses = op["responses"].as_object_mut().expect("responses");
            responses.retain(|status, _| status.starts_with('2'));
            for (status, schema) in doc.map(|d| d.success).unwrap_or_default() {
                let mut r = json!({ "description": success_text(*status) });
                if let Some(name) = schema {
                    r["content"] = json!({ "application/json": { "schema": ref_to(name) } });
                }
                responses.insert(status.to_string(), r);
            }
            if id == "request_password_reset" {
                responses.remove("200");
            }
            for (_, statuses, name, description) in
                RESPONSE_HEADERS.iter().filter(|(op, ..)| *op == id)
            {
                for status in *statuses {
                    let r = responses
                        .get_mut(&status.to_string())
                        .unwrap_or_else(|| panic!("{id}: a header on undocumented {status}"));
                    r["headers"][*name] =
                        json!({ "description": description, "schema": { "type": "string" } });
                }
            }
            let mut lines = Vec::new();
            for (status, codes) in &errors {
                let list = codes
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                responses.insert(
                    status.to_string(),
                    json!({
                        "description": format!("{} ({list})", status_text(*status)),
                        "content": { "application/json": { "schema": ref_to("ErrorBody") } },
                    }),
                );
                lines.push(format!("- {status}: {list}"));
            }
            if !lines.is_empty() {
                let intro = op["description"].as_str().map(str::to_owned);
                let table = format!("Error codes:\n{}", lines.join("\n"));
                op["description"] = json!(match intro {
                    Some(d) => format!("{d}\n\n{table}"),
                    None => table,
                });
            }
        }
    }
}

fn success_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted: the work goes on after the answer",
        204 => "No Content",
        304 => "Not Modified: unchanged since the `ETag` named in `If-None-Match`; no body",
        _ => "Success",
    }
}
