-- The yardstick's booking transaction (docs/performance.md, "The yardstick"); FIXED.
-- A random show; take a place off its counter; if one was left, write the booking, its seat row,
-- and mark the seat booked; otherwise roll back. pgbench -M prepared.
\set show random(1, 1000)
BEGIN;
WITH taken AS (
    UPDATE shows SET available_seats = available_seats - 1
    WHERE id = :show AND available_seats > 0
    RETURNING total_seats - available_seats AS seat_no
)
SELECT coalesce((SELECT seat_no FROM taken), 0) AS seat_no \gset
\if :seat_no > 0
INSERT INTO bookings (show_id, user_name, status, created_at)
VALUES (:show, 'yardstick', 'confirmed', now()) RETURNING id AS booking_id \gset
INSERT INTO booking_seats (booking_id, seat_id, active)
VALUES (:booking_id, :show * 1000000 + :seat_no, true);
UPDATE seats SET status = 'booked' WHERE id = :show * 1000000 + :seat_no AND status = 'available';
COMMIT;
\else
ROLLBACK;
\endif
