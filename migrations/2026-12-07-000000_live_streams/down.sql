DROP TABLE stream_tickets;
DROP TABLE seat_stream_versions;
