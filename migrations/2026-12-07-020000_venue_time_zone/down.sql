ALTER TABLE venues DROP COLUMN time_zone;
