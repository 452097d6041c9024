-- Budgeted quantities per site, product and year, projected from ordering's
-- `ordering.budget.set` events: the year-end reconciliation compares them
-- with what was delivered and invoiced (Liite 2).
CREATE TABLE budgets (
    customer_id  uuid NOT NULL,
    site_id      uuid NOT NULL,
    product_code text NOT NULL,
    year         int NOT NULL,
    quantity     bigint NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (site_id, product_code, year)
);
CREATE INDEX budgets_customer ON budgets (customer_id, year);

