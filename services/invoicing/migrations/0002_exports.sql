-- Export batches to the city group's billing: one per issued run; the files
-- with their SHA-256 (the manifest), and each invoice's acknowledgement.
CREATE TABLE export_batches (
    id          uuid PRIMARY KEY,
    run_id      uuid NOT NULL UNIQUE REFERENCES runs (id),
    location    text NOT NULL,
    files       jsonb NOT NULL,
    exported_at timestamptz NOT NULL DEFAULT now(),
    exported_by text NOT NULL
);

ALTER TABLE invoices
    ADD COLUMN export_batch_id uuid REFERENCES export_batches (id),
    ADD COLUMN export_status   text CHECK (export_status IN ('exported', 'accepted', 'rejected')),
    ADD COLUMN export_reason   text,
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_by text;
CREATE INDEX invoices_export_batch ON invoices (export_batch_id);
