-- A role that may insert some of a table's columns may now insert its defaulted columns too
-- (issue 18). PostgreSQL fills a default in without checking the inserter's privilege on that
-- column; Citus fills it in on the coordinator and sends the shard an INSERT that names the column,
-- which the shard then refuses ("permission denied for table employee_content_102198"): the
-- telephony side could not store a voicemail on a cluster. What this lets a role do beyond
-- before is choose such a value itself, which it can already change or which decides nothing:
-- when a content row or an alert was written, a new staff member's or disclosure's first state
-- (each changed afterwards through its own checked path and audited).
-- `ScaleOutSchemaTests.testEveryDefaultedColumnIsInsertableByWhoInsertsTheRow` keeps it so.
SET LOCAL ROLE sb_owner;

GRANT INSERT (created_at) ON sb.employee_content TO sb_telephony;
GRANT INSERT (state, raised_at, updated_at) ON sb.fraud_alerts TO sb_platform;
GRANT INSERT (status, created_at, updated_at) ON sb.platform_staff TO sb_platform;
GRANT INSERT (recorded_at, state) ON platform.disclosure_requests TO sb_platform;
