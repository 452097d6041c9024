-- Invoice questions ("ask about this line"), answered by staff.
CREATE TABLE invoice_questions (
    id          uuid PRIMARY KEY,
    invoice_id  uuid NOT NULL REFERENCES invoices (id),
    line_no     int,
    row_text    text NOT NULL DEFAULT '',
    site_id     uuid,
    question    text NOT NULL,
    asked_by    text NOT NULL,
    asked_at    timestamptz NOT NULL DEFAULT now(),
    answer      text,
    answered_by text,
    answered_at timestamptz
);
CREATE INDEX invoice_questions_invoice ON invoice_questions (invoice_id);
CREATE INDEX invoice_questions_open ON invoice_questions (asked_at) WHERE answer IS NULL;
