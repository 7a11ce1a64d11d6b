-- Retention for every class of personal data (issue 15, DESIGN §3 and §9). The periods are not
-- written here: every rule function takes its period as an argument from the one declaration in
-- Swift (SwitchboardDomain's RetentionPolicy), which also documents them and answers
-- GET /v1/retention-policy. The job calls these as sb_retention, under one leader lock it takes
-- itself, and records a report per rule.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- the run, rule by rule
-- The run lock moves to the job (a session lock held for the whole run, which now spans several
-- transactions and the key store); the old single-transaction function goes, so there is one way.
DROP FUNCTION platform.run_retention(timestamptz, boolean, text);

-- Partitions now exist per table for its own period back (telemetry keeps 3 months, CDRs 12) to
-- three months ahead, so no month is made only to be dropped again.
DROP FUNCTION platform.prepare_partitions(timestamptz);
CREATE FUNCTION platform.prepare_partitions(clock timestamptz, parent text, keep interval)
    RETURNS SETOF text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform SET timezone = 'UTC'
    AS $$
    DECLARE
        month timestamptz;
        partition_name text;
    BEGIN
        IF parent NOT IN ('cdrs', 'telemetry_events') THEN
            RAISE EXCEPTION 'not a partitioned platform table: %', parent USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR month IN SELECT generate_series(date_trunc('month', clock - keep), date_trunc('month', clock) + interval '3 months', interval '1 month') LOOP
            partition_name := parent || '_' || to_char(month, 'YYYY_MM');
            IF to_regclass('platform.' || quote_ident(partition_name)) IS NULL THEN
                EXECUTE format('CREATE TABLE platform.%I PARTITION OF platform.%I FOR VALUES FROM (%L) TO (%L)',
                               partition_name, parent, month, month + interval '1 month');
                RETURN NEXT partition_name;
            END IF;
        END LOOP;
    END
    $$;
REVOKE ALL ON FUNCTION platform.prepare_partitions(timestamptz, text, interval) FROM PUBLIC;

-- not tenant data: retention_rule_reports (the platform's record of what each rule of each run did; reseller ids only, no personal data)
CREATE TABLE platform.retention_rule_reports (
    run_id bigint NOT NULL REFERENCES platform.retention_runs (id) ON DELETE CASCADE,
    rule text NOT NULL CHECK (rule ~ '^[a-z][a-z-]{1,60}$'),
    -- How many rows or items the rule deleted (or, dry, would delete).
    affected bigint NOT NULL CHECK (affected >= 0),
    reseller_ids uuid[] NOT NULL DEFAULT '{}',
    elapsed_ms integer NOT NULL CHECK (elapsed_ms >= 0),
    -- What could not be done this run (for example a vacuum that could not get its lock), for the operator.
    note text CHECK (length(note) <= 500),
    PRIMARY KEY (run_id, rule)
);
GRANT SELECT ON platform.retention_rule_reports TO sb_platform;

-- A reseller reads the runs that touched its data: its own count per rule, never another's.
CREATE TABLE sb.retention_run_tenants (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    run_id bigint NOT NULL,
    rule text NOT NULL,
    affected bigint NOT NULL CHECK (affected >= 0),
    dry_run boolean NOT NULL,
    clock timestamptz NOT NULL,
    ran_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, run_id, rule)
);
CREATE INDEX retention_run_tenants_by_run ON sb.retention_run_tenants (reseller_id, run_id DESC);
ALTER TABLE sb.retention_run_tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.retention_run_tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_reads_own ON sb.retention_run_tenants FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY platform_reads ON sb.retention_run_tenants FOR SELECT TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY owner_records ON sb.retention_run_tenants FOR ALL TO sb_owner USING (true) WITH CHECK (true);
GRANT SELECT ON sb.retention_run_tenants TO sb_reseller, sb_platform;

CREATE FUNCTION platform.retention_begin(clock timestamptz, dry_run boolean, trigger text) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$ INSERT INTO platform.retention_runs (clock, dry_run, trigger) VALUES (clock, dry_run, trigger) RETURNING id $$;

-- One rule's outcome: the platform's report, and each touched reseller's own count.
CREATE FUNCTION platform.retention_record(run bigint, rule text, per_reseller jsonb, platform_rows bigint, elapsed_ms integer, note text)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
    DECLARE
        r platform.retention_runs;
    BEGIN
        SELECT * INTO r FROM platform.retention_runs WHERE id = run;
        INSERT INTO platform.retention_rule_reports (run_id, rule, affected, reseller_ids, elapsed_ms, note)
        SELECT run, rule, platform_rows + coalesce(sum(value::bigint), 0), coalesce(array_agg(key::uuid ORDER BY key), '{}'), elapsed_ms, note
        FROM jsonb_each_text(coalesce(per_reseller, '{}'));
        INSERT INTO sb.retention_run_tenants (reseller_id, run_id, rule, affected, dry_run, clock)
        SELECT key::uuid, run, rule, value::bigint, r.dry_run, r.clock FROM jsonb_each_text(coalesce(per_reseller, '{}'));
    END
    $$;

CREATE FUNCTION platform.retention_finish(run bigint, created text[], dropped text[], dropped_estimate bigint, batches integer, usage_rows integer)
    RETURNS SETOF platform.retention_runs
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
        UPDATE platform.retention_runs SET finished_at = clock_timestamp(), created_partitions = created, dropped_partitions = dropped,
            dropped_rows_estimate = dropped_estimate, purged_batches = batches, purged_usage_rows = usage_rows
        WHERE id = run RETURNING *
    $$;

-- ---------------------------------------------------------------- traffic data and telemetry
-- Creates the months ahead (always, also on a dry run's report) and detaches each month of
-- `parent` whose end lies `keep` or more before the clock, so every record is kept at least
-- `keep` from its communication and never a month longer. Detached months are dropped by
-- platform.drop_detached_partitions in a transaction of their own (migration 0004).
CREATE FUNCTION platform.retention_partitions(clock timestamptz, parent text, keep interval, dry_run boolean)
    RETURNS TABLE (created text[], detached text[], rows_estimate bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform SET timezone = 'UTC'
    AS $$
    DECLARE
        part record;
    BEGIN
        IF parent NOT IN ('cdrs', 'telemetry_events') THEN
            RAISE EXCEPTION 'not a partitioned platform table: %', parent USING ERRCODE = 'invalid_parameter_value';
        END IF;
        created := '{}'; detached := '{}'; rows_estimate := 0;
        IF dry_run THEN
            SELECT coalesce(array_agg(parent || '_' || to_char(m, 'YYYY_MM')), '{}') INTO created
            FROM generate_series(date_trunc('month', clock - keep), date_trunc('month', clock) + interval '3 months', interval '1 month') AS m
            WHERE to_regclass('platform.' || quote_ident(parent || '_' || to_char(m, 'YYYY_MM'))) IS NULL;
        ELSE
            SELECT coalesce(array_agg(p), '{}') INTO created FROM platform.prepare_partitions(clock, parent, keep) AS p;
        END IF;
        FOR part IN
            SELECT c.relname::text AS name, greatest(c.reltuples, 0)::bigint AS rows,
                   (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS range_end
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = ('platform.' || parent)::regclass
            ORDER BY range_end, name
        LOOP
            CONTINUE WHEN part.range_end IS NULL OR part.range_end + keep > clock;
            IF NOT dry_run THEN
                EXECUTE format('ALTER TABLE platform.%I DETACH PARTITION platform.%I', parent, part.name);
            END IF;
            detached := detached || part.name;
            rows_estimate := rows_estimate + part.rows;
        END LOOP;
        RETURN NEXT;
    END
    $$;

-- The ingest batches' Idempotency-Key ledger: a re-sent batch is recognised for `keep`.
CREATE FUNCTION platform.retention_ingest_ledger(clock timestamptz, keep interval, dry_run boolean) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
    DECLARE n bigint;
    BEGIN
        IF dry_run THEN
            SELECT count(*) INTO n FROM platform.ingest_batches WHERE received_at + keep <= clock;
        ELSE
            DELETE FROM platform.ingest_batches WHERE received_at + keep <= clock;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        RETURN n;
    END
    $$;

-- ---------------------------------------------------------------- bookkeeping
-- Usage totals are kept `years` after the end of the financial year (the calendar year) their
-- month belongs to: the totals of March 2020 go on 1 January 2026 with 5 years.
CREATE FUNCTION sb.retention_usage_totals(clock timestamptz, years integer, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET timezone = 'UTC'
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT u.reseller_id, count(*) FROM sb.usage_monthly u
                WHERE make_date(extract(year FROM u.month)::int + 1 + years, 1, 1) <= clock GROUP BY u.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.usage_monthly u WHERE make_date(extract(year FROM u.month)::int + 1 + years, 1, 1) <= clock RETURNING u.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;

-- ---------------------------------------------------------------- content by age
CREATE POLICY owner_expires_content ON sb.employee_content FOR ALL TO sb_owner USING (true) WITH CHECK (true);

-- Call recordings: `keep` from the recording.
CREATE FUNCTION sb.retention_recordings(clock timestamptz, keep interval, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT c.reseller_id, count(*) FROM sb.employee_content c
                WHERE c.kind = 'recording' AND c.recorded_at + keep <= clock GROUP BY c.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.employee_content c WHERE c.kind = 'recording' AND c.recorded_at + keep <= clock RETURNING c.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;

-- Voicemails: the reseller's own number of days, never more than the platform's maximum.
ALTER TABLE sb.resellers ADD COLUMN voicemail_retention_days integer CHECK (voicemail_retention_days BETWEEN 1 AND 3650);
GRANT UPDATE (voicemail_retention_days, updated_at, version) ON sb.resellers TO sb_reseller;
CREATE POLICY reseller_sets_own_retention ON sb.resellers FOR UPDATE TO sb_reseller
    USING (id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (id = (SELECT sb.setting_uuid('sb.reseller_id')));

CREATE FUNCTION sb.retention_voicemails(clock timestamptz, maximum_days integer, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT c.reseller_id, count(*) FROM sb.employee_content c JOIN sb.resellers r ON r.id = c.reseller_id
                WHERE c.kind = 'voicemail'
                  AND c.recorded_at + make_interval(days => least(coalesce(r.voicemail_retention_days, maximum_days), maximum_days)) <= clock
                GROUP BY c.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.employee_content c USING sb.resellers r
                WHERE r.id = c.reseller_id AND c.kind = 'voicemail'
                  AND c.recorded_at + make_interval(days => least(coalesce(r.voicemail_retention_days, maximum_days), maximum_days)) <= clock
                RETURNING c.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;

-- ---------------------------------------------------------------- sessions and login attempts
CREATE POLICY owner_expires_sessions ON sb.sessions FOR DELETE TO sb_owner USING (true);

-- A session is deleted `keep` after it ended (expired or revoked, whichever came first).
CREATE FUNCTION sb.retention_sessions(clock timestamptz, keep interval, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT s.reseller_id, count(*) FROM sb.sessions s
                WHERE least(s.expires_at, s.revoked_at) + keep <= clock GROUP BY s.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.sessions s WHERE least(s.expires_at, s.revoked_at) + keep <= clock RETURNING s.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;

-- Failed-login counters `failure_keep` after the last failure (once no block runs), and known
-- sign-in sources `source_keep` after the last successful sign-in from them. The login functions
-- (migration 0006) also forget them as they go; this rule catches those no login touches again.
CREATE FUNCTION sb.retention_login_attempts(clock timestamptz, failure_keep interval, source_keep interval, dry_run boolean) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE a bigint; b bigint;
    BEGIN
        IF dry_run THEN
            SELECT count(*) INTO a FROM sb.login_throttle WHERE last_failure_at + failure_keep <= clock AND (blocked_until IS NULL OR blocked_until <= clock);
            SELECT count(*) INTO b FROM sb.login_known_sources WHERE last_success_at + source_keep <= clock;
        ELSE
            DELETE FROM sb.login_throttle WHERE last_failure_at + failure_keep <= clock AND (blocked_until IS NULL OR blocked_until <= clock);
            GET DIAGNOSTICS a = ROW_COUNT;
            DELETE FROM sb.login_known_sources WHERE last_success_at + source_keep <= clock;
            GET DIAGNOSTICS b = ROW_COUNT;
        END IF;
        RETURN a + b;
    END
    $$;

-- ---------------------------------------------------------------- terminated customers
-- After `grace` the customer's processor-scope data is purged in three steps the job takes in
-- order: mark the purge started (from then on the customer cannot be reactivated), destroy the
-- people's content keys in the key store, then delete the rows. The company row stays with
-- what bookkeeping needs (name, CVR, dates); usage totals stay under their own rule.
ALTER TABLE sb.customers ADD COLUMN purge_started_at timestamptz, ADD COLUMN purged_at timestamptz;
ALTER TABLE sb.customers ADD CONSTRAINT customers_purge_only_when_terminated
    CHECK ((purge_started_at IS NULL AND purged_at IS NULL) OR status = 'terminated');
GRANT SELECT (purge_started_at, purged_at) ON sb.customers TO sb_platform;
CREATE POLICY owner_purges ON sb.customers FOR ALL TO sb_owner USING (true) WITH CHECK (true);

-- Only the owner's functions may start or finish a purge, and once started nothing undoes it:
-- whichever role or code path tries (the reseller holds UPDATE on its customers).
CREATE FUNCTION sb.customer_purge_is_final() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF current_user = 'sb_owner' THEN
            RETURN NEW;
        END IF;
        IF OLD.purge_started_at IS NOT NULL THEN
            RAISE EXCEPTION 'the customer''s data is being or has been purged; it cannot change' USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF NEW.purge_started_at IS NOT NULL OR NEW.purged_at IS NOT NULL THEN
            RAISE EXCEPTION 'only the retention job purges a customer' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER customer_purge_is_final BEFORE UPDATE ON sb.customers
    FOR EACH ROW EXECUTE FUNCTION sb.customer_purge_is_final();

-- Terminating a customer ends its managers' sessions for good, as suspending a reseller does
-- (migration 0006): a reactivation brings the logins back, never a session opened before.
CREATE FUNCTION sb.end_sessions_of_terminated_customer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        UPDATE sb.sessions s SET revoked_at = now()
        WHERE s.reseller_id = NEW.reseller_id AND s.customer_id = NEW.id AND s.revoked_at IS NULL;
        RETURN NULL;
    END
    $$;
REVOKE ALL ON FUNCTION sb.end_sessions_of_terminated_customer() FROM PUBLIC;
CREATE TRIGGER end_sessions_of_terminated_customer AFTER UPDATE OF status ON sb.customers
    FOR EACH ROW WHEN (NEW.status = 'terminated' AND OLD.status IS DISTINCT FROM 'terminated')
    EXECUTE FUNCTION sb.end_sessions_of_terminated_customer();

CREATE FUNCTION sb.retention_customers_due(clock timestamptz, grace interval, max_rows integer)
    RETURNS TABLE (reseller_id uuid, customer_id uuid, employees bigint, managers bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT c.reseller_id, c.id,
               (SELECT count(*) FROM sb.employees e WHERE e.reseller_id = c.reseller_id AND e.customer_id = c.id),
               (SELECT count(*) FROM sb.managers m WHERE m.reseller_id = c.reseller_id AND m.customer_id = c.id)
        FROM sb.customers c
        WHERE c.status = 'terminated' AND c.purged_at IS NULL AND c.terminated_at + grace <= clock
        ORDER BY c.terminated_at, c.reseller_id, c.id
        LIMIT max_rows
    $$;

-- Step 1: marks the purge started if the customer is still terminated and due; answers the
-- people whose keys must go (all of them, anonymised ones included), or nothing when not due.
CREATE FUNCTION sb.retention_start_customer_purge(reseller uuid, customer uuid, clock timestamptz, grace interval)
    RETURNS TABLE (employee_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        UPDATE sb.customers c SET purge_started_at = coalesce(c.purge_started_at, clock_timestamp())
        WHERE c.reseller_id = reseller AND c.id = customer AND c.status = 'terminated' AND c.purged_at IS NULL
          AND c.terminated_at + grace <= clock;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        RETURN QUERY SELECT e.id FROM sb.employees e WHERE e.reseller_id = reseller AND e.customer_id = customer ORDER BY e.id;
    END
    $$;

-- The owner acts only inside the retention functions of this migration (it cannot log in).
CREATE POLICY owner_purges ON sb.employees FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.managers FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.fax_to_mail FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.scheduled_anonymisations FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.number_assignments FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.sim_cards FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.stock_numbers FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_purges ON sb.stock_sims FOR ALL TO sb_owner USING (true) WITH CHECK (true);

-- Step 3 (after the keys are gone): deletes the people, their content, preferences and history,
-- the managers and their sessions; ends number and SIM links (the history rows stay, without
-- the person, for CDR attribution under the logging duty); returns the customer's numbers to
-- the reseller's stock in quarantine until `quarantine_until` and its SIM cards as available.
-- Refuses a customer whose purge was not started (step 1), and any reseller but the scope's own.
-- (Lost and stolen SIM cards stay recorded against the customer: they are never assigned again.)
CREATE FUNCTION sb.retention_purge_customer(reseller uuid, customer uuid, quarantine_until timestamptz)
    RETURNS TABLE (item text, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        n bigint;
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
        UPDATE sb.number_assignments a SET released_at = coalesce(a.released_at, now()), employee_id = NULL
        WHERE a.reseller_id = reseller AND a.customer_id = customer AND (a.employee_id IS NOT NULL OR a.released_at IS NULL);
        GET DIAGNOSTICS n = ROW_COUNT; item := 'number-links'; affected := n; RETURN NEXT;
        UPDATE sb.sim_cards s SET released_at = coalesce(s.released_at, now()), employee_id = NULL
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
        UPDATE sb.customers c SET purged_at = clock_timestamp(), external_ref = NULL, updated_at = now(), version = c.version + 1
        WHERE c.reseller_id = reseller AND c.id = customer;
        PERFORM sb.request_erasure_vacuum();
    END
    $$;

-- ---------------------------------------------------------------- vacuum after erasure
-- Deleted and overwritten rows stay readable in the table files as dead tuples until VACUUM, and
-- a plain VACUUM leaves some of the old bytes in the pages' free space (measured: 206 of 2,000
-- overwritten values). Erasure therefore asks for a rewrite (VACUUM FULL) of the tables that hold
-- people's values; the job carries it out with the table owner's rights (an application role
-- cannot vacuum) and a short lock timeout, and retries at its next run if traffic held the lock.
-- not tenant data: vacuum_requests (table names waiting for the post-erasure vacuum; no rows of anyone)
CREATE TABLE platform.vacuum_requests (
    relation text PRIMARY KEY CHECK (relation ~ '^sb\.[a-z_]+$'),
    rewrite boolean NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON platform.vacuum_requests TO sb_platform;

-- The tables whose old values erasure must not leave behind; content is rewritten only by a
-- plain VACUUM, because its bytes are sealed with keys that erasure destroys (and rewriting
-- gigabytes of audio at every deletion would hold its lock far too long).
CREATE FUNCTION sb.request_erasure_vacuum() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        INSERT INTO platform.vacuum_requests (relation, rewrite)
        VALUES ('sb.employees', true), ('sb.employee_preference_history', true), ('sb.fax_to_mail', true),
               ('sb.managers', true), ('sb.sessions', true), ('sb.scheduled_anonymisations', true), ('sb.employee_content', false)
        ON CONFLICT (relation) DO NOTHING
    $$;

-- ---------------------------------------------------------------- content sealed at rest
-- New content is sealed (AES-256-GCM) with its person's data key, kept in a separate key store;
-- `sealed` false marks content stored before this migration, which the job seals in batches.
ALTER TABLE sb.employee_content ADD COLUMN sealed boolean NOT NULL DEFAULT false;
GRANT INSERT (sealed) ON sb.employee_content TO sb_telephony;

-- byte_size is the content's own size; for sealed content the server gives it (the stored bytes
-- are longer by the nonce and tag).
CREATE OR REPLACE FUNCTION sb.employee_content_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        owner record;
    BEGIN
        -- FOR SHARE: an anonymisation or deletion of the person (which locks the row first) either
        -- waits for this insert and then deletes it with the rest, or goes first and is seen here.
        SELECT e.reseller_id, e.customer_id, e.anonymised_at INTO owner FROM sb.employees e WHERE e.id = NEW.employee_id FOR SHARE;
        IF NOT FOUND OR owner.anonymised_at IS NOT NULL THEN
            RAISE EXCEPTION 'unknown employee' USING ERRCODE = 'no_data_found';
        END IF;
        NEW.reseller_id := owner.reseller_id;
        NEW.customer_id := owner.customer_id;
        IF NOT NEW.sealed THEN
            NEW.byte_size := octet_length(NEW.data);
        END IF;
        RETURN NEW;
    END
    $$;

-- Whether content may be stored for this person (exists, not anonymised), asked before a data
-- key is made for them, so a wrong id never leaves a key behind.
CREATE FUNCTION sb.content_owner_exists(employee uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT EXISTS (SELECT 1 FROM sb.employees e WHERE e.id = employee AND e.anonymised_at IS NULL) $$;

-- Legacy content for the sealing rule: ids a batch at a time, then each item's bytes on its own,
-- so a run never holds more than one (up to 10 MiB) item in memory.
CREATE FUNCTION sb.retention_unsealed_content(max_rows integer)
    RETURNS TABLE (reseller_id uuid, employee_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT c.reseller_id, c.employee_id, c.id FROM sb.employee_content c WHERE NOT c.sealed ORDER BY c.reseller_id, c.id LIMIT max_rows $$;

CREATE FUNCTION sb.retention_unsealed_bytes(reseller uuid, content uuid) RETURNS bytea
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT c.data FROM sb.employee_content c WHERE c.reseller_id = reseller AND c.id = content AND NOT c.sealed $$;

CREATE FUNCTION sb.retention_seal_content(reseller uuid, content uuid, sealed_data bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        UPDATE sb.employee_content c SET data = sealed_data, sealed = true
        WHERE c.reseller_id = reseller AND c.id = content AND NOT c.sealed;
        RETURN FOUND;
    END
    $$;

-- ---------------------------------------------------------------- who may call what
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'platform.retention_begin(timestamptz, boolean, text)',
        'platform.retention_record(bigint, text, jsonb, bigint, integer, text)',
        'platform.retention_finish(bigint, text[], text[], bigint, integer, integer)',
        'platform.retention_partitions(timestamptz, text, interval, boolean)',
        'platform.retention_ingest_ledger(timestamptz, interval, boolean)',
        'sb.retention_usage_totals(timestamptz, integer, boolean)',
        'sb.retention_recordings(timestamptz, interval, boolean)',
        'sb.retention_voicemails(timestamptz, integer, boolean)',
        'sb.retention_sessions(timestamptz, interval, boolean)',
        'sb.retention_login_attempts(timestamptz, interval, interval, boolean)',
        'sb.retention_customers_due(timestamptz, interval, integer)',
        'sb.retention_start_customer_purge(uuid, uuid, timestamptz, interval)',
        'sb.retention_unsealed_content(integer)',
        'sb.retention_unsealed_bytes(uuid, uuid)',
        'sb.retention_seal_content(uuid, uuid, bytea)'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO sb_retention', f);
    END LOOP;
END
$$;
-- The purge's last step runs in the reseller's scope (as the scheduled duty), so its audit entry
-- lands in the reseller's chain in the same transaction; it refuses any customer step 1 did not mark.
REVOKE ALL ON FUNCTION sb.retention_purge_customer(uuid, uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.retention_purge_customer(uuid, uuid, timestamptz) TO sb_reseller;
REVOKE ALL ON FUNCTION sb.request_erasure_vacuum() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.request_erasure_vacuum() TO sb_reseller, sb_customer, sb_retention;
REVOKE ALL ON FUNCTION sb.content_owner_exists(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.content_owner_exists(uuid) TO sb_telephony;
