-- Invoicing: projections of what the other services published (the run never
-- calls them), the billing calendar, manual lines, runs and invoices.

-- ---------- projections (consumers invoicing-registry, -prices, -deliveries) ----------

CREATE TABLE customers (
    id          uuid PRIMARY KEY,
    code        text NOT NULL DEFAULT '',
    name        text NOT NULL,
    -- contracts' CustomerKind text: internal_* = a city unit, outside VAT.
    kind        text NOT NULL,
    business_id text NOT NULL DEFAULT '',
    -- BillingDetails as proto3 JSON (invoicing level, e-invoice address, ...).
    billing     jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE units (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    name        text NOT NULL,
    -- The unit's overrides of the customer's billing details.
    billing     jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE sites (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL,
    unit_id       uuid,
    name          text NOT NULL,
    floor_area_m2 numeric(12, 1) NOT NULL DEFAULT 0,
    opened_on     date,
    closed_on     date
);
CREATE INDEX sites_customer ON sites (customer_id);

CREATE TABLE agreements (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    year        int NOT NULL,
    status      text NOT NULL,
    -- [{service_line, site_ids: [...]}]
    lines       jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX agreements_customer_year ON agreements (customer_id, year);

CREATE TABLE products (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    service_line text NOT NULL,
    unit         text NOT NULL,
    -- The pricing Product message (what the shared price rule reads).
    proto        bytea NOT NULL
);

CREATE TABLE price_lists (
    id             uuid PRIMARY KEY,
    year           int NOT NULL,
    version        int NOT NULL,
    effective_from date NOT NULL,
    -- {product_code: {unit_price, components: [[kind, amount], ...]}}
    prices         jsonb NOT NULL
);

CREATE TABLE price_overrides (
    id             uuid PRIMARY KEY,
    site_id        uuid,
    customer_id    uuid,
    product_code   text NOT NULL,
    effective_from date NOT NULL,
    price          jsonb NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((site_id IS NULL) <> (customer_id IS NULL))
);

CREATE TABLE vat_rates (
    category   text NOT NULL,
    rate       numeric(5, 2) NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    PRIMARY KEY (category, valid_from)
);

-- The latest version of every confirmed delivery (what is billed).
CREATE TABLE deliveries (
    id           uuid PRIMARY KEY,
    site_id      uuid NOT NULL,
    customer_id  uuid NOT NULL,
    service_day  date NOT NULL,
    product_code text NOT NULL,
    diet         text NOT NULL,
    quantity     int NOT NULL CHECK (quantity >= 0),
    version      int NOT NULL,
    reason       text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_day ON deliveries (service_day, customer_id);
CREATE INDEX deliveries_updated ON deliveries (updated_at);

-- ---------- billing ----------

-- The group billing calendar: the invoice date of each month (seeded by the
-- default rule, editable by staff).
CREATE TABLE billing_calendar (
    year         int NOT NULL,
    month        int NOT NULL CHECK (month BETWEEN 1 AND 12),
    invoice_date date NOT NULL,
    set_by       text,
    set_at       timestamptz,
    PRIMARY KEY (year, month)
);

CREATE TABLE runs (
    id         uuid PRIMARY KEY,
    year       int NOT NULL,
    month      int NOT NULL CHECK (month BETWEEN 1 AND 12),
    status     text NOT NULL CHECK (status IN ('draft', 'issued')),
    started_at timestamptz NOT NULL DEFAULT now(),
    started_by text NOT NULL,
    issued_at  timestamptz,
    issued_by  text,
    problems   jsonb NOT NULL DEFAULT '[]'
);
-- At most one draft per month: re-running replaces it.
CREATE UNIQUE INDEX runs_one_draft ON runs (year, month) WHERE status = 'draft';

CREATE TABLE number_series (
    series text NOT NULL,
    year   int NOT NULL,
    last   int NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE invoices (
    id                  uuid PRIMARY KEY,
    run_id              uuid REFERENCES runs (id),
    kind                text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    status              text NOT NULL CHECK (status IN ('draft', 'issued', 'credited')),
    customer_id         uuid NOT NULL,
    unit_id             uuid,
    year                int NOT NULL,
    month               int NOT NULL,
    -- Set in the issuing transaction: gapless per series and year.
    series              text,
    number_year         int,
    seq                 int,
    number              text UNIQUE,
    reference           text,
    reference_rf        text,
    issue_date          date,
    due_date            date,
    -- Snapshot of the buyer as invoiced (names, billing details).
    buyer               jsonb NOT NULL,
    language            text NOT NULL DEFAULT 'fi',
    net                 numeric(14, 2) NOT NULL,
    vat                 numeric(14, 2) NOT NULL,
    total               numeric(14, 2) NOT NULL CHECK (total = net + vat),
    vat_breakdown       jsonb NOT NULL DEFAULT '[]',
    changes             jsonb NOT NULL DEFAULT '[]',
    credited_invoice_id uuid REFERENCES invoices (id),
    credit_note_id      uuid REFERENCES invoices (id),
    credit_reason       text,
    issued_at           timestamptz,
    issued_by           text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'draft') = (number IS NULL)),
    UNIQUE (series, number_year, seq)
);
-- Exactly one invoice per customer (or billing unit) and month; a credited
-- one makes room for its replacement.
CREATE UNIQUE INDEX invoices_one_per_party_and_month
    ON invoices (customer_id, coalesce(unit_id, '00000000-0000-0000-0000-000000000000'::uuid), year, month)
    WHERE kind = 'invoice' AND status IN ('draft', 'issued');
CREATE INDEX invoices_customer ON invoices (customer_id, year, month);
CREATE INDEX invoices_run ON invoices (run_id);
-- One credit note per invoice.
CREATE UNIQUE INDEX invoices_one_credit_note ON invoices (credited_invoice_id) WHERE kind = 'credit_note';

CREATE TABLE manual_lines (
    id                      uuid PRIMARY KEY,
    kind                    text NOT NULL CHECK (kind IN ('pass_through', 'credit', 'adjustment')),
    customer_id             uuid NOT NULL,
    site_id                 uuid,
    year                    int NOT NULL,
    month                   int NOT NULL CHECK (month BETWEEN 1 AND 12),
    description             text NOT NULL,
    amount                  numeric(14, 2) NOT NULL,
    vat_rate                numeric(5, 2) NOT NULL,
    vat_category            text NOT NULL,
    supplier                text NOT NULL DEFAULT '',
    supplier_invoice_number text NOT NULL DEFAULT '',
    reason                  text NOT NULL DEFAULT '',
    source                  text NOT NULL DEFAULT 'staff',
    source_ref              text NOT NULL DEFAULT '',
    idempotency_key         text,
    -- The (draft or issued) invoice that carries it.
    invoice_id              uuid REFERENCES invoices (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              text NOT NULL,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX manual_lines_open ON manual_lines (customer_id) WHERE invoice_id IS NULL;

CREATE TABLE invoice_rows (
    invoice_id              uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_no                 int NOT NULL,
    kind                    text NOT NULL,
    site_id                 uuid,
    site_name               text NOT NULL DEFAULT '',
    product_code            text NOT NULL DEFAULT '',
    product_name            text NOT NULL DEFAULT '',
    unit                    text NOT NULL DEFAULT '',
    quantity                numeric(16, 4) NOT NULL,
    unit_price              numeric(14, 4) NOT NULL,
    amount                  numeric(14, 2) NOT NULL,
    vat_category            text NOT NULL,
    vat_rate                numeric(5, 2) NOT NULL,
    from_day                date,
    to_day                  date,
    components              jsonb NOT NULL DEFAULT '[]',
    price_source            text NOT NULL DEFAULT '',
    description             text NOT NULL DEFAULT '',
    supplier                text NOT NULL DEFAULT '',
    supplier_invoice_number text NOT NULL DEFAULT '',
    reason                  text NOT NULL DEFAULT '',
    original_invoice_id     uuid,
    pro_rata                text NOT NULL DEFAULT '',
    manual_line_id          uuid,
    PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_rows_fixed ON invoice_rows (site_id, product_code) WHERE kind = 'fixed';

-- The deliveries behind the rows: what quantity of which delivery version an
-- invoice billed. Billed so far = the sum over issued (not credited) invoices.
CREATE TABLE invoice_items (
    invoice_id       uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_no          int NOT NULL,
    delivery_id      uuid NOT NULL,
    delivery_version int NOT NULL,
    service_day      date NOT NULL,
    diet             text NOT NULL,
    quantity         int NOT NULL,
    unit_price       numeric(14, 4) NOT NULL,
    billed_before    int NOT NULL DEFAULT 0,
    reason           text NOT NULL DEFAULT ''
);
CREATE INDEX invoice_items_delivery ON invoice_items (delivery_id);
CREATE INDEX invoice_items_invoice ON invoice_items (invoice_id, line_no);
CREATE INDEX invoice_items_day ON invoice_items (service_day);
