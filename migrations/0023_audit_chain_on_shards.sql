-- The audit chain, appended the same way on plain PostgreSQL and on a Citus shard (issue 18).
--
-- On Citus, `sb.audit_events` and `sb.audit_chain_heads` are distributed by `chain` and
-- co-located, and an insert is routed to its shard before any trigger runs: the writer must name
-- the chain (so the scope roles may now insert it, and a CHECK ties it to the reseller), and the
-- triggers run on the worker against the shard, whose name and row type are not the shell's.
-- 0011's statement trigger read its transition table from an UPDATE of the distributed heads, which
-- a distributed query cannot do ("executor could not find named tuplestore").
--
-- Now:
--   * a chain's appends are serialised by a transaction-level advisory lock on the chain (the
--     chain's shard lives on one node, so the lock is taken where the rows are);
--   * the newest entry is read from the table the trigger fires on (the shard, on Citus), and a
--     statement's first entry of a chain checks it against the chain's head: entries removed from
--     the end are refused there (continuing from what is left would renumber over the gap and
--     move the head, which is what lets `switchboard audit verify` see such a removal);
--   * the row trigger notes the chains it appended to, per table, in a transaction setting, and the
--     statement trigger writes each noted chain's head once (0011's reason: one head update per
--     entry grew a batch's cost with its square), into the heads table co-located with that shard,
--     under the chain's lock (the setting is no proof the statement holds it).
-- Entries, hashes, heads and `switchboard audit verify` are unchanged.

-- 0011 created the statement trigger's function as the migrating administrator; it is replaced by
-- one that `sb_owner` owns, like the rest of the chain.
DROP TRIGGER audit_chain_advance ON sb.audit_events;
DROP FUNCTION sb.audit_chain_advance();

SET LOCAL ROLE sb_owner;

ALTER TABLE sb.audit_events ADD CONSTRAINT audit_events_chain_is_its_reseller
    CHECK (chain = coalesce(reseller_id::text, 'platform'));
GRANT INSERT (chain) ON sb.audit_events TO sb_platform, sb_reseller, sb_customer, sb_authenticator, sb_telephony;

-- The heads table beside the shard a trigger runs on: `sb.audit_chain_heads` on plain PostgreSQL,
-- its co-located shard on a Citus worker (shards of co-located tables share their hash ranges).
CREATE FUNCTION sb.audit_heads_beside(events_table name) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        heads text;
    BEGIN
        IF events_table = 'audit_events' THEN
            RETURN 'sb.audit_chain_heads';
        END IF;
        EXECUTE $q$
            SELECT format('sb.%I', 'audit_chain_heads_' || h.shardid)
            FROM pg_catalog.pg_dist_shard e
            JOIN pg_catalog.pg_dist_shard h
              ON h.logicalrelid = 'sb.audit_chain_heads'::regclass AND h.shardminvalue = e.shardminvalue
            WHERE e.shardid = $1
        $q$ INTO heads USING substring(events_table FROM '_(\d+)$')::bigint;
        IF heads IS NULL THEN
            RAISE EXCEPTION 'no audit heads shard beside %', events_table;
        END IF;
        RETURN heads;
    END
    $$;
REVOKE ALL ON FUNCTION sb.audit_heads_beside(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sb.audit_chain_append() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET enable_seqscan = off
    AS $$
    DECLARE
        expected text := coalesce(NEW.reseller_id::text, 'platform');
        noted_setting text := 'sb.audit_appended_' || TG_TABLE_NAME;
        noted text;
        newest record;
        head record;
    BEGIN
        IF NEW.chain IS NOT NULL AND NEW.chain <> expected THEN
            RAISE EXCEPTION 'audit entry names chain %, its reseller''s chain is %', NEW.chain, expected
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.chain := expected;
        -- Serialises appends to one chain until the appending transaction ends (re-entrant within it).
        -- (Lock class 1935827317 spells "sbau"; the two-key form never meets a one-key advisory lock.)
        PERFORM pg_advisory_xact_lock(1935827317, hashtext(NEW.chain));
        IF TG_TABLE_NAME = 'audit_events' THEN
            SELECT e.seq, e.hash INTO newest
            FROM sb.audit_events e WHERE e.chain = NEW.chain ORDER BY e.seq DESC LIMIT 1;
        ELSE
            EXECUTE format('SELECT e.seq, e.hash FROM %I.%I e WHERE e.chain = $1 ORDER BY e.seq DESC LIMIT 1',
                           TG_TABLE_SCHEMA, TG_TABLE_NAME)
                INTO newest USING NEW.chain;
        END IF;
        IF newest IS NULL OR newest.seq IS NULL THEN
            NEW.seq := 1;
            NEW.prev_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
        ELSE
            NEW.seq := newest.seq + 1;
            NEW.prev_hash := newest.hash;
        END IF;
        -- Taken under the lock, so time never runs backwards along a chain.
        NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
        NEW.hash := sha256(NEW.prev_hash || convert_to(sb.audit_canonical(ROW(NEW.*)::sb.audit_events), 'UTF8'));
        noted := coalesce(current_setting(noted_setting, true), '');
        IF position(',' || NEW.chain || ',' IN noted) = 0 THEN
            -- The statement's first entry of this chain: the newest entry must be the one the head
            -- names (both are written under the chain's lock), or entries were removed from the end
            -- and continuing from what is left would hide it from `audit verify`.
            EXECUTE format('SELECT h.seq, h.hash FROM %s h WHERE h.chain = $1', sb.audit_heads_beside(TG_TABLE_NAME))
                INTO head USING NEW.chain;
            IF head IS NOT NULL AND head.seq IS NOT NULL
               AND (newest.seq IS DISTINCT FROM head.seq OR newest.hash IS DISTINCT FROM head.hash) THEN
                RAISE EXCEPTION 'audit chain % ends at seq % but its head records seq %: entries were removed',
                    NEW.chain, coalesce(newest.seq, 0), head.seq USING ERRCODE = 'data_corrupted';
            END IF;
            PERFORM set_config(noted_setting, coalesce(nullif(noted, ''), ',') || NEW.chain || ',', true);
        END IF;
        RETURN NEW;
    END
    $$;

-- Moves the head of every chain the statement appended to onto that chain's newest entry.
CREATE FUNCTION sb.audit_chain_advance() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET enable_seqscan = off
    AS $$
    DECLARE
        noted_setting text := 'sb.audit_appended_' || TG_TABLE_NAME;
        heads text;
        chain_name text;
        newest record;
    BEGIN
        heads := sb.audit_heads_beside(TG_TABLE_NAME);
        FOREACH chain_name IN ARRAY string_to_array(trim(BOTH ',' FROM coalesce(current_setting(noted_setting, true), '')), ',') LOOP
            -- Held already for the chains this statement appended to; a chain named in the setting
            -- by anyone else waits for its appender, so a head never falls behind its newest entry.
            PERFORM pg_advisory_xact_lock(1935827317, hashtext(chain_name));
            EXECUTE format('SELECT e.seq, e.hash FROM %I.%I e WHERE e.chain = $1 ORDER BY e.seq DESC LIMIT 1',
                           TG_TABLE_SCHEMA, TG_TABLE_NAME)
                INTO newest USING chain_name;
            CONTINUE WHEN newest IS NULL OR newest.seq IS NULL;
            EXECUTE format('INSERT INTO %s AS h (chain, seq, hash) VALUES ($1, $2, $3)
                            ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash', heads)
                USING chain_name, newest.seq, newest.hash;
        END LOOP;
        PERFORM set_config(noted_setting, '', true);
        RETURN NULL;
    END
    $$;

REVOKE ALL ON FUNCTION sb.audit_chain_advance() FROM PUBLIC;

CREATE TRIGGER audit_chain_advance AFTER INSERT ON sb.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION sb.audit_chain_advance();

-- The key-recovery entries name their chains (0006 left them to the trigger).
CREATE OR REPLACE FUNCTION sb.platform_key_issue_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        principal uuid := sb.setting_uuid('sb.principal_id');
    BEGIN
        IF current_user <> 'sb_platform' THEN
            RETURN NEW;
        END IF;
        IF principal IS NULL THEN
            RAISE EXCEPTION 'no platform principal is set' USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM 1 FROM sb.resellers WHERE id = NEW.reseller_id FOR UPDATE;
        IF EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = NEW.reseller_id AND revoked_at IS NULL) THEN
            RAISE EXCEPTION 'the reseller has a live API key; the platform may not issue another'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = NEW.reseller_id) THEN
            INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, action, target_id, fields)
            VALUES (NEW.reseller_id::text, principal, 'api_key', 'sb_platform', NEW.reseller_id, 'api_key.recover', NEW.id, '{name}'),
                   ('platform', principal, 'api_key', 'sb_platform', NULL, 'api_key.recover', NEW.id, '{name}');
        END IF;
        RETURN NEW;
    END
    $$;
