/*
 * scaleout.shard_unschedule(p_role text) -> integer   [shard and router]
 *
 * Issue 16: a shard learns only when the router's scaleout.run_learning_cycle calls it, and the router learns only
 * through it, so the pg_cron schedules `pglearn migrate` creates for the learning jobs (db/jobs/schedule.sql) are
 * removed from a shard or router that is its cluster's cron.database_name. What stays:
 *  - everywhere: pglearn_housekeeping and pglearn_telemetry (the roll-up of the decision buffer: resolve_overrides
 *    records its telemetry on the shard of the pattern, so a shard without it would grow its buffer for ever);
 *  - on a shard (p_role = 'shard'): the fold-in's schedule (job fold_in_closes of learning.job_registry), so a close
 *    reaches the shard's cube within a minute between cycles, as on one node; the router holds no cube.
 * pglearn.scaleout.deploy calls it after each migrate. Returns the number of schedules removed (0 where pg_cron is
 * not installed in this database). Errors: 22023 when p_role is not 'shard' or 'router'.
 */
DROP FUNCTION IF EXISTS scaleout.shard_unschedule();
CREATE OR REPLACE FUNCTION scaleout.shard_unschedule(p_role text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n integer;
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('shard', 'router') THEN
        RAISE EXCEPTION 'p_role must be shard or router, got %', coalesce(quote_literal(p_role), 'NULL')
            USING ERRCODE = '22023', HINT = 'scaleout.shard_unschedule(''shard'') on a shard, (''router'') on the router.';
    END IF;
    IF to_regclass('cron.job') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE $q$SELECT count(cron.unschedule(c.jobid)) FROM cron.job AS c
               WHERE c.database = current_database() AND c.jobname LIKE 'pglearn\_%'
                 AND c.jobname NOT IN ('pglearn_housekeeping', 'pglearn_telemetry')
                 AND NOT ($1 = 'shard' AND c.jobname IN (SELECT r.cron_name FROM learning.job_registry AS r
                                                          WHERE r.job = 'fold_in_closes'))$q$
    INTO v_n USING p_role;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION scaleout.shard_unschedule(text) IS
'Issue 16: removes the learning jobs'' pg_cron schedules from a shard or the router (the router''s cycle drives learning); keeps housekeeping and the telemetry roll-up, and on a shard the minute fold-in; returns how many.';
REVOKE ALL ON FUNCTION scaleout.shard_unschedule(text) FROM public;
