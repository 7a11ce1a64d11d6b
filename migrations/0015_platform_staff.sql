-- Platform staff as people (issue 17, DESIGN §11): the platform's own employees sign in with an
-- e-mail and password, hold one or more duties (operator, finance, legal), and every platform act
-- they do is audited under their own id. API keys for machines keep working beside them.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- staff
-- not tenant data: platform_staff (the platform operator's own employees; no reseller, customer or employee data)
CREATE TABLE sb.platform_staff (
    id uuid PRIMARY KEY,
    email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    full_name text NOT NULL CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
    duties text[] NOT NULL CHECK (cardinality(duties) BETWEEN 1 AND 3 AND duties <@ ARRAY['operator', 'finance', 'legal']),
    password_hash text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX platform_staff_email ON sb.platform_staff (email);
ALTER TABLE sb.platform_staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.platform_staff FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_manages ON sb.platform_staff TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
-- The authenticator sees the person whose e-mail is being checked, or whose session is presented.
CREATE POLICY authenticator_sees_presented_login ON sb.platform_staff FOR SELECT TO sb_authenticator
    USING (email = (SELECT sb.setting_text('sb.login_email')));
GRANT SELECT (id, email, full_name, duties, status, created_by, created_at, updated_at),
      INSERT (id, email, full_name, duties, password_hash, created_by),
      UPDATE (full_name, duties, status, password_hash, updated_at) ON sb.platform_staff TO sb_platform;
GRANT SELECT (id, email, duties, password_hash, status) ON sb.platform_staff TO sb_authenticator;

-- ---------------------------------------------------------------- their sessions
-- not tenant data: platform_sessions (sessions of the platform's own employees)
CREATE TABLE sb.platform_sessions (
    id uuid PRIMARY KEY,
    staff_id uuid NOT NULL REFERENCES sb.platform_staff (id),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX platform_sessions_by_staff ON sb.platform_sessions (staff_id) WHERE revoked_at IS NULL;
ALTER TABLE sb.platform_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.platform_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY authenticator_sees_presented_token ON sb.platform_sessions FOR SELECT TO sb_authenticator
    USING (token_hash = (SELECT sb.setting_hash('sb.credential_hash')));
-- A session may be opened only for the person whose e-mail (and password) was just checked.
CREATE POLICY authenticator_opens_for_checked_login ON sb.platform_sessions FOR INSERT TO sb_authenticator
    WITH CHECK (staff_id IN (SELECT s.id FROM sb.platform_staff s WHERE s.email = (SELECT sb.setting_text('sb.login_email'))));
-- The platform ends sessions: a person their own, and all of someone disabled.
CREATE POLICY platform_ends ON sb.platform_sessions FOR ALL TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY revocation_is_final ON sb.platform_sessions AS RESTRICTIVE FOR UPDATE TO sb_platform
    USING (revoked_at IS NULL) WITH CHECK (revoked_at IS NOT NULL);
GRANT SELECT (id, staff_id, token_hash, expires_at, revoked_at), INSERT ON sb.platform_sessions TO sb_authenticator;
GRANT SELECT (id, staff_id, expires_at, revoked_at), UPDATE (revoked_at) ON sb.platform_sessions TO sb_platform;

-- The session lookup: the live session of an active person for the presented token, with their
-- duties. Owner rights, because a policy on the staff table reading the sessions would loop with
-- the sessions' insert policy reading the staff; it answers for the presented hash only.
CREATE POLICY owner_reads_staff ON sb.platform_staff FOR SELECT TO sb_owner USING (true);
CREATE FUNCTION sb.presented_staff_session()
    RETURNS TABLE (session_id uuid, staff_id uuid, duties text[], expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT p.id, p.staff_id, s.duties, p.expires_at FROM sb.platform_sessions p
        JOIN sb.platform_staff s ON s.id = p.staff_id
        WHERE p.token_hash = sb.setting_hash('sb.credential_hash') AND p.revoked_at IS NULL AND p.expires_at > now() AND s.status = 'active'
    $$;
REVOKE ALL ON FUNCTION sb.presented_staff_session() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.presented_staff_session() TO sb_authenticator;


-- Disabling a person ends their sessions in the same transaction.
CREATE FUNCTION sb.end_sessions_of_disabled_staff() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        UPDATE sb.platform_sessions SET revoked_at = now() WHERE staff_id = NEW.id AND revoked_at IS NULL;
        RETURN NULL;
    END
    $$;
REVOKE ALL ON FUNCTION sb.end_sessions_of_disabled_staff() FROM PUBLIC;
-- The owner-rights trigger below ends them; the sessions retention rule deletes ended ones.
CREATE POLICY owner_ends_sessions ON sb.platform_sessions FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE TRIGGER end_sessions_on_disable AFTER UPDATE OF status ON sb.platform_staff
    FOR EACH ROW WHEN (NEW.status = 'disabled' AND OLD.status IS DISTINCT FROM 'disabled')
    EXECUTE FUNCTION sb.end_sessions_of_disabled_staff();

-- Their login events are the platform's: no tenant, the person as principal.
CREATE POLICY authenticator_appends_staff_logins ON sb.audit_events FOR INSERT TO sb_authenticator
    WITH CHECK (role = current_user AND action IN ('staff-session.create', 'staff-login.attempt')
                AND reseller_id IS NULL AND customer_id IS NULL
                AND principal_id IN (SELECT s.id FROM sb.platform_staff s WHERE s.email = (SELECT sb.setting_text('sb.login_email'))));

-- Ended staff sessions go under the sessions rule too (the rule reports per reseller, so they are
-- deleted without a tenant row of their own).
CREATE OR REPLACE FUNCTION sb.retention_sessions(clock timestamptz, keep interval, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT s.reseller_id, count(*) FROM sb.sessions s
                WHERE least(s.expires_at, s.revoked_at) + keep <= clock GROUP BY s.reseller_id;
        ELSE
            DELETE FROM sb.platform_sessions p WHERE least(p.expires_at, p.revoked_at) + keep <= clock;
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.sessions s WHERE least(s.expires_at, s.revoked_at) + keep <= clock RETURNING s.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;

-- Cached principals carry the duties and the session: a change reaches every replica at once.
-- (As the migration role, which owns sb.announce_credential_change, like migration 0007.)
RESET ROLE;
CREATE TRIGGER credential_change_notice AFTER UPDATE OF revoked_at, expires_at OR DELETE OR TRUNCATE ON sb.platform_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
CREATE TRIGGER credential_change_notice AFTER UPDATE OF status, duties OR DELETE OR TRUNCATE ON sb.platform_staff
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
