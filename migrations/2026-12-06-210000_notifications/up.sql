-- The in-app inbox (issue 12): one row per notification shown to a signed-in user. Written by
-- the outbox's delivery worker for bookings that belong to an account — at most once per outbox
-- message (`message_id` unique: a redelivery does not show it twice).
CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id),
    -- The outbox message it came from (NULL for one written otherwise).
    message_id  UUID UNIQUE,
    topic       TEXT NOT NULL CHECK (length(topic) BETWEEN 1 AND 50),
    booking_id  UUID REFERENCES bookings (id),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body        TEXT NOT NULL CHECK (length(body) <= 5000),
    created_at  TIMESTAMPTZ NOT NULL,
    read_at     TIMESTAMPTZ
);
-- A user's inbox, newest first; and their unread ones.
CREATE INDEX ix_notifications_user ON notifications (user_id, id DESC);
CREATE INDEX ix_notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
