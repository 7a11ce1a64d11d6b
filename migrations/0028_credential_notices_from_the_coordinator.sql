-- Credential notices stay on the node the replicas listen to (issue 18).
--
-- 0007's statement triggers announce on `sb_credentials` whenever a credential may stop being
-- valid. On Citus they fire on the shards' placements on the workers, where no replica listens and
-- where a NOTIFY makes the distributed commit fail ("cannot PREPARE a transaction that has executed
-- LISTEN, UNLISTEN, or NOTIFY": found revoking a session on a cluster). The trigger now announces
-- only for the table itself (plain PostgreSQL, or a Citus local table), never for a shard, and the
-- server announces the changes it makes from the coordinator (`CredentialChangeNotice`).
CREATE OR REPLACE FUNCTION sb.announce_credential_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_TABLE_NAME IN ('platform_api_keys', 'reseller_api_keys', 'telephony_api_keys', 'sessions', 'platform_sessions',
                         'resellers', 'customers', 'platform_staff') THEN
        PERFORM pg_notify('sb_credentials', '');
    END IF;
    RETURN NULL;
END
$$;
