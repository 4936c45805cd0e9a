DROP TABLE booking_items;
DROP TABLE bookings;
DROP TABLE seats;
DROP TABLE seat_classes;
DROP TABLE shows;
DROP TABLE events;
DROP TABLE venues;
DROP TABLE cities;
