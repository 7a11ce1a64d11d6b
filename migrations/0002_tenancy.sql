-- Tenancy tree (platform → reseller → customer), principals, the DPA, and the audit trail,
-- isolated by grants per scope role and row-level security keyed on transaction-local settings
-- (DESIGN §2). The server sets them in exactly one place (ScopedDatabase) with set_config(…, true):
--   sb.principal_id   every authenticated request
--   sb.reseller_id    reseller and customer scopes
--   sb.customer_id    customer scope
--   sb.credential_hash / sb.login_email   the authenticator scope: the one credential being checked
-- A missing setting reads as NULL, which matches no row: fail closed.
-- Nothing may be created in schema public by application roles (older clusters still allow it).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SET LOCAL ROLE sb_owner;

CREATE FUNCTION sb.setting_uuid(setting text) RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting(setting, true), '')::uuid $$;

CREATE FUNCTION sb.setting_text(setting text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting(setting, true), '') $$;

CREATE FUNCTION sb.setting_hash(setting text) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT decode(nullif(current_setting(setting, true), ''), 'hex') $$;

-- ---------------------------------------------------------------- DPA versions
-- not tenant data: dpa_versions (the platform's published agreement versions, the same for every reseller)
CREATE TABLE sb.dpa_versions (
    version text PRIMARY KEY,
    published_at timestamptz NOT NULL,
    title text NOT NULL
);
INSERT INTO sb.dpa_versions (version, published_at, title)
VALUES ('2026-01', '2026-01-01T00:00:00Z', 'Data processing agreement 2026-01');
GRANT SELECT ON sb.dpa_versions TO sb_platform, sb_reseller;

CREATE FUNCTION sb.current_dpa_version() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT version FROM sb.dpa_versions ORDER BY published_at DESC LIMIT 1 $$;

-- ---------------------------------------------------------------- resellers
CREATE TABLE sb.resellers (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    contact_name text CHECK (length(contact_name) <= 200),
    contact_email text CHECK (length(contact_email) <= 254),
    contact_phone text CHECK (length(contact_phone) <= 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
ALTER TABLE sb.resellers ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.resellers FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_manages ON sb.resellers TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_reads_itself ON sb.resellers FOR SELECT TO sb_reseller
    USING (id = (SELECT sb.setting_uuid('sb.reseller_id')));
GRANT SELECT, INSERT, UPDATE ON sb.resellers TO sb_platform;
GRANT SELECT ON sb.resellers TO sb_reseller;

-- ---------------------------------------------------------------- customers
CREATE TABLE sb.customers (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    cvr text CHECK (cvr ~ '^[0-9]{8}$'),
    external_ref text CHECK (length(external_ref) BETWEEN 1 AND 100),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'terminated')),
    terminated_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (reseller_id, id),
    UNIQUE (reseller_id, external_ref),
    CHECK ((status = 'terminated') = (terminated_at IS NOT NULL))
);
ALTER TABLE sb.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_reads_metadata ON sb.customers FOR SELECT TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_manages_own ON sb.customers TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY customer_reads_itself ON sb.customers FOR SELECT TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND id = (SELECT sb.setting_uuid('sb.customer_id')));
-- The platform sees tenant metadata only: not the reseller's business identifiers (CVR, references).
GRANT SELECT (reseller_id, id, name, status, terminated_at, created_at, updated_at, version) ON sb.customers TO sb_platform;
GRANT SELECT, INSERT, UPDATE ON sb.customers TO sb_reseller;
GRANT SELECT ON sb.customers TO sb_customer;

-- ---------------------------------------------------------------- DPA acceptances
CREATE TABLE sb.dpa_acceptances (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    version text NOT NULL REFERENCES sb.dpa_versions (version),
    accepted_by uuid NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    UNIQUE (reseller_id, version)
);
ALTER TABLE sb.dpa_acceptances ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.dpa_acceptances FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_reads ON sb.dpa_acceptances FOR SELECT TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_own ON sb.dpa_acceptances TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
GRANT SELECT ON sb.dpa_acceptances TO sb_platform;
GRANT SELECT, INSERT ON sb.dpa_acceptances TO sb_reseller;

-- True when the reseller accepted the current DPA version; runs with the caller's rights and policies.
CREATE FUNCTION sb.dpa_accepted(reseller uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT EXISTS (
            SELECT 1 FROM sb.dpa_acceptances
            WHERE reseller_id = reseller AND version = sb.current_dpa_version()
        )
    $$;

-- ---------------------------------------------------------------- customers' telecom managers
-- Processor scope (they are customers' employees): storable only once the reseller accepted the DPA.
CREATE TABLE sb.managers (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    id uuid NOT NULL,
    email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    full_name text NOT NULL CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    UNIQUE (reseller_id, customer_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES sb.customers (reseller_id, id)
);
-- A login e-mail identifies one person platform-wide.
CREATE UNIQUE INDEX managers_email_key ON sb.managers (email);
CREATE INDEX managers_customer ON sb.managers (reseller_id, customer_id);
ALTER TABLE sb.managers ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.managers FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_reads_own ON sb.managers FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY reseller_adds_after_dpa ON sb.managers FOR INSERT TO sb_reseller
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND sb.dpa_accepted(reseller_id));
CREATE POLICY customer_reads_own_company ON sb.managers FOR SELECT TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
CREATE POLICY authenticator_sees_presented_login ON sb.managers FOR SELECT TO sb_authenticator
    USING (email = (SELECT sb.setting_text('sb.login_email')));
CREATE POLICY authenticator_counts_failures ON sb.managers FOR UPDATE TO sb_authenticator
    USING (email = (SELECT sb.setting_text('sb.login_email')));
GRANT SELECT (reseller_id, customer_id, id, email, full_name, created_at), INSERT ON sb.managers TO sb_reseller;
GRANT SELECT (reseller_id, customer_id, id, email, full_name, created_at) ON sb.managers TO sb_customer;
GRANT SELECT (reseller_id, customer_id, id, email, password_hash, failed_logins, locked_until),
      UPDATE (failed_logins, locked_until) ON sb.managers TO sb_authenticator;

-- ---------------------------------------------------------------- API keys
-- Secrets are stored only as SHA-256 hashes (they carry 256 bits of randomness, so a slow hash adds nothing).
-- Platform keys hold no tenant data; they are kept apart so every tenant table has its tenant in the key.
CREATE TABLE sb.platform_api_keys (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    secret_hash bytea NOT NULL UNIQUE,
    display_prefix text NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
ALTER TABLE sb.platform_api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.platform_api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_manages ON sb.platform_api_keys TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY authenticator_sees_presented_key ON sb.platform_api_keys FOR SELECT TO sb_authenticator
    USING (secret_hash = (SELECT sb.setting_hash('sb.credential_hash')));
CREATE POLICY authenticator_touches_presented_key ON sb.platform_api_keys FOR UPDATE TO sb_authenticator
    USING (secret_hash = (SELECT sb.setting_hash('sb.credential_hash')));
GRANT SELECT (id, name, display_prefix, created_by, created_at, last_used_at, revoked_at),
      INSERT, UPDATE (revoked_at) ON sb.platform_api_keys TO sb_platform;
GRANT SELECT (id, secret_hash, revoked_at, last_used_at), UPDATE (last_used_at) ON sb.platform_api_keys TO sb_authenticator;

CREATE TABLE sb.reseller_api_keys (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    secret_hash bytea NOT NULL UNIQUE,
    display_prefix text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (reseller_id, id)
);
ALTER TABLE sb.reseller_api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.reseller_api_keys FORCE ROW LEVEL SECURITY;
-- The platform issues a reseller's first key at onboarding and no other: a later key minted by
-- the platform would let it act as the reseller and reach processor-scope data. A policy cannot
-- query its own table, so an owner-rights function answers "has this reseller a key?" and nothing more.
CREATE POLICY owner_counts_keys ON sb.reseller_api_keys FOR SELECT TO sb_owner USING (true);
CREATE FUNCTION sb.reseller_has_key(reseller uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = reseller) $$;
REVOKE ALL ON FUNCTION sb.reseller_has_key(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.reseller_has_key(uuid) TO sb_platform;
CREATE POLICY platform_issues_onboarding_key ON sb.reseller_api_keys FOR INSERT TO sb_platform
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL AND NOT sb.reseller_has_key(reseller_id));
CREATE POLICY platform_reads ON sb.reseller_api_keys FOR SELECT TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_manages_own ON sb.reseller_api_keys TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY authenticator_sees_presented_key ON sb.reseller_api_keys FOR SELECT TO sb_authenticator
    USING (secret_hash = (SELECT sb.setting_hash('sb.credential_hash')));
CREATE POLICY authenticator_touches_presented_key ON sb.reseller_api_keys FOR UPDATE TO sb_authenticator
    USING (secret_hash = (SELECT sb.setting_hash('sb.credential_hash')));
GRANT SELECT (reseller_id, id, name, display_prefix, created_by, created_at, last_used_at, revoked_at), INSERT
    ON sb.reseller_api_keys TO sb_platform;
GRANT SELECT (reseller_id, id, name, display_prefix, created_by, created_at, last_used_at, revoked_at),
      INSERT, UPDATE (revoked_at) ON sb.reseller_api_keys TO sb_reseller;
GRANT SELECT (reseller_id, id, secret_hash, revoked_at, last_used_at), UPDATE (last_used_at)
    ON sb.reseller_api_keys TO sb_authenticator;

-- ---------------------------------------------------------------- sessions of people who log in
CREATE TABLE sb.sessions (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    id uuid NOT NULL,
    manager_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id, manager_id) REFERENCES sb.managers (reseller_id, customer_id, id)
);
ALTER TABLE sb.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY authenticator_sees_presented_token ON sb.sessions FOR SELECT TO sb_authenticator
    USING (token_hash = (SELECT sb.setting_hash('sb.credential_hash')));
-- A session may be opened only for the person whose e-mail (and password) was just checked.
CREATE POLICY authenticator_opens_for_checked_login ON sb.sessions FOR INSERT TO sb_authenticator
    WITH CHECK (manager_id IN (SELECT m.id FROM sb.managers m WHERE m.email = (SELECT sb.setting_text('sb.login_email'))));
CREATE POLICY manager_ends_own ON sb.sessions TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND manager_id = (SELECT sb.setting_uuid('sb.principal_id')));
GRANT SELECT (reseller_id, customer_id, id, manager_id, token_hash, expires_at, revoked_at), INSERT ON sb.sessions TO sb_authenticator;
GRANT SELECT (reseller_id, id, manager_id, expires_at, revoked_at), UPDATE (revoked_at) ON sb.sessions TO sb_customer;

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

-- A revocation is final: no role may set revoked_at back to NULL.
CREATE POLICY revocation_is_final ON sb.platform_api_keys AS RESTRICTIVE FOR UPDATE TO sb_platform
    USING (true) WITH CHECK (revoked_at IS NOT NULL);
CREATE POLICY revocation_is_final ON sb.reseller_api_keys AS RESTRICTIVE FOR UPDATE TO sb_reseller
    USING (true) WITH CHECK (revoked_at IS NOT NULL);
CREATE POLICY revocation_is_final ON sb.sessions AS RESTRICTIVE FOR UPDATE TO sb_customer
    USING (true) WITH CHECK (revoked_at IS NOT NULL);

-- ---------------------------------------------------------------- audit trail
-- Append-only: application roles may INSERT, never UPDATE or DELETE. One hash chain per tenant
-- (chain = reseller id, or 'platform'), so tenants never wait on each other's audit writes.
-- No personal data: ids and field names, never values.
CREATE TABLE sb.audit_events (
    chain text NOT NULL,
    seq bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    principal_id uuid NOT NULL,
    principal_kind text NOT NULL CHECK (principal_kind IN ('api_key', 'session', 'login', 'system')),
    role text NOT NULL,
    reseller_id uuid,
    customer_id uuid,
    action text NOT NULL,
    target_id uuid,
    fields text[] NOT NULL DEFAULT '{}',
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (chain, seq)
);
ALTER TABLE sb.audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.audit_events FORCE ROW LEVEL SECURITY;
-- Every entry names the role that wrote it (current_user), so no role can pass for another.
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
GRANT INSERT (principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
    ON sb.audit_events TO sb_platform, sb_reseller, sb_customer, sb_authenticator;

-- not tenant data: audit_chain_heads (the last hash of each chain; touched only by the audit trigger, granted to no application role)
CREATE TABLE sb.audit_chain_heads (
    chain text PRIMARY KEY,
    seq bigint NOT NULL,
    hash bytea NOT NULL
);

-- The canonical text an entry's hash covers; `switchboard audit verify` recomputes it the same way.
CREATE FUNCTION sb.audit_canonical(e sb.audit_events) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT concat_ws('|', e.chain, e.seq, (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
                         e.principal_id, e.principal_kind, e.role, coalesce(e.reseller_id::text, ''),
                         coalesce(e.customer_id::text, ''), e.action, coalesce(e.target_id::text, ''),
                         array_to_string(e.fields, ','))
    $$;

CREATE FUNCTION sb.audit_chain_append() RETURNS trigger
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
REVOKE ALL ON FUNCTION sb.audit_chain_append() FROM PUBLIC;

CREATE TRIGGER audit_chain BEFORE INSERT ON sb.audit_events
    FOR EACH ROW EXECUTE FUNCTION sb.audit_chain_append();

CREATE FUNCTION sb.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON sb.audit_events
    FOR EACH ROW EXECUTE FUNCTION sb.audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON sb.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION sb.audit_refuse_change();
