-- Fraud judging sees concurrent batches of the same number whichever order they commit in
-- (issue 17's rule, found flaky while issue 18's suite ran): batches are judged one after the
-- other, but each judged its numbers only at its own latest call, so when the batch with the later
-- calls was judged first, the other one's window ended before those calls and both missed a pattern
-- they made together. Each number is now also judged at its latest call from a batch that
-- committed first. Costs one index probe per number of the batch.
SET LOCAL ROLE sb_owner;

CREATE OR REPLACE FUNCTION platform.evaluate_fraud(batch uuid)
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
            ), later AS (
                -- The number's latest call after this batch's, from batches that committed first:
                -- a window ending there may hold this batch's calls and theirs together.
                SELECT t.*, (SELECT max(o.started_at) FROM platform.cdrs o
                             WHERE o.served_number = t.served_number AND o.started_at > t.last_call
                               AND o.reseller_id = t.reseller_id AND o.kind = 'call' AND o.direction = 'outgoing') AS later_call
                FROM touched t
            ), candidates AS (
                SELECT 'high-cost-burst' AS rule, served_number, reseller_id, customer_id, last_high_cost AS at, 0 AS duration, 0::numeric AS charge FROM touched WHERE last_high_cost IS NOT NULL
                UNION ALL SELECT 'distinct-destinations', served_number, reseller_id, customer_id, last_call, 0, 0 FROM touched
                UNION ALL SELECT 'short-call-flood', served_number, reseller_id, customer_id, last_short, 0, 0 FROM touched WHERE last_short IS NOT NULL
                UNION ALL SELECT 'long-high-cost-call', served_number, reseller_id, customer_id, longest_at, longest, longest_charge
                    FROM touched WHERE longest IS NOT NULL
                UNION ALL SELECT r.rule, l.served_number, l.reseller_id, l.customer_id, l.later_call, 0, 0
                    FROM later l CROSS JOIN (VALUES ('high-cost-burst'), ('distinct-destinations'), ('short-call-flood')) AS r (rule)
                    WHERE l.later_call IS NOT NULL
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
