-- Idempotency keys: one row per (scope, key) while a request with that key is being worked on
-- (`in_progress`) and, once answered, the answer replayed to retries (`completed`). Rows are
-- kept until `expires_at` (24 h after the answer) and deleted in small batches by later
-- requests. See docs/api.md ("Idempotency") and docs/security.md.

CREATE TABLE idempotency_keys (
    -- Whose key: `user:<uuid>` (anonymous callers may not send keys; `booking:<uuid>` is
    -- reserved for routes that identify a guest by a booking's token).
    scope           text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
    -- As sent: 1-255 visible ASCII characters.
    key             text NOT NULL CHECK (key ~ '^[!-~]{1,255}$'),
    -- SHA-256 of the method, path and raw body of the request the key was first used with.
    request_hash    bytea NOT NULL CHECK (length(request_hash) = 32),
    status          text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    -- The attempt that owns the key; only it may complete or release the row.
    lease           uuid NOT NULL,
    response_status integer CHECK (response_status BETWEEN 100 AND 599),
    response_body   bytea,
    content_type    text,
    -- When the current attempt began (an abandoned attempt is taken over after 60 s).
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CONSTRAINT ck_idempotency_keys_completed CHECK (
        (status = 'completed') = (response_status IS NOT NULL
                                  AND response_body IS NOT NULL
                                  AND completed_at IS NOT NULL)
    ),
    CONSTRAINT ck_idempotency_keys_expiry CHECK (expires_at > created_at)
);

-- The bounded clean-up of expired rows.
CREATE INDEX ix_idempotency_keys_expires ON idempotency_keys (expires_at);
