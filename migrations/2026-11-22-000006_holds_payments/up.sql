-- Holds, payments and refunds (issue 4). See docs/lifecycle.md and docs/schema.md.
--
-- Invariants enforced here, not only in Rust:
--   * a booking has at most one payment that is not `failed`      -> uq_payments_live_booking
--     (so a retried or doubled "pay" can never charge a booking twice)
--   * the refunds of a payment (pending + succeeded) never exceed it -> ck_payments_refund_cap,
--     kept by the trigger on `refunds` whatever code inserts them
--   * refunds only against a succeeded payment                     -> trg_refunds_track_total

-- A held booking's deadline: past it, the hold is expired and its seats are free, whether or
-- not the reaper has written `expired` yet. NULL for bookings that were never held.
ALTER TABLE bookings ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE bookings ADD CONSTRAINT ck_bookings_held_expiry
    CHECK (status <> 'held' OR expires_at IS NOT NULL);
-- Past-due holds of a show (lazy expiry in the booking transaction and in reads) and the
-- reaper's scan: only held bookings are in this index, so it stays as small as the holds of
-- the last few minutes.
CREATE INDEX ix_bookings_held_due ON bookings (show_id, expires_at) WHERE status = 'held';
-- The completion job: confirmed bookings by show.
CREATE INDEX ix_bookings_confirmed_show ON bookings (show_id) WHERE status = 'confirmed';

CREATE TABLE payments (
    id               UUID PRIMARY KEY,
    booking_id       UUID NOT NULL REFERENCES bookings (id),
    amount           BIGINT NOT NULL CHECK (amount > 0),
    currency         CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status           TEXT NOT NULL CHECK (status IN ('initiated', 'succeeded', 'failed')),
    method           TEXT NOT NULL CHECK (length(method) BETWEEN 1 AND 50),
    gateway_ref      TEXT CHECK (length(gateway_ref) BETWEEN 1 AND 100),
    failure_code     TEXT CHECK (length(failure_code) BETWEEN 1 AND 50),
    -- What the success did to the booking (NULL until the payment succeeded).
    outcome          TEXT CHECK (outcome IN ('booking_confirmed', 'booking_revived',
                                             'refunded_booking_expired',
                                             'refunded_booking_cancelled')),
    -- Pending + succeeded refunds, kept by trg_refunds_track_total.
    refunded_amount  BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT ck_payments_refund_cap CHECK (refunded_amount <= amount),
    CONSTRAINT ck_payments_outcome CHECK ((outcome IS NULL) = (status <> 'succeeded'))
);
CREATE INDEX ix_payments_booking ON payments (booking_id, created_at);
CREATE UNIQUE INDEX uq_payments_live_booking ON payments (booking_id) WHERE status <> 'failed';

CREATE TABLE refunds (
    id            UUID PRIMARY KEY,
    payment_id    UUID NOT NULL REFERENCES payments (id),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    reason        TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    gateway_ref   TEXT CHECK (length(gateway_ref) BETWEEN 1 AND 100),
    failure_code  TEXT CHECK (length(failure_code) BETWEEN 1 AND 50),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_refunds_payment ON refunds (payment_id, created_at);
-- Refunds the gateway has not answered yet (retried by the background job).
CREATE INDEX ix_refunds_pending ON refunds (created_at) WHERE status = 'pending';

-- Keeps payments.refunded_amount = sum of the payment's pending and succeeded refunds, and
-- refuses refunds of a payment that did not succeed. The CHECK ck_payments_refund_cap then
-- refuses any refund that would take the sum above the amount paid (concurrent refunds
-- serialise on the payment row this UPDATE locks).
CREATE FUNCTION refunds_track_total() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := 0;
    paid_status TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT status INTO paid_status FROM payments WHERE id = NEW.payment_id FOR UPDATE;
        IF paid_status IS DISTINCT FROM 'succeeded' THEN
            RAISE EXCEPTION 'refund of payment % that did not succeed', NEW.payment_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_refunds_payment_succeeded';
        END IF;
        IF NEW.status <> 'failed' THEN
            delta := NEW.amount;
        END IF;
    ELSE
        IF NEW.payment_id <> OLD.payment_id OR NEW.amount <> OLD.amount THEN
            RAISE EXCEPTION 'a refund''s payment and amount never change'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_refunds_immutable';
        END IF;
        IF OLD.status <> 'failed' AND NEW.status = 'failed' THEN
            delta := -OLD.amount;
        ELSIF OLD.status = 'failed' AND NEW.status <> 'failed' THEN
            delta := NEW.amount;
        END IF;
    END IF;
    IF delta <> 0 THEN
        UPDATE payments SET refunded_amount = refunded_amount + delta WHERE id = NEW.payment_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_refunds_track_total
    AFTER INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_track_total();
