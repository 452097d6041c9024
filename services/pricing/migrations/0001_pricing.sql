-- Pricing service schema. Runs with search_path = pricing, as role kumppani_pricing.

CREATE TABLE products (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    service_line text NOT NULL CHECK (service_line IN ('meals', 'cleaning', 'multi_service', 'staff_dining', 'coffee', 'development')),
    unit         text NOT NULL CHECK (unit IN ('meal', 'm2_month', 'm2', 'hour', 'serving')),
    vat_category text NOT NULL CHECK (vat_category IN ('food', 'general')),
    position     integer NOT NULL DEFAULT 0
);

CREATE TABLE price_lists (
    id                 uuid PRIMARY KEY,
    year               integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    version            integer NOT NULL CHECK (version >= 1),
    status             text NOT NULL CHECK (status IN ('draft', 'proposed', 'approved', 'published')),
    effective_from     date NOT NULL,
    group_approved_on  date,
    group_approval_ref text NOT NULL DEFAULT '',
    published_at       timestamptz,
    created_by         text NOT NULL,
    note               text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (year, version),
    CHECK (extract(year FROM effective_from) = year)
);

-- Prices of a list; components: [[kind, amount], ...] summing exactly to unit_price.
CREATE TABLE list_prices (
    price_list_id uuid NOT NULL REFERENCES price_lists (id),
    product_code  text NOT NULL REFERENCES products (code),
    unit_price    numeric(12, 4) NOT NULL CHECK (unit_price >= 0),
    components    jsonb NOT NULL,
    PRIMARY KEY (price_list_id, product_code)
);

-- A published list is immutable: enforced in the database too.
CREATE FUNCTION list_prices_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    SELECT status INTO s FROM price_lists WHERE id = COALESCE(NEW.price_list_id, OLD.price_list_id);
    IF s = 'published' THEN
        RAISE EXCEPTION 'price list is published and immutable' USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER list_prices_immutable BEFORE INSERT OR UPDATE OR DELETE ON list_prices
    FOR EACH ROW EXECUTE FUNCTION list_prices_immutable();

CREATE TABLE price_overrides (
    id              uuid PRIMARY KEY,
    scope           text NOT NULL CHECK (scope IN ('site', 'customer')),
    customer_id     uuid NOT NULL,
    site_id         uuid,
    product_code    text NOT NULL REFERENCES products (code),
    unit_price      numeric(12, 4) NOT NULL CHECK (unit_price >= 0),
    components      jsonb NOT NULL,
    effective_from  date NOT NULL,
    reason          text NOT NULL,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    price_change_id uuid,
    CHECK ((scope = 'site') = (site_id IS NOT NULL))
);
CREATE INDEX price_overrides_site ON price_overrides (site_id, product_code, effective_from) WHERE site_id IS NOT NULL;
CREATE INDEX price_overrides_customer ON price_overrides (customer_id, effective_from);

CREATE TABLE price_changes (
    id                 uuid PRIMARY KEY,
    year               integer NOT NULL,
    effective_from     date NOT NULL,
    reason             text NOT NULL,
    status             text NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    customer_ids       uuid[] NOT NULL,
    items              jsonb NOT NULL,
    group_approved_on  date,
    group_approval_ref text NOT NULL DEFAULT '',
    proposed_by        text NOT NULL,
    decided_by         text NOT NULL DEFAULT '',
    decided_on         date,
    decision_reason    text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- VAT is data with validity dates, never a constant in code.
CREATE TABLE vat_rates (
    category   text NOT NULL CHECK (category IN ('food', 'general')),
    rate       numeric(5, 2) NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    PRIMARY KEY (category, valid_from)
);
INSERT INTO vat_rates (category, rate, valid_from, valid_to) VALUES
    ('food', 14.00, '2013-01-01', '2025-12-31'),
    ('food', 13.50, '2026-01-01', NULL),
    ('general', 24.00, '2013-01-01', '2024-08-31'),
    ('general', 25.50, '2024-09-01', NULL);

CREATE TABLE benchmarks (
    id           uuid PRIMARY KEY,
    product_code text NOT NULL REFERENCES products (code),
    year         integer NOT NULL,
    provider     text NOT NULL,
    unit_price   numeric(12, 4) NOT NULL CHECK (unit_price >= 0),
    source       text NOT NULL,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Local projection of the contracts service's customers and sites (from its events).
CREATE TABLE customers (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    kind       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sites (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    name        text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_customer ON sites (customer_id);

-- What reference data was last published as an event (e.g. the VAT table).
CREATE TABLE published_state (
    key         text PRIMARY KEY,
    fingerprint text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
