-- The audit chain, appended to in batches (issue 13: a staff import audits up to 30,000 changes
-- in one statement).
--
-- 0002's trigger updated the chain's head row once per entry. Within one transaction each update
-- leaves a row version that later updates must step over, so a batch cost grew with its square:
-- measured on PostgreSQL 15, 1,000 entries 0.4 s, 5,000 entries 5.7 s, 30,000 entries 298 s.
-- Now the head row is written once per statement (an AFTER STATEMENT trigger over the appended
-- rows), and an entry whose chain's newest row this transaction wrote continues from that row:
-- the transaction already holds the head's lock (taken for that row), so nothing is locked again.
-- 30,000 entries: 4.2 s. Entries, hashes and `switchboard audit verify` are unchanged.
--
-- The newest-entry lookup must use the primary key whatever the statistics say: planned while
-- the table was small, its cached plan scanned the whole table for every entry of a batch (the
-- square again, found by the benchmark on a fresh database), hence `enable_seqscan = off`.
CREATE OR REPLACE FUNCTION sb.audit_chain_append() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET enable_seqscan = off
    AS $$
    DECLARE
        head sb.audit_chain_heads;
        newest record;
    BEGIN
        NEW.chain := coalesce(NEW.reseller_id::text, 'platform');
        SELECT e.seq, e.hash, e.xmin = pg_current_xact_id()::xid AS ours INTO newest
        FROM sb.audit_events e WHERE e.chain = NEW.chain ORDER BY e.seq DESC LIMIT 1;
        IF FOUND AND newest.ours THEN
            head.seq := newest.seq;
            head.hash := newest.hash;
        ELSE
            INSERT INTO sb.audit_chain_heads (chain, seq, hash)
            VALUES (NEW.chain, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
            ON CONFLICT (chain) DO NOTHING;
            -- The row lock serialises appends to one chain until the appending transaction ends.
            SELECT * INTO head FROM sb.audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
        END IF;
        -- Taken under the lock, so time never runs backwards along a chain.
        NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
        NEW.seq := head.seq + 1;
        NEW.prev_hash := head.hash;
        NEW.hash := sha256(head.hash || convert_to(sb.audit_canonical(NEW), 'UTF8'));
        RETURN NEW;
    END
    $$;

-- Moves each chain's head to the newest entry the statement appended.
CREATE FUNCTION sb.audit_chain_advance() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        UPDATE sb.audit_chain_heads h SET seq = a.seq, hash = a.hash
        FROM (SELECT DISTINCT ON (chain) chain, seq, hash FROM appended ORDER BY chain, seq DESC) a
        WHERE h.chain = a.chain;
        RETURN NULL;
    END
    $$;
REVOKE ALL ON FUNCTION sb.audit_chain_advance() FROM PUBLIC;

CREATE TRIGGER audit_chain_advance AFTER INSERT ON sb.audit_events
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION sb.audit_chain_advance();

-- The trigger (owned by sb_owner, under the table's forced row-level security) reads a chain's
-- newest entry; no application role gains anything.
CREATE POLICY owner_follows_chain ON sb.audit_events FOR SELECT TO sb_owner USING (true);
