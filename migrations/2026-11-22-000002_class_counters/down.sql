DROP TABLE seat_class_sales;
ALTER TABLE seat_classes DROP COLUMN seat_count;
