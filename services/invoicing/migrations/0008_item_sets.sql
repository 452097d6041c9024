-- The deliveries behind an invoice row are kept with the row: one row per
-- invoice row holding its items as parallel arrays (ordered by day, diet and
-- delivery), not one row per delivery. A month of 16 Oulu-sized cities is
-- ~40,000 rows here instead of ~1,000,000, each of which paid a foreign-key
-- check and three index entries: that was most of the run's write time.
-- Billed so far = the sum over issued (not credited) invoices, as before.
CREATE TABLE invoice_item_sets (
    invoice_id        uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_no           int NOT NULL,
    -- The earliest and latest service day of the items (a run finds what was
    -- billed of its month by these).
    first_day         date NOT NULL,
    last_day          date NOT NULL,
    delivery_ids      uuid[] NOT NULL,
    delivery_versions int[] NOT NULL,
    service_days      date[] NOT NULL,
    diets             text[] NOT NULL,
    quantities        int[] NOT NULL,
    unit_prices       numeric(14, 4)[] NOT NULL,
    billed_before     int[] NOT NULL,
    reasons           text[] NOT NULL,
    PRIMARY KEY (invoice_id, line_no),
    CHECK (cardinality(delivery_ids) > 0
           AND cardinality(delivery_versions) = cardinality(delivery_ids)
           AND cardinality(service_days) = cardinality(delivery_ids)
           AND cardinality(diets) = cardinality(delivery_ids)
           AND cardinality(quantities) = cardinality(delivery_ids)
           AND cardinality(unit_prices) = cardinality(delivery_ids)
           AND cardinality(billed_before) = cardinality(delivery_ids)
           AND cardinality(reasons) = cardinality(delivery_ids))
);
CREATE INDEX invoice_item_sets_days ON invoice_item_sets (last_day, first_day);

INSERT INTO invoice_item_sets
SELECT invoice_id, line_no, min(service_day), max(service_day),
       array_agg(delivery_id ORDER BY service_day, diet, delivery_id),
       array_agg(delivery_version ORDER BY service_day, diet, delivery_id),
       array_agg(service_day ORDER BY service_day, diet, delivery_id),
       array_agg(diet ORDER BY service_day, diet, delivery_id),
       array_agg(quantity ORDER BY service_day, diet, delivery_id),
       array_agg(unit_price ORDER BY service_day, diet, delivery_id),
       array_agg(billed_before ORDER BY service_day, diet, delivery_id),
       array_agg(reason ORDER BY service_day, diet, delivery_id)
FROM invoice_items GROUP BY invoice_id, line_no;

DROP TABLE invoice_items;
