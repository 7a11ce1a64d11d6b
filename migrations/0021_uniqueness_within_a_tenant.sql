-- Every unique index of a tenant table includes reseller_id (issue 18, DESIGN §12): a distributed
-- table on Citus can enforce uniqueness only within a shard, so an index without the tenant
-- column cannot exist there. What must be unique across the platform is kept in small registries
-- keyed by the value alone, which Citus replicates to every node as reference tables:
--   number_registry, sim_registry  which reseller holds a number or SIM card (the platform's
--                                  allocation record; written when it allocates and reclaims)
--   hostname_registry              which reseller's brand claims a portal hostname (written with
--                                  the brand); it also routes a portal request to its reseller.
-- Each stock row and brand hostname references its registry entry by (value, reseller_id), so a
-- value can be stocked only by the reseller the registry names, and by one reseller at a time.
--
-- The secret hashes of keys and sessions carry 256 random bits: they are unique by construction.
-- Their constraints become (reseller_id, hash), with a plain index on the hash for the lookup.
-- Numbers, SIM cards and fax numbers held by people are unique per reseller: each comes from the
-- reseller's stock, which the registries make unique platform-wide.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- credentials
ALTER TABLE sb.reseller_api_keys DROP CONSTRAINT reseller_api_keys_secret_hash_key,
    ADD CONSTRAINT reseller_api_keys_secret_hash_key UNIQUE (reseller_id, secret_hash);
CREATE INDEX reseller_api_keys_by_secret_hash ON sb.reseller_api_keys (secret_hash);

ALTER TABLE sb.sessions DROP CONSTRAINT sessions_token_hash_key,
    ADD CONSTRAINT sessions_token_hash_key UNIQUE (reseller_id, token_hash);
CREATE INDEX sessions_by_token_hash ON sb.sessions (token_hash);

-- ---------------------------------------------------------------- what people hold
DROP INDEX sb.number_assignments_active_number;
CREATE UNIQUE INDEX number_assignments_active_number ON sb.number_assignments (reseller_id, number) WHERE released_at IS NULL;

DROP INDEX sb.sim_cards_active_iccid;
CREATE UNIQUE INDEX sim_cards_active_iccid ON sb.sim_cards (reseller_id, iccid) WHERE released_at IS NULL;
CREATE INDEX sim_cards_by_iccid ON sb.sim_cards (iccid);

DROP INDEX sb.fax_to_mail_number;
CREATE UNIQUE INDEX fax_to_mail_number ON sb.fax_to_mail (reseller_id, fax_number);
CREATE INDEX fax_to_mail_by_number ON sb.fax_to_mail (fax_number);

-- ---------------------------------------------------------------- registries
CREATE TABLE sb.number_registry (
    number text PRIMARY KEY,
    reseller_id uuid NOT NULL,
    UNIQUE (number, reseller_id)
);
CREATE TABLE sb.sim_registry (
    iccid text PRIMARY KEY,
    reseller_id uuid NOT NULL,
    UNIQUE (iccid, reseller_id)
);
CREATE TABLE sb.hostname_registry (
    hostname text PRIMARY KEY,
    reseller_id uuid NOT NULL,
    UNIQUE (hostname, reseller_id)
);
INSERT INTO sb.number_registry (number, reseller_id) SELECT number, reseller_id FROM sb.stock_numbers;
INSERT INTO sb.sim_registry (iccid, reseller_id) SELECT iccid, reseller_id FROM sb.stock_sims;
INSERT INTO sb.hostname_registry (hostname, reseller_id) SELECT hostname, reseller_id FROM sb.brand_hostnames;

DROP INDEX sb.stock_numbers_number;
ALTER TABLE sb.stock_numbers ADD CONSTRAINT stock_numbers_registered
    FOREIGN KEY (number, reseller_id) REFERENCES sb.number_registry (number, reseller_id);
DROP INDEX sb.stock_sims_iccid;
ALTER TABLE sb.stock_sims ADD CONSTRAINT stock_sims_registered
    FOREIGN KEY (iccid, reseller_id) REFERENCES sb.sim_registry (iccid, reseller_id);
DROP INDEX sb.brand_hostnames_hostname;
ALTER TABLE sb.brand_hostnames ADD CONSTRAINT brand_hostnames_registered
    FOREIGN KEY (hostname, reseller_id) REFERENCES sb.hostname_registry (hostname, reseller_id);

-- The platform allocates and reclaims stock; no tenant role reads who holds other values.
ALTER TABLE sb.number_registry ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.number_registry FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_allocates ON sb.number_registry TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL)
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL);
GRANT SELECT, INSERT, DELETE ON sb.number_registry TO sb_platform;

ALTER TABLE sb.sim_registry ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.sim_registry FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_allocates ON sb.sim_registry TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL)
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL);
GRANT SELECT, INSERT, DELETE ON sb.sim_registry TO sb_platform;

-- A reseller claims and releases its own brand's hostnames; a claim another reseller holds fails
-- on the primary key (a 409, as before). The portal's owner-rights lookup reads them all.
ALTER TABLE sb.hostname_registry ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.hostname_registry FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_claims_own ON sb.hostname_registry TO sb_reseller
    USING (reseller_id = sb.setting_uuid('sb.reseller_id'))
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id'));
CREATE POLICY platform_reads ON sb.hostname_registry FOR SELECT TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY owner_resolves_host ON sb.hostname_registry FOR SELECT TO sb_owner USING (true);
GRANT SELECT, INSERT, DELETE ON sb.hostname_registry TO sb_reseller;
GRANT SELECT ON sb.hostname_registry TO sb_platform;
