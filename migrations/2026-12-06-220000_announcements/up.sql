-- Announcements (issue 12): an admin's message written to users' inboxes, and emailed through
-- the outbox when asked. An outbox row is now about a booking or about an inbox notification.
ALTER TABLE outbox ALTER COLUMN booking_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN notification_id BIGINT REFERENCES notifications (id);
ALTER TABLE outbox ADD CONSTRAINT ck_outbox_about
    CHECK ((booking_id IS NULL) <> (notification_id IS NULL));
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued',
    'announcement'));
