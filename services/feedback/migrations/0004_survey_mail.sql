-- The survey's e-mail to each recipient: the invitation once the survey is
-- open, and one reminder in its last week to those who have not answered.
-- A row is the stamp of a message sent (written in the sending transaction).
CREATE TABLE survey_mail (
    survey_id   uuid NOT NULL REFERENCES surveys (id),
    customer_id uuid NOT NULL,
    email       text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('invitation', 'reminder')),
    sent_at     timestamptz NOT NULL,
    PRIMARY KEY (survey_id, customer_id, email, kind)
);
