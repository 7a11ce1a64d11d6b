-- Owner-rights functions that read tables become PL/pgSQL (issue 18).
--
-- Citus cannot plan a SQL-language function's statement that uses the function's parameters
-- ("could not create distributed plan ... parameters in SQL functions"): the managers' portal
-- could not find its brand, and the scheduled anonymisations, the data-subject counts, recurring
-- holdings, statement announcements and the retention job's lookups failed on a coordinator. A
-- PL/pgSQL body passes its parameters as values, which Citus routes. The queries are unchanged;
-- `#variable_conflict use_column` keeps a SQL function's rule that a column wins over a parameter
-- of the same name. All of them run with their owner's rights, so none was inlined before either.
--
-- Still SQL for now: the fraud rules' functions (the CDR ingest they serve is not distributed
-- yet, see docs/scale-out.md), and the retention run's ledger and the webhook claim, whose
-- data-changing statements return rows.
SET LOCAL ROLE sb_owner;

CREATE OR REPLACE FUNCTION platform.number_holders(numbers text[])
 RETURNS TABLE(number text, reseller_id uuid, customer_id uuid, assignment_id uuid, assigned_at timestamp with time zone, released_at timestamp with time zone)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT n.number, n.reseller_id, n.customer_id, n.id, n.assigned_at, n.released_at
        FROM sb.number_assignments n WHERE n.number = ANY (numbers);
    END
$function$;

CREATE OR REPLACE FUNCTION platform.recurring_holdings(reseller uuid, month date)
 RETURNS TABLE(customer_id uuid, numbers bigint, sims bigint)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
 SET "TimeZone" TO 'UTC'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY WITH span AS (SELECT month::timestamptz AS starts, (month + interval '1 month')::timestamptz AS ends),
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
        ORDER BY 1;
    END
$function$;

CREATE OR REPLACE FUNCTION sb.data_subject_request_counts(clock timestamp with time zone, within interval)
 RETURNS TABLE(reseller_id uuid, open bigint, overdue bigint, due_soon bigint)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT r.reseller_id, count(*), count(*) FILTER (WHERE r.due_at <= clock),
               count(*) FILTER (WHERE r.due_at > clock AND r.due_at <= clock + within)
        FROM sb.data_subject_requests r WHERE r.closed_at IS NULL
        GROUP BY r.reseller_id ORDER BY r.reseller_id;
    END
$function$;

CREATE OR REPLACE FUNCTION sb.due_anonymisations(clock timestamp with time zone, max_rows integer)
 RETURNS TABLE(reseller_id uuid, customer_id uuid, employee_id uuid, due_on date)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT s.reseller_id, s.customer_id, s.employee_id, s.due_on FROM sb.scheduled_anonymisations s
        WHERE s.due_on <= (clock AT TIME ZONE 'UTC')::date
        ORDER BY s.due_on, s.reseller_id, s.employee_id
        LIMIT max_rows;
    END
$function$;

CREATE OR REPLACE FUNCTION sb.portal_brand(host text)
 RETURNS TABLE(reseller_id uuid, display_name text, primary_color text, accent_color text, support_email text, support_phone text, support_url text, default_language text, logo_media_type text, version integer)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT b.reseller_id, b.display_name, b.primary_color, b.accent_color, b.support_email, b.support_phone,
               b.support_url, b.default_language, b.logo_media_type, b.version
        FROM sb.brand_hostnames h JOIN sb.brands b ON b.reseller_id = h.reseller_id
        JOIN sb.resellers r ON r.id = b.reseller_id
        WHERE h.hostname = host AND h.verified_at IS NOT NULL AND r.status = 'active';
    END
$function$;

CREATE OR REPLACE FUNCTION sb.portal_logo(host text)
 RETURNS TABLE(logo bytea, logo_media_type text, version integer)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT b.logo, b.logo_media_type, b.version
        FROM sb.brand_hostnames h JOIN sb.brands b ON b.reseller_id = h.reseller_id
        JOIN sb.resellers r ON r.id = b.reseller_id
        WHERE h.hostname = host AND h.verified_at IS NOT NULL AND r.status = 'active' AND b.logo IS NOT NULL;
    END
$function$;

CREATE OR REPLACE FUNCTION sb.retention_customers_due(clock timestamp with time zone, grace interval, max_rows integer)
 RETURNS TABLE(reseller_id uuid, customer_id uuid, employees bigint, managers bigint)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT c.reseller_id, c.id,
               (SELECT count(*) FROM sb.employees e WHERE e.reseller_id = c.reseller_id AND e.customer_id = c.id),
               (SELECT count(*) FROM sb.managers m WHERE m.reseller_id = c.reseller_id AND m.customer_id = c.id)
        FROM sb.customers c
        WHERE c.status = 'terminated' AND c.purged_at IS NULL AND c.terminated_at + grace <= clock
        ORDER BY c.terminated_at, c.reseller_id, c.id
        LIMIT max_rows;
    END
$function$;

CREATE OR REPLACE FUNCTION sb.retention_unsealed_content(max_rows integer)
 RETURNS TABLE(reseller_id uuid, employee_id uuid, id uuid)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN QUERY SELECT c.reseller_id, c.employee_id, c.id FROM sb.employee_content c WHERE NOT c.sealed ORDER BY c.reseller_id, c.id LIMIT max_rows;
    END
$function$;

CREATE OR REPLACE FUNCTION platform.retention_job_due(every interval)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'platform'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN (SELECT NOT EXISTS (SELECT 1 FROM platform.retention_runs
                           WHERE trigger = 'job' AND NOT dry_run AND started_at > now() - every));
    END
$function$;

CREATE OR REPLACE FUNCTION sb.announce_statement(statement uuid)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN (SELECT coalesce(sum(sb.enqueue_event(s.reseller_id, 'statement.issued',
            jsonb_build_object('statementId', s.id, 'kind', s.kind, 'month', to_char(s.month, 'YYYY-MM'),
                               'correctsStatementId', s.corrects_statement_id,
                               'issuedAt', to_char(s.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')), now())), 0)::integer
        FROM sb.statements s WHERE s.id = statement AND s.xmin = xid(pg_current_xact_id()));
    END
$function$;

CREATE OR REPLACE FUNCTION sb.broadcast_event(kind text, payload jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN (SELECT coalesce(sum(sb.enqueue_event(r.id, kind, payload, now())), 0)::integer FROM sb.resellers r);
    END
$function$;

CREATE OR REPLACE FUNCTION sb.content_owner_exists(employee uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN (SELECT EXISTS (SELECT 1 FROM sb.employees e WHERE e.id = employee AND e.anonymised_at IS NULL));
    END
$function$;

CREATE OR REPLACE FUNCTION sb.reseller_has_key(reseller uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN (SELECT EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = reseller));
    END
$function$;

CREATE OR REPLACE FUNCTION sb.retention_unsealed_bytes(reseller uuid, content uuid)
 RETURNS bytea
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        RETURN (SELECT c.data FROM sb.employee_content c WHERE c.reseller_id = reseller AND c.id = content AND NOT c.sealed);
    END
$function$;

CREATE OR REPLACE FUNCTION sb.forgive_login(source text, email text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        DELETE FROM sb.login_throttle WHERE key = 'account:' || encode(sha256(convert_to(lower(email), 'UTF8')), 'hex');
        UPDATE sb.login_throttle SET failures = greatest(failures - 1, 0) WHERE key = 'source:' || source;
        INSERT INTO sb.login_known_sources (key) VALUES (encode(sha256(convert_to(lower(email) || ' ' || source, 'UTF8')), 'hex'))
            ON CONFLICT (key) DO UPDATE SET last_success_at = now();
        DELETE FROM sb.login_known_sources WHERE key IN (
            SELECT key FROM sb.login_known_sources WHERE last_success_at < now() - interval '90 days'
            ORDER BY last_success_at LIMIT 20 FOR UPDATE SKIP LOCKED);
    END
$function$;

CREATE OR REPLACE FUNCTION sb.record_webhook_attempt(target_reseller uuid, delivery uuid, clock timestamp with time zone, delivered boolean, status integer, failure text, retry_at timestamp with time zone)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'sb'
AS $function$
    #variable_conflict use_column
    BEGIN
        UPDATE sb.webhook_deliveries SET
            state = CASE WHEN delivered THEN 'delivered' WHEN retry_at IS NULL THEN 'failed' ELSE 'pending' END,
            last_attempt_at = clock, last_status = status, last_error = left(failure, 500),
            delivered_at = CASE WHEN delivered THEN clock END,
            next_attempt_at = coalesce(retry_at, next_attempt_at)
        WHERE reseller_id = target_reseller AND id = delivery;
    END
$function$;

