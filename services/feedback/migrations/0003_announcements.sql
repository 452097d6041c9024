-- Announcements (5.9): staff tell the right people before rumours do. Written
-- in fi/sv/en, aimed at everybody or at customers, units, site kinds or sites
-- (any that matches), at a contact level, shown within a publish window; each
-- person's reading is recorded, and the e-mail of each recipient once.

-- The site's kind (contracts' SiteKind number) for aiming by site kind.
ALTER TABLE sites ADD COLUMN kind integer NOT NULL DEFAULT 0;

CREATE TABLE announcements (
    id            uuid PRIMARY KEY,
    title_fi      text NOT NULL CHECK (char_length(title_fi) BETWEEN 1 AND 200),
    title_sv      text NOT NULL DEFAULT '' CHECK (char_length(title_sv) <= 200),
    title_en      text NOT NULL DEFAULT '' CHECK (char_length(title_en) <= 200),
    body_fi       text NOT NULL CHECK (char_length(body_fi) BETWEEN 1 AND 8000),
    body_sv       text NOT NULL DEFAULT '' CHECK (char_length(body_sv) <= 8000),
    body_en       text NOT NULL DEFAULT '' CHECK (char_length(body_en) <= 8000),
    -- Empty arrays everywhere: everybody.
    customer_ids  uuid[] NOT NULL DEFAULT '{}',
    unit_ids      uuid[] NOT NULL DEFAULT '{}',
    site_kinds    integer[] NOT NULL DEFAULT '{}',
    site_ids      uuid[] NOT NULL DEFAULT '{}',
    -- 'all', 'contract' (customers' contact persons) or 'operational' (the sites' people).
    level         text NOT NULL CHECK (level IN ('all', 'contract', 'operational')),
    publish_from  timestamptz NOT NULL,
    publish_until timestamptz,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- When its e-mails were written (once it was published).
    mailed_at     timestamptz,
    CHECK (publish_until IS NULL OR publish_until > publish_from)
);
CREATE INDEX announcements_window ON announcements (publish_from DESC);

CREATE TABLE announcement_reads (
    announcement_id uuid NOT NULL REFERENCES announcements (id),
    subject         text NOT NULL,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (announcement_id, subject)
);

CREATE TABLE announcement_mail (
    announcement_id uuid NOT NULL REFERENCES announcements (id),
    recipient       text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    emailed_at      timestamptz,
    PRIMARY KEY (announcement_id, recipient)
);
CREATE INDEX announcement_mail_unsent ON announcement_mail (created_at) WHERE emailed_at IS NULL;
