-- The webhook outbox in a shard group of its own on Citus (issue 18, see CitusDistribution).
--
-- A request writes its tenant's rows as its scope role and then calls `sb.emit_event`, which reads
-- the reseller's subscriptions and writes deliveries as the owner. Citus refuses a transaction that
-- reaches one shard group as two roles ("cannot perform query on placements that were modified in
-- this transaction by a different user"), so on a cluster every event after a change failed. The
-- outbox tables are now distributed by reseller in a co-location group apart from the tenant
-- tables; a foreign key between two groups cannot exist there, so the subscriptions' key to
-- `sb.resellers` goes (resellers are never deleted, only suspended or terminated, and the policies
-- already hold a subscription to its reseller).
--
-- The broadcast to every reseller called the outbox function inside a query over `sb.resellers`,
-- which Citus would run on the workers; it now loops on the coordinator.
SET LOCAL ROLE sb_owner;

ALTER TABLE sb.webhook_subscriptions DROP CONSTRAINT webhook_subscriptions_reseller_id_fkey;

CREATE OR REPLACE FUNCTION sb.broadcast_event(kind text, payload jsonb)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        reseller uuid;
        written integer := 0;
        clock timestamptz := now();
    BEGIN
        FOR reseller IN SELECT r.id FROM sb.resellers r ORDER BY r.id LOOP
            written := written + sb.enqueue_event(reseller, kind, payload, clock);
        END LOOP;
        RETURN written;
    END
    $$;
