-- The version of a show's seat chart (its seats and seat classes): every statement that writes
-- either table gives each show it touches a new version, from one sequence, so a version is
-- never used twice — by any show, even across a reset of the tables' own id sequences. A
-- reader that keeps a show's chart in memory (infra-postgres `seat_chart`, ADR 0012) reuses it
-- only while the show's version is the one it was read at, checked in the same statement
-- (one snapshot) that reads the seats' live states.
-- Bookings never write seats or seat_classes (their counters live in seat_class_sales), so
-- selling never changes the version.

CREATE SEQUENCE seat_chart_versions;

ALTER TABLE shows ADD COLUMN chart_version BIGINT NOT NULL DEFAULT nextval('seat_chart_versions');

-- One function for every trigger below: the transition tables it reads are those its event
-- has (an INSERT has only new_rows, a DELETE only old_rows; PL/pgSQL plans a statement when it
-- first runs, so the branch not taken never names a table that is not there).
CREATE FUNCTION bump_chart_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE shows SET chart_version = nextval('seat_chart_versions')
         WHERE id IN (SELECT show_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE shows SET chart_version = nextval('seat_chart_versions')
         WHERE id IN (SELECT show_id FROM old_rows);
    ELSE
        UPDATE shows SET chart_version = nextval('seat_chart_versions')
         WHERE id IN (SELECT show_id FROM new_rows UNION SELECT show_id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

-- Statement-level, with transition tables: one UPDATE of each show per statement, whatever
-- the number of rows (an import writes thousands of seats in a few statements).
CREATE TRIGGER seats_chart_insert AFTER INSERT ON seats
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_chart_version();
CREATE TRIGGER seats_chart_update AFTER UPDATE ON seats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_chart_version();
CREATE TRIGGER seats_chart_delete AFTER DELETE ON seats
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_chart_version();

CREATE TRIGGER seat_classes_chart_insert AFTER INSERT ON seat_classes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_chart_version();
CREATE TRIGGER seat_classes_chart_update AFTER UPDATE ON seat_classes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_chart_version();
CREATE TRIGGER seat_classes_chart_delete AFTER DELETE ON seat_classes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_chart_version();
