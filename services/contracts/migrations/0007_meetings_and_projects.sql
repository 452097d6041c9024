-- Customer meetings and status reviews with their minutes and action items
-- (table 10), and development projects with milestones (Liite 4 1.5).

CREATE TABLE meetings (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers (id),
    kind         text NOT NULL CHECK (kind IN ('customer_meeting', 'status_review')),
    held_on      date NOT NULL,
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    participants text NOT NULL DEFAULT '' CHECK (char_length(participants) <= 2000),
    agenda       text NOT NULL DEFAULT '' CHECK (char_length(agenda) <= 8000),
    minutes      text NOT NULL DEFAULT '' CHECK (char_length(minutes) <= 20000),
    decisions    text NOT NULL DEFAULT '' CHECK (char_length(decisions) <= 8000),
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_customer ON meetings (customer_id, held_on DESC);

-- What a meeting agreed someone does: owned by a contact person of the
-- customer's registry (either side), due on a day, done on a day.
CREATE TABLE action_items (
    id          uuid PRIMARY KEY,
    meeting_id  uuid NOT NULL REFERENCES meetings (id),
    description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 2000),
    owner       uuid REFERENCES contacts (id),
    due_on      date,
    done_on     date,
    version     integer NOT NULL DEFAULT 1,
    updated_by  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_items_meeting ON action_items (meeting_id);
CREATE INDEX action_items_open ON action_items (owner) WHERE done_on IS NULL;

-- A development project agreed with a customer: a binding KPI (projects carried
-- out on schedule); its hours are priced separately (the development-work product).
CREATE TABLE projects (
    id                     uuid PRIMARY KEY,
    customer_id            uuid NOT NULL REFERENCES customers (id),
    title                  text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    goal                   text NOT NULL DEFAULT '' CHECK (char_length(goal) <= 4000),
    enterprise_responsible uuid REFERENCES contacts (id),
    customer_responsible   uuid REFERENCES contacts (id),
    status                 text NOT NULL CHECK (status IN ('planned', 'active', 'completed', 'cancelled')),
    hours_planned          numeric(8, 1) NOT NULL DEFAULT 0 CHECK (hours_planned >= 0),
    hours_used             numeric(8, 1) NOT NULL DEFAULT 0 CHECK (hours_used >= 0),
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_by             text NOT NULL DEFAULT '',
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_customer ON projects (customer_id);

CREATE TABLE milestones (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id),
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    planned_on date NOT NULL,
    done_on    date,
    version    integer NOT NULL DEFAULT 1,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX milestones_project ON milestones (project_id, planned_on);
