-- Monthly settlement statements per reseller (issue 17, DESIGN §1, §3 and §11): the platform's
-- bookkeeping with each reseller. A statement is issued once per reseller and month from the rated
-- CDRs, reconciled with the usage totals, and never changes again; corrections are credit and
-- debit notes that refer to it. Statements are bookkeeping, kept 5 years after their financial
-- year (the retention job's `bookkeeping` rule deletes them, with owner rights, and nobody else can).
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- price list
-- not tenant data: price_list (the platform's one price list for recurring charges and VAT: platform configuration, no tenant's rows)
-- One row (the key can only be true). Recurring charges are charged only while a price is set.
CREATE TABLE sb.price_list (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    currency text NOT NULL DEFAULT 'DKK' CHECK (currency ~ '^[A-Z]{3}$'),
    number_monthly numeric(14, 4) CHECK (number_monthly >= 0),
    sim_monthly numeric(14, 4) CHECK (sim_monthly >= 0),
    vat_rate numeric(5, 4) NOT NULL DEFAULT 0.25 CHECK (vat_rate >= 0 AND vat_rate < 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);
INSERT INTO sb.price_list (id) VALUES (true);
GRANT SELECT, UPDATE (currency, number_monthly, sim_monthly, vat_rate, updated_at, updated_by) ON sb.price_list TO sb_platform;

-- ---------------------------------------------------------------- statements and notes
-- Amounts are exact decimals: net and gross with 4 places (the CDRs' rating precision, so the
-- usage lines add up to the usage totals to the last digit), VAT rounded to the øre (2 places)
-- as it is declared. Every amount is positive or zero; a credit note's kind says it reduces.
CREATE TABLE sb.statements (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('statement', 'credit-note', 'debit-note')),
    -- The UTC calendar month the statement covers (a note carries its statement's month).
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    corrects_statement_id uuid,
    reason text CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    net numeric(18, 4) NOT NULL CHECK (net >= 0 OR kind = 'statement'),
    vat_rate numeric(5, 4) NOT NULL CHECK (vat_rate >= 0 AND vat_rate < 1),
    vat numeric(18, 2) NOT NULL,
    gross numeric(18, 4) NOT NULL,
    -- The part of net that is usage (rated CDRs); equal to the month's usage totals when issued.
    usage_net numeric(18, 4) NOT NULL DEFAULT 0,
    issued_at timestamptz NOT NULL DEFAULT now(),
    issued_by uuid NOT NULL,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, corrects_statement_id) REFERENCES sb.statements (reseller_id, id),
    CHECK ((kind = 'statement') = (corrects_statement_id IS NULL)),
    CHECK ((kind = 'statement') = (reason IS NULL)),
    CHECK (vat = round(net * vat_rate, 2) AND gross = net + vat)
);
-- One statement per reseller and month; issuing again is answered with the existing one.
CREATE UNIQUE INDEX statements_one_per_month ON sb.statements (reseller_id, month) WHERE kind = 'statement';
CREATE INDEX statements_by_month ON sb.statements (reseller_id, month, issued_at, id);
CREATE INDEX statements_by_correction ON sb.statements (reseller_id, corrects_statement_id) WHERE corrects_statement_id IS NOT NULL;

CREATE TABLE sb.statement_lines (
    reseller_id uuid NOT NULL,
    statement_id uuid NOT NULL,
    line_no integer NOT NULL CHECK (line_no >= 1),
    -- Null for a line of the reseller as a whole (an adjustment not about one customer).
    customer_id uuid,
    category text NOT NULL CHECK (category IN ('calls', 'sms', 'data', 'number-rental', 'sim-rental', 'adjustment')),
    -- calls: calls; sms: messages; data: bytes; number-rental: numbers; sim-rental: SIM cards; adjustment: 1.
    quantity bigint NOT NULL CHECK (quantity >= 0),
    unit text NOT NULL CHECK (unit IN ('calls', 'messages', 'bytes', 'numbers', 'sims', 'items')),
    -- Calls only: every started minute of each call, as the usage totals count them.
    billed_minutes bigint CHECK (billed_minutes >= 0),
    amount numeric(18, 4) NOT NULL,
    description text NOT NULL CHECK (length(btrim(description)) BETWEEN 1 AND 500),
    PRIMARY KEY (reseller_id, statement_id, line_no),
    FOREIGN KEY (reseller_id, statement_id) REFERENCES sb.statements (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES sb.customers (reseller_id, id),
    CHECK ((category = 'calls') = (billed_minutes IS NOT NULL)),
    CHECK (category <> 'adjustment' OR amount >= 0)
);

ALTER TABLE sb.statements ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.statements FORCE ROW LEVEL SECURITY;
ALTER TABLE sb.statement_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.statement_lines FORCE ROW LEVEL SECURITY;
-- The platform issues statements and reads them all: they are its own bookkeeping with each
-- reseller, not the reseller's business data (no customer of a customer, no person is in them).
CREATE POLICY platform_issues ON sb.statements FOR SELECT TO sb_platform USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY platform_issues_insert ON sb.statements FOR INSERT TO sb_platform WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY platform_issues ON sb.statement_lines FOR SELECT TO sb_platform USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY platform_issues_insert ON sb.statement_lines FOR INSERT TO sb_platform WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
-- A reseller reads its own statements; managers (sb_customer) see none: the reseller bills them itself.
CREATE POLICY reseller_reads_own ON sb.statements FOR SELECT TO sb_reseller USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY reseller_reads_own ON sb.statement_lines FOR SELECT TO sb_reseller USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
-- The bookkeeping rule (sb.retention_statements, below) and the event function read and delete as the owner.
CREATE POLICY owner_expires_bookkeeping ON sb.statements FOR SELECT TO sb_owner USING (true);
CREATE POLICY owner_expires_bookkeeping_delete ON sb.statements FOR DELETE TO sb_owner USING (true);
CREATE POLICY owner_expires_bookkeeping ON sb.statement_lines FOR SELECT TO sb_owner USING (true);
CREATE POLICY owner_expires_bookkeeping_delete ON sb.statement_lines FOR DELETE TO sb_owner USING (true);
-- No UPDATE or DELETE for anybody: an issued statement is corrected by a note, never changed.
GRANT SELECT, INSERT ON sb.statements, sb.statement_lines TO sb_platform;
GRANT SELECT ON sb.statements, sb.statement_lines TO sb_reseller;

-- ---------------------------------------------------------------- immutability
-- Grants already refuse changes; the triggers hold even for the owner and any role granted more
-- later. A row is deleted only by the retention rule, which runs as the owner (SECURITY DEFINER);
-- this function is SECURITY INVOKER, so current_user is the role that actually acts.
CREATE FUNCTION sb.statement_is_immutable() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'sb_owner' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'an issued statement cannot be changed or deleted; issue a credit or debit note instead'
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;
CREATE TRIGGER statements_are_immutable BEFORE UPDATE OR DELETE ON sb.statements
    FOR EACH ROW EXECUTE FUNCTION sb.statement_is_immutable();
CREATE TRIGGER statement_lines_are_immutable BEFORE UPDATE OR DELETE ON sb.statement_lines
    FOR EACH ROW EXECUTE FUNCTION sb.statement_is_immutable();
CREATE TRIGGER statements_are_never_truncated BEFORE TRUNCATE ON sb.statements
    FOR EACH STATEMENT EXECUTE FUNCTION sb.statement_is_immutable();
CREATE TRIGGER statement_lines_are_never_truncated BEFORE TRUNCATE ON sb.statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION sb.statement_is_immutable();

-- A note corrects a statement (never another note) of the same reseller, for the same month.
CREATE FUNCTION sb.note_corrects_a_statement() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF NEW.corrects_statement_id IS NOT NULL THEN
            PERFORM 1 FROM sb.statements s
            WHERE s.reseller_id = NEW.reseller_id AND s.id = NEW.corrects_statement_id AND s.kind = 'statement' AND s.month = NEW.month;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'a note must correct a statement of the same reseller and month' USING ERRCODE = 'foreign_key_violation';
            END IF;
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER notes_correct_statements BEFORE INSERT ON sb.statements
    FOR EACH ROW EXECUTE FUNCTION sb.note_corrects_a_statement();

-- Lines are written only in the transaction that issued their statement: nothing can be added to
-- an issued statement later. A missing statement is left to the foreign key's own error.
CREATE FUNCTION sb.lines_only_at_issue() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        PERFORM 1 FROM sb.statements s
        WHERE s.reseller_id = NEW.reseller_id AND s.id = NEW.statement_id AND NOT s.xmin = xid(pg_current_xact_id());
        IF FOUND THEN
            RAISE EXCEPTION 'an issued statement cannot be changed; issue a credit or debit note instead' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER statement_lines_only_at_issue BEFORE INSERT ON sb.statement_lines
    FOR EACH ROW EXECUTE FUNCTION sb.lines_only_at_issue();

-- ---------------------------------------------------------------- recurring charges
-- The platform has no privilege on the directory. This owner-rights function answers how many
-- numbers and SIM cards each customer of one reseller held at any time in one month, and nothing
-- else: no employee, number or ICCID. (The owner reads both tables through the policies of
-- migrations 0004 and 0013.) Fax-to-mail routes keep no history, so they are not counted.
CREATE FUNCTION platform.recurring_holdings(reseller uuid, month date)
    RETURNS TABLE (customer_id uuid, numbers bigint, sims bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb SET timezone = 'UTC'
    AS $$
        WITH span AS (SELECT month::timestamptz AS starts, (month + interval '1 month')::timestamptz AS ends),
        numbers AS (
            SELECT n.customer_id, count(DISTINCT n.number) AS held FROM sb.number_assignments n, span
            WHERE n.reseller_id = reseller AND n.assigned_at < span.ends AND (n.released_at IS NULL OR n.released_at >= span.starts)
            GROUP BY n.customer_id),
        sims AS (
            SELECT s.customer_id, count(DISTINCT s.iccid) AS held FROM sb.sim_cards s, span
            WHERE s.reseller_id = reseller AND s.assigned_at < span.ends AND (s.released_at IS NULL OR s.released_at >= span.starts)
            GROUP BY s.customer_id)
        SELECT coalesce(n.customer_id, s.customer_id), coalesce(n.held, 0), coalesce(s.held, 0)
        FROM numbers n FULL JOIN sims s ON s.customer_id = n.customer_id
        ORDER BY 1
    $$;
REVOKE ALL ON FUNCTION platform.recurring_holdings(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.recurring_holdings(uuid, date) TO sb_platform;

-- ---------------------------------------------------------------- the reseller hears of it
-- Event `statement.issued` to the statement's own reseller, in the issuing transaction. It takes
-- only a statement id, so the platform cannot send any other reseller anything else through it.
CREATE FUNCTION sb.announce_statement(statement uuid)
    RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT coalesce(sum(sb.enqueue_event(s.reseller_id, 'statement.issued',
            jsonb_build_object('statementId', s.id, 'kind', s.kind, 'month', to_char(s.month, 'YYYY-MM'),
                               'correctsStatementId', s.corrects_statement_id,
                               'issuedAt', to_char(s.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')), now())), 0)::integer
        FROM sb.statements s WHERE s.id = statement AND s.xmin = xid(pg_current_xact_id())
    $$;
REVOKE ALL ON FUNCTION sb.announce_statement(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.announce_statement(uuid) TO sb_platform;

-- A reseller's trail shows the platform's acts on its statements (issue, notes), though not the
-- platform's other acts (migration 0014).
CREATE POLICY reseller_reads_own_statements ON sb.audit_events FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND action IN ('statement.issue', 'statement.note'));

-- ---------------------------------------------------------------- retention
-- Statements and their notes go `years` after the end of the financial year (the calendar year)
-- of the month they cover, with their lines; as for the usage totals (migration 0013).
CREATE FUNCTION sb.retention_statements(clock timestamptz, years integer, dry_run boolean)
    RETURNS TABLE (reseller_id uuid, affected bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb SET timezone = 'UTC'
    AS $$
    BEGIN
        IF dry_run THEN
            RETURN QUERY SELECT s.reseller_id, count(*) FROM sb.statements s
                WHERE make_date(extract(year FROM s.month)::int + 1 + years, 1, 1) <= clock GROUP BY s.reseller_id;
        ELSE
            DELETE FROM sb.statement_lines l USING sb.statements s
                WHERE s.reseller_id = l.reseller_id AND s.id = l.statement_id
                  AND make_date(extract(year FROM s.month)::int + 1 + years, 1, 1) <= clock;
            -- Notes before the statements they refer to.
            RETURN QUERY WITH notes AS (
                DELETE FROM sb.statements s WHERE s.kind <> 'statement'
                    AND make_date(extract(year FROM s.month)::int + 1 + years, 1, 1) <= clock RETURNING s.reseller_id),
                counted AS (SELECT n.reseller_id, count(*) AS c FROM notes n GROUP BY n.reseller_id)
                SELECT c.reseller_id, c.c FROM counted c;
            RETURN QUERY WITH gone AS (
                DELETE FROM sb.statements s WHERE s.kind = 'statement'
                    AND make_date(extract(year FROM s.month)::int + 1 + years, 1, 1) <= clock RETURNING s.reseller_id)
                SELECT g.reseller_id, count(*) FROM gone g GROUP BY g.reseller_id;
        END IF;
    END
    $$;
REVOKE ALL ON FUNCTION sb.retention_statements(timestamptz, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.retention_statements(timestamptz, integer, boolean) TO sb_retention;
