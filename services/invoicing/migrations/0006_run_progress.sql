-- Where each month's latest run is while it computes. Written outside the
-- run's transaction (which makes the run visible only when it commits), so
-- the portal can show progress; the run itself stays all-or-nothing.
CREATE TABLE run_progress (
    year        int NOT NULL,
    month       int NOT NULL CHECK (month BETWEEN 1 AND 12),
    phase       text NOT NULL CHECK (phase IN ('loading', 'writing', 'done', 'failed')),
    done        int NOT NULL DEFAULT 0,
    total       int NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    started_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    run_id      uuid,
    PRIMARY KEY (year, month)
);
