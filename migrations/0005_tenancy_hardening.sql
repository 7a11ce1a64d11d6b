-- Tenancy hardening after a security review (these changes were first made inside 0002, which
-- had already been applied; migrations are append-only, so they live here):
--   the platform may issue only a reseller's onboarding key;
--   suspended resellers and terminated customers lose their credentials at once;
--   a session belongs to its manager's own company;
--   revocations are final;
--   every audit entry names the role that wrote it, login events belong to the person logging in,
--   and time never runs backwards along an audit chain.
-- Nothing may be created in schema public by application roles (older clusters still allow it).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- onboarding key only
-- A later key minted by the platform would let it act as the reseller and reach processor-scope
-- data. A policy cannot query its own table, so an owner-rights function answers "has this
-- reseller a key?" and nothing more.
DROP POLICY platform_issues ON sb.reseller_api_keys;
CREATE POLICY owner_counts_keys ON sb.reseller_api_keys FOR SELECT TO sb_owner USING (true);
CREATE FUNCTION sb.reseller_has_key(reseller uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = reseller) $$;
REVOKE ALL ON FUNCTION sb.reseller_has_key(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.reseller_has_key(uuid) TO sb_platform;
CREATE POLICY platform_issues_onboarding_key ON sb.reseller_api_keys FOR INSERT TO sb_platform
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL AND NOT sb.reseller_has_key(reseller_id));

-- ---------------------------------------------------------------- a session stays in its manager's company
ALTER TABLE sb.managers ADD CONSTRAINT managers_reseller_id_customer_id_id_key UNIQUE (reseller_id, customer_id, id);
ALTER TABLE sb.sessions DROP CONSTRAINT sessions_reseller_id_manager_id_fkey;
ALTER TABLE sb.sessions ADD CONSTRAINT sessions_reseller_id_customer_id_manager_id_fkey
    FOREIGN KEY (reseller_id, customer_id, manager_id) REFERENCES sb.managers (reseller_id, customer_id, id);

-- ---------------------------------------------------------------- credentials stop with their tenant
-- The authenticator may read the status of exactly the tenant behind the credential it checks,
-- so a suspended reseller's keys and a terminated customer's logins stop working at once.
CREATE POLICY authenticator_sees_credential_owner ON sb.resellers FOR SELECT TO sb_authenticator
    USING (id IN (SELECT k.reseller_id FROM sb.reseller_api_keys k WHERE k.secret_hash = (SELECT sb.setting_hash('sb.credential_hash')))
           OR id IN (SELECT s.reseller_id FROM sb.sessions s WHERE s.token_hash = (SELECT sb.setting_hash('sb.credential_hash')))
           OR id IN (SELECT m.reseller_id FROM sb.managers m WHERE m.email = (SELECT sb.setting_text('sb.login_email'))));
CREATE POLICY authenticator_sees_credential_owner ON sb.customers FOR SELECT TO sb_authenticator
    USING ((reseller_id, id) IN (SELECT s.reseller_id, s.customer_id FROM sb.sessions s WHERE s.token_hash = (SELECT sb.setting_hash('sb.credential_hash')))
           OR (reseller_id, id) IN (SELECT m.reseller_id, m.customer_id FROM sb.managers m WHERE m.email = (SELECT sb.setting_text('sb.login_email'))));
GRANT SELECT (id, status) ON sb.resellers TO sb_authenticator;
GRANT SELECT (reseller_id, id, status) ON sb.customers TO sb_authenticator;

-- ---------------------------------------------------------------- a revocation is final
-- No role may set revoked_at back to NULL.
CREATE POLICY revocation_is_final ON sb.platform_api_keys AS RESTRICTIVE FOR UPDATE TO sb_platform
    USING (true) WITH CHECK (revoked_at IS NOT NULL);
CREATE POLICY revocation_is_final ON sb.reseller_api_keys AS RESTRICTIVE FOR UPDATE TO sb_reseller
    USING (true) WITH CHECK (revoked_at IS NOT NULL);
CREATE POLICY revocation_is_final ON sb.sessions AS RESTRICTIVE FOR UPDATE TO sb_customer
    USING (true) WITH CHECK (revoked_at IS NOT NULL);

-- ---------------------------------------------------------------- audit entries name their writer
-- Every entry names the role that wrote it (current_user), so no role can pass for another.
DROP POLICY platform_appends ON sb.audit_events;
DROP POLICY reseller_appends_own ON sb.audit_events;
DROP POLICY customer_appends_own ON sb.audit_events;
DROP POLICY authenticator_appends_logins ON sb.audit_events;
CREATE POLICY platform_appends ON sb.audit_events FOR INSERT TO sb_platform
    WITH CHECK (role = current_user AND principal_id = (SELECT sb.setting_uuid('sb.principal_id')));
CREATE POLICY reseller_appends_own ON sb.audit_events FOR INSERT TO sb_reseller
    WITH CHECK (role = current_user AND reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
                AND principal_id = (SELECT sb.setting_uuid('sb.principal_id')));
CREATE POLICY customer_appends_own ON sb.audit_events FOR INSERT TO sb_customer
    WITH CHECK (role = current_user AND reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
                AND customer_id = (SELECT sb.setting_uuid('sb.customer_id'))
                AND principal_id = (SELECT sb.setting_uuid('sb.principal_id')));
-- Login events belong to the person whose e-mail is being checked, in that person's tenant.
CREATE POLICY authenticator_appends_logins ON sb.audit_events FOR INSERT TO sb_authenticator
    WITH CHECK (role = current_user AND action IN ('session.create', 'login.attempt')
                AND (principal_id, reseller_id, customer_id) IN (
                    SELECT m.id, m.reseller_id, m.customer_id FROM sb.managers m
                    WHERE m.email = (SELECT sb.setting_text('sb.login_email'))));

-- The timestamp moves under the chain's row lock.
CREATE OR REPLACE FUNCTION sb.audit_chain_append() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        head sb.audit_chain_heads;
    BEGIN
        NEW.chain := coalesce(NEW.reseller_id::text, 'platform');
        INSERT INTO sb.audit_chain_heads (chain, seq, hash)
        VALUES (NEW.chain, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
        ON CONFLICT (chain) DO NOTHING;
        -- The row lock serialises appends to one chain until the appending transaction ends.
        SELECT * INTO head FROM sb.audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
        -- Taken under the lock, so time never runs backwards along a chain.
        NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
        NEW.seq := head.seq + 1;
        NEW.prev_hash := head.hash;
        NEW.hash := sha256(head.hash || convert_to(sb.audit_canonical(NEW), 'UTF8'));
        UPDATE sb.audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
        RETURN NEW;
    END
    $$;
