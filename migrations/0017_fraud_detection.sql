-- Fraud detection over the CDR stream (issue 17, DESIGN §11): rules judged as each batch is
-- ingested, in the batch's own transaction, by indexed look-ups of the batch's numbers' recent
-- calls (never a scan of the table); alerts raised or escalated per rule and served number; the
-- reseller sees its own numbers' alerts (no B-numbers, IPs or cells) and gets them as events.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- destination classes
-- not tenant data: destination_prefixes (the platform's classification of number ranges, no subscriber data)
-- The longest matching prefix decides: `home` is the platform's own country, `premium-rate` and
-- `high-risk` the ranges fraud pumps; a number no prefix matches is `international`.
CREATE TABLE platform.destination_prefixes (
    prefix text PRIMARY KEY CHECK (prefix ~ '^\+[1-9][0-9]{0,13}$'),
    class text NOT NULL CHECK (class IN ('home', 'premium-rate', 'high-risk')),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON platform.destination_prefixes TO sb_platform;
-- A Danish platform: its own country, and the 90xx overcharged-service range.
INSERT INTO platform.destination_prefixes (prefix, class, description) VALUES
    ('+45', 'home', 'Denmark'),
    ('+4590', 'premium-rate', 'Danish premium-rate services (90xx xxxx)');

-- The class of an outgoing record's destination as classified at ingest (NULL: the home country
-- or no destination), so the rules' look-ups need no prefix search and history keeps the class
-- the range had when the call was made.
ALTER TABLE platform.cdrs ADD COLUMN destination_class text CHECK (destination_class IN ('international', 'premium-rate', 'high-risk'));

-- ---------------------------------------------------------------- rules and thresholds
-- not tenant data: fraud_rules (the platform's own detection thresholds)
-- measure: high-cost-burst = calls to international, premium-rate or high-risk destinations in
-- the window (and their cost); distinct-destinations = distinct called numbers in the window;
-- short-call-flood = calls of at most short_call_seconds in the window; long-high-cost-call = the
-- duration in seconds of one call to a premium-rate or high-risk range.
CREATE TABLE platform.fraud_rules (
    rule text PRIMARY KEY CHECK (rule IN ('high-cost-burst', 'distinct-destinations', 'short-call-flood', 'long-high-cost-call')),
    enabled boolean NOT NULL DEFAULT true,
    window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    warning_at integer NOT NULL CHECK (warning_at >= 1),
    critical_at integer NOT NULL,
    warning_cost numeric(14, 4) CHECK (warning_cost > 0),
    critical_cost numeric(14, 4),
    short_call_seconds integer CHECK (short_call_seconds BETWEEN 0 AND 60),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (critical_at >= warning_at),
    CHECK (critical_cost IS NULL OR (warning_cost IS NOT NULL AND critical_cost >= warning_cost))
);
GRANT SELECT, UPDATE ON platform.fraud_rules TO sb_platform;
INSERT INTO platform.fraud_rules (rule, window_minutes, warning_at, critical_at, warning_cost, critical_cost, short_call_seconds) VALUES
    ('high-cost-burst', 60, 10, 30, 100, 500, NULL),
    ('distinct-destinations', 60, 40, 120, NULL, NULL, NULL),
    ('short-call-flood', 15, 30, 100, NULL, NULL, 5),
    ('long-high-cost-call', 1440, 1800, 7200, NULL, NULL, NULL);

-- not tenant data: fraud_rule_overrides (the platform's thresholds for one reseller's traffic; platform controller data, only sb_platform uses the schema)
-- An override replaces the rule's whole setting for that reseller's numbers.
CREATE TABLE platform.fraud_rule_overrides (
    rule text NOT NULL REFERENCES platform.fraud_rules (rule),
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    enabled boolean NOT NULL DEFAULT true,
    window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    warning_at integer NOT NULL CHECK (warning_at >= 1),
    critical_at integer NOT NULL,
    warning_cost numeric(14, 4) CHECK (warning_cost > 0),
    critical_cost numeric(14, 4),
    short_call_seconds integer CHECK (short_call_seconds BETWEEN 0 AND 60),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule, reseller_id),
    CHECK (critical_at >= warning_at),
    CHECK (critical_cost IS NULL OR (warning_cost IS NOT NULL AND critical_cost >= warning_cost))
);
GRANT SELECT, INSERT, UPDATE, DELETE ON platform.fraud_rule_overrides TO sb_platform;

-- The setting that applies to one reseller's numbers: its override, else the rule's own.
CREATE FUNCTION platform.effective_fraud_rules(reseller uuid)
    RETURNS TABLE (rule text, enabled boolean, window_minutes integer, warning_at integer, critical_at integer,
                   warning_cost numeric, critical_cost numeric, short_call_seconds integer)
    LANGUAGE sql STABLE
    AS $$
        SELECT r.rule,
               CASE WHEN o.rule IS NULL THEN r.enabled ELSE o.enabled END,
               CASE WHEN o.rule IS NULL THEN r.window_minutes ELSE o.window_minutes END,
               CASE WHEN o.rule IS NULL THEN r.warning_at ELSE o.warning_at END,
               CASE WHEN o.rule IS NULL THEN r.critical_at ELSE o.critical_at END,
               CASE WHEN o.rule IS NULL THEN r.warning_cost ELSE o.warning_cost END,
               CASE WHEN o.rule IS NULL THEN r.critical_cost ELSE o.critical_cost END,
               CASE WHEN o.rule IS NULL THEN r.short_call_seconds ELSE o.short_call_seconds END
        FROM platform.fraud_rules r
        LEFT JOIN platform.fraud_rule_overrides o ON o.rule = r.rule AND o.reseller_id = reseller
    $$;
REVOKE ALL ON FUNCTION platform.effective_fraud_rules(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.effective_fraud_rules(uuid) TO sb_platform;

-- ---------------------------------------------------------------- alerts
-- One live alert per rule and served number: a further hit updates it and may escalate it from
-- warning to critical; once resolved, the next hit raises a new one.
CREATE TABLE sb.fraud_alerts (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    customer_id uuid,
    rule text NOT NULL,
    served_number text NOT NULL,
    level text NOT NULL CHECK (level IN ('warning', 'critical')),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    -- The rule's measure at its highest (calls, distinct destinations, or seconds) and the calls and cost behind it.
    measure bigint NOT NULL,
    calls bigint NOT NULL,
    cost numeric(18, 4) NOT NULL,
    raised_at timestamptz NOT NULL DEFAULT now(),
    escalated_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by uuid,
    resolved_at timestamptz,
    resolved_by uuid,
    resolution text CHECK (length(resolution) BETWEEN 1 AND 1000),
    PRIMARY KEY (reseller_id, id),
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX fraud_alerts_one_live ON sb.fraud_alerts (reseller_id, rule, served_number) WHERE state <> 'resolved';
CREATE INDEX fraud_alerts_by_time ON sb.fraud_alerts (reseller_id, raised_at DESC, id);
CREATE INDEX fraud_alerts_platform_queue ON sb.fraud_alerts (raised_at DESC, id) WHERE state <> 'resolved';
ALTER TABLE sb.fraud_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.fraud_alerts FORCE ROW LEVEL SECURITY;
-- The platform raises (through platform.evaluate_fraud), acknowledges and resolves.
CREATE POLICY platform_handles ON sb.fraud_alerts TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_reads_own ON sb.fraud_alerts FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY owner_raises ON sb.fraud_alerts FOR ALL TO sb_owner USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE (state, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution, updated_at) ON sb.fraud_alerts TO sb_platform;
-- Who at the platform handled it, and the note, stay the platform's.
GRANT SELECT (reseller_id, id, customer_id, rule, served_number, level, state, window_start, window_end, measure, calls, cost,
              raised_at, escalated_at, updated_at, acknowledged_at, resolved_at) ON sb.fraud_alerts TO sb_reseller;

-- ---------------------------------------------------------------- judging
-- The judging functions are plain SQL without SET clauses, so the planner inlines them into the
-- batch's one statement; every name in them is schema-qualified.
-- The rule's measure over the window ending at `at` for one served number of one reseller: an
-- index range scan of cdrs_by_served_number, so its cost follows that number's recent calls.
CREATE FUNCTION platform.fraud_window(rule text, number text, reseller uuid, at timestamptz, window_minutes integer, short_call_seconds integer)
    RETURNS TABLE (window_start timestamptz, calls bigint, measure bigint, cost numeric)
    LANGUAGE sql STABLE
    AS $$
        SELECT min(c.started_at), count(*),
               CASE rule WHEN 'distinct-destinations' THEN count(DISTINCT c.b_number) ELSE count(*) END,
               coalesce(sum(c.charge), 0)
        FROM platform.cdrs c
        WHERE c.served_number = number AND c.started_at > at - make_interval(mins => window_minutes) AND c.started_at <= at
          AND c.reseller_id = reseller AND c.kind = 'call' AND c.direction = 'outgoing'
          AND (rule <> 'high-cost-burst' OR c.destination_class IS NOT NULL)
          AND (rule <> 'short-call-flood' OR c.duration_seconds <= short_call_seconds)
    $$;
REVOKE ALL ON FUNCTION platform.fraud_window(text, text, uuid, timestamptz, integer, integer) FROM PUBLIC;

CREATE FUNCTION platform.fraud_level(measure bigint, cost numeric, warning_at integer, critical_at integer, warning_cost numeric, critical_cost numeric)
    RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT CASE
            WHEN measure >= critical_at OR coalesce(cost >= critical_cost, false) THEN 'critical'
            WHEN measure >= warning_at OR coalesce(cost >= warning_cost, false) THEN 'warning'
        END
    $$;

-- What the rules find at the given moments: one candidate per (number, reseller, customer, at)
-- and the rule it is judged by. The ingest and the dry-run replay both judge through this.
CREATE FUNCTION platform.fraud_hits(rules text[], numbers text[], resellers uuid[], customers uuid[], ats timestamptz[], durations integer[], charges numeric[])
    RETURNS TABLE (rule text, served_number text, reseller_id uuid, customer_id uuid, level text,
                   window_start timestamptz, window_end timestamptz, measure bigint, calls bigint, cost numeric)
    LANGUAGE sql STABLE
    AS $$
        SELECT k.rule, k.number, k.reseller, k.customer, platform.fraud_level(w.measure, w.cost, s.warning_at, s.critical_at, s.warning_cost, s.critical_cost),
               w.window_start, w.window_end, w.measure, w.calls, w.cost
        FROM unnest(rules, numbers, resellers, customers, ats, durations, charges) AS k (rule, number, reseller, customer, at, duration, charge)
        JOIN LATERAL platform.effective_fraud_rules(k.reseller) s ON s.rule = k.rule AND s.enabled
        CROSS JOIN LATERAL (
            SELECT f.window_start, k.at AS window_end, f.measure, f.calls, f.cost
            FROM platform.fraud_window(k.rule, k.number, k.reseller, k.at, s.window_minutes, s.short_call_seconds) f
            WHERE k.rule <> 'long-high-cost-call'
            UNION ALL
            -- One call is its own window: from its start to its end.
            SELECT k.at, k.at + make_interval(secs => k.duration), k.duration, 1, k.charge
            WHERE k.rule = 'long-high-cost-call'
        ) w
        WHERE platform.fraud_level(w.measure, w.cost, s.warning_at, s.critical_at, s.warning_cost, s.critical_cost) IS NOT NULL
    $$;
REVOKE ALL ON FUNCTION platform.fraud_hits(text[], text[], uuid[], uuid[], timestamptz[], integer[], numeric[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.fraud_hits(text[], text[], uuid[], uuid[], timestamptz[], integer[], numeric[]) TO sb_platform;
GRANT EXECUTE ON FUNCTION platform.fraud_window(text, text, uuid, timestamptz, integer, integer) TO sb_platform;
REVOKE ALL ON FUNCTION platform.fraud_level(bigint, numeric, integer, integer, numeric, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.fraud_level(bigint, numeric, integer, integer, numeric, numeric) TO sb_platform;

-- Judges one ingested batch (in its transaction) and raises or escalates alerts; returns how many
-- alerts were raised or escalated. The windowed rules are judged at each number's latest call of
-- the batch; the long-call rule at each number's longest call to a premium-rate or high-risk range.
CREATE FUNCTION platform.evaluate_fraud(batch uuid)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform, sb
    AS $$
    DECLARE
        hit record;
        alert sb.fraud_alerts;
        changed integer := 0;
        event text;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM platform.fraud_rules WHERE enabled) AND NOT EXISTS (SELECT 1 FROM platform.fraud_rule_overrides WHERE enabled) THEN
            RETURN 0;
        END IF;
        -- Batches carrying the same numbers are judged one after the other (64 lock buckets, taken
        -- in order), and the judging below is a new statement: under READ COMMITTED it sees the
        -- calls of a batch that committed while this one waited, so two batches each below a
        -- threshold cannot both miss it.
        PERFORM pg_advisory_xact_lock(hashtext('switchboard.fraud'), b.bucket)
        FROM (SELECT DISTINCT abs(hashtext(c.served_number) % 64) AS bucket FROM platform.cdrs c
              WHERE c.batch_id = batch AND c.reseller_id IS NOT NULL AND c.kind = 'call' AND c.direction = 'outgoing'
              ORDER BY 1) b;
        FOR hit IN
            WITH touched AS (
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
            ), candidates AS (
                SELECT 'high-cost-burst' AS rule, served_number, reseller_id, customer_id, last_high_cost AS at, 0 AS duration, 0::numeric AS charge FROM touched WHERE last_high_cost IS NOT NULL
                UNION ALL SELECT 'distinct-destinations', served_number, reseller_id, customer_id, last_call, 0, 0 FROM touched
                UNION ALL SELECT 'short-call-flood', served_number, reseller_id, customer_id, last_short, 0, 0 FROM touched WHERE last_short IS NOT NULL
                UNION ALL SELECT 'long-high-cost-call', served_number, reseller_id, customer_id, longest_at, longest, longest_charge
                    FROM touched WHERE longest IS NOT NULL
            )
            SELECT h.* FROM (SELECT array_agg(rule) r, array_agg(served_number) n, array_agg(reseller_id) s, array_agg(customer_id) c,
                                    array_agg(at) a, array_agg(duration) d, array_agg(charge) g FROM candidates) k,
                 LATERAL platform.fraud_hits(k.r, k.n, k.s, k.c, k.a, k.d, k.g) h
        LOOP
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
                UPDATE sb.fraud_alerts f SET
                    level = CASE WHEN event IS NOT NULL THEN 'critical' ELSE f.level END,
                    -- An escalation needs the platform's eyes again, even on an acknowledged alert.
                    state = CASE WHEN event IS NOT NULL THEN 'open' ELSE f.state END,
                    escalated_at = CASE WHEN event IS NOT NULL THEN now() ELSE f.escalated_at END,
                    window_start = least(f.window_start, hit.window_start), window_end = greatest(f.window_end, hit.window_end),
                    measure = greatest(f.measure, hit.measure), calls = greatest(f.calls, hit.calls), cost = greatest(f.cost, hit.cost),
                    updated_at = now()
                WHERE f.reseller_id = alert.reseller_id AND f.id = alert.id
                RETURNING * INTO alert;
            END IF;
            IF event IS NOT NULL THEN
                PERFORM sb.enqueue_event(alert.reseller_id, event, jsonb_build_object(
                    'alertId', alert.id, 'rule', alert.rule, 'servedNumber', alert.served_number, 'level', alert.level,
                    'customerId', alert.customer_id,
                    'windowStart', to_char(alert.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'windowEnd', to_char(alert.window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'measure', alert.measure, 'calls', alert.calls, 'cost', alert.cost::text), now());
                changed := changed + 1;
            END IF;
        END LOOP;
        RETURN changed;
    END
    $$;
REVOKE ALL ON FUNCTION platform.evaluate_fraud(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.evaluate_fraud(uuid) TO sb_platform;

-- ---------------------------------------------------------------- retention
-- Alerts derive from traffic data: a resolved alert goes `keep` after its window ended (as the
-- retention job, under the fraud-signals rule); an unresolved one stays until resolved.
CREATE FUNCTION sb.retention_fraud_alerts(clock timestamptz, keep interval, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT f.reseller_id, count(*) FROM sb.fraud_alerts f
                WHERE f.state = 'resolved' AND f.window_end + keep <= clock GROUP BY f.reseller_id;
        ELSE
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.fraud_alerts f WHERE f.state = 'resolved' AND f.window_end + keep <= clock RETURNING f.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;
REVOKE ALL ON FUNCTION sb.retention_fraud_alerts(timestamptz, interval, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.retention_fraud_alerts(timestamptz, interval, boolean) TO sb_retention;
