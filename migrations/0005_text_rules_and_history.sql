-- One definition of what a stored human-readable text may be, shared with the server's validator
-- (SwitchboardDomain `TextRule`; `TextRuleAgreementTests` runs both on the same hostile samples),
-- and preference history ordered by the order in which changes committed.

SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- text rule
-- A text is 1…max_length Unicode code points (char_length; the validator counts unicodeScalars,
-- not grapheme clusters, so a name of combining marks or emoji sequences is measured the same way
-- on both sides), holds no control character (C0, DEL, C1; NUL cannot reach a text column at all)
-- and no bidirectional override, embedding or isolate (U+202A–U+202E, U+2066–U+2069: they make a
-- name display as something else), and neither starts nor ends with a space separator (Zs, Zl, Zp;
-- the validator trims these). NULL passes, so nullable columns keep their meaning.
CREATE FUNCTION sb.valid_text(value text, max_length integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT char_length(value) BETWEEN 1 AND max_length
           AND value !~ '[\x01-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]'
           AND value !~ '^[\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
           AND value !~ '[\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$'
    $$;
GRANT EXECUTE ON FUNCTION sb.valid_text(text, integer) TO sb_platform, sb_reseller, sb_customer, sb_authenticator;

-- The same constraint names as before (`<table>_<column>_check`), so a violation still names its
-- column. NOT VALID: rows written under the old rule stay; every new or changed row is checked.
ALTER TABLE sb.resellers
    DROP CONSTRAINT resellers_name_check,
    ADD CONSTRAINT resellers_name_check CHECK (sb.valid_text(name, 200)) NOT VALID,
    DROP CONSTRAINT resellers_contact_name_check,
    ADD CONSTRAINT resellers_contact_name_check CHECK (sb.valid_text(contact_name, 200)) NOT VALID,
    DROP CONSTRAINT resellers_contact_email_check,
    ADD CONSTRAINT resellers_contact_email_check CHECK (sb.valid_text(contact_email, 254)) NOT VALID;
ALTER TABLE sb.customers
    DROP CONSTRAINT customers_name_check,
    ADD CONSTRAINT customers_name_check CHECK (sb.valid_text(name, 200)) NOT VALID,
    DROP CONSTRAINT customers_external_ref_check,
    ADD CONSTRAINT customers_external_ref_check CHECK (sb.valid_text(external_ref, 100)) NOT VALID;
ALTER TABLE sb.managers
    DROP CONSTRAINT managers_email_check,
    ADD CONSTRAINT managers_email_check CHECK (email = lower(email) AND char_length(email) >= 3 AND sb.valid_text(email, 254)) NOT VALID,
    DROP CONSTRAINT managers_full_name_check,
    ADD CONSTRAINT managers_full_name_check CHECK (sb.valid_text(full_name, 200)) NOT VALID;
ALTER TABLE sb.platform_api_keys
    DROP CONSTRAINT platform_api_keys_name_check,
    ADD CONSTRAINT platform_api_keys_name_check CHECK (sb.valid_text(name, 100)) NOT VALID;
ALTER TABLE sb.reseller_api_keys
    DROP CONSTRAINT reseller_api_keys_name_check,
    ADD CONSTRAINT reseller_api_keys_name_check CHECK (sb.valid_text(name, 100)) NOT VALID;
ALTER TABLE sb.telephony_api_keys
    DROP CONSTRAINT telephony_api_keys_name_check,
    ADD CONSTRAINT telephony_api_keys_name_check CHECK (sb.valid_text(name, 100)) NOT VALID;
ALTER TABLE sb.employees
    DROP CONSTRAINT employees_full_name_check,
    ADD CONSTRAINT employees_full_name_check CHECK (sb.valid_text(full_name, 200)) NOT VALID,
    DROP CONSTRAINT employees_email_check,
    ADD CONSTRAINT employees_email_check CHECK (sb.valid_text(email, 254)) NOT VALID,
    DROP CONSTRAINT employees_restriction_reason_check,
    ADD CONSTRAINT employees_restriction_reason_check CHECK (sb.valid_text(restriction_reason, 500)) NOT VALID;
ALTER TABLE sb.fax_to_mail
    DROP CONSTRAINT fax_to_mail_delivery_email_check,
    ADD CONSTRAINT fax_to_mail_delivery_email_check CHECK (sb.valid_text(delivery_email, 254)) NOT VALID;

-- ---------------------------------------------------------------- history in commit order
-- Each entry's place in its employee's history, taken while the change holds the employee's row
-- lock: changes of one employee commit one after another in exactly this order, whereas
-- changed_at (the transaction's start) can put a later commit first.
ALTER TABLE sb.employee_preference_history ADD COLUMN sequence bigint;
-- Existing entries keep the order they were shown in. The owner sees no rows under FORCE ROW LEVEL
-- SECURITY; this policy lets it number them and is dropped again in the same transaction.
CREATE POLICY owner_numbers_history ON sb.employee_preference_history FOR ALL TO sb_owner USING (true) WITH CHECK (true);
UPDATE sb.employee_preference_history h SET sequence = o.position
FROM (SELECT reseller_id, id, row_number() OVER (PARTITION BY reseller_id, employee_id ORDER BY changed_at, id) AS position
      FROM sb.employee_preference_history) o
WHERE h.reseller_id = o.reseller_id AND h.id = o.id;
DROP POLICY owner_numbers_history ON sb.employee_preference_history;
ALTER TABLE sb.employee_preference_history ALTER COLUMN sequence SET NOT NULL;
ALTER TABLE sb.employee_preference_history
    ADD CONSTRAINT employee_preference_history_sequence UNIQUE (reseller_id, employee_id, sequence);
DROP INDEX sb.employee_preference_history_by_employee;
