-- A credit note is issued on its own, outside any run: it travels to the
-- group's billing in a batch of its own (its e-invoice, PDF and manifest).
ALTER TABLE export_batches
    ALTER COLUMN run_id DROP NOT NULL,
    ADD COLUMN credit_note_id uuid UNIQUE REFERENCES invoices (id),
    ADD CONSTRAINT export_batches_one_source CHECK (num_nonnulls(run_id, credit_note_id) = 1);
