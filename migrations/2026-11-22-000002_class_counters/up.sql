-- Cheap class occupancy for the booking hot path (see docs/decisions/0004).
--
-- * seat_classes.seat_count: seats of the class, kept by the adapter in the same transaction that
--   creates or imports seats.
-- * seat_class_sales: seats of the class in active bookings, striped over 32 slots per class
--   (slot = seat_id % 32), so concurrent bookings of one class rarely touch the same row.
--   sum(sold) over a class's slots = its active booking items; the booking and cancel
--   transactions keep it so.

ALTER TABLE seat_classes ADD COLUMN seat_count INTEGER NOT NULL DEFAULT 0 CHECK (seat_count >= 0);

UPDATE seat_classes sc SET seat_count = (SELECT count(*) FROM seats s WHERE s.seat_class_id = sc.id);

CREATE TABLE seat_class_sales (
    seat_class_id  BIGINT NOT NULL REFERENCES seat_classes (id),
    slot           SMALLINT NOT NULL CHECK (slot BETWEEN 0 AND 31),
    sold           INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    PRIMARY KEY (seat_class_id, slot)
);

INSERT INTO seat_class_sales (seat_class_id, slot, sold)
SELECT seat_class_id, (seat_id % 32)::smallint, count(*)
FROM booking_items
WHERE active AND seat_class_id IS NOT NULL
GROUP BY 1, 2;
