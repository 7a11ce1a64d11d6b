-- Login entries of the audit trail, checked where the managers can be read (issue 18).
--
-- The authenticator's INSERT policy on `sb.audit_events` asked `sb.login_names_manager`, which reads
-- `sb.managers`. On Citus the policy runs on the audit shard's node, and the audit trail is
-- distributed by `chain`, not co-located with the managers: there the function read no manager and
-- every manager's login was refused (403). The check now runs in an owner-rights function called
-- on the coordinator (on plain PostgreSQL, the same function), which reads the managers through
-- the distributed table and appends the entry itself. The authenticator may no longer insert into
-- the trail directly: its only way in is this function, with the same questions as before (the
-- login e-mail names the manager, or the member of staff, the entry is about).
SET LOCAL ROLE sb_owner;

CREATE FUNCTION sb.append_login_entry(person uuid, reseller uuid, customer uuid, action text, target uuid, fields text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF NOT (CASE
                WHEN action IN ('session.create', 'login.attempt')
                    THEN reseller IS NOT NULL AND customer IS NOT NULL AND sb.login_names_manager(reseller, customer, person)
                WHEN action IN ('staff-session.create', 'staff-login.attempt')
                    THEN reseller IS NULL AND customer IS NULL AND sb.login_names_staff(person)
                ELSE false END) THEN
            RAISE EXCEPTION 'new row violates row-level security policy for table "audit_events"' USING ERRCODE = '42501';
        END IF;
        INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
        VALUES (coalesce(reseller::text, 'platform'), person, 'login', 'sb_authenticator', reseller, customer, action, target, fields);
    END
    $$;
REVOKE ALL ON FUNCTION sb.append_login_entry(uuid, uuid, uuid, text, uuid, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.append_login_entry(uuid, uuid, uuid, text, uuid, text[]) TO sb_authenticator;

-- The function appends as the owner, and only login entries written in the authenticator's name.
CREATE POLICY owner_appends_checked_logins ON sb.audit_events FOR INSERT TO sb_owner
    WITH CHECK (role = 'sb_authenticator' AND principal_kind = 'login'
                AND action IN ('session.create', 'login.attempt', 'staff-session.create', 'staff-login.attempt'));

DROP POLICY authenticator_appends_logins ON sb.audit_events;
DROP POLICY authenticator_appends_staff_logins ON sb.audit_events;
REVOKE INSERT ON sb.audit_events FROM sb_authenticator;
REVOKE INSERT (chain, principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
    ON sb.audit_events FROM sb_authenticator;
