DROP TABLE IF EXISTS booking_history;
