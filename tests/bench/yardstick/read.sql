-- The yardstick's seat-map read (docs/performance.md, "The yardstick"); FIXED.
\set show random(1, 1000)
SELECT id, "row", number, class, status FROM seats WHERE show_id = :show ORDER BY "row", number;
