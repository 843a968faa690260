/*
 * learning.run_learning_cycle(as_of timestamptz DEFAULT now()) -> jsonb
 *
 * The whole loop in dependency order, each stage through run_job (job_runs, skip-if-running): the jobs of
 * learning.job_registry by stage, today aggregate_pattern_scope_stats -> learn_regime_weights (v5.1)
 * -> cluster_latent_factors (v5.3) -> build_lessons -> estimate_half_lives (v5.2) -> materialize_overrides
 * -> evaluate_alerts (learning.alerts).
 *  - One cycle at a time: the cycle takes the transaction-level advisory lock (hashtext('pglearn'),
 *    hashtext('run_learning_cycle')) exclusively; a single job run by run_job takes it shared. A cycle that finds it
 *    taken (another cycle, or a scheduled job, is running) runs nothing: it records one job_runs row
 *    job = 'run_learning_cycle', status 'skipped', and returns ok = false with the reason.
 *  - A cycle stops at its first failed stage: the later stages are recorded as skipped with error
 *    'an earlier stage failed', so no lessons or override generation are built from stale stats.
 * Returns {"as_of", "jobs": [run_job results], "ok", "reason"}: ok = no stage failed and the cycle was not skipped
 * (a meta-learning stage skipped by its feature flag is fine); reason is null when ok.
 */
CREATE OR REPLACE FUNCTION learning.run_learning_cycle(as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_job text;
    v_result jsonb;
    v_results jsonb := '[]';
    v_reason text;
    v_id bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('pglearn'), hashtext('run_learning_cycle')) THEN
        v_reason := 'another learning cycle or a learning job is running';
        v_id := learning._job_run_begin('run_learning_cycle', run_learning_cycle.as_of);
        UPDATE learning.job_runs SET finished_at = clock_timestamp(), status = 'skipped', error = v_reason WHERE id = v_id;
        RETURN jsonb_build_object('as_of', run_learning_cycle.as_of, 'jobs', v_results, 'ok', false, 'skipped', true,
            'reason', v_reason);
    END IF;
    FOR v_job IN SELECT r.job FROM learning.job_registry AS r ORDER BY r.stage LOOP
        IF v_reason IS NULL THEN
            v_result := learning.run_job(v_job, run_learning_cycle.as_of);
            IF v_result ->> 'status' = 'failed' OR (v_result ->> 'status' = 'skipped' AND v_result ->> 'error' = 'already running') THEN
                v_reason := format('%s %s: %s', v_job, v_result ->> 'status', v_result ->> 'error');
            END IF;
        ELSE
            INSERT INTO learning.job_runs (job, as_of, finished_at, status, error, pid, xid)
            VALUES (v_job, run_learning_cycle.as_of, clock_timestamp(), 'skipped', 'an earlier stage failed', pg_backend_pid(),
                    pg_current_xact_id());
            v_result := jsonb_build_object('job', v_job, 'status', 'skipped', 'rows', NULL, 'ms', 0,
                'error', 'an earlier stage failed', 'sqlstate', NULL);
        END IF;
        v_results := v_results || jsonb_build_array(v_result);
    END LOOP;
    RETURN jsonb_build_object('as_of', run_learning_cycle.as_of, 'jobs', v_results, 'ok', v_reason IS NULL, 'skipped', false,
        'reason', v_reason);
END;
$$;
COMMENT ON FUNCTION learning.run_learning_cycle(timestamptz) IS
'Runs the jobs of learning.job_registry in stage order as of a time (aggregate_pattern_scope_stats, learn_regime_weights, cluster_latent_factors, build_lessons, estimate_half_lives, materialize_overrides, evaluate_alerts, fold_in_closes), one cycle at a time, stopping at the first failed stage; returns a JSON summary of each job.';
REVOKE ALL ON FUNCTION learning.run_learning_cycle(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.run_learning_cycle(timestamptz) TO pglearn_admin;
