-- Platform scope (DESIGN §1 and §3): call detail records under the logging duty, network
-- telemetry, their ingest batches and the retention run log, in schema `platform`. The platform is the only controller
-- of these rows, so the schema itself is the boundary: only sb_platform may use its tables; the
-- reseller, customer, telephony and authenticator roles have no USAGE on the schema at all.
-- Resellers get usage totals through sb.usage_monthly, a summary table under row-level
-- security that only the CDR ingest writes (no per-record data, no B-numbers, IPs or cells).
--   sb_retention  runs the retention job: may execute platform.run_retention and nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_retention') THEN
        CREATE ROLE sb_retention NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;
GRANT sb_retention TO sb_app;

CREATE SCHEMA platform AUTHORIZATION sb_owner;
REVOKE ALL ON SCHEMA platform FROM PUBLIC;
-- sb_retention needs USAGE to name its one function; it has no privilege on any table.
GRANT USAGE ON SCHEMA platform TO sb_platform, sb_retention;
GRANT USAGE ON SCHEMA sb TO sb_retention;

SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- ingest batches
-- not tenant data: ingest_batches (platform controller data: one row per CDR or telemetry batch, the Idempotency-Key record; only sb_platform may use the schema)
CREATE TABLE platform.ingest_batches (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('cdr', 'telemetry')),
    idempotency_key text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    received_by uuid NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the batch commits; a retry with the same key and another body is refused.
    body_sha256 bytea,
    records integer NOT NULL DEFAULT 0,
    unknown_numbers integer NOT NULL DEFAULT 0
);
GRANT SELECT, INSERT, UPDATE (body_sha256, records, unknown_numbers) ON platform.ingest_batches TO sb_platform;

-- ---------------------------------------------------------------- call detail records
-- not tenant data: cdrs (platform controller data under the logging duty; COPY FROM refuses tables under row-level security, and only sb_platform may use the schema)
-- One partition per calendar month (UTC), created ahead by platform.run_retention; a month is
-- dropped whole once all of it is 12 months old. reseller_id, customer_id and the assignment
-- are resolved at ingest from the number assignment valid at started_at; NULL = unknown number.
CREATE TABLE platform.cdrs (
    started_at timestamptz NOT NULL,
    batch_id uuid NOT NULL,
    line integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('call', 'sms', 'data')),
    direction text NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
    a_number text NOT NULL,
    b_number text,
    -- The subscriber the record is about: the A-number of an outgoing record, the B-number of an incoming one.
    served_number text NOT NULL,
    duration_seconds integer CHECK (duration_seconds >= 0),
    bytes bigint CHECK (bytes >= 0),
    ip inet,
    cell text,
    country text,
    charge numeric(14, 4) NOT NULL,
    reseller_id uuid,
    customer_id uuid,
    number_assignment_id uuid,
    PRIMARY KEY (batch_id, line, started_at)
) PARTITION BY RANGE (started_at);
CREATE INDEX cdrs_by_served_number ON platform.cdrs (served_number, started_at);
GRANT SELECT, INSERT ON platform.cdrs TO sb_platform;

-- ---------------------------------------------------------------- network telemetry
-- not tenant data: telemetry_events (platform controller data: network events about numbers and SIMs, partitioned and expired like cdrs; COPY FROM refuses tables under row-level security)
CREATE TABLE platform.telemetry_events (
    occurred_at timestamptz NOT NULL,
    batch_id uuid NOT NULL,
    line integer NOT NULL,
    type text NOT NULL,
    node text NOT NULL,
    subject_number text,
    subject_iccid text,
    attributes jsonb NOT NULL,
    PRIMARY KEY (batch_id, line, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX telemetry_events_by_number ON platform.telemetry_events (subject_number, occurred_at) WHERE subject_number IS NOT NULL;
CREATE INDEX telemetry_events_by_iccid ON platform.telemetry_events (subject_iccid, occurred_at) WHERE subject_iccid IS NOT NULL;
GRANT SELECT, INSERT ON platform.telemetry_events TO sb_platform;

-- ---------------------------------------------------------------- retention run log
-- not tenant data: retention_runs (the platform's record of every retention run: partitions created and dropped)
CREATE TABLE platform.retention_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    -- The clock the run judged ages by: now(), or a date given to `switchboard retention run --now`.
    clock timestamptz NOT NULL,
    dry_run boolean NOT NULL,
    trigger text NOT NULL CHECK (trigger IN ('job', 'command')),
    created_partitions text[] NOT NULL DEFAULT '{}',
    -- Detached by the run and then dropped in a transaction of its own (see drop_detached_partitions).
    dropped_partitions text[] NOT NULL DEFAULT '{}',
    -- From the planner's statistics: counting a month of CDRs would cost more than dropping it.
    dropped_rows_estimate bigint NOT NULL DEFAULT 0,
    purged_batches integer NOT NULL DEFAULT 0,
    purged_usage_rows integer NOT NULL DEFAULT 0
);
GRANT SELECT ON platform.retention_runs TO sb_platform;

-- ---------------------------------------------------------------- usage totals for rebilling
-- Monthly totals per customer and number, accumulated by the CDR ingest in the batch's own
-- transaction. The only path from platform data to resellers: totals, never records.
CREATE TABLE sb.usage_monthly (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    customer_id uuid NOT NULL,
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    number text NOT NULL,
    calls bigint NOT NULL DEFAULT 0,
    call_seconds bigint NOT NULL DEFAULT 0,
    billed_minutes bigint NOT NULL DEFAULT 0,
    sms bigint NOT NULL DEFAULT 0,
    data_bytes bigint NOT NULL DEFAULT 0,
    charge numeric(18, 4) NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, customer_id, month, number),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES sb.customers (reseller_id, id)
);
ALTER TABLE sb.usage_monthly ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.usage_monthly FORCE ROW LEVEL SECURITY;
-- The platform computes the totals from its own CDRs; ON CONFLICT DO UPDATE needs it to see them.
CREATE POLICY platform_accumulates ON sb.usage_monthly TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_reads_own ON sb.usage_monthly FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY customer_reads_own_company ON sb.usage_monthly FOR SELECT TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
-- Bookkeeping retention (5 years) runs with owner rights inside platform.run_retention.
CREATE POLICY owner_expires_bookkeeping ON sb.usage_monthly FOR ALL TO sb_owner USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON sb.usage_monthly TO sb_platform;
GRANT SELECT ON sb.usage_monthly TO sb_reseller, sb_customer;

-- ---------------------------------------------------------------- number resolution at ingest
-- The platform has no privilege on the directory. This owner-rights function answers one
-- question — which reseller and customer held these numbers, and when — and returns no
-- employee, name or anything else of the processor-scope record.
CREATE POLICY owner_resolves_numbers ON sb.number_assignments FOR SELECT TO sb_owner USING (true);
CREATE FUNCTION platform.number_holders(numbers text[])
    RETURNS TABLE (number text, reseller_id uuid, customer_id uuid, assignment_id uuid, assigned_at timestamptz, released_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT n.number, n.reseller_id, n.customer_id, n.id, n.assigned_at, n.released_at
        FROM sb.number_assignments n WHERE n.number = ANY (numbers)
    $$;
REVOKE ALL ON FUNCTION platform.number_holders(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.number_holders(text[]) TO sb_platform;
CREATE INDEX number_assignments_by_number ON sb.number_assignments (number, assigned_at);

-- ---------------------------------------------------------------- partitions and retention
-- Partitions of cdrs and telemetry_events exist from the oldest month still under the logging
-- duty to three months ahead.
CREATE FUNCTION platform.prepare_partitions(clock timestamptz)
    RETURNS SETOF text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform SET timezone = 'UTC'
    AS $$
    DECLARE
        parent text;
        month timestamptz;
        partition_name text;
    BEGIN
        FOREACH parent IN ARRAY ARRAY['cdrs', 'telemetry_events'] LOOP
            FOR month IN SELECT generate_series(date_trunc('month', clock) - interval '12 months', date_trunc('month', clock) + interval '3 months', interval '1 month') LOOP
                partition_name := parent || '_' || to_char(month, 'YYYY_MM');
                IF to_regclass('platform.' || quote_ident(partition_name)) IS NULL THEN
                    EXECUTE format('CREATE TABLE platform.%I PARTITION OF platform.%I FOR VALUES FROM (%L) TO (%L)',
                                   partition_name, parent, month, month + interval '1 month');
                    RETURN NEXT partition_name;
                END IF;
            END LOOP;
        END LOOP;
    END
    $$;
REVOKE ALL ON FUNCTION platform.prepare_partitions(timestamptz) FROM PUBLIC;

-- One run: create partitions ahead, detach every month (of CDRs and of telemetry) whose newest
-- possible record is 12 months old (never row by row), purge batch records of the same age and
-- usage totals past the 5-year bookkeeping period, and log it. Only one run at a time across all
-- replicas: a run that cannot take the advisory lock returns no row and changes nothing.
-- Detaching holds the parent's lock only briefly; the detached months are dropped by
-- platform.drop_detached_partitions in a transaction of their own, because removing gigabytes
-- of files at commit takes hundreds of milliseconds that the parent's lock must not wait for.
CREATE FUNCTION platform.run_retention(clock timestamptz, dry_run boolean, trigger text)
    RETURNS SETOF platform.retention_runs
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform SET timezone = 'UTC'
    AS $$
    DECLARE
        run platform.retention_runs;
        part record;
        purged integer;
    BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtext('switchboard.retention')) THEN
            RETURN;
        END IF;
        INSERT INTO platform.retention_runs (clock, dry_run, trigger) VALUES (clock, dry_run, trigger) RETURNING * INTO run;

        IF dry_run THEN
            SELECT coalesce(array_agg(parent || '_' || to_char(m, 'YYYY_MM')), '{}') INTO run.created_partitions
            FROM unnest(ARRAY['cdrs', 'telemetry_events']) AS parent,
                 generate_series(date_trunc('month', clock) - interval '12 months', date_trunc('month', clock) + interval '3 months', interval '1 month') AS m
            WHERE to_regclass('platform.' || quote_ident(parent || '_' || to_char(m, 'YYYY_MM'))) IS NULL;
        ELSE
            SELECT coalesce(array_agg(p), '{}') INTO run.created_partitions FROM platform.prepare_partitions(clock) AS p;
        END IF;

        FOR part IN
            SELECT i.inhparent::regclass::text AS parent, c.relname::text AS name, greatest(c.reltuples, 0)::bigint AS rows,
                   (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS range_end
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent IN ('platform.cdrs'::regclass, 'platform.telemetry_events'::regclass)
            ORDER BY range_end, name
        LOOP
            -- range_end + 12 months <= clock also keeps the current month and the eleven before it.
            CONTINUE WHEN part.range_end IS NULL OR part.range_end + interval '12 months' > clock;
            IF NOT dry_run THEN
                EXECUTE format('ALTER TABLE %s DETACH PARTITION platform.%I', part.parent, part.name);
            END IF;
            run.dropped_partitions := run.dropped_partitions || part.name;
            run.dropped_rows_estimate := run.dropped_rows_estimate + part.rows;
        END LOOP;

        IF dry_run THEN
            SELECT count(*) INTO run.purged_batches FROM platform.ingest_batches WHERE received_at + interval '12 months' <= clock;
            SELECT count(*) INTO run.purged_usage_rows FROM sb.usage_monthly WHERE month + interval '1 month' + interval '5 years' <= clock;
        ELSE
            DELETE FROM platform.ingest_batches WHERE received_at + interval '12 months' <= clock;
            GET DIAGNOSTICS purged = ROW_COUNT;
            run.purged_batches := purged;
            DELETE FROM sb.usage_monthly WHERE month + interval '1 month' + interval '5 years' <= clock;
            GET DIAGNOSTICS purged = ROW_COUNT;
            run.purged_usage_rows := purged;
        END IF;

        run.finished_at := clock_timestamp();
        UPDATE platform.retention_runs r
        SET finished_at = run.finished_at, created_partitions = run.created_partitions, dropped_partitions = run.dropped_partitions,
            dropped_rows_estimate = run.dropped_rows_estimate, purged_batches = run.purged_batches, purged_usage_rows = run.purged_usage_rows
        WHERE r.id = run.id;
        RETURN NEXT run;
    END
    $$;
REVOKE ALL ON FUNCTION platform.run_retention(timestamptz, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.run_retention(timestamptz, boolean, text) TO sb_retention;

-- Drops every month table no longer attached: those the last run detached, and any a crashed
-- run left behind. Nothing else in the schema matches the name pattern and is detached.
CREATE FUNCTION platform.drop_detached_partitions()
    RETURNS SETOF text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
    DECLARE
        detached text;
    BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtext('switchboard.retention')) THEN
            RETURN;
        END IF;
        FOR detached IN
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'platform' AND c.relkind = 'r' AND NOT c.relispartition
              AND c.relname ~ '^(cdrs|telemetry_events)_[0-9]{4}_[0-9]{2}$'
            ORDER BY 1
        LOOP
            EXECUTE format('DROP TABLE platform.%I', detached);
            RETURN NEXT detached;
        END LOOP;
    END
    $$;
REVOKE ALL ON FUNCTION platform.drop_detached_partitions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.drop_detached_partitions() TO sb_retention;

-- The months around the migration exist at once; the job keeps them ahead from then on.
SELECT platform.prepare_partitions(now());
