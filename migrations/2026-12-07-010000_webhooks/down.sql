DELETE FROM outbox WHERE webhook_delivery_id IS NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued',
    'announcement', 'password.reset_requested'));
ALTER TABLE outbox DROP CONSTRAINT ck_outbox_about;
ALTER TABLE outbox ADD CONSTRAINT ck_outbox_about
    CHECK (num_nonnulls(booking_id, notification_id, user_id) = 1);
ALTER TABLE outbox DROP COLUMN webhook_delivery_id;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
