-- The history of a booking: one row per status change of the booking (and, later, of its
-- payments and refunds), written in the same transaction as the change and listed oldest first
-- at GET /api/v1/bookings/{id}/history. See docs/schema.md.

CREATE TABLE booking_history (
    id          BIGSERIAL PRIMARY KEY,
    booking_id  UUID NOT NULL REFERENCES bookings (id),
    -- What changed: the booking itself, or one of its payments or refunds.
    entity      TEXT NOT NULL CHECK (entity IN ('booking', 'payment', 'refund')),
    -- The id of that booking, payment or refund, as text.
    entity_id   TEXT NOT NULL CHECK (length(entity_id) BETWEEN 1 AND 100),
    -- NULL when the entity was created in status `to_status`.
    from_status TEXT,
    to_status   TEXT NOT NULL,
    -- Who caused it: `user:<uuid>`, `guest`, `operator`, or a system name (`reaper`, `gateway`,
    -- `webhook`); NULL when unknown (rows backfilled below).
    actor       TEXT CHECK (length(actor) BETWEEN 1 AND 100),
    reason      TEXT CHECK (length(reason) BETWEEN 1 AND 500),
    at          TIMESTAMPTZ NOT NULL
);
-- The listing of one booking, oldest first (ids grow with time within a booking).
CREATE INDEX ix_booking_history_booking ON booking_history (booking_id, id);

-- Bookings made before the history was kept: a creation row (every booking was created
-- `confirmed` until holds exist) and, for a cancelled one, its cancellation.
INSERT INTO booking_history (booking_id, entity, entity_id, from_status, to_status, actor, reason, at)
SELECT b.id, 'booking', b.id::text, NULL,
       CASE WHEN b.status = 'cancelled' THEN 'confirmed' ELSE b.status END,
       NULL, NULL, b.created_at
FROM bookings b
ORDER BY b.created_at, b.id;
INSERT INTO booking_history (booking_id, entity, entity_id, from_status, to_status, actor, reason, at)
SELECT b.id, 'booking', b.id::text, 'confirmed', 'cancelled', NULL,
       'recorded before the history was kept', COALESCE(b.cancelled_at, b.updated_at)
FROM bookings b
WHERE b.status = 'cancelled'
ORDER BY b.cancelled_at, b.id;
