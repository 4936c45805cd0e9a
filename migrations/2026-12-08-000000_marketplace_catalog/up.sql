-- The service marketplace's catalogue (issue 14, docs/marketplace.md): categories, kept by the
-- admins, and the services providers offer in them, with their weekly availability in the
-- provider's time zone. The rules are the domain's (marketplace::availability and
-- marketplace::catalog); the CHECKs below mirror its limits.
CREATE TABLE categories (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    -- An inactive category takes no new services; its services stay.
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- One name whatever its case (a violation is 409 duplicate).
CREATE UNIQUE INDEX uq_categories_name ON categories (lower(name));

CREATE TABLE services (
    id                        BIGSERIAL PRIMARY KEY,
    provider_id               UUID NOT NULL REFERENCES users (id),
    title                     TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description               TEXT NOT NULL DEFAULT ''
                                  CHECK (char_length(description) <= 10000),
    category_id               BIGINT NOT NULL REFERENCES categories (id),
    -- Per appointment, minor units of `currency`.
    price                     BIGINT NOT NULL CHECK (price BETWEEN 0 AND 1000000000000),
    currency                  CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The availability: local times of the provider's IANA zone. `weekly` is a JSON array of
    -- {"weekday": "mon".."sun", "start": "HH:MM", "end": "HH:MM"} (at most 12 a weekday),
    -- `exceptions` one of {"kind": "closed", "date": "YYYY-MM-DD"} and
    -- {"kind": "extra", "date", "start", "end"} (at most 366).
    time_zone                 TEXT NOT NULL
                                  CHECK (btrim(time_zone) <> '' AND char_length(time_zone) <= 64),
    weekly                    JSONB NOT NULL DEFAULT '[]' CONSTRAINT ck_services_weekly CHECK (CASE
                                  WHEN jsonb_typeof(weekly) = 'array'
                                  THEN jsonb_array_length(weekly) <= 84 ELSE FALSE END),
    exceptions                JSONB NOT NULL DEFAULT '[]' CONSTRAINT ck_services_exceptions CHECK (CASE
                                  WHEN jsonb_typeof(exceptions) = 'array'
                                  THEN jsonb_array_length(exceptions) <= 366 ELSE FALSE END),
    duration_minutes          INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
    buffer_before_minutes     INTEGER NOT NULL DEFAULT 0
                                  CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes      INTEGER NOT NULL DEFAULT 0
                                  CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    capacity                  INTEGER NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 1000),
    min_notice_minutes        INTEGER NOT NULL DEFAULT 0
                                  CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    max_advance_days          INTEGER NOT NULL CHECK (max_advance_days BETWEEN 1 AND 730),
    -- The terms: the provider accepts each appointment first; a full refund at least
    -- `full_refund_hours_before` the start, `late_refund_percent` later; a reminder so many
    -- minutes before (NULL: none).
    requires_acceptance       BOOLEAN NOT NULL DEFAULT FALSE,
    full_refund_hours_before  INTEGER NOT NULL CHECK (full_refund_hours_before BETWEEN 0 AND 8760),
    late_refund_percent       INTEGER NOT NULL CHECK (late_refund_percent BETWEEN 0 AND 100),
    reminder_minutes_before   INTEGER CHECK (reminder_minutes_before BETWEEN 1 AND 10080),
    -- At most 10 pictures, each an http(s) URL (no NULL element).
    image_urls                TEXT[] NOT NULL DEFAULT '{}' CONSTRAINT ck_services_image_urls CHECK (
                                  cardinality(image_urls) <= 10
                                  AND array_position(image_urls, NULL) IS NULL
                                  AND (cardinality(image_urls) = 0
                                       OR (E'\n' || array_to_string(image_urls, E'\n'))
                                          !~ E'\n(?![Hh][Tt][Tt][Pp][Ss]?://)')),
    -- An inactive service is not listed in the search; a deleted one (soft: the row stays for
    -- the history of its appointments) is not listed and reads only for its provider and
    -- admins.
    active                    BOOLEAN NOT NULL DEFAULT TRUE,
    deleted_at                TIMESTAMPTZ,
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL,
    CONSTRAINT ck_services_times CHECK (updated_at >= created_at
                                        AND (deleted_at IS NULL OR deleted_at >= created_at))
);
-- The search lists live services only: a provider's, a category's (by price), by price, the
-- newest first.
CREATE INDEX ix_services_provider ON services (provider_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX ix_services_category ON services (category_id, price, id) WHERE deleted_at IS NULL;
CREATE INDEX ix_services_price ON services (price, id) WHERE deleted_at IS NULL;
CREATE INDEX ix_services_newest ON services (created_at DESC, id DESC) WHERE deleted_at IS NULL;
