-- The scheduled jobs' statements in a form Citus can run (issue 18).
--
-- Retention: Citus refuses a DELETE or
-- UPDATE on a distributed table whose condition applies a non-immutable function to a column, and
-- `timestamptz + interval` is only stable (it depends on the session's time zone). The rules now
-- add their periods with `sb.utc_plus`, the same sum with the zone fixed to UTC, which makes it
-- immutable. Periods are so counted in UTC whatever the session's zone (before, in the session's
-- zone: the same on the server's own cluster and any database whose zone is UTC; elsewhere a day
-- may now end up to an hour apart across a daylight-saving change). `now()` and `clock_timestamp()`
-- inside coalesce in an UPDATE became values computed once.
SET LOCAL ROLE sb_owner;

-- Immutable because the zone is fixed; a function with SET is never inlined, so Citus sees it.
CREATE FUNCTION sb.utc_plus(instant timestamptz, span interval) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET timezone = 'UTC'
    AS $$ SELECT instant + span $$;

CREATE OR REPLACE FUNCTION sb.retention_fraud_alerts(clock timestamp with time zone, keep interval, dry_run boolean)
 RETURNS TABLE(reseller_id uuid, affected bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT f.reseller_id, count(*) FROM sb.fraud_alerts f
                WHERE f.state = 'resolved' AND sb.utc_plus(f.window_end, keep) <= clock GROUP BY f.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.fraud_alerts f WHERE f.state = 'resolved' AND sb.utc_plus(f.window_end, keep) <= clock RETURNING f.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $function$;

CREATE OR REPLACE FUNCTION platform.retention_ingest_ledger(clock timestamp with time zone, keep interval, dry_run boolean)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'platform'
AS $function$
    DECLARE n bigint;
    BEGIN
        IF dry_run THEN
            SELECT count(*) INTO n FROM platform.ingest_batches WHERE sb.utc_plus(received_at, keep) <= clock;
        ELSE
            DELETE FROM platform.ingest_batches WHERE sb.utc_plus(received_at, keep) <= clock;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        RETURN n;
    END
    $function$;

CREATE OR REPLACE FUNCTION sb.retention_purge_customer(reseller uuid, customer uuid, quarantine_until timestamp with time zone)
 RETURNS TABLE(item text, affected bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    DECLARE
        n bigint;
        moment timestamptz := now();
        finished timestamptz;
    BEGIN
        IF reseller IS DISTINCT FROM sb.setting_uuid('sb.reseller_id') THEN
            RAISE EXCEPTION 'not this scope''s reseller' USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM 1 FROM sb.customers c WHERE c.reseller_id = reseller AND c.id = customer
            AND c.purge_started_at IS NOT NULL AND c.purged_at IS NULL FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no purge of this customer is under way' USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        DELETE FROM sb.employee_content c WHERE c.reseller_id = reseller AND c.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'content'; affected := n; RETURN NEXT;
        DELETE FROM sb.employee_preference_history h WHERE h.reseller_id = reseller AND h.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'preference-history'; affected := n; RETURN NEXT;
        DELETE FROM sb.fax_to_mail f WHERE f.reseller_id = reseller AND f.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'fax-to-mail'; affected := n; RETURN NEXT;
        UPDATE sb.number_assignments a SET released_at = coalesce(a.released_at, moment), employee_id = NULL
        WHERE a.reseller_id = reseller AND a.customer_id = customer AND (a.employee_id IS NOT NULL OR a.released_at IS NULL);
        GET DIAGNOSTICS n = ROW_COUNT; item := 'number-links'; affected := n; RETURN NEXT;
        UPDATE sb.sim_cards s SET released_at = coalesce(s.released_at, moment), employee_id = NULL
        WHERE s.reseller_id = reseller AND s.customer_id = customer AND (s.employee_id IS NOT NULL OR s.released_at IS NULL);
        GET DIAGNOSTICS n = ROW_COUNT; item := 'sim-links'; affected := n; RETURN NEXT;
        UPDATE sb.stock_numbers s SET state = 'quarantined', use = NULL, customer_id = NULL, quarantined_until = quarantine_until, changed_at = now()
        WHERE s.reseller_id = reseller AND s.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'numbers-returned'; affected := n; RETURN NEXT;
        UPDATE sb.stock_sims s SET state = 'available', customer_id = NULL, changed_at = now()
        WHERE s.reseller_id = reseller AND s.customer_id = customer AND s.state = 'assigned';
        GET DIAGNOSTICS n = ROW_COUNT; item := 'sims-returned'; affected := n; RETURN NEXT;
        DELETE FROM sb.scheduled_anonymisations a WHERE a.reseller_id = reseller AND a.customer_id = customer;
        DELETE FROM sb.employees e WHERE e.reseller_id = reseller AND e.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'employees'; affected := n; RETURN NEXT;
        DELETE FROM sb.sessions s WHERE s.reseller_id = reseller AND s.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'sessions'; affected := n; RETURN NEXT;
        DELETE FROM sb.managers m WHERE m.reseller_id = reseller AND m.customer_id = customer;
        GET DIAGNOSTICS n = ROW_COUNT; item := 'managers'; affected := n; RETURN NEXT;
        finished := clock_timestamp();
        UPDATE sb.customers c SET purged_at = finished, external_ref = NULL, updated_at = now(), version = c.version + 1
        WHERE c.reseller_id = reseller AND c.id = customer;
        PERFORM sb.request_erasure_vacuum();
    END
    $function$;

CREATE OR REPLACE FUNCTION sb.retention_recordings(clock timestamp with time zone, keep interval, dry_run boolean)
 RETURNS TABLE(reseller_id uuid, affected bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT c.reseller_id, count(*) FROM sb.employee_content c
                WHERE c.kind = 'recording' AND sb.utc_plus(c.recorded_at, keep) <= clock GROUP BY c.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.employee_content c WHERE c.kind = 'recording' AND sb.utc_plus(c.recorded_at, keep) <= clock RETURNING c.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $function$;

CREATE OR REPLACE FUNCTION sb.retention_sessions(clock timestamp with time zone, keep interval, dry_run boolean)
 RETURNS TABLE(reseller_id uuid, affected bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT s.reseller_id, count(*) FROM sb.sessions s
                WHERE sb.utc_plus(least(s.expires_at, s.revoked_at), keep) <= clock GROUP BY s.reseller_id;
        ELSE
            DELETE FROM sb.platform_sessions p WHERE sb.utc_plus(least(p.expires_at, p.revoked_at), keep) <= clock;
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.sessions s WHERE sb.utc_plus(least(s.expires_at, s.revoked_at), keep) <= clock RETURNING s.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $function$;

CREATE OR REPLACE FUNCTION sb.retention_start_customer_purge(reseller uuid, customer uuid, clock timestamp with time zone, grace interval)
 RETURNS TABLE(employee_id uuid)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    DECLARE
        started timestamptz := clock_timestamp();
    BEGIN
        UPDATE sb.customers c SET purge_started_at = coalesce(c.purge_started_at, started)
        WHERE c.reseller_id = reseller AND c.id = customer AND c.status = 'terminated' AND c.purged_at IS NULL
          AND sb.utc_plus(c.terminated_at, grace) <= clock;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        RETURN QUERY SELECT e.id FROM sb.employees e WHERE e.reseller_id = reseller AND e.customer_id = customer ORDER BY e.id;
    END
    $function$;

CREATE OR REPLACE FUNCTION sb.retention_voicemails(clock timestamp with time zone, maximum_days integer, dry_run boolean)
 RETURNS TABLE(reseller_id uuid, affected bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT c.reseller_id, count(*) FROM sb.employee_content c JOIN sb.resellers r ON r.id = c.reseller_id
                WHERE c.kind = 'voicemail'
                  AND sb.utc_plus(c.recorded_at, make_interval(days => least(coalesce(r.voicemail_retention_days, maximum_days), maximum_days))) <= clock
                GROUP BY c.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.employee_content c USING sb.resellers r
                WHERE r.id = c.reseller_id AND c.kind = 'voicemail'
                  AND sb.utc_plus(c.recorded_at, make_interval(days => least(coalesce(r.voicemail_retention_days, maximum_days), maximum_days))) <= clock
                RETURNING c.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $function$;

-- Usage totals go after the same full calendar years as before, by a horizon computed once (a
-- date compared with an instant is only stable): a month M is kept until 1 January of
-- (M's year + 1 + years), so it goes when M < 1 January of (the clock's year - years).
CREATE OR REPLACE FUNCTION sb.retention_usage_totals(clock timestamptz, years integer, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET timezone = 'UTC'
    AS $$
    DECLARE
        horizon date := make_date(extract(year FROM clock AT TIME ZONE 'UTC')::int - years, 1, 1);
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT u.reseller_id, count(*) FROM sb.usage_monthly u
                WHERE u.month < horizon GROUP BY u.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.usage_monthly u WHERE u.month < horizon RETURNING u.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;

-- Webhook deliveries are claimed per reseller: Citus locks rows (FOR UPDATE SKIP LOCKED) only in a
-- statement that stays on one shard. The due deliveries are picked first across resellers, in the
-- same fair order as before (each reseller's oldest first, taking turns), without locks; then each
-- reseller's are claimed in one statement that skips what another replica holds and re-checks that
-- each is still pending and due (a skipped delivery is not replaced by another in this round, so
-- replicas polling at once may claim fewer than `max_count` each; none is sent twice). PL/pgSQL: Citus cannot plan a SQL function's statements that use
-- its parameters.
CREATE OR REPLACE FUNCTION sb.claim_webhook_deliveries(clock timestamptz, lease interval, max_count integer)
    RETURNS TABLE (reseller_id uuid, id uuid, subscription_id uuid, url text, event_type text, body text, attempt integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    #variable_conflict use_column
    DECLARE
        due record;
        leased_until timestamptz := clock + lease;
    BEGIN
        FOR due IN
            SELECT x.reseller_id AS tenant, array_agg(x.id) AS ids
            FROM (SELECT w.reseller_id, w.id, w.next_attempt_at,
                         row_number() OVER (PARTITION BY w.reseller_id ORDER BY w.next_attempt_at, w.id) AS turn
                  FROM sb.webhook_deliveries w
                  WHERE w.state = 'pending' AND w.next_attempt_at <= clock
                  ORDER BY turn, w.next_attempt_at, w.id LIMIT max_count) x
            GROUP BY x.reseller_id ORDER BY x.reseller_id
        LOOP
            RETURN QUERY
                UPDATE sb.webhook_deliveries d SET next_attempt_at = leased_until, attempts = d.attempts + 1
                FROM (SELECT w.reseller_id, w.id FROM sb.webhook_deliveries w
                      WHERE w.reseller_id = due.tenant AND w.id = ANY (due.ids) AND w.state = 'pending' AND w.next_attempt_at <= clock
                      FOR UPDATE SKIP LOCKED) claimed,
                     sb.webhook_subscriptions s
                WHERE d.reseller_id = due.tenant AND d.id = claimed.id
                  AND s.reseller_id = due.tenant AND s.id = d.subscription_id
                RETURNING d.reseller_id, d.id, d.subscription_id, s.url, d.event_type, d.body, d.attempts;
        END LOOP;
    END
    $$;

CREATE OR REPLACE FUNCTION sb.retention_login_attempts(clock timestamptz, failure_keep interval, source_keep interval, dry_run boolean)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE a bigint; b bigint;
    BEGIN
        IF dry_run THEN
            SELECT count(*) INTO a FROM sb.login_throttle
                WHERE sb.utc_plus(last_failure_at, failure_keep) <= clock AND (blocked_until IS NULL OR blocked_until <= clock);
            SELECT count(*) INTO b FROM sb.login_known_sources WHERE sb.utc_plus(last_success_at, source_keep) <= clock;
        ELSE
            DELETE FROM sb.login_throttle
                WHERE sb.utc_plus(last_failure_at, failure_keep) <= clock AND (blocked_until IS NULL OR blocked_until <= clock);
            GET DIAGNOSTICS a = ROW_COUNT;
            DELETE FROM sb.login_known_sources WHERE sb.utc_plus(last_success_at, source_keep) <= clock;
            GET DIAGNOSTICS b = ROW_COUNT;
        END IF;
        RETURN a + b;
    END
    $$;

-- The job's remaining SQL functions that use their parameters on a table, in PL/pgSQL.
CREATE OR REPLACE FUNCTION sb.retention_webhook_deliveries(clock timestamptz, keep interval)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        horizon timestamptz := clock - keep;
        n bigint;
    BEGIN
        DELETE FROM sb.webhook_deliveries WHERE state <> 'pending' AND coalesce(last_attempt_at, created_at) < horizon;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END
    $$;

CREATE OR REPLACE FUNCTION platform.retention_begin(clock timestamptz, dry_run boolean, trigger text)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
    DECLARE run bigint;
    BEGIN
        INSERT INTO platform.retention_runs (clock, dry_run, trigger) VALUES (clock, dry_run, trigger) RETURNING id INTO run;
        RETURN run;
    END
    $$;

CREATE OR REPLACE FUNCTION platform.retention_finish(run bigint, created text[], dropped text[], dropped_estimate bigint, batches integer, usage_rows integer)
    RETURNS SETOF platform.retention_runs
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
    DECLARE finished timestamptz := clock_timestamp();
    BEGIN
        RETURN QUERY
            UPDATE platform.retention_runs r SET finished_at = finished, created_partitions = created, dropped_partitions = dropped,
                dropped_rows_estimate = dropped_estimate, purged_batches = batches, purged_usage_rows = usage_rows
            WHERE r.id = run RETURNING r.*;
    END
    $$;
