-- A disclosure's addresses are read back through a function rather than a subquery (issue 18):
-- Citus refuses a subquery in an INSERT's RETURNING list, so recording a disclosure failed on a
-- cluster. Same text as before: each address without its prefix length.
SET LOCAL ROLE sb_owner;

CREATE FUNCTION platform.address_hosts(addresses inet[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
    BEGIN
        RETURN ARRAY(SELECT host(a) FROM unnest(addresses) WITH ORDINALITY AS x (a, n) ORDER BY n);
    END
    $$;
REVOKE ALL ON FUNCTION platform.address_hosts(inet[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.address_hosts(inet[]) TO sb_platform;
