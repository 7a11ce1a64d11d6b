-- Data-subject requests as tracked cases, signed receipts, the tenants' own audit trail, the
-- sub-processor register and webhooks to resellers' systems (issue 16, DESIGN §3 and §10).
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- cases
-- A request from a person (identified by extension and full name when it arrives; only the
-- matched employee id is kept) and its answer. Processor scope: the reseller and the customer's
-- managers work on it; the platform sees counts only (sb.data_subject_request_counts).
CREATE TABLE sb.data_subject_requests (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    id uuid NOT NULL,
    -- Cleared if the person's record is deleted; the case stays as the record of the answer.
    employee_id uuid,
    data_right text NOT NULL CHECK (data_right IN ('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability')),
    state text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'in-progress', 'completed', 'refused', 'withdrawn')),
    received_at timestamptz NOT NULL,
    -- One calendar month after receipt (computed in Swift: DataSubjectRequestDeadline), moved once by an extension.
    due_at timestamptz NOT NULL,
    initial_due_at timestamptz NOT NULL,
    extension_months integer CHECK (extension_months BETWEEN 1 AND 2),
    extension_reason text CHECK (length(extension_reason) BETWEEN 1 AND 1000),
    extended_at timestamptz,
    note text CHECK (length(note) <= 2000),
    -- What answered it: the export, the anonymisation receipt, the restriction, the preference
    -- change or the rectified fields (field names only).
    outcome_kind text CHECK (outcome_kind IN ('export', 'anonymisation', 'restriction', 'preferences', 'rectification')),
    outcome_fields text[] NOT NULL DEFAULT '{}',
    outcome_digest text CHECK (outcome_digest ~ '^[0-9a-f]{64}$'),
    receipt_id uuid,
    closing_reason text CHECK (length(closing_reason) BETWEEN 1 AND 1000),
    closed_at timestamptz,
    due_soon_announced_at timestamptz,
    opened_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES sb.customers (reseller_id, id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE SET NULL (employee_id),
    CHECK ((extension_months IS NULL) = (extension_reason IS NULL) AND (extension_months IS NULL) = (extended_at IS NULL)),
    CHECK ((state IN ('completed', 'refused', 'withdrawn')) = (closed_at IS NOT NULL)),
    CHECK (state <> 'refused' OR closing_reason IS NOT NULL),
    CHECK (state <> 'completed' OR outcome_kind IS NOT NULL)
);
CREATE INDEX data_subject_requests_open_by_due ON sb.data_subject_requests (reseller_id, due_at) WHERE closed_at IS NULL;
CREATE INDEX data_subject_requests_by_customer ON sb.data_subject_requests (reseller_id, customer_id, due_at);
ALTER TABLE sb.data_subject_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.data_subject_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.data_subject_requests TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND sb.dpa_accepted(reseller_id));
CREATE POLICY manager_manages_own_company ON sb.data_subject_requests TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
-- The counting and announcing functions below run as the owner.
CREATE POLICY owner_counts_and_announces ON sb.data_subject_requests TO sb_owner USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON sb.data_subject_requests TO sb_reseller, sb_customer;

-- ---------------------------------------------------------------- traffic data, answered by the platform
-- The part of a case about traffic data (the platform's own controller data under the logging
-- duty), forwarded by the reseller: numbers and a period, never the person's name.
CREATE TABLE sb.traffic_data_requests (
    reseller_id uuid NOT NULL,
    id uuid NOT NULL,
    request_id uuid NOT NULL,
    numbers text[] NOT NULL CHECK (cardinality(numbers) BETWEEN 1 AND 20),
    period_from date NOT NULL,
    period_to date NOT NULL,
    state text NOT NULL DEFAULT 'forwarded' CHECK (state IN ('forwarded', 'answered')),
    answer text CHECK (length(answer) BETWEEN 1 AND 4000),
    records_held bigint CHECK (records_held >= 0),
    answered_at timestamptz,
    answered_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, request_id) REFERENCES sb.data_subject_requests (reseller_id, id),
    CHECK (period_from <= period_to),
    CHECK ((state = 'answered') = (answer IS NOT NULL AND answered_at IS NOT NULL AND answered_by IS NOT NULL))
);
ALTER TABLE sb.traffic_data_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.traffic_data_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_forwards_own ON sb.traffic_data_requests TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND state = 'forwarded');
CREATE POLICY manager_reads_own_company ON sb.traffic_data_requests FOR SELECT TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
           AND request_id IN (SELECT r.id FROM sb.data_subject_requests r));
CREATE POLICY manager_forwards_own_company ON sb.traffic_data_requests FOR INSERT TO sb_customer
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND state = 'forwarded'
                AND request_id IN (SELECT r.id FROM sb.data_subject_requests r));
-- The platform reads every forwarded part (no name is in it) and records its answer.
CREATE POLICY platform_answers ON sb.traffic_data_requests TO sb_platform USING (true) WITH CHECK (state = 'answered');
GRANT SELECT, INSERT ON sb.traffic_data_requests TO sb_reseller, sb_customer;
GRANT SELECT (reseller_id, id, request_id, numbers, period_from, period_to, state, answer, records_held, answered_at, answered_by, created_at),
    UPDATE (state, answer, records_held, answered_at, answered_by) ON sb.traffic_data_requests TO sb_platform;

-- ---------------------------------------------------------------- signed receipts
-- Receipts as issued (the signed canonical JSON), immutable: no role may change or delete one.
CREATE TABLE sb.receipts (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('anonymisation', 'data-subject-request')),
    employee_id uuid NOT NULL,
    request_id uuid,
    key_id uuid NOT NULL,
    document text NOT NULL CHECK (length(document) <= 65536),
    issued_at timestamptz NOT NULL,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES sb.customers (reseller_id, id)
);
ALTER TABLE sb.receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_keeps_own ON sb.receipts TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_keeps_own_company ON sb.receipts TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT ON sb.receipts TO sb_reseller, sb_customer;

-- not tenant data: receipt_signing_keys (the platform's public Ed25519 keys; each private key is a key in the key store, never here)
CREATE TABLE sb.receipt_signing_keys (
    key_id uuid PRIMARY KEY,
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
-- At most one key signs at a time; retired keys stay so old receipts remain verifiable.
CREATE UNIQUE INDEX receipt_signing_keys_one_current ON sb.receipt_signing_keys ((true)) WHERE retired_at IS NULL;
GRANT SELECT ON sb.receipt_signing_keys TO sb_platform, sb_reseller, sb_customer;

-- Registers the first signing key, for any role that signs; a second caller racing the first gets
-- the first's key back (the caller then signs with the key it is given).
CREATE FUNCTION sb.register_first_receipt_key(new_key uuid, new_public_key bytea)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        current uuid;
    BEGIN
        INSERT INTO sb.receipt_signing_keys (key_id, public_key) VALUES (new_key, new_public_key)
            ON CONFLICT DO NOTHING;
        SELECT key_id INTO current FROM sb.receipt_signing_keys WHERE retired_at IS NULL;
        RETURN current;
    END
    $$;
REVOKE ALL ON FUNCTION sb.register_first_receipt_key(uuid, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.register_first_receipt_key(uuid, bytea) TO sb_platform, sb_reseller, sb_customer;

-- ---------------------------------------------------------------- the tenants' own audit trail
-- GET /v1/audit-events: a reseller reads its tenant's entries (not the platform's acts on it),
-- a manager its company's, the platform the entries its own role wrote. Hashes stay unreadable.
CREATE POLICY reseller_reads_own ON sb.audit_events FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND role <> 'sb_platform');
CREATE POLICY manager_reads_own_company ON sb.audit_events FOR SELECT TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id'))
           AND role <> 'sb_platform');
CREATE POLICY platform_reads_own ON sb.audit_events FOR SELECT TO sb_platform USING (role = 'sb_platform');
GRANT SELECT (chain, seq, occurred_at, principal_id, principal_kind, role, reseller_id, customer_id, action, target_id, fields)
    ON sb.audit_events TO sb_platform, sb_reseller, sb_customer;
CREATE INDEX audit_events_by_time ON sb.audit_events (reseller_id, occurred_at, chain, seq);

-- ---------------------------------------------------------------- sub-processors
-- not tenant data: sub_processors (the platform's register of the processors it engages, as DPAs require; no personal data)
CREATE TABLE sb.sub_processors (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    service text NOT NULL CHECK (length(btrim(service)) BETWEEN 1 AND 500),
    location text NOT NULL CHECK (length(btrim(location)) BETWEEN 1 AND 200),
    transfer_basis text NOT NULL CHECK (length(btrim(transfer_basis)) BETWEEN 1 AND 200),
    -- When the platform starts (or started) using it; announced to resellers when recorded.
    engaged_from date NOT NULL,
    announced_at timestamptz NOT NULL DEFAULT now(),
    -- When the platform stops using it; announced in advance like an addition.
    engaged_until date,
    withdrawal_announced_at timestamptz,
    CHECK ((engaged_until IS NULL) = (withdrawal_announced_at IS NULL)),
    CHECK (engaged_until IS NULL OR engaged_until >= engaged_from)
);
GRANT SELECT ON sb.sub_processors TO sb_platform, sb_reseller, sb_customer;
GRANT INSERT, UPDATE (engaged_until, withdrawal_announced_at) ON sb.sub_processors TO sb_platform;

-- ---------------------------------------------------------------- webhooks
-- A reseller's endpoints. The HMAC secret of each is a key in the key store (by subscription
-- id), never in this database; deleting a subscription destroys it.
CREATE TABLE sb.webhook_subscriptions (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    url text NOT NULL CHECK (length(url) <= 2048),
    -- Empty: every event type.
    event_types text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id)
);
ALTER TABLE sb.webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.webhook_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.webhook_subscriptions TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY owner_fans_out ON sb.webhook_subscriptions FOR SELECT TO sb_owner USING (true);
GRANT SELECT, INSERT, DELETE ON sb.webhook_subscriptions TO sb_reseller;

-- The outbox: one row per event and subscription, written in the event's own transaction.
CREATE TABLE sb.webhook_deliveries (
    reseller_id uuid NOT NULL,
    id uuid NOT NULL,
    subscription_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL CHECK (event_type ~ '^[a-z][a-z.-]{1,80}$'),
    -- The exact bytes sent at every attempt (the signature covers them with the attempt's time).
    body text NOT NULL CHECK (length(body) <= 16384),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status integer,
    last_error text CHECK (length(last_error) <= 500),
    delivered_at timestamptz,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES sb.webhook_subscriptions (reseller_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON sb.webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON sb.webhook_deliveries (reseller_id, subscription_id, created_at DESC, id);
ALTER TABLE sb.webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_reads_and_redelivers_own ON sb.webhook_deliveries TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
-- The outbox functions and the delivery job's functions below run as the owner.
CREATE POLICY owner_delivers ON sb.webhook_deliveries TO sb_owner USING (true) WITH CHECK (true);
GRANT SELECT ON sb.webhook_deliveries TO sb_reseller;
-- Redelivery puts a delivery back in the queue; nothing else of it can change.
GRANT UPDATE (state, next_attempt_at) ON sb.webhook_deliveries TO sb_reseller;

-- Writes one delivery per matching subscription of `target`; returns how many.
CREATE FUNCTION sb.enqueue_event(target uuid, kind text, payload jsonb, clock timestamptz)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        event uuid := gen_random_uuid();
        written integer;
    BEGIN
        INSERT INTO sb.webhook_deliveries (reseller_id, id, subscription_id, event_id, event_type, body, next_attempt_at, created_at)
        SELECT s.reseller_id, gen_random_uuid(), s.id, event, kind,
               jsonb_build_object('id', event, 'type', kind, 'createdAt', to_char(clock AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                  'resellerId', target, 'data', payload)::text,
               clock, clock
        FROM sb.webhook_subscriptions s
        WHERE s.reseller_id = target AND (s.event_types = '{}' OR kind = ANY (s.event_types));
        GET DIAGNOSTICS written = ROW_COUNT;
        RETURN written;
    END
    $$;
REVOKE ALL ON FUNCTION sb.enqueue_event(uuid, text, jsonb, timestamptz) FROM PUBLIC;

-- An event of the request's own reseller (a reseller's or a manager's act).
CREATE FUNCTION sb.emit_event(kind text, payload jsonb)
    RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT sb.enqueue_event(sb.setting_uuid('sb.reseller_id'), kind, payload, now()) $$;
REVOKE ALL ON FUNCTION sb.emit_event(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.emit_event(text, jsonb) TO sb_reseller, sb_customer;

-- An event for every reseller (the platform's sub-processor changes).
CREATE FUNCTION sb.broadcast_event(kind text, payload jsonb)
    RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT coalesce(sum(sb.enqueue_event(r.id, kind, payload, now())), 0)::integer FROM sb.resellers r $$;
REVOKE ALL ON FUNCTION sb.broadcast_event(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.broadcast_event(text, jsonb) TO sb_platform;

-- The clock's duty (as sb_retention): announce each open case once when it is due within
-- `window`, as an event to its reseller. Ids and dates only.
CREATE FUNCTION sb.announce_due_requests(clock timestamptz, within interval)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        due record;
        announced integer := 0;
    BEGIN
        FOR due IN
            UPDATE sb.data_subject_requests SET due_soon_announced_at = clock
            WHERE closed_at IS NULL AND due_soon_announced_at IS NULL AND due_at <= clock + within
            RETURNING reseller_id, customer_id, id, data_right, due_at
        LOOP
            PERFORM sb.enqueue_event(due.reseller_id, 'data-subject-request.due-soon',
                jsonb_build_object('requestId', due.id, 'customerId', due.customer_id, 'right', due.data_right,
                                   'dueAt', to_char(due.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                   'overdue', due.due_at <= clock), clock);
            announced := announced + 1;
        END LOOP;
        RETURN announced;
    END
    $$;
REVOKE ALL ON FUNCTION sb.announce_due_requests(timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.announce_due_requests(timestamptz, interval) TO sb_retention;

-- The delivery job (as sb_retention, under its leader lock) takes due deliveries with a lease:
-- a replica that dies mid-send leaves them to be retried when the lease ends. Resellers take turns
-- (each one's oldest due delivery first, then each one's second, ...), so one reseller's backlog
-- or slow endpoints never hold another's events back (found by attack).
CREATE FUNCTION sb.claim_webhook_deliveries(clock timestamptz, lease interval, max_count integer)
    RETURNS TABLE (reseller_id uuid, id uuid, subscription_id uuid, url text, event_type text, body text, attempt integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        UPDATE sb.webhook_deliveries d SET next_attempt_at = clock + lease, attempts = d.attempts + 1
        FROM (SELECT x.reseller_id, x.id
              FROM (SELECT w.reseller_id, w.id, w.next_attempt_at,
                           row_number() OVER (PARTITION BY w.reseller_id ORDER BY w.next_attempt_at, w.id) AS turn
                    FROM sb.webhook_deliveries w
                    WHERE w.state = 'pending' AND w.next_attempt_at <= clock) x
              JOIN sb.webhook_deliveries locked ON locked.reseller_id = x.reseller_id AND locked.id = x.id
              ORDER BY x.turn, x.next_attempt_at LIMIT max_count FOR UPDATE OF locked SKIP LOCKED) due,
             sb.webhook_subscriptions s
        WHERE d.reseller_id = due.reseller_id AND d.id = due.id
          AND s.reseller_id = d.reseller_id AND s.id = d.subscription_id
        RETURNING d.reseller_id, d.id, d.subscription_id, s.url, d.event_type, d.body, d.attempts
    $$;
REVOKE ALL ON FUNCTION sb.claim_webhook_deliveries(timestamptz, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.claim_webhook_deliveries(timestamptz, interval, integer) TO sb_retention;

-- Records an attempt: delivered, or pending again at `retry_at`, or failed for good (retry_at NULL).
CREATE FUNCTION sb.record_webhook_attempt(target_reseller uuid, delivery uuid, clock timestamptz, delivered boolean,
                                          status integer, failure text, retry_at timestamptz)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        UPDATE sb.webhook_deliveries SET
            state = CASE WHEN delivered THEN 'delivered' WHEN retry_at IS NULL THEN 'failed' ELSE 'pending' END,
            last_attempt_at = clock, last_status = status, last_error = left(failure, 500),
            delivered_at = CASE WHEN delivered THEN clock END,
            next_attempt_at = coalesce(retry_at, next_attempt_at)
        WHERE reseller_id = target_reseller AND id = delivery
    $$;
REVOKE ALL ON FUNCTION sb.record_webhook_attempt(uuid, uuid, timestamptz, boolean, integer, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.record_webhook_attempt(uuid, uuid, timestamptz, boolean, integer, text, timestamptz) TO sb_retention;

-- Deliveries are kept for `keep` after their last attempt (the delivery log), then deleted.
CREATE FUNCTION sb.retention_webhook_deliveries(clock timestamptz, keep interval)
    RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        WITH gone AS (DELETE FROM sb.webhook_deliveries
                      WHERE state <> 'pending' AND coalesce(last_attempt_at, created_at) < clock - keep RETURNING 1)
        SELECT count(*) FROM gone
    $$;
REVOKE ALL ON FUNCTION sb.retention_webhook_deliveries(timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.retention_webhook_deliveries(timestamptz, interval) TO sb_retention;

-- The platform's view of cases: counts per reseller, never a name, an employee or a customer.
CREATE FUNCTION sb.data_subject_request_counts(clock timestamptz, within interval)
    RETURNS TABLE (reseller_id uuid, open bigint, overdue bigint, due_soon bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT r.reseller_id, count(*), count(*) FILTER (WHERE r.due_at <= clock),
               count(*) FILTER (WHERE r.due_at > clock AND r.due_at <= clock + within)
        FROM sb.data_subject_requests r WHERE r.closed_at IS NULL
        GROUP BY r.reseller_id ORDER BY r.reseller_id
    $$;
REVOKE ALL ON FUNCTION sb.data_subject_request_counts(timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.data_subject_request_counts(timestamptz, interval) TO sb_platform;

-- GET /v1/receipts/public-key needs no credential: it reads as the bare login role (the readiness
-- scope), which may read the public keys and nothing else in this schema.
GRANT USAGE ON SCHEMA sb TO sb_app;
GRANT SELECT ON sb.receipt_signing_keys TO sb_app;
