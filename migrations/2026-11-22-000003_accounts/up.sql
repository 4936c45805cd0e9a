-- Accounts, sessions (refresh-token families), password resets, and ownership of events and
-- bookings. Secrets are stored only as SHA-256 hashes (tokens) or bcrypt hashes (passwords).

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    phone         text,
    password_hash text NOT NULL,
    first_name    text NOT NULL DEFAULT '',
    last_name     text NOT NULL DEFAULT '',
    address       text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('customer', 'provider', 'admin')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- Emails are unique whatever their case (the domain also lower-cases them).
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_role_idx ON users (role, created_at);

-- One row per refresh token; a family is one sign-in and all its rotations.
CREATE TABLE refresh_tokens (
    id          bigserial PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE password_reset_tokens (
    id          bigserial PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CONSTRAINT password_reset_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);

-- The provider who organises an event (NULL for events made before accounts: admin-only).
ALTER TABLE events ADD COLUMN organizer_id uuid REFERENCES users (id);
CREATE INDEX events_organizer_idx ON events (organizer_id) WHERE organizer_id IS NOT NULL;

-- A booking belongs to an account, or to whoever holds its guest token (hash kept here).
ALTER TABLE bookings
    ADD COLUMN user_id uuid REFERENCES users (id),
    ADD COLUMN guest_token_hash bytea CHECK (guest_token_hash IS NULL OR length(guest_token_hash) = 32);
CREATE INDEX bookings_user_idx ON bookings (user_id, created_at DESC) WHERE user_id IS NOT NULL;
