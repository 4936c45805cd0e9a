-- The booking core: catalogue (cities, venues, events, shows, seat classes, seats) and bookings.
-- Invariants enforced here, not only in Rust:
--   * a seat is in at most one active (held/confirmed) booking  -> uq_booking_items_active_seat
--   * free places of a general-admission show never go below 0 -> ck_shows_free_places
--   * prices and amounts are non-negative integer minor units   -> CHECKs below

CREATE TABLE cities (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    country     TEXT NOT NULL CHECK (length(btrim(country)) BETWEEN 1 AND 100),
    latitude    DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude   DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq_cities_name_country ON cities (lower(name), lower(country));

CREATE TABLE venues (
    id          BIGSERIAL PRIMARY KEY,
    city_id     BIGINT NOT NULL REFERENCES cities (id),
    name        TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    address     TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    latitude    DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude   DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_venues_city ON venues (city_id);

CREATE TABLE events (
    id           BIGSERIAL PRIMARY KEY,
    title        TEXT NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description  TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    event_type   TEXT NOT NULL CHECK (event_type IN ('movie', 'concert', 'sport', 'standup', 'theatre', 'other')),
    city_id      BIGINT NOT NULL REFERENCES cities (id),
    venue_id     BIGINT REFERENCES venues (id),
    metadata     JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_events_city_type ON events (city_id, event_type);
CREATE INDEX ix_events_venue ON events (venue_id);

CREATE TABLE shows (
    id           BIGSERIAL PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES events (id),
    venue_id     BIGINT REFERENCES venues (id),
    screen_name  TEXT NOT NULL DEFAULT '' CHECK (length(screen_name) <= 200),
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('seated', 'general')),
    currency     CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- general admission only
    capacity     INTEGER,
    free_places  INTEGER,
    price        BIGINT CHECK (price >= 0),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_shows_time CHECK (ends_at > starts_at),
    CONSTRAINT ck_shows_free_places CHECK (free_places >= 0 AND free_places <= capacity),
    CONSTRAINT ck_shows_kind_capacity CHECK (
        (kind = 'general' AND capacity IS NOT NULL AND capacity > 0 AND free_places IS NOT NULL)
        OR (kind = 'seated' AND capacity IS NULL AND free_places IS NULL AND price IS NULL))
);
CREATE INDEX ix_shows_event_starts ON shows (event_id, starts_at);
CREATE INDEX ix_shows_starts ON shows (starts_at);

CREATE TABLE seat_classes (
    id            BIGSERIAL PRIMARY KEY,
    show_id       BIGINT NOT NULL REFERENCES shows (id),
    name          TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 50),
    min_price     BIGINT CHECK (min_price >= 0),
    normal_price  BIGINT CHECK (normal_price >= 0),
    max_price     BIGINT CHECK (max_price >= 0),
    external_ref  TEXT,
    CONSTRAINT uq_seat_classes_show_name UNIQUE (show_id, name)
);

CREATE TABLE seats (
    id             BIGSERIAL PRIMARY KEY,
    show_id        BIGINT NOT NULL REFERENCES shows (id),
    seat_class_id  BIGINT NOT NULL REFERENCES seat_classes (id),
    label          TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 20),
    row_label      TEXT NOT NULL,
    seat_number    INTEGER NOT NULL CHECK (seat_number >= 0),
    external_ref   TEXT,
    CONSTRAINT uq_seats_show_label UNIQUE (show_id, label)
);
CREATE INDEX ix_seats_show_order ON seats (show_id, seat_class_id, row_label, seat_number);
CREATE INDEX ix_seats_class ON seats (seat_class_id);

CREATE TABLE bookings (
    id             UUID PRIMARY KEY,
    reference      TEXT NOT NULL UNIQUE,
    show_id        BIGINT NOT NULL REFERENCES shows (id),
    status         TEXT NOT NULL CHECK (status IN ('held', 'confirmed', 'completed', 'expired', 'cancelled')),
    customer_name  TEXT NOT NULL CHECK (length(btrim(customer_name)) BETWEEN 1 AND 200),
    phone          TEXT,
    email          TEXT,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    total_amount   BIGINT NOT NULL CHECK (total_amount >= 0),
    currency       CHAR(3) NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at   TIMESTAMPTZ,
    CONSTRAINT ck_bookings_contact CHECK (phone IS NOT NULL OR email IS NOT NULL)
);
CREATE INDEX ix_bookings_show ON bookings (show_id);
CREATE INDEX ix_bookings_email ON bookings (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX ix_bookings_phone ON bookings (phone) WHERE phone IS NOT NULL;

-- One row per seat (seated) or one row per general-admission booking (seat_id NULL, quantity n).
-- `active` mirrors "the booking is held or confirmed" and is flipped in the same transaction
-- that changes the booking's status.
CREATE TABLE booking_items (
    id             BIGSERIAL PRIMARY KEY,
    booking_id     UUID NOT NULL REFERENCES bookings (id),
    show_id        BIGINT NOT NULL REFERENCES shows (id),
    seat_id        BIGINT REFERENCES seats (id),
    seat_class_id  BIGINT REFERENCES seat_classes (id),
    label          TEXT,
    quantity       INTEGER NOT NULL DEFAULT 1 CHECK (quantity > 0),
    price          BIGINT NOT NULL CHECK (price >= 0),
    tier           TEXT CHECK (tier IN ('min', 'normal', 'max')),
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    CONSTRAINT ck_items_seat_class CHECK ((seat_id IS NULL) = (seat_class_id IS NULL)),
    CONSTRAINT ck_items_seat_quantity CHECK (seat_id IS NULL OR quantity = 1)
);
CREATE INDEX ix_booking_items_booking ON booking_items (booking_id);
-- Invariant 1: a seat is in at most one active booking.
CREATE UNIQUE INDEX uq_booking_items_active_seat ON booking_items (seat_id) WHERE active AND seat_id IS NOT NULL;
-- Occupancy of a seat class is counted from here inside the booking transaction.
CREATE INDEX ix_booking_items_active_class ON booking_items (seat_class_id) WHERE active AND seat_class_id IS NOT NULL;
CREATE INDEX ix_booking_items_active_show ON booking_items (show_id) WHERE active;
