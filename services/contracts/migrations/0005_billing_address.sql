-- The postal address printed on a customer's invoice (e-invoices need one), and
-- a unit's override of it (NULL = the customer's). At most 35 characters each
-- (Finvoice); Finnish postal codes are five digits.
ALTER TABLE customers
    ADD COLUMN billing_street      text CHECK (char_length(billing_street) BETWEEN 1 AND 35),
    ADD COLUMN billing_postal_code text CHECK (billing_postal_code ~ '^[0-9]{5}$'),
    ADD COLUMN billing_city        text CHECK (char_length(billing_city) BETWEEN 1 AND 35);
ALTER TABLE units
    ADD COLUMN billing_street      text CHECK (char_length(billing_street) BETWEEN 1 AND 35),
    ADD COLUMN billing_postal_code text CHECK (billing_postal_code ~ '^[0-9]{5}$'),
    ADD COLUMN billing_city        text CHECK (char_length(billing_city) BETWEEN 1 AND 35);
