-- The yardstick of `make bench` (docs/performance.md, "The yardstick"): raw PostgreSQL doing the
-- minimal work of a booking, in its own database. FIXED: it must never change with our schema or
-- our SQL, so that ratios to it measure us, not it. 1,000 shows x 500 seats, loaded per show in
-- seat order, then VACUUM ANALYZE (run by scripts/bench.sh).
\set ON_ERROR_STOP on
CREATE TABLE shows (
    id int PRIMARY KEY,
    title text NOT NULL,
    starts_at timestamptz NOT NULL,
    total_seats int NOT NULL,
    available_seats int NOT NULL CHECK (available_seats >= 0)
);
CREATE TABLE seats (
    id bigint PRIMARY KEY, -- show_id * 1000000 + seat number
    show_id int NOT NULL REFERENCES shows (id),
    "row" text NOT NULL,
    number int NOT NULL,
    class text NOT NULL,
    status text NOT NULL CHECK (status IN ('available', 'booked')),
    UNIQUE (show_id, "row", number)
);
CREATE TABLE bookings (
    id bigserial PRIMARY KEY,
    show_id int NOT NULL REFERENCES shows (id),
    user_name text NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE booking_seats (
    booking_id bigint NOT NULL REFERENCES bookings (id),
    seat_id bigint NOT NULL REFERENCES seats (id),
    active bool NOT NULL,
    PRIMARY KEY (booking_id, seat_id)
);
CREATE UNIQUE INDEX booking_seats_active_seat ON booking_seats (seat_id) WHERE active;

INSERT INTO shows (id, title, starts_at, total_seats, available_seats)
SELECT s, 'Show ' || s, now() + interval '30 days', 500, 500
FROM generate_series(1, 1000) s;
-- Seat n of a show: row = the n-th block of 25 (A..T), number 1..25, class by row band.
INSERT INTO seats (id, show_id, "row", number, class, status)
SELECT s * 1000000 + n, s, chr(65 + (n - 1) / 25), (n - 1) % 25 + 1,
       CASE WHEN n <= 150 THEN 'front' WHEN n <= 350 THEN 'middle' ELSE 'back' END, 'available'
FROM generate_series(1, 1000) s, generate_series(1, 500) n
ORDER BY s, n;
