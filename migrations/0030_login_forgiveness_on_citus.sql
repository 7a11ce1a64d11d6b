-- A successful login's bookkeeping on Citus (issue 18): `sb.login_known_sources` is a reference
-- table there, and Citus refuses a non-immutable call in ON CONFLICT … DO UPDATE; the instant now
-- travels in the inserted row. Same rows and times as 0006.
SET LOCAL ROLE sb_owner;

CREATE OR REPLACE FUNCTION sb.forgive_login(source text, email text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        DELETE FROM sb.login_throttle WHERE key = 'account:' || encode(sha256(convert_to(lower(email), 'UTF8')), 'hex');
        UPDATE sb.login_throttle SET failures = greatest(failures - 1, 0) WHERE key = 'source:' || source;
        INSERT INTO sb.login_known_sources (key, last_success_at)
        VALUES (encode(sha256(convert_to(lower(email) || ' ' || source, 'UTF8')), 'hex'), now())
        ON CONFLICT (key) DO UPDATE SET last_success_at = excluded.last_success_at;
        DELETE FROM sb.login_known_sources WHERE key IN (
            SELECT key FROM sb.login_known_sources WHERE last_success_at < now() - interval '90 days'
            ORDER BY last_success_at LIMIT 20 FOR UPDATE SKIP LOCKED);
    END
    $$;
