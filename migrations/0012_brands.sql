-- White-label brands and the hostnames a reseller's portal is served on (DESIGN §8).
--
-- A brand is the reseller's (controller scope): its name, colours, logo and support contacts,
-- shown to its customers' managers instead of anything of the platform's. The portal picks the
-- brand from the request's Host header, and only a hostname the reseller has proven it controls
-- (a DNS TXT record, or the platform's check by hand) selects one.

SET LOCAL ROLE sb_owner;

CREATE TABLE sb.brands (
    reseller_id uuid PRIMARY KEY REFERENCES sb.resellers (id),
    display_name text NOT NULL CHECK (sb.valid_text(display_name, 100)),
    primary_color text NOT NULL CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
    accent_color text NOT NULL CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
    support_email text CHECK (sb.valid_text(support_email, 254)),
    support_phone text CHECK (support_phone ~ '^\+[1-9][0-9]{6,14}$'),
    support_url text CHECK (support_url ~ '^https?://' AND sb.valid_text(support_url, 500)),
    default_language text NOT NULL CHECK (default_language IN ('da', 'en')),
    -- Validated and stripped of metadata by the server (PNG or JPEG only, never SVG).
    logo bytea CHECK (octet_length(logo) <= 262144),
    logo_media_type text CHECK (logo_media_type IN ('image/png', 'image/jpeg')),
    logo_width integer,
    logo_height integer,
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((logo IS NULL) = (logo_media_type IS NULL))
);

CREATE TABLE sb.brand_hostnames (
    reseller_id uuid NOT NULL REFERENCES sb.brands (reseller_id),
    -- Lower case, no port, no trailing dot: what the server compares the Host header with.
    hostname text NOT NULL CHECK (length(hostname) <= 253
        AND hostname ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'),
    -- Published by the reseller as a DNS TXT record to prove it controls the hostname.
    verification_token text NOT NULL CHECK (verification_token ~ '^[A-Za-z0-9_-]{32,64}$'),
    added_at timestamptz NOT NULL DEFAULT now(),
    verified_at timestamptz,
    verified_by uuid,
    verified_how text CHECK (verified_how IN ('dns', 'platform')),
    PRIMARY KEY (reseller_id, hostname),
    CHECK ((verified_at IS NULL) = (verified_how IS NULL) AND (verified_at IS NULL) = (verified_by IS NULL))
);
-- One reseller per hostname, platform-wide, verified or not: a second claim is refused at once.
CREATE UNIQUE INDEX brand_hostnames_hostname ON sb.brand_hostnames (hostname);

-- The reseller maintains its own brand and hostnames but cannot mark a hostname verified: that
-- is the platform's act (the DNS check runs in the platform's scope, or staff verify by hand).
-- Platform staff read every brand for support and change none of it.
ALTER TABLE sb.brands ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.brands FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.brands TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY platform_reads ON sb.brands FOR SELECT TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
GRANT SELECT, INSERT, UPDATE ON sb.brands TO sb_reseller;
GRANT SELECT ON sb.brands TO sb_platform;

ALTER TABLE sb.brand_hostnames ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.brand_hostnames FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.brand_hostnames TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND verified_at IS NULL);
CREATE POLICY platform_reads ON sb.brand_hostnames FOR SELECT TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY platform_verifies ON sb.brand_hostnames FOR UPDATE TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL)
    WITH CHECK (verified_by = (SELECT sb.setting_uuid('sb.principal_id')));
GRANT SELECT, INSERT, DELETE ON sb.brand_hostnames TO sb_reseller;
GRANT SELECT, UPDATE (verified_at, verified_by, verified_how) ON sb.brand_hostnames TO sb_platform;

-- The portal learns the brand of a request's Host before anyone has signed in (as
-- sb_authenticator) and again in each manager's transaction (as sb_customer, to check that the
-- session belongs to that brand's reseller). Only verified hostnames answer, and only what any
-- visitor of the portal sees anyway; the logo's bytes come separately, when asked for.
CREATE POLICY owner_resolves_host ON sb.brands FOR SELECT TO sb_owner USING (true);
CREATE POLICY owner_resolves_host ON sb.brand_hostnames FOR SELECT TO sb_owner USING (true);
CREATE POLICY owner_resolves_host ON sb.resellers FOR SELECT TO sb_owner USING (true);
CREATE FUNCTION sb.portal_brand(host text)
    RETURNS TABLE (reseller_id uuid, display_name text, primary_color text, accent_color text, support_email text,
                   support_phone text, support_url text, default_language text, logo_media_type text, version integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT b.reseller_id, b.display_name, b.primary_color, b.accent_color, b.support_email, b.support_phone,
               b.support_url, b.default_language, b.logo_media_type, b.version
        FROM sb.brand_hostnames h JOIN sb.brands b ON b.reseller_id = h.reseller_id
        JOIN sb.resellers r ON r.id = b.reseller_id
        WHERE h.hostname = host AND h.verified_at IS NOT NULL AND r.status = 'active'
    $$;
CREATE FUNCTION sb.portal_logo(host text)
    RETURNS TABLE (logo bytea, logo_media_type text, version integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT b.logo, b.logo_media_type, b.version
        FROM sb.brand_hostnames h JOIN sb.brands b ON b.reseller_id = h.reseller_id
        JOIN sb.resellers r ON r.id = b.reseller_id
        WHERE h.hostname = host AND h.verified_at IS NOT NULL AND r.status = 'active' AND b.logo IS NOT NULL
    $$;
REVOKE ALL ON FUNCTION sb.portal_brand(text), sb.portal_logo(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.portal_brand(text), sb.portal_logo(text) TO sb_authenticator, sb_customer;
