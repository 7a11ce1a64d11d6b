-- The fraud rules judge an ingested batch on a Citus cluster too (issue 18). Same rules, windows,
-- levels and alerts as 0017 and 0022; what changed is who runs the statements and their shape.
--
-- * `platform.evaluate_fraud` runs with the platform's rights, not the owner's. The ingest has
--   written the batch, its ledger row and the usage totals as `sb_platform` in the same
--   transaction, and Citus refuses a transaction that then reaches those shard groups as another
--   role ("cannot perform query on placements that were modified in this transaction by a
--   different user"). The platform, controller of its fraud signals, may therefore insert and
--   update alerts itself (columns below); resellers still only read their own. Events go through
--   `sb.emit_platform_event` (the platform's own kinds only) to the outbox, whose tables are apart
--   from the tenant tables (0033).
-- * The batch's lock buckets are gathered first and locked in a loop on the coordinator (a lock
--   taken inside a statement Citus routes to a worker would be taken on that worker).
-- * No correlated subquery or LATERAL over `platform.cdrs` (distributed by batch): a number's
--   later calls and each candidate's window are joins of the candidates (an `unnest`, which Citus
--   sends to every shard) with the CDRs, aggregated per candidate. On plain PostgreSQL the join
--   probes the same index (cdrs_by_served_number) once per candidate, as the LATERAL did.
-- * PL/pgSQL: Citus cannot plan a SQL function's statements that use its parameters.
SET LOCAL ROLE sb_owner;

GRANT INSERT (reseller_id, id, customer_id, rule, served_number, level, window_start, window_end, measure, calls, cost)
    ON sb.fraud_alerts TO sb_platform;
GRANT UPDATE (level, escalated_at, window_start, window_end, measure, calls, cost) ON sb.fraud_alerts TO sb_platform;
-- The platform raises alerts open, and changes only alerts not resolved yet (a resolved alert's
-- evidence, and the date its retention counts from, stay as they were). Per command, as 0025
-- requires (no restrictive policies).
DROP POLICY platform_handles ON sb.fraud_alerts;
CREATE POLICY platform_reads ON sb.fraud_alerts FOR SELECT TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_raises ON sb.fraud_alerts FOR INSERT TO sb_platform
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL AND state = 'open');
CREATE POLICY platform_handles_live ON sb.fraud_alerts FOR UPDATE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL AND state <> 'resolved')
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL);

-- The platform's own events to a reseller, through the outbox: the kinds of what the platform
-- does itself with its rights (fraud alerts here, issued statements in 0038) and no other.
CREATE FUNCTION sb.emit_platform_event(target uuid, kind text, payload jsonb)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF kind NOT IN ('fraud-alert.raised', 'fraud-alert.escalated', 'statement.issued') THEN
            RAISE EXCEPTION 'not an event the platform sends: %', kind USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- The event's time is the transaction's: the caller cannot date it.
        RETURN sb.enqueue_event(target, kind, payload, now());
    END
    $$;
REVOKE ALL ON FUNCTION sb.emit_platform_event(uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.emit_platform_event(uuid, text, jsonb) TO sb_platform;

-- What the rules find at the given moments: one candidate per (number, reseller, customer, at)
-- and the rule it is judged by. The ingest and the dry-run replay both judge through this.
CREATE OR REPLACE FUNCTION platform.fraud_hits(rules text[], numbers text[], resellers uuid[], customers uuid[], ats timestamptz[], durations integer[], charges numeric[])
    RETURNS TABLE (rule text, served_number text, reseller_id uuid, customer_id uuid, level text,
                   window_start timestamptz, window_end timestamptz, measure bigint, calls bigint, cost numeric)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, platform
    AS $$
    #variable_conflict use_column
    DECLARE
        -- The candidates whose rule is enabled for their reseller, with its setting (reference
        -- tables only, so this runs where it is called).
        k_i bigint[]; k_rule text[]; k_number text[]; k_reseller uuid[]; k_customer uuid[]; k_at timestamptz[];
        k_duration integer[]; k_charge numeric[]; k_since timestamptz[]; k_short integer[];
        k_warning_at integer[]; k_critical_at integer[]; k_warning_cost numeric[]; k_critical_cost numeric[];
    BEGIN
        SELECT array_agg(k.i ORDER BY k.i), array_agg(k.rule ORDER BY k.i), array_agg(k.number ORDER BY k.i), array_agg(k.reseller ORDER BY k.i),
               array_agg(k.customer ORDER BY k.i), array_agg(k.at ORDER BY k.i), array_agg(k.duration ORDER BY k.i), array_agg(k.charge ORDER BY k.i),
               array_agg(k.at - make_interval(mins => s.window_minutes) ORDER BY k.i), array_agg(s.short_call_seconds ORDER BY k.i),
               array_agg(s.warning_at ORDER BY k.i), array_agg(s.critical_at ORDER BY k.i),
               array_agg(s.warning_cost ORDER BY k.i), array_agg(s.critical_cost ORDER BY k.i)
          INTO k_i, k_rule, k_number, k_reseller, k_customer, k_at, k_duration, k_charge, k_since, k_short,
               k_warning_at, k_critical_at, k_warning_cost, k_critical_cost
        FROM unnest(rules, numbers, resellers, customers, ats, durations, charges) WITH ORDINALITY
                 AS k (rule, number, reseller, customer, at, duration, charge, i)
        -- A reseller's override, else the platform's rule (0017's platform.effective_fraud_rules,
        -- written out: Citus refuses a SQL function with a parameter in a statement, even inlined).
        JOIN platform.fraud_rules r ON r.rule = k.rule
        LEFT JOIN platform.fraud_rule_overrides o ON o.rule = r.rule AND o.reseller_id = k.reseller
        CROSS JOIN LATERAL (SELECT
                CASE WHEN o.rule IS NULL THEN r.enabled ELSE o.enabled END AS enabled,
                CASE WHEN o.rule IS NULL THEN r.window_minutes ELSE o.window_minutes END AS window_minutes,
                CASE WHEN o.rule IS NULL THEN r.warning_at ELSE o.warning_at END AS warning_at,
                CASE WHEN o.rule IS NULL THEN r.critical_at ELSE o.critical_at END AS critical_at,
                CASE WHEN o.rule IS NULL THEN r.warning_cost ELSE o.warning_cost END AS warning_cost,
                CASE WHEN o.rule IS NULL THEN r.critical_cost ELSE o.critical_cost END AS critical_cost,
                CASE WHEN o.rule IS NULL THEN r.short_call_seconds ELSE o.short_call_seconds END AS short_call_seconds) s
        WHERE s.enabled;
        IF k_i IS NULL THEN
            RETURN;
        END IF;
        RETURN QUERY
            WITH k AS (
                SELECT * FROM unnest(k_i, k_rule, k_number, k_reseller, k_customer, k_at, k_duration, k_charge, k_since, k_short,
                                     k_warning_at, k_critical_at, k_warning_cost, k_critical_cost)
                    AS k (i, rule, number, reseller, customer, at, duration, charge, since, short_seconds,
                          warning_at, critical_at, warning_cost, critical_cost)
            ), windows AS (
                -- The rule's measure over each candidate's window: its number's calls in (since, at].
                SELECT w.i, min(c.started_at) AS window_start, count(*) AS calls, count(DISTINCT c.b_number) AS destinations,
                       coalesce(sum(c.charge), 0) AS cost
                FROM unnest(k_i, k_rule, k_number, k_reseller, k_at, k_since, k_short) AS w (i, rule, number, reseller, at, since, short_seconds)
                JOIN platform.cdrs c ON c.served_number = w.number AND c.reseller_id = w.reseller
                     AND c.started_at > w.since AND c.started_at <= w.at
                WHERE w.rule <> 'long-high-cost-call' AND c.kind = 'call' AND c.direction = 'outgoing'
                  AND (w.rule <> 'high-cost-burst' OR c.destination_class IS NOT NULL)
                  AND (w.rule <> 'short-call-flood' OR c.duration_seconds <= w.short_seconds)
                GROUP BY w.i
            ), measured AS (
                SELECT k.*, w.window_start AS starts, k.at AS ends,
                       CASE k.rule WHEN 'distinct-destinations' THEN w.destinations ELSE w.calls END AS measure_value,
                       w.calls AS call_count, w.cost AS cost_value
                FROM k JOIN windows w ON w.i = k.i
                UNION ALL
                -- One call is its own window: from its start to its end.
                SELECT k.*, k.at, k.at + make_interval(secs => k.duration), k.duration::bigint, 1::bigint, k.charge
                FROM k WHERE k.rule = 'long-high-cost-call'
            )
            SELECT m.rule, m.number, m.reseller, m.customer,
                   platform.fraud_level(m.measure_value, m.cost_value, m.warning_at, m.critical_at, m.warning_cost, m.critical_cost),
                   m.starts, m.ends, m.measure_value, m.call_count, m.cost_value
            FROM measured m
            WHERE platform.fraud_level(m.measure_value, m.cost_value, m.warning_at, m.critical_at, m.warning_cost, m.critical_cost) IS NOT NULL
            ORDER BY m.i;
    END
    $$;

-- Judges one ingested batch (in its transaction) and raises or escalates alerts; returns how many
-- alerts were raised or escalated. The windowed rules are judged at each number's latest call of
-- the batch, and at its latest call from a batch that committed first (0022); the long-call rule
-- at each number's longest call to a premium-rate or high-risk range.
CREATE OR REPLACE FUNCTION platform.evaluate_fraud(batch uuid)
    RETURNS integer
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, platform, sb
    AS $$
    DECLARE
        bucket integer;
        t_number text[]; t_reseller uuid[]; t_customer uuid[]; t_last timestamptz[]; t_last_high timestamptz[];
        t_last_short timestamptz[]; t_longest integer[]; t_longest_at timestamptz[]; t_longest_charge numeric[];
        l_i bigint[]; l_later timestamptz[];
        k_rule text[]; k_number text[]; k_reseller uuid[]; k_customer uuid[]; k_at timestamptz[]; k_duration integer[]; k_charge numeric[];
        hit record;
        alert sb.fraud_alerts;
        changed integer := 0;
        event text;
        moment timestamptz := now();
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM platform.fraud_rules WHERE enabled) AND NOT EXISTS (SELECT 1 FROM platform.fraud_rule_overrides WHERE enabled) THEN
            RETURN 0;
        END IF;
        -- Batches carrying the same numbers are judged one after the other (64 lock buckets, taken
        -- in order), and the judging below is a new statement: under READ COMMITTED it sees the
        -- calls of a batch that committed while this one waited, so two batches each below a
        -- threshold cannot both miss it.
        FOR bucket IN
            SELECT DISTINCT abs(hashtext(c.served_number) % 64) FROM platform.cdrs c
            WHERE c.batch_id = batch AND c.reseller_id IS NOT NULL AND c.kind = 'call' AND c.direction = 'outgoing'
            ORDER BY 1
        LOOP
            PERFORM pg_advisory_xact_lock(hashtext('switchboard.fraud'), bucket);
        END LOOP;
        -- What the batch holds per number (one shard on Citus: the batch's).
        SELECT array_agg(t.served_number ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.reseller_id ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.customer_id ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.last_call ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.last_high_cost ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.last_short ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.longest ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.longest_at ORDER BY t.served_number, t.reseller_id, t.customer_id),
               array_agg(t.longest_charge ORDER BY t.served_number, t.reseller_id, t.customer_id)
          INTO t_number, t_reseller, t_customer, t_last, t_last_high, t_last_short, t_longest, t_longest_at, t_longest_charge
        FROM (
            SELECT c.served_number, c.reseller_id, c.customer_id,
                   max(c.started_at) AS last_call,
                   max(c.started_at) FILTER (WHERE c.destination_class IS NOT NULL) AS last_high_cost,
                   max(c.started_at) FILTER (WHERE c.duration_seconds <= 60) AS last_short,
                   max(c.duration_seconds) FILTER (WHERE c.destination_class IN ('premium-rate', 'high-risk')) AS longest,
                   (array_agg(c.started_at ORDER BY c.duration_seconds DESC NULLS LAST)
                        FILTER (WHERE c.destination_class IN ('premium-rate', 'high-risk')))[1] AS longest_at,
                   (array_agg(c.charge ORDER BY c.duration_seconds DESC NULLS LAST)
                        FILTER (WHERE c.destination_class IN ('premium-rate', 'high-risk')))[1] AS longest_charge
            FROM platform.cdrs c
            WHERE c.batch_id = batch AND c.reseller_id IS NOT NULL AND c.kind = 'call' AND c.direction = 'outgoing'
            GROUP BY 1, 2, 3
        ) t;
        IF t_number IS NULL THEN
            RETURN 0;
        END IF;
        -- Each number's latest call after this batch's, from batches that committed first: a
        -- window ending there may hold this batch's calls and theirs together.
        SELECT array_agg(l.i ORDER BY l.i), array_agg(l.later ORDER BY l.i) INTO l_i, l_later
        FROM (
            SELECT t.i, max(o.started_at) AS later
            FROM unnest(t_number, t_reseller, t_last) WITH ORDINALITY AS t (number, reseller, last_call, i)
            JOIN platform.cdrs o ON o.served_number = t.number AND o.reseller_id = t.reseller AND o.started_at > t.last_call
            WHERE o.kind = 'call' AND o.direction = 'outgoing'
            GROUP BY t.i
        ) l;
        SELECT array_agg(k.rule), array_agg(k.number), array_agg(k.reseller), array_agg(k.customer),
               array_agg(k.at), array_agg(k.duration), array_agg(k.charge)
          INTO k_rule, k_number, k_reseller, k_customer, k_at, k_duration, k_charge
        FROM (
            WITH touched AS (
                SELECT * FROM unnest(t_number, t_reseller, t_customer, t_last, t_last_high, t_last_short, t_longest, t_longest_at, t_longest_charge)
                    WITH ORDINALITY AS t (number, reseller, customer, last_call, last_high_cost, last_short, longest, longest_at, longest_charge, i)
            ), later AS (
                SELECT t.*, l.later FROM touched t JOIN unnest(l_i, l_later) AS l (i, later) ON l.i = t.i
            )
            SELECT 'high-cost-burst' AS rule, number, reseller, customer, last_high_cost AS at, 0 AS duration, 0::numeric AS charge
                FROM touched WHERE last_high_cost IS NOT NULL
            UNION ALL SELECT 'distinct-destinations', number, reseller, customer, last_call, 0, 0 FROM touched
            UNION ALL SELECT 'short-call-flood', number, reseller, customer, last_short, 0, 0 FROM touched WHERE last_short IS NOT NULL
            UNION ALL SELECT 'long-high-cost-call', number, reseller, customer, longest_at, longest, longest_charge
                FROM touched WHERE longest IS NOT NULL
            UNION ALL SELECT r.rule, l.number, l.reseller, l.customer, l.later, 0, 0
                FROM later l CROSS JOIN (VALUES ('high-cost-burst'), ('distinct-destinations'), ('short-call-flood')) AS r (rule)
        ) k;
        FOR hit IN SELECT * FROM platform.fraud_hits(k_rule, k_number, k_reseller, k_customer, k_at, k_duration, k_charge) LOOP
            -- A concurrent batch of the same number may raise it first: then this one updates it.
            INSERT INTO sb.fraud_alerts (reseller_id, id, customer_id, rule, served_number, level, window_start, window_end, measure, calls, cost)
            VALUES (hit.reseller_id, gen_random_uuid(), hit.customer_id, hit.rule, hit.served_number, hit.level,
                    hit.window_start, hit.window_end, hit.measure, hit.calls, hit.cost)
            ON CONFLICT (reseller_id, rule, served_number) WHERE state <> 'resolved' DO NOTHING
            RETURNING * INTO alert;
            IF FOUND THEN
                event := 'fraud-alert.raised';
            ELSE
                SELECT * INTO alert FROM sb.fraud_alerts f
                WHERE f.reseller_id = hit.reseller_id AND f.rule = hit.rule AND f.served_number = hit.served_number AND f.state <> 'resolved'
                FOR UPDATE;
                event := CASE WHEN alert.level = 'warning' AND hit.level = 'critical' THEN 'fraud-alert.escalated' END;
                -- Plain values per case: Citus refuses now() inside CASE in an UPDATE.
                IF event IS NOT NULL THEN
                    -- An escalation needs the platform's eyes again, even on an acknowledged alert.
                    UPDATE sb.fraud_alerts f SET level = 'critical', state = 'open', escalated_at = moment,
                        window_start = least(f.window_start, hit.window_start), window_end = greatest(f.window_end, hit.window_end),
                        measure = greatest(f.measure, hit.measure), calls = greatest(f.calls, hit.calls), cost = greatest(f.cost, hit.cost),
                        updated_at = moment
                    WHERE f.reseller_id = alert.reseller_id AND f.id = alert.id
                    RETURNING * INTO alert;
                ELSE
                    UPDATE sb.fraud_alerts f SET
                        window_start = least(f.window_start, hit.window_start), window_end = greatest(f.window_end, hit.window_end),
                        measure = greatest(f.measure, hit.measure), calls = greatest(f.calls, hit.calls), cost = greatest(f.cost, hit.cost),
                        updated_at = moment
                    WHERE f.reseller_id = alert.reseller_id AND f.id = alert.id
                    RETURNING * INTO alert;
                END IF;
            END IF;
            IF event IS NOT NULL THEN
                PERFORM sb.emit_platform_event(alert.reseller_id, event, jsonb_build_object(
                    'alertId', alert.id, 'rule', alert.rule, 'servedNumber', alert.served_number, 'level', alert.level,
                    'customerId', alert.customer_id,
                    'windowStart', to_char(alert.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'windowEnd', to_char(alert.window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'measure', alert.measure, 'calls', alert.calls, 'cost', alert.cost::text));
                changed := changed + 1;
            END IF;
        END LOOP;
        RETURN changed;
    END
    $$;

-- Nothing calls these any more: fraud_hits reads each window in one join and resolves the rule
-- settings itself.
DROP FUNCTION platform.fraud_window(text, text, uuid, timestamptz, integer, integer);
DROP FUNCTION platform.effective_fraud_rules(uuid);
