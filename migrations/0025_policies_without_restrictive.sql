-- No RESTRICTIVE policies (issue 18).
--
-- Citus 13.2 re-creates a distributed table's policies on every shard without their `AS
-- RESTRICTIVE` (commands/policy.c, CreatePolicyCommandForPolicy), when a table is distributed
-- and whenever a shard is created or moved. On the shards a restrictive rule then widened access:
-- found by the isolation suite on a real cluster, a manager of one company could add employees to
-- another company of the same reseller, because "the reseller accepted the DPA" had become an
-- alternative to "the row is in your company".
--
-- Each restrictive rule is folded into the permissive policies of its table, role and command, so
-- one policy per command says everything and the meaning is the same on plain PostgreSQL. A
-- `FOR ALL` policy is split by command where one command needs more than the others.
SET LOCAL ROLE sb_owner;

-- ---------------------------------------------------------------- managers add only after the DPA
DROP POLICY manager_manages_own_company ON sb.employees;
DROP POLICY dpa_required_for_managers ON sb.employees;
CREATE POLICY manager_reads_own_company ON sb.employees FOR SELECT TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND customer_id = sb.setting_uuid('sb.customer_id'));
CREATE POLICY manager_adds_to_own_company ON sb.employees FOR INSERT TO sb_customer
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id') AND customer_id = sb.setting_uuid('sb.customer_id')
                AND sb.request_reseller_accepted_dpa());
CREATE POLICY manager_changes_own_company ON sb.employees FOR UPDATE TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND customer_id = sb.setting_uuid('sb.customer_id'))
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id') AND customer_id = sb.setting_uuid('sb.customer_id'));
CREATE POLICY manager_removes_from_own_company ON sb.employees FOR DELETE TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND customer_id = sb.setting_uuid('sb.customer_id'));

-- ---------------------------------------------------------------- revocation is final
-- An UPDATE by these roles may only leave a credential revoked.
DROP POLICY platform_manages ON sb.platform_api_keys;
DROP POLICY revocation_is_final ON sb.platform_api_keys;
CREATE POLICY platform_reads ON sb.platform_api_keys FOR SELECT TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_issues ON sb.platform_api_keys FOR INSERT TO sb_platform
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_revokes ON sb.platform_api_keys FOR UPDATE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL)
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL AND revoked_at IS NOT NULL);
CREATE POLICY platform_deletes ON sb.platform_api_keys FOR DELETE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);

DROP POLICY platform_manages ON sb.telephony_api_keys;
DROP POLICY revocation_is_final ON sb.telephony_api_keys;
CREATE POLICY platform_reads ON sb.telephony_api_keys FOR SELECT TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_issues ON sb.telephony_api_keys FOR INSERT TO sb_platform
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_revokes ON sb.telephony_api_keys FOR UPDATE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL)
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL AND revoked_at IS NOT NULL);
CREATE POLICY platform_deletes ON sb.telephony_api_keys FOR DELETE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);

DROP POLICY reseller_manages_own ON sb.reseller_api_keys;
DROP POLICY revocation_is_final ON sb.reseller_api_keys;
CREATE POLICY reseller_reads_own ON sb.reseller_api_keys FOR SELECT TO sb_reseller
    USING (reseller_id = sb.setting_uuid('sb.reseller_id'));
CREATE POLICY reseller_issues_own ON sb.reseller_api_keys FOR INSERT TO sb_reseller
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id'));
CREATE POLICY reseller_revokes_own ON sb.reseller_api_keys FOR UPDATE TO sb_reseller
    USING (reseller_id = sb.setting_uuid('sb.reseller_id'))
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id') AND revoked_at IS NOT NULL);
CREATE POLICY reseller_deletes_own ON sb.reseller_api_keys FOR DELETE TO sb_reseller
    USING (reseller_id = sb.setting_uuid('sb.reseller_id'));

DROP POLICY manager_ends_own ON sb.sessions;
DROP POLICY revocation_is_final ON sb.sessions;
CREATE POLICY manager_reads_own ON sb.sessions FOR SELECT TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND manager_id = sb.setting_uuid('sb.principal_id'));
CREATE POLICY manager_opens_own ON sb.sessions FOR INSERT TO sb_customer
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id') AND manager_id = sb.setting_uuid('sb.principal_id'));
CREATE POLICY manager_ends_own ON sb.sessions FOR UPDATE TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND manager_id = sb.setting_uuid('sb.principal_id'))
    WITH CHECK (reseller_id = sb.setting_uuid('sb.reseller_id') AND manager_id = sb.setting_uuid('sb.principal_id')
                AND revoked_at IS NOT NULL);
CREATE POLICY manager_deletes_own ON sb.sessions FOR DELETE TO sb_customer
    USING (reseller_id = sb.setting_uuid('sb.reseller_id') AND manager_id = sb.setting_uuid('sb.principal_id'));

-- A platform session is ended once: only a live one may be updated, and only to ended.
DROP POLICY platform_ends ON sb.platform_sessions;
DROP POLICY revocation_is_final ON sb.platform_sessions;
CREATE POLICY platform_reads ON sb.platform_sessions FOR SELECT TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_opens ON sb.platform_sessions FOR INSERT TO sb_platform
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL);
CREATE POLICY platform_ends ON sb.platform_sessions FOR UPDATE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL AND revoked_at IS NULL)
    WITH CHECK (sb.setting_uuid('sb.principal_id') IS NOT NULL AND revoked_at IS NOT NULL);
CREATE POLICY platform_deletes ON sb.platform_sessions FOR DELETE TO sb_platform
    USING (sb.setting_uuid('sb.principal_id') IS NOT NULL);
