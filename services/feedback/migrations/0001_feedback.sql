-- Feedback: projections of what contracts and pricing published (routing never
-- calls them), SLA targets, items with their thread, pauses and history, and
-- the portal's notifications.

-- ---------- projections (consumers feedback-registry, feedback-catalogue) ----------

CREATE TABLE customers (
    id   uuid PRIMARY KEY,
    code text NOT NULL DEFAULT '',
    name text NOT NULL
);

CREATE TABLE sites (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    unit_id     uuid,
    code        text NOT NULL DEFAULT '',
    name        text NOT NULL,
    -- Street address, postal code and city: how Open311's address_string finds a site.
    address     text NOT NULL DEFAULT '',
    closed_on   date
);
CREATE INDEX sites_customer ON sites (customer_id);

-- Contact persons as contracts published them (the proto `Contact`, encoded):
-- the "who do I contact" rule (platform::contacts) reads them as they are.
CREATE TABLE contacts (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    party       text NOT NULL,
    email       text NOT NULL DEFAULT '',
    contact     bytea NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);
CREATE INDEX contacts_email ON contacts (lower(email));

CREATE TABLE agreements (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    year        int NOT NULL,
    status      text NOT NULL
);
CREATE INDEX agreements_customer_year ON agreements (customer_id, year);

CREATE TABLE products (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    -- meals / cleaning: reclamations per 1,000 meals count the meal products.
    service_line text NOT NULL DEFAULT ''
);

-- Delivered quantities from ordering's delivery events (the highest version
-- of each delivery): the denominator of "reclamations per 1,000 meals".
CREATE TABLE deliveries (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL,
    service_day  date NOT NULL,
    product_code text NOT NULL,
    quantity     int NOT NULL,
    version      int NOT NULL
);
CREATE INDEX deliveries_day ON deliveries (service_day, customer_id);

-- ---------- SLA targets ----------

-- Per severity, optionally per topic, optionally per agreement (an agreement's
-- own target wins over the default; a topic's over "every topic").
CREATE TABLE sla_targets (
    id                  uuid PRIMARY KEY,
    severity            text NOT NULL CHECK (severity IN ('normal', 'urgent', 'critical')),
    topic               text,
    agreement_id        uuid,
    acknowledge_minutes int NOT NULL CHECK (acknowledge_minutes > 0),
    resolve_minutes     int NOT NULL CHECK (resolve_minutes >= acknowledge_minutes),
    around_the_clock    boolean NOT NULL DEFAULT false,
    UNIQUE NULLS NOT DISTINCT (severity, topic, agreement_id)
);

-- The defaults: acknowledge within 4 working hours and resolve within 3
-- working days (a working day is 8 working hours); urgent 2 hours and 1
-- working day; critical (allergen, food safety) 1 hour and 24 hours around the clock.
INSERT INTO sla_targets (id, severity, topic, agreement_id, acknowledge_minutes, resolve_minutes, around_the_clock) VALUES
    ('00000000-0000-7000-8000-000000000001', 'normal',   NULL, NULL, 240, 1440, false),
    ('00000000-0000-7000-8000-000000000002', 'urgent',   NULL, NULL, 120,  480, false),
    ('00000000-0000-7000-8000-000000000003', 'critical', NULL, NULL,  60, 1440, true);

-- ---------- items ----------

CREATE SEQUENCE item_numbers START 1001;

CREATE TABLE items (
    id                      uuid PRIMARY KEY,
    number                  bigint NOT NULL UNIQUE DEFAULT nextval('item_numbers'),
    kind                    text NOT NULL,
    topic                   text NOT NULL,
    severity                text NOT NULL,
    status                  text NOT NULL,
    channel                 text NOT NULL,
    customer_id             uuid NOT NULL,
    site_id                 uuid NOT NULL,
    service_day             date,
    product_code            text NOT NULL DEFAULT '',
    description             text NOT NULL,
    submitted_by            text NOT NULL,
    -- The person the handling is for: the submitter, or whom staff entered a call for.
    contact_name            text NOT NULL DEFAULT '',
    contact_email           text NOT NULL DEFAULT '',
    -- Handler and manager: producer's contact persons (id, name, e-mail, title as routed).
    handler                 jsonb NOT NULL DEFAULT '{}',
    manager                 jsonb NOT NULL DEFAULT '{}',
    -- The SLA target as it applied at submission.
    acknowledge_minutes     int NOT NULL,
    resolve_minutes         int NOT NULL,
    around_the_clock        boolean NOT NULL,
    acknowledged_at         timestamptz,
    -- Clock time used when the clock stopped (for the KPIs).
    acknowledge_elapsed_min int,
    resolved_at             timestamptz,
    resolve_elapsed_min     int,
    closed_at               timestamptz,
    acknowledge_warned_at   timestamptz,
    acknowledge_breached_at timestamptz,
    resolve_warned_at       timestamptz,
    resolve_breached_at     timestamptz,
    -- When the SLA job must look at the item next: the earliest warning or
    -- breach instant of a running clock not yet alarmed (NULL: none runs).
    -- Kept by every change of the item; the sweep reads only this index.
    next_alarm_at           timestamptz,
    -- The staff queue's order: the earliest due time of a running clock
    -- (past when breached; NULL when no clock runs: paused or stopped).
    due_at                  timestamptz,
    escalated               boolean NOT NULL DEFAULT false,
    recurring               boolean NOT NULL DEFAULT false,
    corrective_action       text NOT NULL DEFAULT '',
    compensation_amount     numeric(12, 2),
    compensation_reason     text NOT NULL DEFAULT '',
    rating                  int CHECK (rating BETWEEN 1 AND 5),
    rating_comment          text NOT NULL DEFAULT '',
    idempotency_key         text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    version                 int NOT NULL DEFAULT 1,
    UNIQUE (submitted_by, idempotency_key)
);
CREATE INDEX items_customer ON items (customer_id, created_at DESC);
CREATE INDEX items_site_topic ON items (site_id, topic, created_at);
CREATE INDEX items_open ON items (status) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX items_queue ON items ((COALESCE(due_at, 'infinity')), id) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX items_next_alarm ON items (next_alarm_at) WHERE next_alarm_at IS NOT NULL;
CREATE INDEX items_handler ON items (lower(handler->>'email'));

-- While waiting for the customer (and between resolution and a reopening) the
-- resolve clock stands still.
CREATE TABLE pauses (
    item_id    uuid NOT NULL REFERENCES items (id),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    PRIMARY KEY (item_id, started_at)
);

CREATE TABLE messages (
    id         uuid PRIMARY KEY,
    item_id    uuid NOT NULL REFERENCES items (id),
    body       text NOT NULL,
    internal   boolean NOT NULL,
    author     text NOT NULL,
    from_staff boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_item ON messages (item_id, created_at);

CREATE TABLE history (
    id         bigserial PRIMARY KEY,
    item_id    uuid NOT NULL REFERENCES items (id),
    change     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    by_subject text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_item ON history (item_id, id);

-- ---------- notifications ----------

-- For everybody in the portal (by the e-mail of their token); `emailed_at`
-- once the SMTP sender has sent it.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    recipient  text NOT NULL,
    kind       text NOT NULL,
    item_id    uuid NOT NULL REFERENCES items (id),
    detail     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    emailed_at timestamptz
);
CREATE INDEX notifications_recipient ON notifications (recipient, created_at DESC);
CREATE INDEX notifications_unsent ON notifications (created_at) WHERE emailed_at IS NULL;

-- ---------- Open311 clients ----------

-- The city's feedback channels that post Open311 requests; only the SHA-256
-- of each API key is kept.
CREATE TABLE open311_clients (
    name       text PRIMARY KEY,
    key_sha256 bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_open311 ON items (created_at DESC) WHERE channel = 'open311';

-- ---------- the annual 9E customer survey ----------

-- One survey a year; its questions as they were when it was created.
CREATE TABLE surveys (
    id         uuid PRIMARY KEY,
    year       int NOT NULL UNIQUE,
    opens_on   date NOT NULL,
    closes_on  date NOT NULL CHECK (closes_on >= opens_on),
    questions  jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The customers' contact persons of both levels when the survey was created.
CREATE TABLE survey_recipients (
    survey_id   uuid NOT NULL REFERENCES surveys (id),
    customer_id uuid NOT NULL,
    email       text NOT NULL,
    name        text NOT NULL,
    level       text NOT NULL,
    PRIMARY KEY (survey_id, customer_id, email)
);

-- A respondent's answers; answering again replaces them.
CREATE TABLE survey_answers (
    survey_id   uuid NOT NULL REFERENCES surveys (id),
    customer_id uuid NOT NULL,
    respondent  text NOT NULL,
    question    int NOT NULL,
    dimension   text NOT NULL,
    score       int NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '',
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (survey_id, customer_id, respondent, question)
);
