DROP INDEX IF EXISTS bookings_user_idx;
ALTER TABLE bookings DROP COLUMN IF EXISTS guest_token_hash, DROP COLUMN IF EXISTS user_id;
DROP INDEX IF EXISTS events_organizer_idx;
ALTER TABLE events DROP COLUMN IF EXISTS organizer_id;
DROP TABLE IF EXISTS password_reset_tokens;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS users;
