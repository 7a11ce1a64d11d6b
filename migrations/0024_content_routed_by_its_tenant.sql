-- Content rows name their tenant when they are written (issue 18).
--
-- 0003 let a writer give only the employee's id and filled the tenant in from the employee in a
-- trigger. On Citus the row is routed by `reseller_id` before any trigger runs, and the trigger's
-- lookup by id alone (FOR SHARE) is a query over every shard, which Citus refuses. Now the
-- telephony side asks for the person's tenant first (`sb.content_owner`, which answers nothing
-- else) and names it; the trigger checks it against the employee, looked up within that tenant.
-- An insert that names no tenant still works on plain PostgreSQL, as before.
--
-- What the telephony role learns grows by the ids of the person's reseller and company (before: only
-- that the person exists). It is the platform's own network, which already maps numbers to
-- resellers (`platform.number_holders`); the server keeps the ids to route the row and returns
-- nothing of them to the caller.
SET LOCAL ROLE sb_owner;

-- The tenant of a person content may be stored for (exists, not anonymised); no row otherwise.
CREATE FUNCTION sb.content_owner(employee uuid) RETURNS TABLE (reseller_id uuid, customer_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        RETURN QUERY SELECT e.reseller_id, e.customer_id FROM sb.employees e WHERE e.id = employee AND e.anonymised_at IS NULL;
    END
    $$;
REVOKE ALL ON FUNCTION sb.content_owner(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.content_owner(uuid) TO sb_telephony;

GRANT INSERT (reseller_id, customer_id) ON sb.employee_content TO sb_telephony;

CREATE OR REPLACE FUNCTION sb.employee_content_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        owner record;
    BEGIN
        -- FOR SHARE: an anonymisation or deletion of the person (which locks the row first) either
        -- waits for this insert and then deletes it with the rest, or goes first and is seen here.
        IF NEW.reseller_id IS NULL THEN
            SELECT e.reseller_id, e.customer_id, e.anonymised_at INTO owner
            FROM sb.employees e WHERE e.id = NEW.employee_id FOR SHARE;
        ELSE
            SELECT e.reseller_id, e.customer_id, e.anonymised_at INTO owner
            FROM sb.employees e WHERE e.reseller_id = NEW.reseller_id AND e.id = NEW.employee_id FOR SHARE;
        END IF;
        IF NOT FOUND OR owner.anonymised_at IS NOT NULL
           OR (NEW.customer_id IS NOT NULL AND NEW.customer_id <> owner.customer_id) THEN
            RAISE EXCEPTION 'unknown employee' USING ERRCODE = 'no_data_found';
        END IF;
        NEW.reseller_id := owner.reseller_id;
        NEW.customer_id := owner.customer_id;
        IF NOT NEW.sealed THEN
            NEW.byte_size := octet_length(NEW.data);
        END IF;
        RETURN NEW;
    END
    $$;
