-- Live streams (issue 12, ADR 0014).
--
-- The stream version of each show's state: a reader that sees a new state of a show stamps it
-- here (one statement: the stored version while the digest is the stored one, else the next).
-- Writers never touch this table, so bookings do not queue on a per-show row.
CREATE TABLE seat_stream_versions (
    show_id  BIGINT PRIMARY KEY REFERENCES shows (id) ON DELETE CASCADE,
    version  BIGINT NOT NULL CHECK (version > 0),
    digest   BIGINT NOT NULL
) WITH (fillfactor = 50);

-- Single-use tickets for opening the notifications stream from a browser (EventSource cannot
-- send an Authorization header). Only the SHA-256 of a ticket is kept.
CREATE TABLE stream_tickets (
    hash        BYTEA PRIMARY KEY CHECK (length(hash) = 32),
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_stream_tickets_expires ON stream_tickets (expires_at);
