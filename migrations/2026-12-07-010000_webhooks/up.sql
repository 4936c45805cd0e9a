-- Partner webhooks (issue 12, docs/webhooks.md): a provider's or an admin's URL that hears of
-- the bookings they may see. When the outbox's worker delivers a message about a booking, it
-- writes one delivery per webhook that receives it (unique per webhook and source message, so
-- a message delivered again fans out once), each with its own outbox row (topic `webhook`),
-- sent and retried by the same worker with the same backoff.
CREATE TABLE webhooks (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id),
    url         TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    -- The topics it subscribes to (at least one; the news about bookings only).
    events      TEXT[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@ ARRAY[
                    'booking.held', 'booking.confirmed', 'booking.cancelled', 'booking.expired',
                    'booking.completed', 'booking.seats_changed', 'payment.succeeded',
                    'payment.failed', 'refund.issued']::TEXT[]),
    -- The signing secret, sealed (ChaCha20-Poly1305 under a key derived from auth.jwt_secret,
    -- like a password reset's token in the outbox): never in the clear.
    secret      BYTEA NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
-- An owner's list, newest first; the fan-out's active webhooks of a topic.
CREATE INDEX ix_webhooks_owner ON webhooks (owner_id, created_at DESC);
CREATE INDEX ix_webhooks_events ON webhooks USING GIN (events) WHERE active;

CREATE TABLE webhook_deliveries (
    id                 UUID PRIMARY KEY,
    -- Deleting a webhook deletes its log and its outbox rows: nothing more is sent.
    webhook_id         UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The outbox message it came from.
    source_message_id  UUID NOT NULL,
    topic              TEXT NOT NULL CHECK (topic IN ('booking.held', 'booking.confirmed',
                           'booking.cancelled', 'booking.expired', 'booking.completed',
                           'booking.seats_changed', 'payment.succeeded', 'payment.failed',
                           'refund.issued')),
    -- The body sent, the same on every attempt.
    payload            JSONB NOT NULL,
    -- Every attempt (a redelivery's included) and the last one's outcome. Its state (pending,
    -- delivered, dead; when next due; when delivered) is its outbox row's.
    attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at    TIMESTAMPTZ,
    last_status        INTEGER CHECK (last_status BETWEEN 100 AND 599),
    last_error         TEXT,
    created_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT uq_webhook_deliveries_source UNIQUE (webhook_id, source_message_id)
);
-- A webhook's log, newest first.
CREATE INDEX ix_webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at DESC, id);

-- An outbox row is now about a booking, a notification, an account or a webhook delivery.
ALTER TABLE outbox ADD COLUMN webhook_delivery_id UUID UNIQUE
    REFERENCES webhook_deliveries (id) ON DELETE CASCADE;
ALTER TABLE outbox DROP CONSTRAINT ck_outbox_about;
ALTER TABLE outbox ADD CONSTRAINT ck_outbox_about
    CHECK (num_nonnulls(booking_id, notification_id, user_id, webhook_delivery_id) = 1);
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'payment.succeeded', 'payment.failed', 'refund.issued',
    'announcement', 'password.reset_requested', 'webhook'));
