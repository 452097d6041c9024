-- Standing orders: weekly patterns that produce daily orders; closures skip days.
CREATE TABLE standing_orders (
    id                 uuid PRIMARY KEY,
    site_id            uuid NOT NULL,
    customer_id        uuid NOT NULL,
    product_code       text NOT NULL,
    diet               text NOT NULL DEFAULT '',
    valid_from         date NOT NULL,
    valid_to           date NOT NULL,
    weekday_quantities integer[] NOT NULL CHECK (array_length(weekday_quantities, 1) = 7),
    include_holidays   boolean NOT NULL DEFAULT false,
    channel            text NOT NULL,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_from <= valid_to)
);
CREATE INDEX standing_orders_site ON standing_orders (site_id, valid_from, valid_to);

CREATE TABLE closures (
    id         uuid PRIMARY KEY,
    site_id    uuid NOT NULL,
    from_day   date NOT NULL,
    to_day     date NOT NULL,
    reason     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (from_day <= to_day)
);
CREATE INDEX closures_site ON closures (site_id, from_day);
