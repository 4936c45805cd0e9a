DROP TABLE services;
DROP TABLE categories;
