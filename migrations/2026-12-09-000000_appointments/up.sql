-- Appointments (issue 14, ADR 0016, docs/marketplace.md): a booking of a provider's time slot is
-- a row of `bookings` without a show (`show_id` NULL) plus a row here with its time. The
-- database itself refuses a double booking:
--   * `no_double_booking`: two active appointments of one provider whose occupied ranges
--     (buffers included) overlap, unless they are places of the same slot of the same service
--     (same `class_key`);
--   * `class_places`: the places of one slot of one service (`ck_class_places_capacity`), kept by
--     the trigger below whatever writes `appointments`.
-- The occupied range is written by the adapter from the domain's `slots::occupied_range`.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- An appointment's booking has no show: its kind is `show_id IS NULL`, stated nowhere else.
ALTER TABLE bookings ALTER COLUMN show_id DROP NOT NULL;
-- `pending`: paid (or free), waiting for the provider's acceptance.
ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_status_check
    CHECK (status IN ('held', 'pending', 'confirmed', 'completed', 'expired', 'cancelled'));
-- The holds sweep of all bookings (the per-show index needs a show).
CREATE INDEX ix_bookings_held_due_all ON bookings (expires_at) WHERE status = 'held';

CREATE TABLE appointments (
    booking_id            UUID PRIMARY KEY REFERENCES bookings (id),
    service_id            BIGINT NOT NULL REFERENCES services (id),
    provider_id           UUID NOT NULL REFERENCES users (id),
    starts_at             TIMESTAMPTZ NOT NULL,
    ends_at               TIMESTAMPTZ NOT NULL,
    buffer_before_minutes INTEGER NOT NULL CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes  INTEGER NOT NULL CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    places                INTEGER NOT NULL CHECK (places BETWEEN 1 AND 1000),
    notes                 TEXT NOT NULL DEFAULT '' CHECK (char_length(notes) <= 2000),
    -- [starts_at - buffer_before, ends_at + buffer_after): slots::occupied_range.
    occupied              TSTZRANGE NOT NULL,
    -- The slot: service and start (set by the trigger below; appointments of one slot of a
    -- class share it and do not exclude each other).
    class_key             TEXT NOT NULL DEFAULT '',
    -- Held, pending or confirmed: it takes the time.
    active                BOOLEAN NOT NULL,
    -- When its reminder was written to the outbox (once).
    reminded_at           TIMESTAMPTZ,
    CONSTRAINT ck_appointments_times CHECK (starts_at < ends_at AND NOT isempty(occupied)),
    CONSTRAINT no_double_booking EXCLUDE USING gist
        (provider_id WITH =, occupied WITH &&, class_key WITH <>) WHERE (active)
);
CREATE INDEX ix_appointments_provider ON appointments (provider_id, starts_at);
CREATE INDEX ix_appointments_service ON appointments (service_id, starts_at);
CREATE INDEX ix_appointments_reminders ON appointments (starts_at)
    WHERE active AND reminded_at IS NULL;

-- The places taken of each slot of a service: `taken` never exceeds the service's capacity.
CREATE TABLE class_places (
    service_id BIGINT NOT NULL REFERENCES services (id),
    starts_at  TIMESTAMPTZ NOT NULL,
    capacity   INTEGER NOT NULL,
    taken      INTEGER NOT NULL,
    PRIMARY KEY (service_id, starts_at),
    CONSTRAINT ck_class_places_capacity CHECK (taken BETWEEN 0 AND capacity)
);

CREATE FUNCTION appointments_slot_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.class_key := NEW.service_id::text || '@'
        || to_char(NEW.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US');
    RETURN NEW;
END $$;
CREATE TRIGGER trg_appointments_slot_key BEFORE INSERT OR UPDATE OF service_id, starts_at
    ON appointments FOR EACH ROW EXECUTE FUNCTION appointments_slot_key();

-- Counts an appointment's places in its slot while it is active: an active row entering a
-- slot adds its places (the CHECK refuses one place too many, the service's capacity as it
-- stands now), one leaving (inactive, moved) gives them back.
CREATE FUNCTION appointments_class_places() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.active THEN
        UPDATE class_places
           SET taken = taken - OLD.places, capacity = GREATEST(capacity, taken - OLD.places)
         WHERE service_id = OLD.service_id AND starts_at = OLD.starts_at;
    END IF;
    IF NEW.active THEN
        INSERT INTO class_places AS c (service_id, starts_at, capacity, taken)
        SELECT NEW.service_id, NEW.starts_at, s.capacity, NEW.places
          FROM services s WHERE s.id = NEW.service_id
        ON CONFLICT (service_id, starts_at)
        DO UPDATE SET taken = c.taken + EXCLUDED.taken, capacity = EXCLUDED.capacity;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER trg_appointments_class_places
    AFTER INSERT OR UPDATE OF active, service_id, starts_at, places ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_class_places();

-- The appointments' news: pending (waiting for the provider), rescheduled (moved), a reminder.
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('booking.held',
    'booking.confirmed', 'booking.cancelled', 'booking.expired', 'booking.completed',
    'booking.seats_changed', 'booking.pending', 'booking.rescheduled', 'appointment.reminder',
    'payment.succeeded', 'payment.failed', 'refund.issued', 'announcement',
    'password.reset_requested', 'webhook'));
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1
    AND events <@ ARRAY['booking.held', 'booking.confirmed', 'booking.cancelled',
        'booking.expired', 'booking.completed', 'booking.seats_changed', 'booking.pending',
        'booking.rescheduled', 'appointment.reminder', 'payment.succeeded', 'payment.failed',
        'refund.issued']::TEXT[]);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_topic_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_topic_check CHECK (topic IN (
    'booking.held', 'booking.confirmed', 'booking.cancelled', 'booking.expired',
    'booking.completed', 'booking.seats_changed', 'booking.pending', 'booking.rescheduled',
    'appointment.reminder', 'payment.succeeded', 'payment.failed', 'refund.issued'));
