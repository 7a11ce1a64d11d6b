-- Lawful disclosure under four-eyes review (issue 17, DESIGN §11): a legal reviewer records an
-- authority's request, a different one approves or refuses it, and only an approved request
-- yields its export, once, within a limited time. In schema `platform`, which no tenant role may
-- even name: resellers and managers can never learn that a disclosure happened.
SET LOCAL ROLE sb_owner;

-- not tenant data: disclosure_requests (the platform's own record of authorities' requests under the logging duty; only sb_platform may use the schema)
CREATE TABLE platform.disclosure_requests (
    id uuid PRIMARY KEY,
    authority text NOT NULL CHECK (length(btrim(authority)) BETWEEN 1 AND 200),
    -- ETSI TS 102 657 names a request by its country, authority and request number.
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    case_reference text NOT NULL CHECK (length(btrim(case_reference)) BETWEEN 1 AND 200),
    legal_basis text NOT NULL CHECK (length(btrim(legal_basis)) BETWEEN 1 AND 1000),
    numbers text[] NOT NULL DEFAULT '{}',
    iccids text[] NOT NULL DEFAULT '{}',
    ips inet[] NOT NULL DEFAULT '{}',
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    recorded_by uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused', 'exported')),
    reviewed_by uuid,
    reviewed_at timestamptz,
    review_reason text CHECK (length(btrim(review_reason)) BETWEEN 1 AND 1000),
    -- Set on approval: the export may be fetched once, until then.
    download_until timestamptz,
    exported_at timestamptz,
    exported_by uuid,
    export_records integer,
    export_sha256 text CHECK (export_sha256 ~ '^[0-9a-f]{64}$'),
    CHECK (period_end > period_start),
    CHECK (cardinality(numbers) + cardinality(iccids) + cardinality(ips) BETWEEN 1 AND 100),
    -- Four eyes: whoever recorded the request can never be the one who reviews it.
    CHECK (reviewed_by IS NULL OR reviewed_by <> recorded_by),
    CHECK ((state = 'pending') = (reviewed_by IS NULL)),
    CHECK ((state = 'exported') = (exported_at IS NOT NULL))
);
CREATE INDEX disclosure_requests_by_time ON platform.disclosure_requests (recorded_at DESC, id);
GRANT SELECT, INSERT (id, authority, country, case_reference, legal_basis, numbers, iccids, ips, period_start, period_end, recorded_by),
      UPDATE (state, reviewed_by, reviewed_at, review_reason, download_until, exported_at, exported_by, export_records, export_sha256)
    ON platform.disclosure_requests TO sb_platform;

-- Each step is written under the acting principal's own id, and only forwards: pending →
-- approved or refused, approved → exported. The request itself is never changed (no grant).
CREATE FUNCTION platform.disclosure_steps_are_honest() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    DECLARE
        actor uuid := sb.setting_uuid('sb.principal_id');
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.recorded_by IS DISTINCT FROM actor OR NEW.state <> 'pending' THEN
                RAISE EXCEPTION 'a disclosure request is recorded, pending, under its author''s own id' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END IF;
        IF NOT ((OLD.state = 'pending' AND NEW.state IN ('approved', 'refused') AND NEW.reviewed_by = actor)
                OR (OLD.state = 'approved' AND NEW.state = 'exported' AND NEW.exported_by = actor
                    AND NEW.reviewed_by = OLD.reviewed_by AND NEW.download_until = OLD.download_until)) THEN
            RAISE EXCEPTION 'a disclosure request moves only forwards, each step under its actor''s own id' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$;
REVOKE ALL ON FUNCTION platform.disclosure_steps_are_honest() FROM PUBLIC;
CREATE TRIGGER disclosure_steps_are_honest BEFORE INSERT OR UPDATE ON platform.disclosure_requests
    FOR EACH ROW EXECUTE FUNCTION platform.disclosure_steps_are_honest();
