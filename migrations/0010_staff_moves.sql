-- Moving things between colleagues (issue 13, leaver and mover).
SET LOCAL ROLE sb_owner;

-- Two colleagues swap extensions in one statement. A non-deferrable unique constraint is checked
-- row by row, so the first row of a swap would collide with the second; a deferrable one
-- (still INITIALLY IMMEDIATE) is checked at the end of the statement. Same name, so the 409 that
-- names the `extension` field is unchanged.
ALTER TABLE sb.employees
    DROP CONSTRAINT employees_reseller_id_customer_id_extension_key,
    ADD CONSTRAINT employees_reseller_id_customer_id_extension_key
        UNIQUE (reseller_id, customer_id, extension) DEFERRABLE INITIALLY IMMEDIATE;

-- Voicemail and greetings handed over to a colleague change their employee. Content rows take
-- their tenant from their employee (the insert trigger of 0003); the same trigger on a change of
-- employee keeps reseller and customer right and refuses an anonymised or unknown new owner, so
-- no statement can move content into another company's (or tenant's) rows.
CREATE TRIGGER employee_content_owner_changes BEFORE UPDATE OF employee_id ON sb.employee_content
    FOR EACH ROW EXECUTE FUNCTION sb.employee_content_owner();
