-- Issue 12: a venue's IANA time zone (show times in the emails are told in it). The domain
-- checks the name against the tz database (TimeZone::parse); the table only refuses an empty one.
ALTER TABLE venues
    ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC'
        CONSTRAINT venues_time_zone_not_empty CHECK (btrim(time_zone) <> '');
