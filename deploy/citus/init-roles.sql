-- Switchboard's database roles, able to log in, on every node of the cluster. Runs once, on each
-- node's first start (an empty data directory), after the image's 001-create-citus-extension.sql.
--
-- Why LOGIN: Citus opens its connections to the workers as the role that runs the statement on
-- the coordinator: sb_owner for the migrations' DDL and the owner-rights functions, the scope
-- roles for requests. A role that cannot log in on a worker cannot run a distributed statement.
-- Why no password: the workers admit these roles only from the coordinator's address
-- (worker-pg_hba.conf). On the coordinator, the image's pg_hba.conf asks clients for a password,
-- which only sb_app has (`switchboard migrate` sets it from SWITCHBOARD_APP_PASSWORD), so no
-- client can log in as any other of them.
-- The migrations create these roles only when missing, so what is set here stays. Citus also
-- copies roles from the coordinator to the workers; creating them on each node as well means a
-- node admits them before its first distributed statement, whatever the order of events.
DO $$
DECLARE
    role_name text;
BEGIN
    -- sb_telephony and sb_retention are scope roles too (migrations 0003 and 0004): the server
    -- switches to them like the others, so they need the same.
    FOREACH role_name IN ARRAY ARRAY['sb_owner', 'sb_platform', 'sb_reseller', 'sb_customer', 'sb_authenticator',
                                     'sb_telephony', 'sb_retention'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', role_name);
        ELSE
            EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', role_name);
        END IF;
    END LOOP;
    -- NOINHERIT: the server's login role can do nothing until a request switches to a scope role.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_app') THEN
        CREATE ROLE sb_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    ELSE
        ALTER ROLE sb_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;
