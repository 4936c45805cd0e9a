//! Payments and refunds: initiate, confirm, webhook, late payments, refund policy and cap.
