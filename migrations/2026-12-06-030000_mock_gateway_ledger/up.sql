-- The mock payment gateway's ledger (crates/infra-payments, ADR 0007): the charges it made and
-- the refunds it answered, so that a refund after a restart finds its charge. Only the mock
-- gateway's adapter reads or writes these tables; a real gateway keeps its own books.

CREATE TABLE mock_gateway_charges (
    -- The gateway's id of the charge (`pay_…`), as stored in payments.gateway_ref.
    gateway_ref TEXT PRIMARY KEY,
    -- Our payment id: a repeated charge of the same payment is the same charge.
    payment_id UUID NOT NULL UNIQUE,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    method TEXT NOT NULL,
    -- The answer given: succeeded, declined (with decline_code) or pending (tok_delayed).
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'declined', 'pending')),
    decline_code TEXT,
    -- What may be refunded in all: the amount, or 0 for a declined charge.
    captured BIGINT NOT NULL,
    refunded BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_mock_gateway_charges_refunded CHECK (refunded >= 0 AND refunded <= captured),
    CONSTRAINT ck_mock_gateway_charges_declined CHECK ((status = 'declined') = (decline_code IS NOT NULL))
);

CREATE TABLE mock_gateway_refunds (
    -- Our refund id: a repeated refund is the same refund.
    refund_id UUID PRIMARY KEY,
    -- The charge asked for; not a foreign key: a refund of an unknown charge is answered
    -- (failed, unknown_charge) and remembered too.
    charge_ref TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    -- The gateway's id of a succeeded refund (`re_…`), or the code of a failed one.
    refund_ref TEXT,
    failure_code TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_mock_gateway_refunds_answer CHECK (
        (status = 'succeeded' AND refund_ref IS NOT NULL AND failure_code IS NULL)
        OR (status = 'failed' AND refund_ref IS NULL AND failure_code IS NOT NULL))
);
