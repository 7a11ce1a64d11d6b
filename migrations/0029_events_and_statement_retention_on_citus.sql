-- Two writers that Citus could not run (issue 18), found by the isolation suite on a cluster.
--
-- * Webhook events: `sb.enqueue_event` inserted one delivery per subscription with
--   INSERT … SELECT and a fresh `gen_random_uuid()` per row. A volatile call keeps Citus from
--   running the statement on the shard, so it evaluates the SELECT on the coordinator and COPYs
--   the rows in, which row-level security refuses. Now one INSERT … VALUES per subscription (a
--   reseller has a handful), routed to the reseller's shard.
-- * Statement retention: `sb.retention_statements` compared `make_date(…)` with the clock for
--   every row, a timestamptz comparison that depends on the time zone; Citus refuses such
--   non-immutable expressions over columns in a DELETE. The horizon is computed once: a statement
--   of month M is kept `years` full calendar years after the end of M's year, so it goes when
--   M < 1 January of (the clock's year − years), the same instants as before.
SET LOCAL ROLE sb_owner;

CREATE OR REPLACE FUNCTION sb.enqueue_event(target uuid, kind text, payload jsonb, clock timestamptz)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        event uuid := gen_random_uuid();
        body text := jsonb_build_object('id', event, 'type', kind,
                                        'createdAt', to_char(clock AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                        'resellerId', target, 'data', payload)::text;
        subscription uuid;
        written integer := 0;
    BEGIN
        FOR subscription IN
            SELECT s.id FROM sb.webhook_subscriptions s
            WHERE s.reseller_id = target AND (s.event_types = '{}' OR kind = ANY (s.event_types))
            ORDER BY s.id
        LOOP
            INSERT INTO sb.webhook_deliveries (reseller_id, id, subscription_id, event_id, event_type, body, next_attempt_at, created_at)
            VALUES (target, gen_random_uuid(), subscription, event, kind, body, clock, clock);
            written := written + 1;
        END LOOP;
        RETURN written;
    END
    $$;

CREATE OR REPLACE FUNCTION sb.retention_statements(clock timestamptz, years integer, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET timezone = 'UTC'
    AS $$
    DECLARE
        horizon date := make_date(extract(year FROM clock AT TIME ZONE 'UTC')::int - years, 1, 1);
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT s.reseller_id, count(*) FROM sb.statements s
                WHERE s.month < horizon GROUP BY s.reseller_id;
        ELSE
            DELETE FROM sb.statement_lines l USING sb.statements s
                WHERE s.reseller_id = l.reseller_id AND s.id = l.statement_id AND s.month < horizon;
            -- Notes before the statements they refer to.
            RETURN QUERY WITH notes AS (
                DELETE FROM sb.statements s WHERE s.kind <> 'statement' AND s.month < horizon RETURNING s.reseller_id),
                counted AS (SELECT n.reseller_id, count(*) AS c FROM notes n GROUP BY n.reseller_id)
                SELECT c.reseller_id, c.c FROM counted c;
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.statements s WHERE s.kind = 'statement' AND s.month < horizon RETURNING s.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;
