-- Scheduled jobs run once per interval across all replicas (issue 18, DESIGN §12). The advisory
-- lock kept two replicas from running at the same moment, but a replica whose tick came just after
-- another's run ended ran the rules again. A scheduled run now starts only when no scheduled run
-- started within the interval, judged by the database's clock, so replicas' clocks do not matter.
SET LOCAL ROLE sb_owner;

CREATE FUNCTION platform.retention_job_due(every interval) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, platform
    AS $$
        SELECT NOT EXISTS (SELECT 1 FROM platform.retention_runs
                           WHERE trigger = 'job' AND NOT dry_run AND started_at > now() - every)
    $$;
REVOKE ALL ON FUNCTION platform.retention_job_due(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.retention_job_due(interval) TO sb_retention;
