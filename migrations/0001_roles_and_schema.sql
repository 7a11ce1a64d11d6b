-- Database roles (DESIGN §2) and the application schema.
--
-- Roles are cluster-wide, so they are created only when missing: several databases in one
-- cluster (tests, staging) share them. None may bypass row-level security.
--   sb_owner          owns every table; never used by the running server.
--   sb_platform       platform staff: tenant metadata and platform-scope data.
--   sb_reseller       a reseller's staff and API keys: its customers and their processor-scope data.
--   sb_customer       a customer's telecom managers: their own company only.
--   sb_authenticator  resolves a presented credential to a principal, nothing else.
--   sb_app            the login role of the server: owns nothing and, being NOINHERIT, can do
--                     nothing until a request's transaction switches to one of the roles above.
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['sb_owner', 'sb_platform', 'sb_reseller', 'sb_customer', 'sb_authenticator'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', role_name);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_app') THEN
        CREATE ROLE sb_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;

GRANT sb_platform, sb_reseller, sb_customer, sb_authenticator TO sb_app;
-- Later migrations run their DDL as sb_owner (SET LOCAL ROLE), so the migrating user must be able to.
GRANT sb_owner TO CURRENT_USER;

CREATE SCHEMA sb AUTHORIZATION sb_owner;
REVOKE ALL ON SCHEMA sb FROM PUBLIC;
GRANT USAGE ON SCHEMA sb TO sb_platform, sb_reseller, sb_customer, sb_authenticator;

-- The readiness probe compares the ledger with the build's files.
GRANT SELECT ON public.schema_migrations TO sb_app;
