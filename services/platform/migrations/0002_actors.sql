-- Display names of the people (and clients) who act in a service, from the
-- `name` claim of their token at their latest write. Rows record who did
-- something as the token's subject; reads show the name (issue 8 item 16).
-- Created in every service schema (`kumppani_platform::actors`).
CREATE TABLE actors (
    subject    text PRIMARY KEY,
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
