DELETE FROM outbox WHERE notification_id IS NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued'));
ALTER TABLE outbox DROP CONSTRAINT ck_outbox_about;
ALTER TABLE outbox DROP COLUMN notification_id;
ALTER TABLE outbox ALTER COLUMN booking_id SET NOT NULL;
