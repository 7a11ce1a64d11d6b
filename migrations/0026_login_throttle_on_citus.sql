-- The login throttle on Citus (issue 18): `sb.login_throttle` is a reference table there, and
-- Citus refuses a volatile call (`clock_timestamp()`) inside an UPDATE of one. The claim now takes
-- its instant once, into a variable, and writes each of its two counters with values computed in
-- the function (Citus also refuses non-immutable expressions over columns in an UPDATE); the rules
-- are unchanged.
SET LOCAL ROLE sb_owner;

CREATE OR REPLACE FUNCTION sb.claim_login_attempt(
    source text, email text,
    source_free integer, source_base integer, source_cap integer,
    account_free integer, account_base integer, account_cap integer,
    forget integer
) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        keys text[] := ARRAY['account:' || encode(sha256(convert_to(lower(email), 'UTF8')), 'hex'), 'source:' || source];
        wait_until timestamptz;
        -- The instant the counters are judged at, taken once under their locks and used as a value:
        -- Citus refuses a volatile call inside an UPDATE.
        claimed_at timestamptz;
        started_at timestamptz := now();
        position integer;
        free integer;
        base integer;
        cap integer;
        failed integer;
        blocked timestamptz;
        -- An address this account logged in from before is not held by the account's window (only by
        -- its own): strangers failing from elsewhere cannot keep the owner out.
        known boolean := EXISTS (
            SELECT 1 FROM sb.login_known_sources
            WHERE key = encode(sha256(convert_to(lower(email) || ' ' || source, 'UTF8')), 'hex')
              AND last_success_at > now() - interval '90 days');
    BEGIN
        -- Forgotten counters of other clients go a few at a time, so the table stays small without a job.
        DELETE FROM sb.login_throttle WHERE key IN (
            SELECT key FROM sb.login_throttle
            WHERE last_failure_at < now() - make_interval(secs => forget) AND (blocked_until IS NULL OR blocked_until < now())
            ORDER BY last_failure_at LIMIT 20 FOR UPDATE SKIP LOCKED);
        INSERT INTO sb.login_throttle (key) SELECT k FROM unnest(keys) k ORDER BY k ON CONFLICT (key) DO NOTHING;
        PERFORM 1 FROM sb.login_throttle WHERE key = ANY (keys) ORDER BY key FOR UPDATE;
        claimed_at := clock_timestamp();
        UPDATE sb.login_throttle SET failures = 0, blocked_until = NULL
        WHERE key = ANY (keys) AND last_failure_at < now() - make_interval(secs => forget)
          AND (blocked_until IS NULL OR blocked_until < now());
        SELECT max(blocked_until) INTO wait_until FROM sb.login_throttle
        WHERE key = ANY (keys) AND blocked_until > claimed_at AND NOT (known AND key LIKE 'account:%');
        IF wait_until IS NOT NULL THEN
            RETURN greatest(1, ceil(extract(epoch FROM wait_until - claimed_at)))::integer;
        END IF;
        -- Each of the two counters (locked above) is judged here and written as plain values.
        FOR position IN 1 .. 2 LOOP
            IF split_part(keys[position], ':', 1) = 'source' THEN
                free := source_free; base := source_base; cap := source_cap;
            ELSE
                free := account_free; base := account_base; cap := account_cap;
            END IF;
            SELECT t.failures + 1 INTO failed FROM sb.login_throttle t WHERE t.key = keys[position];
            blocked := CASE
                WHEN failed < free THEN NULL
                ELSE claimed_at + make_interval(secs => least(cap, base * power(2, least(failed - free, 30))))
            END;
            UPDATE sb.login_throttle SET failures = failed, last_failure_at = started_at, blocked_until = blocked
            WHERE key = keys[position];
        END LOOP;
        RETURN 0;
    END
    $$;
