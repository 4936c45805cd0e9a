DROP TRIGGER seat_classes_chart_delete ON seat_classes;
DROP TRIGGER seat_classes_chart_update ON seat_classes;
DROP TRIGGER seat_classes_chart_insert ON seat_classes;
DROP TRIGGER seats_chart_delete ON seats;
DROP TRIGGER seats_chart_update ON seats;
DROP TRIGGER seats_chart_insert ON seats;
DROP FUNCTION bump_chart_version();
ALTER TABLE shows DROP COLUMN chart_version;
DROP SEQUENCE seat_chart_versions;
