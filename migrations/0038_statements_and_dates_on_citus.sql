-- Settlement statements announced, and dates read back, in ways a Citus cluster runs (issue 18).
--
-- * `sb.announce_statement` read the statement the platform had just issued as the owner (Citus
--   refuses a transaction that reaches a shard group as two roles) and recognised it by its
--   `xmin`, which on a cluster is the worker's transaction id, never the coordinator's. It now
--   reads with the platform's rights and recognises a statement of this transaction by its issue
--   time: `issued_at` defaults to `now()`, the transaction's start. The event goes through the
--   platform's outlet (0034).
-- * Citus refuses a non-immutable function in an INSERT's RETURNING list, and `to_char` is only
--   stable: dates are read back through `sb.iso_date`, the same text with the pattern fixed.
SET LOCAL ROLE sb_owner;

CREATE FUNCTION sb.iso_date(day date) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET datestyle = 'ISO'
    AS $$ SELECT to_char(day, 'YYYY-MM-DD') $$;

CREATE OR REPLACE FUNCTION sb.announce_statement(statement uuid)
    RETURNS integer
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        issued record;
        written integer := 0;
    BEGIN
        FOR issued IN
            SELECT s.reseller_id, s.id, s.kind, s.month, s.corrects_statement_id, s.issued_at
            FROM sb.statements s WHERE s.id = statement AND s.issued_at = now()
        LOOP
            written := written + sb.emit_platform_event(issued.reseller_id, 'statement.issued',
                jsonb_build_object('statementId', issued.id, 'kind', issued.kind, 'month', to_char(issued.month, 'YYYY-MM'),
                                   'correctsStatementId', issued.corrects_statement_id,
                                   'issuedAt', to_char(issued.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
        END LOOP;
        RETURN written;
    END
    $$;
