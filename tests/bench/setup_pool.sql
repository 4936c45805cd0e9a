-- Seat pool for tests/bench/book_seats.sql (database-alone baseline of `make bench`).
-- Run against a database that has the migrations applied. Creates ONE seated show with
-- 1,000 seat classes x 500 seats = 500,000 seats. Class size matches the HTTP flash sale
-- (4 classes x 500 seats), as in the server's transaction. Seat ids of the show are contiguous and grouped by
-- class (inserted in class order), which book_seats.sql relies on to derive a seat's
-- class id arithmetically; scripts/bench.sh verifies that before running pgbench.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO cities (name, country, latitude, longitude)
VALUES ('pgbench city', 'Benchland', 0, 0)
ON CONFLICT DO NOTHING;
INSERT INTO venues (city_id, name, latitude, longitude)
SELECT id, 'pgbench venue', 0, 0 FROM cities WHERE name = 'pgbench city';
INSERT INTO events (title, event_type, city_id, venue_id)
SELECT 'pgbench pool', 'concert', v.city_id, v.id FROM venues v WHERE v.name = 'pgbench venue'
ORDER BY v.id DESC LIMIT 1;
INSERT INTO shows (event_id, venue_id, screen_name, starts_at, ends_at, kind, currency)
SELECT e.id, e.venue_id, 'pgbench pool', now() + interval '30 days', now() + interval '30 days 2 hours',
       'seated', 'USD'
FROM events e WHERE e.title = 'pgbench pool' ORDER BY e.id DESC LIMIT 1;
INSERT INTO seat_classes (show_id, name, min_price, normal_price, max_price)
SELECT s.id, 'C' || lpad(c::text, 4, '0'), 1000, 1500, 2000
FROM (SELECT max(id) AS id FROM shows WHERE screen_name = 'pgbench pool') s,
     generate_series(1, 1000) c
ORDER BY c;
INSERT INTO seats (show_id, seat_class_id, label, row_label, seat_number)
SELECT sc.show_id, sc.id,
       sc.name || 'R' || (n / 50) || '-' || (n % 50 + 1),
       sc.name || 'R' || (n / 50),
       n % 50 + 1
FROM seat_classes sc
CROSS JOIN generate_series(0, 499) n
WHERE sc.show_id = (SELECT max(id) FROM shows WHERE screen_name = 'pgbench pool')
ORDER BY sc.id, n;
-- The seat count kept on each class, as the server keeps it (migration 000002).
UPDATE seat_classes sc SET seat_count = 500
WHERE sc.show_id = (SELECT max(id) FROM shows WHERE screen_name = 'pgbench pool');
-- Block counter: every transaction takes the next block of 4 adjacent seats (see book_seats.sql).
DROP SEQUENCE IF EXISTS pgbench_seat_block;
CREATE SEQUENCE pgbench_seat_block MINVALUE 0 START 0;
COMMIT;
ANALYZE;
