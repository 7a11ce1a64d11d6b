-- Numbers and SIMs as the platform's inventory (DESIGN §7).
--
-- The platform allocates number blocks and SIM batches to a reseller; the reseller and its
-- customers' managers assign only from that stock. A stock row says which reseller holds a value,
-- its state and (while assigned) which customer: never which person. The person is linked by the
-- processor-scope tables (number_assignments, sim_cards, fax_to_mail), and that link is cut when
-- the person is anonymised, while the history keeps reseller, customer and period so CDRs are
-- still attributed under the logging duty.
--
-- A value outside the caller's stock is invisible to it: the policies filter other resellers'
-- rows, and the server looks values up by (reseller_id, value), so an unknown value and another
-- reseller's take the same path and get the same answer.

SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- allocation records
CREATE TABLE sb.number_blocks (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    -- The first number of a contiguous block; NULL for an explicit list.
    first_number text CHECK (first_number ~ '^\+[1-9][0-9]{6,14}$'),
    count integer NOT NULL CHECK (count >= 1),
    allocated_by uuid NOT NULL,
    allocated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id)
);

CREATE TABLE sb.sim_batches (
    reseller_id uuid NOT NULL REFERENCES sb.resellers (id),
    id uuid NOT NULL,
    count integer NOT NULL CHECK (count >= 1),
    allocated_by uuid NOT NULL,
    allocated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id)
);

-- ---------------------------------------------------------------- stock
CREATE TABLE sb.stock_numbers (
    reseller_id uuid NOT NULL,
    number text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    block_id uuid NOT NULL,
    state text NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'assigned', 'quarantined')),
    -- What an assigned number is used for: an employee's phone number or a fax-to-mail route.
    use text CHECK (use IN ('voice', 'fax')),
    -- The customer holding an assigned number. A quarantined number belongs to no customer: after
    -- quarantine any of the reseller's customers may get it.
    customer_id uuid,
    -- A quarantined number becomes available again at this instant (evaluated when read, so no
    -- job has to flip it).
    quarantined_until timestamptz,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, number),
    FOREIGN KEY (reseller_id, block_id) REFERENCES sb.number_blocks (reseller_id, id),
    CHECK ((state = 'assigned') = (use IS NOT NULL)),
    CHECK ((state = 'assigned') = (customer_id IS NOT NULL)),
    CHECK ((state = 'quarantined') = (quarantined_until IS NOT NULL))
);
-- The platform allocates a number to one reseller at a time.
CREATE UNIQUE INDEX stock_numbers_number ON sb.stock_numbers (number);
CREATE INDEX stock_numbers_by_block ON sb.stock_numbers (reseller_id, block_id);
CREATE INDEX stock_numbers_by_state ON sb.stock_numbers (reseller_id, state, number);

CREATE TABLE sb.stock_sims (
    reseller_id uuid NOT NULL,
    iccid text NOT NULL CHECK (iccid ~ '^[0-9]{19,20}$'),
    batch_id uuid NOT NULL,
    -- Lost and stolen SIMs are never assigned again.
    state text NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'assigned', 'lost', 'stolen')),
    -- The customer holding (or having lost) the SIM.
    customer_id uuid,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, iccid),
    FOREIGN KEY (reseller_id, batch_id) REFERENCES sb.sim_batches (reseller_id, id),
    CHECK ((state = 'available') = (customer_id IS NULL))
);
CREATE UNIQUE INDEX stock_sims_iccid ON sb.stock_sims (iccid);
CREATE INDEX stock_sims_by_batch ON sb.stock_sims (reseller_id, batch_id);
CREATE INDEX stock_sims_by_state ON sb.stock_sims (reseller_id, state, iccid);

-- The platform allocates, lists and reclaims; it reads states and customers, never persons.
-- A reseller reads and changes the state of its own stock; a manager sees the reseller's
-- unassigned numbers and SIMs (to assign them) and its own company's, nothing of other customers.
ALTER TABLE sb.number_blocks ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.number_blocks FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_allocates ON sb.number_blocks TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL) WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_reads_own ON sb.number_blocks FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
GRANT SELECT, INSERT ON sb.number_blocks TO sb_platform;
GRANT SELECT ON sb.number_blocks TO sb_reseller;

ALTER TABLE sb.sim_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.sim_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_allocates ON sb.sim_batches TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL) WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_reads_own ON sb.sim_batches FOR SELECT TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
GRANT SELECT, INSERT ON sb.sim_batches TO sb_platform;
GRANT SELECT ON sb.sim_batches TO sb_reseller;

ALTER TABLE sb.stock_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.stock_numbers FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_allocates ON sb.stock_numbers TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL) WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_manages_own ON sb.stock_numbers TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_uses_unassigned_and_own ON sb.stock_numbers TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
           AND (customer_id IS NULL OR customer_id = (SELECT sb.setting_uuid('sb.customer_id'))))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
                AND (customer_id IS NULL OR customer_id = (SELECT sb.setting_uuid('sb.customer_id'))));
-- Reclaiming gives unassigned stock back to the platform (the row goes; history stays elsewhere).
GRANT SELECT, INSERT, DELETE ON sb.stock_numbers TO sb_platform;
GRANT SELECT, UPDATE (state, use, customer_id, quarantined_until, changed_at) ON sb.stock_numbers TO sb_reseller, sb_customer;

ALTER TABLE sb.stock_sims ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.stock_sims FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_allocates ON sb.stock_sims TO sb_platform
    USING ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL) WITH CHECK ((SELECT sb.setting_uuid('sb.principal_id')) IS NOT NULL);
CREATE POLICY reseller_manages_own ON sb.stock_sims TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_uses_unassigned_and_own ON sb.stock_sims TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
           AND (customer_id IS NULL OR customer_id = (SELECT sb.setting_uuid('sb.customer_id'))))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id'))
                AND (customer_id IS NULL OR customer_id = (SELECT sb.setting_uuid('sb.customer_id'))));
GRANT SELECT, INSERT, DELETE ON sb.stock_sims TO sb_platform;
GRANT SELECT, UPDATE (state, customer_id, changed_at) ON sb.stock_sims TO sb_reseller, sb_customer;

-- ---------------------------------------------------------------- history outlives the person
-- Assignment history keeps attributing CDRs after the person is anonymised or deleted: the
-- person's id is cleared, reseller, customer, value and period stay.
ALTER TABLE sb.number_assignments ALTER COLUMN employee_id DROP NOT NULL;
ALTER TABLE sb.number_assignments DROP CONSTRAINT number_assignments_reseller_id_employee_id_fkey;
ALTER TABLE sb.number_assignments ADD CONSTRAINT number_assignments_employee_fkey
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE SET NULL (employee_id);
ALTER TABLE sb.number_assignments ADD CONSTRAINT number_assignments_active_has_holder
    CHECK (released_at IS NOT NULL OR employee_id IS NOT NULL);

ALTER TABLE sb.sim_cards ALTER COLUMN employee_id DROP NOT NULL;
ALTER TABLE sb.sim_cards DROP CONSTRAINT sim_cards_reseller_id_employee_id_fkey;
ALTER TABLE sb.sim_cards ADD CONSTRAINT sim_cards_employee_fkey
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE SET NULL (employee_id);
ALTER TABLE sb.sim_cards ADD CONSTRAINT sim_cards_active_has_holder
    CHECK (released_at IS NOT NULL OR employee_id IS NOT NULL);

-- ---------------------------------------------------------------- scheduled anonymisation
-- A leaver may be anonymised on a later date; the scheduled job carries it out, and the reseller
-- or the company's manager can cancel it until then.
CREATE TABLE sb.scheduled_anonymisations (
    reseller_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    due_on date NOT NULL,
    scheduled_by uuid NOT NULL,
    scheduled_by_role text NOT NULL,
    scheduled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, employee_id),
    FOREIGN KEY (reseller_id, employee_id) REFERENCES sb.employees (reseller_id, id) ON DELETE CASCADE
);
CREATE INDEX scheduled_anonymisations_due ON sb.scheduled_anonymisations (due_on);
ALTER TABLE sb.scheduled_anonymisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE sb.scheduled_anonymisations FORCE ROW LEVEL SECURITY;
CREATE POLICY reseller_manages_own ON sb.scheduled_anonymisations TO sb_reseller
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')));
CREATE POLICY manager_manages_own_company ON sb.scheduled_anonymisations TO sb_customer
    USING (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')))
    WITH CHECK (reseller_id = (SELECT sb.setting_uuid('sb.reseller_id')) AND customer_id = (SELECT sb.setting_uuid('sb.customer_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON sb.scheduled_anonymisations TO sb_reseller, sb_customer;

-- The job (as sb_retention, which can read no table) learns which anonymisations are due and in
-- whose tenant, then carries each out in that reseller's scope.
CREATE POLICY owner_finds_due ON sb.scheduled_anonymisations FOR SELECT TO sb_owner USING (true);
CREATE FUNCTION sb.due_anonymisations(clock timestamptz, max_rows integer)
    RETURNS TABLE (reseller_id uuid, customer_id uuid, employee_id uuid, due_on date)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
        SELECT s.reseller_id, s.customer_id, s.employee_id, s.due_on FROM sb.scheduled_anonymisations s
        WHERE s.due_on <= (clock AT TIME ZONE 'UTC')::date
        ORDER BY s.due_on, s.reseller_id, s.employee_id
        LIMIT max_rows
    $$;
REVOKE ALL ON FUNCTION sb.due_anonymisations(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.due_anonymisations(timestamptz, integer) TO sb_retention;

-- ---------------------------------------------------------------- what existed before
-- Numbers, SIMs and fax numbers already in use become their reseller's stock, in one allocation
-- record per reseller; released numbers nobody holds stay quarantined for 90 days from release.
-- The migration runs as sb_owner, which these policies let through for this transaction only.
CREATE POLICY owner_migrates ON sb.number_blocks FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_migrates ON sb.sim_batches FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_migrates ON sb.stock_numbers FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_migrates ON sb.stock_sims FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_migrates ON sb.number_assignments FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_migrates ON sb.sim_cards FOR ALL TO sb_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_migrates ON sb.fax_to_mail FOR SELECT TO sb_owner USING (true);
CREATE POLICY owner_migrates ON sb.employees FOR SELECT TO sb_owner USING (true);

CREATE TEMPORARY TABLE legacy_numbers ON COMMIT DROP AS
SELECT DISTINCT ON (number) reseller_id, number, state, use, customer_id, quarantined_until
FROM (
    SELECT n.reseller_id, n.number, 'assigned' AS state, 'voice' AS use, n.customer_id, NULL::timestamptz AS quarantined_until, 0 AS rank, n.assigned_at AS at
    FROM sb.number_assignments n WHERE n.released_at IS NULL
    UNION ALL
    SELECT f.reseller_id, f.fax_number, 'assigned', 'fax', f.customer_id, NULL, 0, f.created_at FROM sb.fax_to_mail f
    UNION ALL
    SELECT n.reseller_id, n.number,
           CASE WHEN n.released_at + interval '90 days' > now() THEN 'quarantined' ELSE 'available' END,
           NULL, NULL, CASE WHEN n.released_at + interval '90 days' > now() THEN n.released_at + interval '90 days' END, 1, n.released_at
    FROM sb.number_assignments n WHERE n.released_at IS NOT NULL
) candidates
ORDER BY number, rank, at DESC;

CREATE TEMPORARY TABLE legacy_sims ON COMMIT DROP AS
SELECT DISTINCT ON (iccid) reseller_id, iccid, state, customer_id
FROM (
    SELECT s.reseller_id, s.iccid, 'assigned' AS state, s.customer_id, 0 AS rank, s.assigned_at AS at
    FROM sb.sim_cards s WHERE s.released_at IS NULL
    UNION ALL
    SELECT s.reseller_id, s.iccid, 'available', NULL, 1, s.released_at FROM sb.sim_cards s WHERE s.released_at IS NOT NULL
) candidates
ORDER BY iccid, rank, at DESC;

CREATE TEMPORARY TABLE legacy_blocks ON COMMIT DROP AS
SELECT reseller_id, gen_random_uuid() AS id, count(*)::integer AS count FROM legacy_numbers GROUP BY reseller_id;
INSERT INTO sb.number_blocks (reseller_id, id, first_number, count, allocated_by)
SELECT reseller_id, id, NULL, count, '00000000-0000-0000-0000-000000000000' FROM legacy_blocks;
INSERT INTO sb.stock_numbers (reseller_id, number, block_id, state, use, customer_id, quarantined_until)
SELECT l.reseller_id, l.number, b.id, l.state, l.use, l.customer_id, l.quarantined_until
FROM legacy_numbers l JOIN legacy_blocks b USING (reseller_id);

CREATE TEMPORARY TABLE legacy_batches ON COMMIT DROP AS
SELECT reseller_id, gen_random_uuid() AS id, count(*)::integer AS count FROM legacy_sims GROUP BY reseller_id;
INSERT INTO sb.sim_batches (reseller_id, id, count, allocated_by)
SELECT reseller_id, id, count, '00000000-0000-0000-0000-000000000000' FROM legacy_batches;
INSERT INTO sb.stock_sims (reseller_id, iccid, batch_id, state, customer_id)
SELECT l.reseller_id, l.iccid, b.id, l.state, l.customer_id FROM legacy_sims l JOIN legacy_batches b USING (reseller_id);

-- People anonymised before this migration lose their link to the history now.
UPDATE sb.number_assignments n SET employee_id = NULL
FROM sb.employees e WHERE e.reseller_id = n.reseller_id AND e.id = n.employee_id AND e.anonymised_at IS NOT NULL;
UPDATE sb.sim_cards s SET employee_id = NULL
FROM sb.employees e WHERE e.reseller_id = s.reseller_id AND e.id = s.employee_id AND e.anonymised_at IS NOT NULL;

DROP POLICY owner_migrates ON sb.number_blocks;
DROP POLICY owner_migrates ON sb.sim_batches;
DROP POLICY owner_migrates ON sb.stock_numbers;
DROP POLICY owner_migrates ON sb.stock_sims;
DROP POLICY owner_migrates ON sb.number_assignments;
DROP POLICY owner_migrates ON sb.sim_cards;
DROP POLICY owner_migrates ON sb.fax_to_mail;
DROP POLICY owner_migrates ON sb.employees;
