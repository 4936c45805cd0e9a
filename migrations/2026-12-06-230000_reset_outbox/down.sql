DELETE FROM outbox WHERE user_id IS NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued',
    'announcement'));
ALTER TABLE outbox DROP CONSTRAINT ck_outbox_about;
ALTER TABLE outbox ADD CONSTRAINT ck_outbox_about
    CHECK ((booking_id IS NULL) <> (notification_id IS NULL));
ALTER TABLE outbox DROP COLUMN sealed;
ALTER TABLE outbox DROP COLUMN user_id;
