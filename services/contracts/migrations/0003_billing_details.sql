-- Billing details (issue 9): where and how a customer's monthly invoice goes,
-- and a unit's overrides of them (NULL = the customer's value). The checks
-- are those of contracts::domain::billing, so no write path can store what
-- the API would refuse. Functions calling each other keep the schema they were
-- created in (SET search_path FROM CURRENT).

-- The 8 digits of a Y-tunnus without the dash, the last one the mod-11 check
-- digit over the weights 7, 9, 10, 5, 8, 4, 2 (remainder 1: no valid id).
CREATE FUNCTION y_tunnus_digits_valid(digits text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN digits ~ '^[0-9]{8}$' THEN (
        SELECT CASE s % 11 WHEN 0 THEN substr(digits, 8, 1)::int = 0
                           WHEN 1 THEN false
                           ELSE substr(digits, 8, 1)::int = 11 - s % 11 END
        FROM (SELECT sum(substr(digits, i, 1)::int * (ARRAY[7, 9, 10, 5, 8, 4, 2])[i]) AS s
              FROM generate_series(1, 7) AS i) AS weighted)
    ELSE false END
$$;

-- An OVT code: 0037 + the 8 digits of a Y-tunnus + up to 5 letters or digits.
CREATE FUNCTION ovt_valid(code text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT AS $$
    SELECT code ~ '^0037[0-9]{8}[A-Za-z0-9]{0,5}$' AND y_tunnus_digits_valid(substr(code, 5, 8))
$$;

-- An operator: its OVT code (no suffix) or its BIC (ISO 9362, 8 or 11 characters).
CREATE FUNCTION operator_id_valid(id text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT AS $$
    SELECT (id ~ '^0037[0-9]{8}$' AND ovt_valid(id)) OR id ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'
$$;

-- A Peppol participant id: "<4-digit scheme>:<1-50 printable ASCII without spaces>";
-- under 0216 and 0037 the id is an OVT code.
CREATE FUNCTION peppol_id_valid(id text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT AS $$
    SELECT id ~ '^[0-9]{4}:[!-~]{1,50}$'
       AND (substr(id, 1, 5) NOT IN ('0216:', '0037:') OR ovt_valid(substr(id, 6)))
$$;

-- At most 35 characters (Finvoice), no control characters: U+0001–U+001F and
-- U+007F–U+009F, exactly Rust's char::is_control (the locale's [[:cntrl:]] may differ).
CREATE FUNCTION buyer_reference_valid(reference text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT char_length(reference) BETWEEN 1 AND 35 AND reference !~ '[\x01-\x1f\x7f-\x9f]'
$$;

ALTER TABLE customers
    ADD COLUMN invoicing_level    text NOT NULL DEFAULT 'customer' CHECK (invoicing_level IN ('customer', 'unit')),
    ADD COLUMN einvoice_address   text CHECK (ovt_valid(einvoice_address)),
    ADD COLUMN operator_id        text CHECK (operator_id_valid(operator_id)),
    ADD COLUMN peppol_id          text CHECK (peppol_id_valid(peppol_id)),
    ADD COLUMN buyer_reference    text CHECK (buyer_reference_valid(buyer_reference)),
    ADD COLUMN payment_terms_days integer NOT NULL DEFAULT 14 CHECK (payment_terms_days BETWEEN 7 AND 90),
    ADD COLUMN invoice_language   text NOT NULL DEFAULT 'fi' CHECK (invoice_language IN ('fi', 'sv', 'en')),
    -- Who last set the billing details, and when (the name is in `actors`).
    ADD COLUMN billing_updated_by text,
    ADD COLUMN billing_updated_at timestamptz;

-- A unit's overrides: NULL inherits the customer's value.
ALTER TABLE units
    ADD COLUMN einvoice_address   text CHECK (ovt_valid(einvoice_address)),
    ADD COLUMN operator_id        text CHECK (operator_id_valid(operator_id)),
    ADD COLUMN peppol_id          text CHECK (peppol_id_valid(peppol_id)),
    ADD COLUMN buyer_reference    text CHECK (buyer_reference_valid(buyer_reference)),
    ADD COLUMN payment_terms_days integer CHECK (payment_terms_days BETWEEN 7 AND 90),
    ADD COLUMN invoice_language   text CHECK (invoice_language IN ('fi', 'sv', 'en')),
    ADD COLUMN billing_updated_by text,
    ADD COLUMN billing_updated_at timestamptz;
