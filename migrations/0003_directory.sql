-- Staff directory (processor scope, DESIGN §1 and §3): customers' employees, their numbers, SIMs,
-- fax-to-mail, preference history and content. The owning reseller and that customer's managers
-- may use it; the platform role has no privilege here at all. The telephony side stores content
-- through sb_telephony, which may INSERT content and do nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_telephony') THEN
        CREATE ROLE sb_telephony NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;
GRANT sb_telephony TO sb_app;
GRANT USAGE ON SCHEMA sb TO sb_telephony;

SET LOCAL ROLE sb_owner;

-- Extension length is a per-customer rule (default 2–6 digits).
ALTER TABLE sb.customers
    ADD COLUMN extension_min_length smallint NOT NULL DEFAULT 2,
    ADD COLUMN extension_max_length smallint NOT NULL DEFAULT 6,
    ADD CONSTRAINT customers_extension_lengths CHECK (1 <= extension_min_length AND extension_min_length <= extension_max_length AND extension_max_length <= 15);

-- ---------------------------------------------------------------- telephony keys (platform scope)
-- Machine credentials of the telephony platform, issued by platform staff.
CREATE TABLE sb.telephony_api_keys (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    secret_hash bytea NOT NULL UNIQUE,
    display_prefix text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
ALTER TABLE sb.telephony_api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.telephony_api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_manages ON sb.telephony_api_keys TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY authenticator_sees_presented_key ON sb.telephony_api_keys FOR SELECT TO sb_authenticator
    USING (secret_hash = (SELECT sb.setting_hash('sb.credential_hash')));
CREATE POLICY authenticator_touches_presented_key ON sb.telephony_api_keys FOR UPDATE TO sb_authenticator
    USING (secret_hash = (SELECT sb.setting_hash('sb.credential_hash')));
GRANT SELECT (id, name, display_prefix, created_by, created_at, last_used_at, revoked_at), INSERT, UPDATE (revoked_at)
    ON sb.telephony_api_keys TO sb_platform;
GRANT SELECT (id, secret_hash, revoked_at, last_used_at), UPDATE (last_used_at) ON sb.telephony_api_keys TO sb_authenticator;
CREATE POLICY revocation_is_final ON sb.telephony_api_keys AS RESTRICTIVE FOR UPDATE TO sb_platform
    USING (true) WITH CHECK (revoked_at IS NOT NULL);

-- ---------------------------------------------------------------- employees
CREATE TABLE sb.employees (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    id uuid NOT NULL,
    full_name text NOT NULL CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
    email text CHECK (length(email) <= 254),
    mobile text CHECK (mobile ~ '^\+[1-9][0-9]{6,14}$'),
    -- NULL only once anonymised, which frees the extension for someone else.
    extension text CHECK (extension ~ '^[0-9]{1,15}$'),
    directory_listing text NOT NULL DEFAULT 'listed' CHECK (directory_listing IN ('listed', 'unlisted')),
    marketing_consent boolean NOT NULL DEFAULT false,
    restricted_at timestamptz,
    restriction_reason text CHECK (length(restriction_reason) <= 500),
    anonymised_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (reseller_id, id),
    UNIQUE (reseller_id, customer_id, extension),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES sb.customers (reseller_id, id),
    CHECK (extension IS NOT NULL OR anonymised_at IS NOT NULL),
    CHECK ((restricted_at IS NULL) = (restriction_reason IS NULL))
);
CREATE INDEX employees_by_customer ON sb.employees (reseller_id, customer_id, id);
ALTER TABLE sb.employees ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.employees FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.employees TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND sb.dpa_accepted(reseller_id));
CREATE POLICY manager_manages_own_company ON sb.employees TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
-- The content trigger (SECURITY DEFINER, owned by sb_owner) resolves an employee's tenant ids.
CREATE POLICY owner_resolves_content_owner ON sb.employees FOR SELECT TO sb_owner USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.employees TO sb_reseller, sb_customer;

-- The reseller's DPA gates managers' writes too: dpa_accepted runs with the caller's rights, and a
-- manager cannot read dpa_acceptances, so this owner-rights check answers for the request's reseller only.
CREATE FUNCTION sb.request_reseller_accepted_dpa() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT EXISTS (
            SELECT 1 FROM sb.dpa_acceptances
            WHERE reseller_id = sb.setting_uuid('sb.reseller_id') AND version = sb.current_dpa_version()
        )
    $$;
REVOKE ALL ON FUNCTION sb.request_reseller_accepted_dpa() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.request_reseller_accepted_dpa() TO sb_customer;
CREATE POLICY owner_checks_dpa ON sb.dpa_acceptances FOR SELECT TO sb_owner USING (true);
CREATE POLICY dpa_required_for_managers ON sb.employees AS RESTRICTIVE FOR INSERT TO sb_customer
    WITH CHECK ((SELECT sb.request_reseller_accepted_dpa()));

-- ---------------------------------------------------------------- preference history
CREATE TABLE sb.employee_preference_history (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    id uuid NOT NULL,
    preference text NOT NULL CHECK (preference IN ('directoryListing', 'marketingConsent')),
    value text NOT NULL,
    changed_by uuid NOT NULL,
    changed_by_role text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE CASCADE
);
CREATE INDEX employee_preference_history_by_employee ON sb.employee_preference_history (reseller_id, employee_id, changed_at);

-- ---------------------------------------------------------------- numbers, SIMs, fax-to-mail
CREATE TABLE sb.number_assignments (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    id uuid NOT NULL,
    number text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE CASCADE
);
-- A number belongs to at most one employee platform-wide at a time.
CREATE UNIQUE INDEX number_assignments_active_number ON sb.number_assignments (number) WHERE released_at IS NULL;
CREATE INDEX number_assignments_by_employee ON sb.number_assignments (reseller_id, employee_id);

CREATE TABLE sb.sim_cards (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    id uuid NOT NULL,
    iccid text NOT NULL CHECK (iccid ~ '^[0-9]{19,20}$'),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX sim_cards_active_iccid ON sb.sim_cards (iccid) WHERE released_at IS NULL;
CREATE INDEX sim_cards_by_employee ON sb.sim_cards (reseller_id, employee_id);

CREATE TABLE sb.fax_to_mail (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    id uuid NOT NULL,
    fax_number text NOT NULL CHECK (fax_number ~ '^\+[1-9][0-9]{6,14}$'),
    delivery_email text NOT NULL CHECK (length(delivery_email) <= 254),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX fax_to_mail_number ON sb.fax_to_mail (fax_number);
CREATE INDEX fax_to_mail_by_employee ON sb.fax_to_mail (reseller_id, employee_id);

-- ---------------------------------------------------------------- content
CREATE TABLE sb.employee_content (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('voicemail', 'greeting', 'recording', 'picture')),
    content_type text NOT NULL CHECK (length(content_type) <= 100),
    byte_size integer NOT NULL CHECK (byte_size >= 0),
    data bytea NOT NULL,
    caller_number text CHECK (caller_number ~ '^\+?[0-9]{1,15}$'),
    duration_seconds integer CHECK (duration_seconds >= 0),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE CASCADE
);
CREATE INDEX employee_content_by_employee ON sb.employee_content (reseller_id, employee_id, id);

-- Every directory table: the reseller sees its own rows, a manager their own company's.
ALTER TABLE sb.employee_preference_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.employee_preference_history FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.employee_preference_history TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_manages_own_company ON sb.employee_preference_history TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.employee_preference_history TO sb_reseller, sb_customer;

ALTER TABLE sb.number_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.number_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.number_assignments TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_manages_own_company ON sb.number_assignments TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.number_assignments TO sb_reseller, sb_customer;

ALTER TABLE sb.sim_cards ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.sim_cards FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.sim_cards TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_manages_own_company ON sb.sim_cards TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.sim_cards TO sb_reseller, sb_customer;

ALTER TABLE sb.fax_to_mail ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.fax_to_mail FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.fax_to_mail TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_manages_own_company ON sb.fax_to_mail TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.fax_to_mail TO sb_reseller, sb_customer;

ALTER TABLE sb.employee_content ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.employee_content FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.employee_content TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_manages_own_company ON sb.employee_content TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.employee_content TO sb_reseller, sb_customer;

-- The telephony side stores content for a known employee and can do nothing else: no SELECT, so
-- not even its own inserts can be read back.
CREATE POLICY telephony_stores ON sb.employee_content FOR INSERT TO sb_telephony
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
GRANT INSERT (employee_id, id, kind, content_type, byte_size, data, caller_number, duration_seconds, recorded_at)
    ON sb.employee_content TO sb_telephony;

-- Content rows take their tenant from their employee, so writers need only the employee's id.
-- Refuses unknown and anonymised employees (their content is erased and stays erased).
CREATE FUNCTION sb.employee_content_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        owner record;
    BEGIN
        SELECT e.reseller_id, e.customer_id, e.anonymised_at INTO owner FROM sb.employees e WHERE e.id = NEW.employee_id;
        IF NOT FOUND OR owner.anonymised_at IS NOT NULL THEN
            RAISE EXCEPTION 'unknown employee' USING ERRCODE = 'no_data_found';
        END IF;
        NEW.reseller_id := owner.reseller_id;
        NEW.customer_id := owner.customer_id;
        NEW.byte_size := octet_length(NEW.data);
        RETURN NEW;
    END
    $$;
REVOKE ALL ON FUNCTION sb.employee_content_owner() FROM PUBLIC;
CREATE TRIGGER employee_content_owner BEFORE INSERT ON sb.employee_content
    FOR EACH ROW EXECUTE FUNCTION sb.employee_content_owner();

-- The telephony principal's audit entries belong to the tenant whose employee got the content.
CREATE POLICY telephony_appends ON sb.audit_events FOR INSERT TO sb_telephony
    WITH CHECK (role = current_user AND principal_id = (SELECT sb.setting_uuid('sb.principal_id')) AND action = 'content.store');
GRANT INSERT (principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
    ON sb.audit_events TO sb_telephony;
