/*
 * learning._scheduled_jobs() -> TABLE (job text, cron_schedule text)
 *
 * The jobs of learning.job_registry that pg_cron runs in this database: those whose cron_name is an active
 * cron.job of this database, with the registry's schedule (db/jobs/schedule.sql writes it to pg_cron). Empty where
 * pg_cron is not installed (cron.job absent): nothing is scheduled there, so no job can be late.
 * SECURITY DEFINER: cron.job's row-level security shows a role only its own jobs, and the jobs belong to the
 * owner; it returns job names and schedules only. Read by learning.evaluate_alerts.
 */
CREATE OR REPLACE FUNCTION learning._scheduled_jobs()
RETURNS TABLE (job text, cron_schedule text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT r.job, r.cron_schedule FROM learning.job_registry AS r
         WHERE EXISTS (SELECT 1 FROM cron.job AS c WHERE c.jobname = r.cron_name AND c.database = pg_catalog.current_database()
                       AND c.active)
         ORDER BY r.stage';
END;
$$;
COMMENT ON FUNCTION learning._scheduled_jobs() IS
'Registry jobs that pg_cron runs here (an active cron.job of this database), with their schedule; empty without pg_cron.';
REVOKE ALL ON FUNCTION learning._scheduled_jobs() FROM public;
GRANT EXECUTE ON FUNCTION learning._scheduled_jobs() TO pglearn_admin;
