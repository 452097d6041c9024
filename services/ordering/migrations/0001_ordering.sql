-- Ordering service schema. Runs with search_path = ordering, as role kumppani_ordering.

-- Projections (from contracts and pricing events; never read across schemas).
CREATE TABLE sites (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    name        text NOT NULL,
    closed_on   date,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE customers (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
-- One row per agreement: its status and, per service line, the covered sites.
CREATE TABLE agreements (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    year        integer NOT NULL,
    status      text NOT NULL,
    lines       jsonb NOT NULL,   -- [{"service_line": "...", "site_ids": ["..."]}]
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agreements_customer_year ON agreements (customer_id, year);
CREATE TABLE products (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    service_line text NOT NULL
);

-- Cut-off rules: defaults per service line, optionally overridden per agreement.
CREATE TABLE cutoff_rules (
    agreement_id uuid,                       -- NULL = the default
    service_line text NOT NULL,
    working_days integer NOT NULL CHECK (working_days BETWEEN 0 AND 10),
    hour         integer NOT NULL CHECK (hour BETWEEN 0 AND 23)
);
CREATE UNIQUE INDEX cutoff_rules_key ON cutoff_rules (COALESCE(agreement_id, '00000000-0000-0000-0000-000000000000'), service_line);
INSERT INTO cutoff_rules (agreement_id, service_line, working_days, hour) VALUES
    (NULL, 'meals', 2, 12), (NULL, 'staff_dining', 2, 12), (NULL, 'coffee', 1, 12),
    (NULL, 'cleaning', 1, 12), (NULL, 'multi_service', 1, 12), (NULL, 'development', 1, 12);

-- One order line per site, service day, product and diet; changes keep history.
CREATE TABLE orders (
    id           uuid PRIMARY KEY,
    site_id      uuid NOT NULL,
    customer_id  uuid NOT NULL,
    service_day  date NOT NULL,
    product_code text NOT NULL,
    diet         text NOT NULL DEFAULT '',
    quantity     integer NOT NULL CHECK (quantity >= 0),
    channel      text NOT NULL CHECK (channel IN ('portal', 'ordering_system', 'staff')),
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL,
    UNIQUE (site_id, service_day, product_code, diet)
);
CREATE INDEX orders_day ON orders (service_day);
CREATE INDEX orders_customer_day ON orders (customer_id, service_day);

CREATE TABLE order_history (
    order_id      uuid NOT NULL REFERENCES orders (id),
    version       integer NOT NULL,
    quantity_from integer,
    quantity_to   integer NOT NULL,
    channel       text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    by_subject    text NOT NULL,
    via           text NOT NULL DEFAULT 'order',   -- order | late_change
    PRIMARY KEY (order_id, version)
);

CREATE TABLE late_changes (
    id                 uuid PRIMARY KEY,
    site_id            uuid NOT NULL,
    customer_id        uuid NOT NULL,
    service_day        date NOT NULL,
    product_code       text NOT NULL,
    diet               text NOT NULL DEFAULT '',
    quantity           integer NOT NULL CHECK (quantity >= 0),
    previous_quantity  integer NOT NULL,
    channel            text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
    requested_by       text NOT NULL,
    requested_at       timestamptz NOT NULL DEFAULT now(),
    decided_by         text NOT NULL DEFAULT '',
    decided_at         timestamptz,
    reason             text NOT NULL DEFAULT ''
);
CREATE INDEX late_changes_status ON late_changes (status, service_day);

-- Delivered quantities (toteuma): what invoicing bills. Corrections keep history.
CREATE TABLE deliveries (
    id                uuid PRIMARY KEY,
    site_id           uuid NOT NULL,
    customer_id       uuid NOT NULL,
    service_day       date NOT NULL,
    product_code      text NOT NULL,
    diet              text NOT NULL DEFAULT '',
    quantity          integer NOT NULL CHECK (quantity >= 0),
    version           integer NOT NULL DEFAULT 1,
    confirmed_by      text NOT NULL,
    confirmed_at      timestamptz NOT NULL DEFAULT now(),
    correction_reason text NOT NULL DEFAULT '',
    UNIQUE (site_id, service_day, product_code, diet)
);
CREATE TABLE delivery_history (
    delivery_id   uuid NOT NULL REFERENCES deliveries (id),
    version       integer NOT NULL,
    quantity      integer NOT NULL,
    by_subject    text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, version)
);

CREATE TABLE budgets (
    customer_id  uuid NOT NULL,
    site_id      uuid NOT NULL,
    product_code text NOT NULL,
    year         integer NOT NULL,
    quantity     bigint NOT NULL CHECK (quantity >= 0),
    updated_by   text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, product_code, year)
);

-- Idempotency of the ordering system's writes: the first answer is stored and replayed.
CREATE TABLE idempotency_keys (
    client       text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, key)
);
