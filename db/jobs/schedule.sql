-- pg_cron schedules of the learning jobs (roadmap section 4, phase 5). Applied by every `pglearn migrate`;
-- cron.schedule(name, ...) is an upsert, so re-applying is harmless. Schedules are in GMT.
-- Only where pg_cron can live: this database must be cron.database_name. Elsewhere nothing is scheduled
-- and a NOTICE says why (run learning.run_learning_cycle() from your own scheduler instead).
DO $jobs$
BEGIN
    IF current_setting('cron.database_name', true) IS DISTINCT FROM current_database()
        OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron') THEN
        RAISE NOTICE 'pglearn: pg_cron is not available in database % (cron.database_name = %): jobs not scheduled',
            current_database(), coalesce(current_setting('cron.database_name', true), 'unset');
        RETURN;
    END IF;
    CREATE EXTENSION IF NOT EXISTS pg_cron;
    -- each job runs through learning.run_job: skipped (not queued) while the same job runs, logged in learning.job_runs
    PERFORM cron.schedule('pglearn_aggregate', '0 */2 * * *', $$SELECT learning.run_job('aggregate_pattern_scope_stats')$$);
    PERFORM cron.schedule('pglearn_lessons', '20 */6 * * *', $$SELECT learning.run_job('build_lessons')$$);
    PERFORM cron.schedule('pglearn_materialize', '40 */2 * * *', $$SELECT learning.run_job('materialize_overrides')$$);
    PERFORM cron.schedule('pglearn_regime_weights', '0 1 * * *', $$SELECT learning.run_job('learn_regime_weights')$$);
    PERFORM cron.schedule('pglearn_half_lives', '0 2 * * 1', $$SELECT learning.run_job('estimate_half_lives')$$);
    PERFORM cron.schedule('pglearn_latent_factors', '0 3 * * 1', $$SELECT learning.run_job('cluster_latent_factors')$$);
    -- cron.job_run_details is never pruned by pg_cron itself; learning.job_runs keeps 90 days
    PERFORM cron.schedule('pglearn_housekeeping', '15 3 * * *', $$
        DELETE FROM cron.job_run_details WHERE end_time < now() - interval '14 days';
        DELETE FROM learning.job_runs WHERE started_at < now() - interval '90 days';
        DELETE FROM learning.override_application WHERE applied_at < now() - interval '90 days'$$);
END
$jobs$;
