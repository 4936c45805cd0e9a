-- The transactional outbox (issue 12, ADR 0013): one row per message about a booking, written
-- in the transaction of the change it announces (the booking engine's `BookingTx::enqueue`,
-- the bookings' own INSERT statement, the completion sweep), so a message exists exactly when
-- its change committed. Delivered later, at least once, by the delivery worker; `message_id`
-- stays the same across retries so that a receiver can recognise a repeat.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    message_id      UUID NOT NULL UNIQUE,
    topic           TEXT NOT NULL CHECK (topic IN ('booking.held', 'booking.confirmed',
                        'booking.cancelled', 'booking.expired', 'booking.completed',
                        'booking.seats_changed', 'payment.succeeded', 'payment.failed',
                        'refund.issued')),
    booking_id      UUID NOT NULL REFERENCES bookings (id),
    -- When the change happened.
    at              TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT,
    delivered_at    TIMESTAMPTZ,
    CONSTRAINT ck_outbox_delivered CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
-- The worker's claim: pending rows that are due, oldest first.
CREATE INDEX ix_outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
-- The admin's list of dead messages.
CREATE INDEX ix_outbox_dead ON outbox (id) WHERE status = 'dead';
CREATE INDEX ix_outbox_booking ON outbox (booking_id);
