//! The machine-readable error codes, one enum per family. The strings are the HTTP contract
//! (`{"error": {"code": …}}`): the HTTP edge maps each family to its status (`api-actix`'s
//! error module), the OpenAPI error lists name these values, and a test checks the error table
//! of `docs/api.md` against [`ALL` of every family](DomainCode::ALL).
//!
//! This module is the bottom of the domain: it imports no other module of the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Defines a code enum with `as_str` (the wire string), `meaning` (one line), `ALL`, `parse`,
/// `Display` and comparison with a `&str`.
macro_rules! codes {
    (
        $(#[$attr:meta])*
        pub enum $name:ident {
            $($variant:ident => $code:literal, $meaning:literal;)*
        }
    ) => {
        $(#[$attr])*
        pub enum $name {
            $(#[doc = $meaning] $variant,)*
        }

        impl $name {
            /// Every value, in the order of the table in `docs/api.md`.
            pub const ALL: [$name; [$($code),*].len()] = [$($name::$variant),*];

            /// The wire string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// What the code means, in one line.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $($name::$variant => $meaning,)*
                }
            }

            /// The value whose wire string is `s`.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|c| c.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

codes! {
    /// The one code of each [`DomainError`](crate::DomainError) variant that has exactly one
    /// (the families below carry the others).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DomainCode {
        ValidationFailed => "validation_failed", "input breaks a rule; the failing fields are listed (422)";
        NotFound => "not_found", "an unknown id, or one the caller may not see (404)";
        SeatUnavailable => "seat_unavailable", "a requested seat is held or booked by someone else (409)";
        SoldOut => "sold_out", "not enough free general-admission places (409)";
        NotForSale => "not_for_sale", "a requested seat's class has no price (409)";
        ShowStarted => "show_started", "the show has started and can no longer be booked (409)";
        IllegalTransition => "illegal_transition", "a booking state change the state machine does not allow (409)";
        InvalidCsv => "invalid_csv", "a CSV file is rejected at a line (422)";
        Unavailable => "unavailable", "a dependency is down or saturated: retry later (503)";
        Internal => "internal", "a failure of the machinery, a bug (500)";
    }
}

codes! {
    /// The codes of [`DomainError::Conflict`](crate::DomainError::Conflict) (409), plus the
    /// 409s the HTTP edge decides itself (`no_show`, `ambiguous_show`, `request_in_progress`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ConflictCode {
        EmailTaken => "email_taken", "an account with this email exists (case-insensitive)";
        SelfLockout => "self_lockout", "an admin deactivating or demoting themselves";
        BookingNotHeld => "booking_not_held", "the booking is not held, or its hold is past due";
        PaymentPending => "payment_pending", "another payment of the booking is still initiated";
        PaymentNotSucceeded => "payment_not_succeeded", "refunding a payment that did not succeed";
        NothingToRefund => "nothing_to_refund", "the payment's refunds already add up to the amount paid";
        RefundExceedsPayment => "refund_exceeds_payment", "the database's cap refused a refund (a concurrent refund came first)";
        GatewayRefMismatch => "gateway_ref_mismatch", "a webhook names another gateway charge than the payment's";
        Duplicate => "duplicate", "a city with the same name and country exists";
        NotSeated => "not_seated", "a seat or pricing import into a general-admission show, or a seat change of an appointment";
        RequestInProgress => "request_in_progress", "a request with the same Idempotency-Key is still being worked on";
        NoShow => "no_show", "booking an event that has no show";
        AmbiguousShow => "ambiguous_show", "booking an event that has more than one show";
        IllegalPaymentTransition => "illegal_payment_transition", "a payment status change its state machine does not allow";
        IllegalRefundTransition => "illegal_refund_transition", "a refund status change its state machine does not allow";
        GatewayIdempotencyMismatch => "gateway_idempotency_mismatch", "the gateway saw this idempotency key with another charge or refund";
        AlreadyDelivered => "already_delivered", "retrying an outbox message that was delivered (or changed while the retry was asked)";
        SlotTaken => "slot_taken", "the provider is busy at that time (another appointment or its buffers), or the class is full";
        ServiceInactive => "service_inactive", "booking a service its provider has switched off";
        NotAnAppointment => "not_an_appointment", "moving (or accepting, declining) a booking that is not an appointment";
    }
}

codes! {
    /// The codes of [`DomainError::Unauthorized`](crate::DomainError::Unauthorized) (401).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AuthCode {
        AuthenticationRequired => "authentication_required", "the route needs a signed-in caller and no token was sent";
        InvalidToken => "invalid_token", "a malformed, forged, not yet valid or unknown token";
        TokenExpired => "token_expired", "the access token has expired";
        AccountDisabled => "account_disabled", "the account is deactivated";
        InvalidCredentials => "invalid_credentials", "wrong email or password";
        TokenReused => "token_reused", "a refresh token presented twice: that sign-in is revoked";
        InvalidResetToken => "invalid_reset_token", "an unknown, used or expired password-reset token";
        InvalidSignature => "invalid_signature", "a webhook without a valid signature";
        InvalidStreamTicket => "invalid_stream_ticket", "an unknown, used or expired stream ticket";
    }
}

impl AuthCode {
    /// Whether the code says a presented token failed (RFC 6750 `error="invalid_token"` in
    /// `WWW-Authenticate`); the others are a missing token or bad credentials.
    pub const fn is_token_failure(self) -> bool {
        !matches!(
            self,
            AuthCode::AuthenticationRequired
                | AuthCode::InvalidCredentials
                | AuthCode::InvalidResetToken
        )
    }
}

codes! {
    /// The codes of [`DomainError::Forbidden`](crate::DomainError::Forbidden) (403).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ForbiddenCode {
        Forbidden => "forbidden", "signed in, but this role or this user may not do it";
    }
}

codes! {
    /// Why a gateway declined a charge: the codes of
    /// [`DomainError::PaymentDeclined`](crate::DomainError::PaymentDeclined) (402), also a failed
    /// payment's `failure_code`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DeclineCode {
        CardDeclined => "card_declined", "the card was declined";
        InsufficientFunds => "insufficient_funds", "the account lacks the funds";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_one_snake_case_word_used_once() {
        let all: Vec<&str> = DomainCode::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(ConflictCode::ALL.iter().map(|c| c.as_str()))
            .chain(AuthCode::ALL.iter().map(|c| c.as_str()))
            .chain(ForbiddenCode::ALL.iter().map(|c| c.as_str()))
            .chain(DeclineCode::ALL.iter().map(|c| c.as_str()))
            .collect();
        let unique: HashSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "a code string is used twice");
        for code in all {
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        for c in ConflictCode::ALL {
            assert_eq!(ConflictCode::parse(c.as_str()), Some(c));
            assert!(!c.meaning().is_empty());
        }
    }

    #[test]
    fn a_decline_code_serializes_as_its_string() {
        for c in DeclineCode::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
        }
    }
}
