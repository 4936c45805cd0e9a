//! Payments and refunds: the state machines, the test tokens, the refund policy at each of its
//! boundaries, the webhook signature, and the gateway port's mock.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::support::{failing_fields, t0, usd};
use crate::error::DomainError;
use crate::payment::{
    refund_amount, sign_webhook, verify_webhook, ChargeRequest, DeclineCode, GatewayOutcome,
    HistoryEntity, HistoryEntry, MockPaymentGateway, Payment, PaymentGateway, PaymentMethod,
    PaymentStatus, Refund, RefundOutcome, RefundPolicy, RefundRequest, RefundStatus, WebhookError,
    WEBHOOK_TOLERANCE_SECS,
};

mod entities;
mod gateway;
mod refund_policy;
