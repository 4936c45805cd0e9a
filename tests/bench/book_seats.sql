-- pgbench custom script: the SQL work of ONE batch of seated bookings, statement for statement
-- as the server runs it since bookings are coalesced per show (ADR 0011; engine::book::book_batch
-- over infra-postgres tx.rs): BEGIN; the show; the union of the batch's seats FOR UPDATE (id
-- order); class pricing with the seat count, the striped sales counters and the seats of
-- past-due holds; the active items of those seats with their bookings' status and deadline
-- (lazy expiry); one statement that inserts the batch's bookings as 10-minute holds, their
-- creation rows in booking_history, their outbox messages, their items, and upserts the sales
-- counters; COMMIT —
-- 6 round trips per transaction, whatever the batch size.
--
-- Run by scripts/bench.sh (`make bench`) after tests/bench/setup_pool.sql:
--   pgbench -n -M prepared -c 64 -j 2 -T 10 -f tests/bench/book_seats.sql \
--     -D show=<id> -D first_seat=<min seat id> -D first_class=<min class id> \
--     -D blocks=<seats / (4 * batch)> -D per_class=500 -D batch=16 <url>
-- Bookings per second = tps x batch. `batch` is the mean number of bookings one transaction
-- carried in the HTTP flash sale (measured: docs/performance.md).
--
-- Which seats (honest collision handling): the pool has 500,000 seats cut into blocks of
-- 4 x batch adjacent seats. Each transaction takes a unique block number from the sequence
-- pgbench_seat_block (fetched in the same statement as the show lookup, so no extra round
-- trip), scatters it over the pool with pgbench's permute() and books, for each of its `batch`
-- bookings, the first 1-4 seats of that booking's 4 seats. Different transactions therefore
-- never want the same seat: this measures the uncontended cost of a booking. Only if a run
-- takes more transactions than there are blocks do blocks repeat; the items INSERT then skips
-- already-active seats (ON CONFLICT DO NOTHING) and scripts/bench.sh warns.
\set nseats random(1, 4)
BEGIN;
SELECT id, kind, starts_at, currency, nextval('pgbench_seat_block') AS blk FROM shows WHERE id = :show \gset
\set b permute(:blk, :blocks, 20261122)
\set s0 :first_seat + :b * 4 * :batch
\set s1 :s0 + 4 * :batch - 1
\set cls :first_class + (:s0 - :first_seat) / :per_class
SELECT id, show_id, seat_class_id, label, row_label, seat_number FROM seats WHERE id = ANY (ARRAY(SELECT g FROM generate_series(:s0::bigint, :s1::bigint) g WHERE (g - :s0) % 4 < :nseats)) ORDER BY id FOR UPDATE;
SELECT sc.id, sc.name, sc.min_price, sc.normal_price, sc.max_price, sc.seat_count::bigint, (COALESCE((SELECT sum(ss.sold) FROM seat_class_sales ss WHERE ss.seat_class_id = sc.id), 0) - (SELECT count(*) FROM bookings b JOIN booking_items bi ON bi.booking_id = b.id WHERE b.show_id = :show AND (b.status = 'held' AND b.expires_at <= now()) AND bi.active AND bi.seat_class_id = sc.id))::bigint FROM seat_classes sc WHERE sc.id = ANY (ARRAY[:cls::bigint, :cls::bigint + 1]);
SELECT bi.seat_id, b.id, b.status, b.expires_at FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id WHERE bi.seat_id = ANY (ARRAY(SELECT g FROM generate_series(:s0::bigint, :s1::bigint) g WHERE (g - :s0) % 4 < :nseats)) AND bi.active;
WITH u AS (SELECT gen_random_uuid() AS id, k FROM generate_series(0, :batch - 1) k), b AS (INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity, total_amount, currency, created_at, updated_at, guest_token_hash, expires_at) SELECT u.id, 'PGB-' || :blk || '-' || u.k, :show, 'held', 'Bench', 'bench@example.com', :nseats, :nseats * 1500, 'USD', now(), now(), sha256(('guest-' || :blk || '-' || u.k)::bytea), now() + interval '10 minutes' FROM u RETURNING id, status, created_at), h AS (INSERT INTO booking_history (booking_id, entity, entity_id, from_status, to_status, actor, reason, at) SELECT b.id, 'booking', b.id::text, NULL, b.status, 'guest', NULL, b.created_at FROM b JOIN u ON u.id = b.id), o AS (INSERT INTO outbox (message_id, topic, booking_id, at, next_attempt_at) SELECT gen_random_uuid(), 'booking.held', b.id, b.created_at, b.created_at FROM b JOIN u ON u.id = b.id), i AS (INSERT INTO booking_items (booking_id, show_id, seat_id, seat_class_id, label, quantity, price, tier) SELECT u.id, :show, g, :first_class + (g - :first_seat) / :per_class, 'S' || g, 1, 1500, 'normal' FROM u JOIN b ON b.id = u.id, generate_series(:s0::bigint + 4 * u.k, :s0::bigint + 4 * u.k + :nseats - 1) g ON CONFLICT (seat_id) WHERE active AND seat_id IS NOT NULL DO NOTHING) INSERT INTO seat_class_sales (seat_class_id, slot, sold) SELECT :first_class + (g - :first_seat) / :per_class, (g % 32)::smallint, count(*) FROM generate_series(:s0::bigint, :s1::bigint) g WHERE (g - :s0) % 4 < :nseats GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT (seat_class_id, slot) DO UPDATE SET sold = seat_class_sales.sold + EXCLUDED.sold;
COMMIT;
