-- Credential life cycle (issue 11, point 9): recovering a reseller that lost every key, sessions
-- that end for good when their reseller is suspended, and login throttling per client address and
-- per account instead of a lock-out anyone could trigger by knowing an e-mail.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- reseller key recovery
-- The platform may mint a reseller key only while that reseller has no live key: at onboarding
-- (no key at all) or to recover a reseller that revoked or lost all of them. While a live key
-- exists, a platform-minted key would be standing access to processor-scope data.
CREATE FUNCTION sb.reseller_has_active_key(reseller uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$ SELECT EXISTS (SELECT 1 FROM sb.reseller_api_keys WHERE reseller_id = reseller AND revoked_at IS NULL) $$;
REVOKE ALL ON FUNCTION sb.reseller_has_active_key(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.reseller_has_active_key(uuid) TO sb_platform;

DROP POLICY platform_issues_onboarding_key ON sb.reseller_api_keys;
CREATE POLICY platform_issues_key_only_without_live_one ON sb.reseller_api_keys FOR INSERT TO sb_platform
    WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL AND NOT sb.reseller_has_active_key(reseller_id));

-- Runs with the inserting role's rights. For the platform it serialises on the reseller's row (two
-- recoveries cannot both see "no live key") and writes a recovery into the reseller's own audit
-- chain and into the platform's, so no platform-minted key after the first is ever unrecorded,
-- whichever code path (or raw SQL) inserted it.
CREATE FUNCTION sb.platform_key_issue_guard() RETURNS trigger
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
            INSERT INTO sb.audit_events (principal_id, principal_kind, role, reseller_id, action, target_id, fields)
            VALUES (principal, 'api_key', 'sb_platform', NEW.reseller_id, 'api_key.recover', NEW.id, '{name}'),
                   (principal, 'api_key', 'sb_platform', NULL, 'api_key.recover', NEW.id, '{name}');
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER platform_key_issue_guard BEFORE INSERT ON sb.reseller_api_keys
    FOR EACH ROW EXECUTE FUNCTION sb.platform_key_issue_guard();

-- ---------------------------------------------------------------- suspension ends sessions
-- Suspending a reseller revokes every manager session of its customers in the suspending
-- transaction, so reactivation brings back the reseller's API keys (they belong to the tenant and
-- are revoked only by their owner) but never a session opened before the suspension.
CREATE POLICY owner_reads_sessions ON sb.sessions FOR SELECT TO sb_owner USING (true);
CREATE POLICY owner_ends_sessions ON sb.sessions FOR UPDATE TO sb_owner USING (true) WITH CHECK (revoked_at IS NOT NULL);

CREATE FUNCTION sb.end_sessions_of_suspended_reseller() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        UPDATE sb.sessions SET revoked_at = now() WHERE reseller_id = NEW.id AND revoked_at IS NULL;
        RETURN NULL;
    END
    $$;
REVOKE ALL ON FUNCTION sb.end_sessions_of_suspended_reseller() FROM PUBLIC;
CREATE TRIGGER end_sessions_on_suspension AFTER UPDATE OF status ON sb.resellers
    FOR EACH ROW WHEN (NEW.status = 'suspended' AND OLD.status IS DISTINCT FROM 'suspended')
    EXECUTE FUNCTION sb.end_sessions_of_suspended_reseller();

-- ---------------------------------------------------------------- login throttling
-- The per-manager lock-out (5 failures → 15 minutes for everyone) is replaced by the two counters
-- below; its columns go so nothing reads a rule that no longer applies.
ALTER TABLE sb.managers DROP COLUMN failed_logins, DROP COLUMN locked_until;
DROP POLICY authenticator_counts_failures ON sb.managers;

-- not tenant data: login_throttle (failed-login counters per client address and per SHA-256 of a login e-mail, known or not, kept before any tenant is known; reached only through the functions below, no application role holds a grant on it)
CREATE TABLE sb.login_throttle (
    key text PRIMARY KEY CHECK (key ~ '^(source|account):'),
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz
);
CREATE INDEX login_throttle_stale ON sb.login_throttle (last_failure_at);

-- not tenant data: login_known_sources (SHA-256 of a login e-mail with a client address it logged in from successfully, kept 90 days so a stranger's failures cannot hold the account's owner out; reached only through the functions below, no application role holds a grant on it)
CREATE TABLE sb.login_known_sources (
    key text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
    last_success_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_known_sources_stale ON sb.login_known_sources (last_success_at);

-- Claims one login attempt for `source` (the client address) and `email` before the password is
-- checked: returns the seconds to wait when either is in its backoff window (nothing is counted
-- then), else 0 after counting the attempt as a failure of both (``forgive_login`` takes it back
-- when the password matches). Each counter has `free` failures, then every further one blocks it
-- for base × 2^(failures − free) seconds, at most `cap`; failures older than `forget` seconds
-- (outside a block) are forgotten. Unknown e-mails are counted the same way, so the answers cannot
-- tell them apart. Both rows are locked in key order, so parallel guesses cannot outrun the count.
CREATE FUNCTION sb.claim_login_attempt(
    source text, email text,
    source_free integer, source_base integer, source_cap integer,
    account_free integer, account_base integer, account_cap integer,
    forget integer
) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    DECLARE
        keys text[] := ARRAY['account:' || encode(sha256(convert_to(lower(email), 'UTF8')), 'hex'), 'source:' || source];
        wait_until timestamptz;
        -- An address this account logged in from before is not held by the account's window (only by
        -- its own): strangers failing from elsewhere cannot keep the owner out.
        known boolean := EXISTS (
            SELECT 1 FROM sb.login_known_sources
            WHERE key = encode(sha256(convert_to(lower(email) || ' ' || source, 'UTF8')), 'hex')
              AND last_success_at > now() - interval '90 days');
    BEGIN
        -- Forgotten counters of other clients go a few at a time, so the table stays small without a job.
        DELETE FROM sb.login_throttle WHERE key IN (
            SELECT key FROM sb.login_throttle
            WHERE last_failure_at < now() - make_interval(secs => forget) AND (blocked_until IS NULL OR blocked_until < now())
            ORDER BY last_failure_at LIMIT 20 FOR UPDATE SKIP LOCKED);
        INSERT INTO sb.login_throttle (key) SELECT k FROM unnest(keys) k ORDER BY k ON CONFLICT (key) DO NOTHING;
        PERFORM 1 FROM sb.login_throttle WHERE key = ANY (keys) ORDER BY key FOR UPDATE;
        UPDATE sb.login_throttle SET failures = 0, blocked_until = NULL
        WHERE key = ANY (keys) AND last_failure_at < now() - make_interval(secs => forget)
          AND (blocked_until IS NULL OR blocked_until < now());
        SELECT max(blocked_until) INTO wait_until FROM sb.login_throttle
        WHERE key = ANY (keys) AND blocked_until > clock_timestamp() AND NOT (known AND key LIKE 'account:%');
        IF wait_until IS NOT NULL THEN
            RETURN greatest(1, ceil(extract(epoch FROM wait_until - clock_timestamp())))::integer;
        END IF;
        UPDATE sb.login_throttle t SET
            failures = t.failures + 1,
            last_failure_at = now(),
            blocked_until = CASE
                WHEN t.failures + 1 < rule.free THEN NULL
                ELSE clock_timestamp() + make_interval(secs => least(rule.cap, rule.base * power(2, least(t.failures + 1 - rule.free, 30))))
            END
        FROM (VALUES ('source', source_free, source_base, source_cap), ('account', account_free, account_base, account_cap))
            AS rule (kind, free, base, cap)
        WHERE t.key = ANY (keys) AND split_part(t.key, ':', 1) = rule.kind;
        RETURN 0;
    END
    $$;
REVOKE ALL ON FUNCTION sb.claim_login_attempt(text, text, integer, integer, integer, integer, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.claim_login_attempt(text, text, integer, integer, integer, integer, integer, integer, integer) TO sb_authenticator;

-- The password matched: the claimed attempt was no failure. The account starts afresh; the source
-- only loses the one failure it was charged and keeps any waiting period that is running (a
-- parallel guess may have started it), so logging into one's own account cannot wash away
-- guesses against others.
CREATE FUNCTION sb.forgive_login(source text, email text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        DELETE FROM sb.login_throttle WHERE key = 'account:' || encode(sha256(convert_to(lower(email), 'UTF8')), 'hex');
        UPDATE sb.login_throttle SET failures = greatest(failures - 1, 0) WHERE key = 'source:' || source;
        INSERT INTO sb.login_known_sources (key) VALUES (encode(sha256(convert_to(lower(email) || ' ' || source, 'UTF8')), 'hex'))
            ON CONFLICT (key) DO UPDATE SET last_success_at = now();
        DELETE FROM sb.login_known_sources WHERE key IN (
            SELECT key FROM sb.login_known_sources WHERE last_success_at < now() - interval '90 days'
            ORDER BY last_success_at LIMIT 20 FOR UPDATE SKIP LOCKED);
    $$;
REVOKE ALL ON FUNCTION sb.forgive_login(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.forgive_login(text, text) TO sb_authenticator;
