-- Policies and tenant settings that work on plain PostgreSQL and on Citus alike (issue 18, DESIGN §12).
--
-- Citus refuses "subqueries in policies on distributed tables", so no policy may contain a
-- subquery: every `(SELECT sb.setting_x('…'))` becomes the plain call (the function is inlined to
-- `current_setting`, which the planner folds into an index condition as before), and the eight
-- policies that looked into another table call an owner-rights function instead.
--
-- Tenant settings are written by `sb.enter_scope` with SET LOCAL, which Citus forwards to the
-- workers taking part in the transaction (`citus.propagate_set_commands = 'local'`, set by the
-- same function); `set_config(…, true)` never left the coordinator.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- owner-rights checks for policies
-- Each answers one yes/no question about the presented login or the scope's company and reveals
-- nothing else; they run as sb_owner, which the tables' owner policies let read. Every function a
-- policy calls that reads a table is PL/pgSQL: Citus creates a policy's functions on the workers
-- before the tables they read, and only PL/pgSQL bodies are not checked at creation.
CREATE FUNCTION sb.login_names_manager(reseller uuid, customer uuid, manager uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.managers m
                              WHERE m.email = sb.setting_text('sb.login_email')
                                AND m.reseller_id = reseller AND m.customer_id = customer AND m.id = manager);
        END
    $$;

CREATE FUNCTION sb.login_names_staff(staff uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.platform_staff s
                              WHERE s.email = sb.setting_text('sb.login_email') AND s.id = staff);
        END
    $$;

-- The reseller behind the presented key, session or login e-mail.
CREATE FUNCTION sb.credential_names_reseller(reseller uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.reseller_api_keys k
                              WHERE k.secret_hash = sb.setting_hash('sb.credential_hash') AND k.reseller_id = reseller)
                   OR EXISTS (SELECT 1 FROM sb.sessions s
                              WHERE s.token_hash = sb.setting_hash('sb.credential_hash') AND s.reseller_id = reseller)
                   OR EXISTS (SELECT 1 FROM sb.managers m
                              WHERE m.email = sb.setting_text('sb.login_email') AND m.reseller_id = reseller);
        END
    $$;

-- The customer behind the presented session or login e-mail.
CREATE FUNCTION sb.credential_names_customer(reseller uuid, customer uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.sessions s
                              WHERE s.token_hash = sb.setting_hash('sb.credential_hash')
                                AND s.reseller_id = reseller AND s.customer_id = customer)
                   OR EXISTS (SELECT 1 FROM sb.managers m
                              WHERE m.email = sb.setting_text('sb.login_email')
                                AND m.reseller_id = reseller AND m.customer_id = customer);
        END
    $$;

-- A data-subject request of the manager's own company (what sb_customer's policy on the requests
-- lets it see).
CREATE FUNCTION sb.request_of_scope_company(request uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.data_subject_requests r
                              WHERE r.id = request
                                AND r.reseller_id = sb.setting_uuid('sb.reseller_id')
                                AND r.customer_id = sb.setting_uuid('sb.customer_id'));
        END
    $$;

REVOKE ALL ON FUNCTION sb.login_names_manager(uuid, uuid, uuid), sb.login_names_staff(uuid),
    sb.credential_names_reseller(uuid), sb.credential_names_customer(uuid, uuid),
    sb.request_of_scope_company(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.login_names_manager(uuid, uuid, uuid), sb.login_names_staff(uuid),
    sb.credential_names_reseller(uuid), sb.credential_names_customer(uuid, uuid) TO sb_authenticator;
GRANT EXECUTE ON FUNCTION sb.request_of_scope_company(uuid) TO sb_customer;

-- The older functions policies call that read a table: the same questions, in PL/pgSQL.
CREATE OR REPLACE FUNCTION sb.request_reseller_accepted_dpa() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.dpa_acceptances
                           WHERE reseller_id = sb.setting_uuid('sb.reseller_id') AND version = sb.current_dpa_version());
        END
    $$;
CREATE OR REPLACE FUNCTION sb.dpa_accepted(reseller uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.dpa_acceptances
                           WHERE reseller_id = reseller AND version = sb.current_dpa_version());
        END
    $$;
CREATE OR REPLACE FUNCTION sb.reseller_has_active_key(reseller uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = reseller AND revoked_at IS NULL);
        END
    $$;

-- ---------------------------------------------------------------- the eight policies with a subquery
DROP POLICY authenticator_opens_for_checked_login ON sb.sessions;
CREATE POLICY authenticator_opens_for_checked_login ON sb.sessions FOR INSERT TO sb_authenticator
    WITH CHECK (sb.login_names_manager(reseller_id, customer_id, manager_id));

DROP POLICY authenticator_sees_credential_owner ON sb.resellers;
CREATE POLICY authenticator_sees_credential_owner ON sb.resellers FOR SELECT TO sb_authenticator
    USING (sb.credential_names_reseller(id));

DROP POLICY authenticator_sees_credential_owner ON sb.customers;
CREATE POLICY authenticator_sees_credential_owner ON sb.customers FOR SELECT TO sb_authenticator
    USING (sb.credential_names_customer(reseller_id, id));

DROP POLICY authenticator_appends_logins ON sb.audit_events;
CREATE POLICY authenticator_appends_logins ON sb.audit_events FOR INSERT TO sb_authenticator
    WITH CHECK (role = current_user AND action IN ('session.create', 'login.attempt')
                AND sb.login_names_manager(reseller_id, customer_id, principal_id));

DROP POLICY manager_reads_own_company ON sb.traffic_data_requests;
CREATE POLICY manager_reads_own_company ON sb.traffic_data_requests FOR SELECT TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND sb.request_of_scope_company(request_id));

DROP POLICY manager_forwards_own_company ON sb.traffic_data_requests;
CREATE POLICY manager_forwards_own_company ON sb.traffic_data_requests FOR INSERT TO sb_customer
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id') AND state = 'forwarded'
                AND sb.request_of_scope_company(request_id));

DROP POLICY authenticator_opens_for_checked_login ON sb.platform_sessions;
CREATE POLICY authenticator_opens_for_checked_login ON sb.platform_sessions FOR INSERT TO sb_authenticator
    WITH CHECK (sb.login_names_staff(staff_id));

DROP POLICY authenticator_appends_staff_logins ON sb.audit_events;
CREATE POLICY authenticator_appends_staff_logins ON sb.audit_events FOR INSERT TO sb_authenticator
    WITH CHECK (role = current_user AND action IN ('staff-session.create', 'staff-login.attempt')
                AND reseller_id IS NULL AND customer_id IS NULL AND sb.login_names_staff(principal_id));

-- ---------------------------------------------------------------- every other policy: the plain call
-- pg_policies shows each `(SELECT sb.setting_x('…'))` as `( SELECT sb.setting_x('…'::text) AS setting_x)`;
-- the rewrite keeps the rest of each expression exactly as it was. With only pg_catalog on the
-- search path, every other name is shown schema-qualified, so the text means the same when re-read.
SET LOCAL search_path = pg_catalog;
DO $$
DECLARE
    policy record;
    wrapped constant text := '\( SELECT (sb\.\w+\([^()]*\)) AS \w+\)';
    using_clause text;
    check_clause text;
BEGIN
    FOR policy IN
        SELECT schemaname, tablename, policyname, qual, with_check FROM pg_policies
        WHERE schemaname IN ('sb', 'platform')
          AND (qual ~ wrapped OR with_check ~ wrapped)
    LOOP
        using_clause := CASE WHEN policy.qual IS NULL THEN ''
            ELSE format(' USING (%s)', regexp_replace(policy.qual, wrapped, '\1', 'g')) END;
        check_clause := CASE WHEN policy.with_check IS NULL THEN ''
            ELSE format(' WITH CHECK (%s)', regexp_replace(policy.with_check, wrapped, '\1', 'g')) END;
        EXECUTE format('ALTER POLICY %I ON %I.%I', policy.policyname, policy.schemaname, policy.tablename)
            || using_clause || check_clause;
    END LOOP;
    SELECT string_agg(format('%s.%s %s', schemaname, tablename, policyname), ', ') INTO using_clause
    FROM pg_policies WHERE schemaname IN ('sb', 'platform')
      AND (qual ~* '\mselect\M' OR with_check ~* '\mselect\M');
    IF using_clause IS NOT NULL THEN
        RAISE EXCEPTION 'policies still holding a subquery: %', using_clause;
    END IF;
END
$$;

-- ---------------------------------------------------------------- the request's scope
-- One call per transaction (prepared by the server): SET LOCAL, unlike set_config, is forwarded
-- by Citus to every worker the transaction uses. No SET clause on the function: that would undo
-- the settings when it returns. Values are quoted with format's %L / %I, never concatenated.
RESET ROLE;
CREATE FUNCTION public.sb_enter_scope(role_name text, principal_id text, reseller_id text, customer_id text,
                                      credential_hash text, login_email text, statement_timeout_ms text)
    RETURNS void LANGUAGE plpgsql
    AS $$
    BEGIN
        -- The role first, before forwarding starts: Citus connects to the workers as the current
        -- role already, and an owner-rights function (running as sb_owner) could not switch to it there.
        EXECUTE format('SET LOCAL ROLE %I', role_name);
        SET LOCAL citus.propagate_set_commands = 'local';
        EXECUTE format('SET LOCAL sb.principal_id = %L', principal_id);
        EXECUTE format('SET LOCAL sb.reseller_id = %L', reseller_id);
        EXECUTE format('SET LOCAL sb.customer_id = %L', customer_id);
        EXECUTE format('SET LOCAL sb.credential_hash = %L', credential_hash);
        EXECUTE format('SET LOCAL sb.login_email = %L', login_email);
        EXECUTE format('SET LOCAL statement_timeout = %L', statement_timeout_ms);
    END
    $$;
REVOKE ALL ON FUNCTION public.sb_enter_scope(text, text, text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.sb_enter_scope(text, text, text, text, text, text, text) TO sb_app;
