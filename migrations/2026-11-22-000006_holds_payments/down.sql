DROP TRIGGER IF EXISTS trg_refunds_track_total ON refunds;
DROP FUNCTION IF EXISTS refunds_track_total();
DROP TABLE IF EXISTS refunds;
DROP TABLE IF EXISTS payments;
DROP INDEX IF EXISTS ix_bookings_confirmed_show;
DROP INDEX IF EXISTS ix_bookings_held_due;
ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ck_bookings_held_expiry;
ALTER TABLE bookings DROP COLUMN IF EXISTS expires_at;
