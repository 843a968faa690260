/*
 * scaleout.shard_unschedule() -> integer   [shard]
 *
 * Issue 16: a shard does not learn (the router learns over all shards and hands the result off), so the pg_cron
 * schedules `pglearn migrate` creates for the learning jobs (db/jobs/schedule.sql) are removed from a shard that is
 * its cluster's cron.database_name; the housekeeping job stays. pglearn.scaleout.deploy calls it after each migrate.
 * Returns the number of schedules removed (0 where pg_cron is not installed in this database).
 */
CREATE OR REPLACE FUNCTION scaleout.shard_unschedule()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n integer;
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE $q$SELECT count(cron.unschedule(c.jobid)) FROM cron.job AS c
               WHERE c.database = current_database() AND c.jobname LIKE 'pglearn\_%' AND c.jobname <> 'pglearn_housekeeping'$q$
    INTO v_n;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION scaleout.shard_unschedule() IS
'Issue 16 (shard side): removes the learning jobs'' pg_cron schedules from a shard (the router learns); returns how many.';
REVOKE ALL ON FUNCTION scaleout.shard_unschedule() FROM public;
