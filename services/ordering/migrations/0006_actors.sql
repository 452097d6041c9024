-- Display names of the people (and clients) who act in ordering, from the
-- `name` claim of their token at their latest write: orders, late changes and
-- deliveries record the subject; reads show the name (issue 8 item 16).
CREATE TABLE actors (
    subject    text PRIMARY KEY,
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
