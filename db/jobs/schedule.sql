-- pg_cron schedules of the learning jobs (roadmap section 4, phase 5): one per row of learning.job_registry
-- (cron_name, cron_schedule), plus the housekeeping job. Applied by every `pglearn migrate`; cron.schedule(name, ...)
-- is an upsert, so re-applying is harmless; a pglearn_* schedule of a job no longer in the registry is removed.
-- Schedules are in GMT.
-- Only where pg_cron can live: this database must be cron.database_name. Elsewhere nothing is scheduled
-- and a NOTICE says why (run learning.run_learning_cycle() from your own scheduler instead).
DO $jobs$
DECLARE
    j record;
BEGIN
    IF current_setting('cron.database_name', true) IS DISTINCT FROM current_database()
        OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron') THEN
        RAISE NOTICE 'pglearn: pg_cron is not available in database % (cron.database_name = %): jobs not scheduled',
            current_database(), coalesce(current_setting('cron.database_name', true), 'unset');
        RETURN;
    END IF;
    CREATE EXTENSION IF NOT EXISTS pg_cron;
    -- each job runs through learning.run_job: skipped (not queued) while the same job runs, logged in learning.job_runs
    FOR j IN SELECT r.job, r.cron_name, r.cron_schedule FROM learning.job_registry AS r ORDER BY r.stage LOOP
        PERFORM cron.schedule(j.cron_name, j.cron_schedule, format('SELECT learning.run_job(%L)', j.job));
    END LOOP;
    PERFORM cron.unschedule(c.jobid)
    FROM cron.job AS c
    WHERE c.database = current_database() AND c.jobname LIKE 'pglearn\_%' AND c.jobname <> 'pglearn_housekeeping'
      AND c.jobname <> 'pglearn_telemetry'
      AND c.jobname NOT IN (SELECT r.cron_name FROM learning.job_registry AS r);
    -- issue 14: roll the unlogged decision buffer of resolve_overrides up into the hourly counters every minute
    PERFORM cron.schedule('pglearn_telemetry', '* * * * *', 'SELECT learning.flush_override_decisions()');
    -- cron.job_run_details is never pruned by pg_cron itself; learning.job_runs keeps 90 days
    PERFORM cron.schedule('pglearn_housekeeping', '15 3 * * *', $$
        DELETE FROM cron.job_run_details WHERE end_time < now() - interval '14 days';
        DELETE FROM learning.job_runs WHERE started_at < now() - interval '90 days';
        DELETE FROM learning.override_application WHERE applied_at < now() - interval '90 days';
        DELETE FROM learning.override_decision_counts WHERE hour < now() - interval '90 days'$$);
END
$jobs$;
