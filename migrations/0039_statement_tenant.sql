-- How a statement run in a tenant's scope names its tenant (issue 18): `reseller_id =
-- sb.statement_tenant($n)`, with the principal's reseller bound as `$n`.
--
-- On Citus, `CitusDistribution` replaces this body with `SELECT requested` after every migration:
-- the bound id is what routes the statement to the one shard group holding the tenant.
--
-- On one database the function answers the scope's own reseller, which is exactly the expression
-- the policies compare with (`sb.setting_uuid('sb.reseller_id')`). PostgreSQL inlines both and
-- holds one condition, used as the index condition. With the bound id instead, the query and the
-- policy each name a constant for the same column: the planner proves them equal with a one-time
-- filter, a Result node above every scan that copies each row it passes. That copy was most of
-- what the policies cost: about 20 µs on a 51-person page, +25 % of the page.
--
-- Both values come from the same principal (ScopedDatabase sets the scope, the repository binds the
-- id). Where no scope names a reseller, the function answers NULL and the statement finds nothing.
SET LOCAL ROLE sb_owner;

CREATE FUNCTION sb.statement_tenant(requested uuid) RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT sb.setting_uuid('sb.reseller_id') $$;
