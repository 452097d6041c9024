-- Contracts service schema: customer registry and annual service agreements.
-- Runs with search_path = contracts, as role kumppani_contracts.

CREATE TABLE customers (
    id                uuid PRIMARY KEY,
    code              text NOT NULL UNIQUE,
    name              text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('internal_service_area', 'internal_business_unit', 'external')),
    business_id       text,
    segment           text NOT NULL DEFAULT '',
    partnership_stage text NOT NULL CHECK (partnership_stage IN ('awareness', 'exploration', 'expansion', 'commitment')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_name ON customers (lower(name), id);

CREATE TABLE units (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id),
    code        text NOT NULL,
    name        text NOT NULL,
    UNIQUE (customer_id, code)
);

CREATE TABLE sites (
    id                uuid PRIMARY KEY,
    customer_id       uuid NOT NULL REFERENCES customers (id),
    unit_id           uuid REFERENCES units (id),
    code              text NOT NULL UNIQUE,
    name              text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('school', 'daycare', 'care_home', 'office', 'swimming_hall', 'museum', 'other')),
    street_address    text NOT NULL,
    postal_code       text NOT NULL,
    city              text NOT NULL,
    floor_area_m2     numeric(10, 1) NOT NULL CHECK (floor_area_m2 >= 0),
    meals_per_day     integer NOT NULL CHECK (meals_per_day >= 0),
    special_diets     jsonb NOT NULL DEFAULT '[]',
    meal_producer     text NOT NULL DEFAULT 'own',
    cleaning_producer text NOT NULL DEFAULT 'own',
    closed_on         date,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_customer ON sites (customer_id, lower(name), id);
CREATE INDEX sites_name ON sites (lower(name), id);

CREATE TABLE contacts (
    id          uuid PRIMARY KEY,
    party       text NOT NULL CHECK (party IN ('customer', 'enterprise')),
    customer_id uuid NOT NULL REFERENCES customers (id),
    unit_id     uuid REFERENCES units (id),
    site_id     uuid REFERENCES sites (id),
    name        text NOT NULL,
    title       text NOT NULL DEFAULT '',
    level       text NOT NULL CHECK (level IN ('contract', 'operational')),
    email       text NOT NULL,
    phone       text NOT NULL DEFAULT '',
    topics      text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_customer ON contacts (customer_id);
CREATE INDEX contacts_site ON contacts (site_id) WHERE site_id IS NOT NULL;

CREATE TABLE agreements (
    id                     uuid PRIMARY KEY,
    customer_id            uuid NOT NULL REFERENCES customers (id),
    year                   integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    status                 text NOT NULL CHECK (status IN ('draft', 'negotiation', 'signed', 'active', 'expired')),
    customer_responsible   text NOT NULL DEFAULT '',
    enterprise_responsible text NOT NULL DEFAULT '',
    communication_duties   text NOT NULL DEFAULT '',
    tendering_duties       text NOT NULL DEFAULT '',
    development_items      text NOT NULL DEFAULT '',
    change_handling        text NOT NULL DEFAULT '',
    signed_on              date,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, year)
);
CREATE INDEX agreements_year ON agreements (year, status);

CREATE TABLE agreement_status_history (
    agreement_id uuid NOT NULL REFERENCES agreements (id),
    seq          bigserial,
    from_status  text,
    to_status    text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    by_subject   text NOT NULL,
    note         text NOT NULL DEFAULT '',
    PRIMARY KEY (agreement_id, seq)
);

CREATE TABLE agreement_lines (
    id           uuid PRIMARY KEY,
    agreement_id uuid NOT NULL REFERENCES agreements (id),
    service_line text NOT NULL CHECK (service_line IN ('meals', 'cleaning', 'multi_service', 'staff_dining', 'coffee')),
    description  text NOT NULL DEFAULT '',
    position     integer NOT NULL,
    UNIQUE (agreement_id, service_line)
);

CREATE TABLE agreement_line_sites (
    line_id       uuid NOT NULL REFERENCES agreement_lines (id),
    site_id       uuid NOT NULL REFERENCES sites (id),
    service_level text NOT NULL,
    PRIMARY KEY (line_id, site_id)
);

CREATE TABLE annexes (
    id           uuid PRIMARY KEY,
    agreement_id uuid NOT NULL REFERENCES agreements (id),
    title        text NOT NULL,
    version      integer NOT NULL,
    body         text NOT NULL DEFAULT '',
    file_ref     text NOT NULL DEFAULT '',
    added_at     timestamptz NOT NULL DEFAULT now(),
    added_by     text NOT NULL DEFAULT '',
    UNIQUE (agreement_id, title, version)
);

CREATE TABLE amendments (
    id                          uuid PRIMARY KEY,
    agreement_id                uuid NOT NULL REFERENCES agreements (id),
    title                       text NOT NULL,
    description                 text NOT NULL DEFAULT '',
    effective_date              date NOT NULL,
    status                      text NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    changes_pricing_structure   boolean NOT NULL DEFAULT false,
    affected_customers          integer NOT NULL DEFAULT 1 CHECK (affected_customers >= 1),
    customer_group_approved_on  date,
    customer_group_approval_ref text NOT NULL DEFAULT '',
    proposed_by                 text NOT NULL,
    decided_by                  text NOT NULL DEFAULT '',
    decided_on                  date,
    decision_reason             text NOT NULL DEFAULT '',
    created_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX amendments_agreement ON amendments (agreement_id, created_at);
