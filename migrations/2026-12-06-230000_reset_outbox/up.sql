-- The password-reset email goes through the outbox (issue 12): the message is about an account
-- and carries the reset token sealed (ChaCha20-Poly1305 under a key derived from the server's
-- secret; the database never holds the token in the clear), dropped once the message is
-- delivered or dead.
ALTER TABLE outbox ADD COLUMN user_id UUID REFERENCES users (id);
ALTER TABLE outbox ADD COLUMN sealed BYTEA;
ALTER TABLE outbox DROP CONSTRAINT ck_outbox_about;
ALTER TABLE outbox ADD CONSTRAINT ck_outbox_about
    CHECK (num_nonnulls(booking_id, notification_id, user_id) = 1);
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued',
    'announcement', 'password.reset_requested'));
