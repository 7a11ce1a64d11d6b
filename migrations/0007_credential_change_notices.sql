-- Every change that can end a credential's validity announces itself on the channel
-- `sb_credentials`, so each server replica drops the credentials it resolved recently
-- (its `CredentialCache`) within milliseconds of the commit, instead of checking every
-- presented credential against the database on every request.
--
-- What ends a credential: revoking (or deleting) an API key or a session, a session's expiry
-- being moved, a reseller's suspension and a customer's termination (their keys and sessions
-- stop resolving). A statement-level trigger fires once per statement, and PostgreSQL folds
-- identical notifications of one transaction into one. The payload is empty: listeners learn
-- that something changed, never which tenant or credential.
--
-- Only the columns that decide validity fire it: `last_used_at` is written about once a minute
-- per key and must not empty every replica's cache.

CREATE FUNCTION sb.announce_credential_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_notify('sb_credentials', '');
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sb.announce_credential_change() FROM PUBLIC;

CREATE TRIGGER credential_change_notice AFTER UPDATE OF revoked_at OR DELETE OR TRUNCATE ON sb.platform_api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
CREATE TRIGGER credential_change_notice AFTER UPDATE OF revoked_at OR DELETE OR TRUNCATE ON sb.reseller_api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
CREATE TRIGGER credential_change_notice AFTER UPDATE OF revoked_at OR DELETE OR TRUNCATE ON sb.telephony_api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
CREATE TRIGGER credential_change_notice AFTER UPDATE OF revoked_at, expires_at OR DELETE OR TRUNCATE ON sb.sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
CREATE TRIGGER credential_change_notice AFTER UPDATE OF status OR DELETE OR TRUNCATE ON sb.resellers
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
CREATE TRIGGER credential_change_notice AFTER UPDATE OF status OR DELETE OR TRUNCATE ON sb.customers
    FOR EACH STATEMENT EXECUTE FUNCTION sb.announce_credential_change();
