-- pgbench custom script: the SQL work of ONE seated booking, statement for statement as the
-- server runs it (BEGIN; show; seats FOR UPDATE; class pricing with the seat count, the
-- striped sales counters and the seats of past-due holds; the active items of the seats with
-- their bookings' status and deadline (lazy expiry); one statement that inserts the booking as
-- a 10-minute hold, its creation row in booking_history and its items and upserts the sales
-- counters; COMMIT) — 7 round trips per transaction.
--
-- Run by scripts/bench.sh (`make bench`) after tests/bench/setup_pool.sql:
--   pgbench -n -M prepared -c 64 -j 2 -T 10 -f tests/bench/book_seats.sql \
--     -D show=<id> -D first_seat=<min seat id> -D first_class=<min class id> \
--     -D blocks=50000 -D per_class=500 <url>
--
-- Which seats (honest collision handling): the pool has 200,000 seats cut into 50,000 blocks
-- of 4 adjacent seats. Each transaction takes a unique block number from the sequence
-- pgbench_seat_block (fetched in the same statement as the show lookup, so no extra round
-- trip), scatters it over the pool with pgbench's permute() (a pseudo-random bijection, so
-- consecutive transactions touch unrelated pages like random customers do) and books the
-- first 1-4 seats of that block. Different transactions therefore never want the same seat:
-- this measures the uncontended cost of a booking, i.e. an upper bound the HTTP flash sale
-- (which does have collisions and 409 retries) is compared against. Only if a run takes more
-- than 50,000 transactions do blocks repeat; the items INSERT then skips already-active seats
-- (ON CONFLICT DO NOTHING) instead of aborting the client, and scripts/bench.sh warns.
\set nseats random(1, 4)
BEGIN;
SELECT id, kind, starts_at, currency, nextval('pgbench_seat_block') AS blk FROM shows WHERE id = :show \gset
\set b permute(:blk, :blocks, 20261122)
\set s0 :first_seat + :b * 4
\set s1 :s0 + :nseats - 1
\set cls :first_class + (:s0 - :first_seat) / :per_class
SELECT id, seat_class_id, label, row_label, seat_number FROM seats WHERE show_id = :show AND id = ANY (ARRAY(SELECT generate_series(:s0::bigint, :s1::bigint))) ORDER BY id FOR UPDATE;
SELECT sc.id, sc.name, sc.min_price, sc.normal_price, sc.max_price, sc.seat_count::bigint, (COALESCE((SELECT sum(ss.sold) FROM seat_class_sales ss WHERE ss.seat_class_id = sc.id), 0) - (SELECT count(*) FROM bookings b JOIN booking_items bi ON bi.booking_id = b.id WHERE b.show_id = :show AND b.status = 'held' AND b.expires_at <= now() AND bi.active AND bi.seat_class_id = sc.id))::bigint FROM seat_classes sc WHERE sc.id = ANY (ARRAY[:cls::bigint]);
SELECT bi.seat_id, b.id, b.status, b.expires_at FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id WHERE bi.seat_id = ANY (ARRAY(SELECT generate_series(:s0::bigint, :s1::bigint))) AND bi.active;
WITH b AS (INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity, total_amount, currency, guest_token_hash, expires_at) VALUES (gen_random_uuid(), 'PGB-' || :blk, :show, 'held', 'Bench', 'bench@example.com', :nseats, :nseats * 1500, 'USD', sha256(('guest-' || :blk)::bytea), now() + interval '10 minutes') RETURNING id, status, created_at), h AS (INSERT INTO booking_history (booking_id, entity, entity_id, from_status, to_status, actor, reason, at) SELECT b.id, 'booking', b.id::text, NULL, b.status, 'guest', NULL, b.created_at FROM b), i AS (INSERT INTO booking_items (booking_id, show_id, seat_id, seat_class_id, label, quantity, price, tier) SELECT b.id, :show, g, :cls, 'S' || g, 1, 1500, 'normal' FROM b, generate_series(:s0::bigint, :s1::bigint) g ON CONFLICT (seat_id) WHERE active AND seat_id IS NOT NULL DO NOTHING) INSERT INTO seat_class_sales (seat_class_id, slot, sold) SELECT :cls, (g % 32)::smallint, 1 FROM generate_series(:s0::bigint, :s1::bigint) g ORDER BY 2 ON CONFLICT (seat_class_id, slot) DO UPDATE SET sold = seat_class_sales.sold + EXCLUDED.sold;
COMMIT;
