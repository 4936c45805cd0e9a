DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM bookings WHERE show_id IS NULL) THEN
        RAISE EXCEPTION 'appointment bookings exist: this migration cannot be reverted without losing them';
    END IF;
END $$;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_topic_check;
DELETE FROM webhook_deliveries WHERE topic IN ('booking.pending', 'booking.rescheduled', 'appointment.reminder');
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_topic_check CHECK (topic IN (
    'booking.held', 'booking.confirmed', 'booking.cancelled', 'booking.expired',
    'booking.completed', 'booking.seats_changed', 'payment.succeeded', 'payment.failed',
    'refund.issued'));
UPDATE webhooks SET events = array_remove(array_remove(array_remove(events,
    'booking.pending'), 'booking.rescheduled'), 'appointment.reminder');
DELETE FROM webhooks WHERE cardinality(events) = 0;
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1
    AND events <@ ARRAY['booking.held', 'booking.confirmed', 'booking.cancelled',
        'booking.expired', 'booking.completed', 'booking.seats_changed', 'payment.succeeded',
        'payment.failed', 'refund.issued']::TEXT[]);
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued',
    'announcement', 'password.reset_requested', 'webhook'));
DROP TABLE class_places;
DROP TABLE appointments;
DROP FUNCTION appointments_class_places();
DROP FUNCTION appointments_slot_key();
DROP INDEX ix_bookings_held_due_all;
ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_status_check
    CHECK (status IN ('held', 'confirmed', 'completed', 'expired', 'cancelled'));
ALTER TABLE bookings ALTER COLUMN show_id SET NOT NULL;
