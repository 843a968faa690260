/*
 * learning.run_job(job text, as_of timestamptz DEFAULT now()) -> jsonb
 *
 * Runs one learning job the way pg_cron does: skipped (not queued) when the same job is already
 * running (transaction-level advisory lock), recorded in learning.job_runs with status ok / failed /
 * skipped, the rows it wrote and the error text. A failing job's work is rolled back (subtransaction),
 * its failure is still recorded. Jobs: aggregate_pattern_scope_stats, build_lessons, materialize_overrides,
 * and the meta-learning jobs learn_regime_weights, estimate_half_lives, cluster_latent_factors (skipped,
 * changing nothing, while v5_meta_learning_enabled is false).
 * Returns {"job", "status", "rows", "ms", "error"}.
 * Errors: 22023 for an unknown job name.
 */
CREATE OR REPLACE FUNCTION learning.run_job(job text, as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, learning
AS $$
DECLARE
    v_id bigint;
    v_rows integer;
    v_status text := 'ok';
    v_error text;
    v_t0 timestamptz := clock_timestamp();
BEGIN
    IF run_job.job IS NULL OR run_job.job NOT IN ('aggregate_pattern_scope_stats', 'build_lessons', 'materialize_overrides',
                                                  'learn_regime_weights', 'estimate_half_lives', 'cluster_latent_factors') THEN
        RAISE EXCEPTION 'job % is unknown', coalesce(quote_literal(run_job.job), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Jobs: aggregate_pattern_scope_stats, build_lessons, materialize_overrides, learn_regime_weights, '
                      || 'estimate_half_lives, cluster_latent_factors.';
    END IF;
    INSERT INTO job_runs (job, as_of) VALUES (run_job.job, run_job.as_of) RETURNING id INTO v_id;
    IF run_job.job IN ('learn_regime_weights', 'estimate_half_lives', 'cluster_latent_factors')
        AND NOT coalesce((pm_config() #>> '{feature_flags,v5_meta_learning_enabled}')::boolean, true) THEN
        v_status := 'skipped';
        v_error := 'v5_meta_learning_enabled is false';
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('pglearn'), hashtext(run_job.job)) THEN
        v_status := 'skipped';
        v_error := 'already running';
    ELSE
        BEGIN
            EXECUTE format('SELECT learning.%I($1)', run_job.job) INTO v_rows USING run_job.as_of;
        EXCEPTION WHEN OTHERS THEN
            v_status := 'failed';
            v_error := format('%s: %s', SQLSTATE, SQLERRM);
        END;
    END IF;
    UPDATE job_runs SET finished_at = clock_timestamp(), status = v_status, rows = v_rows, error = v_error WHERE id = v_id;
    RETURN jsonb_build_object('job', run_job.job, 'status', v_status, 'rows', v_rows,
        'ms', round((extract(EPOCH FROM clock_timestamp() - v_t0) * 1000)::numeric, 1), 'error', v_error);
END;
$$;
COMMENT ON FUNCTION learning.run_job(text, timestamptz) IS
'Runs one learning job with skip-if-running (advisory lock) and job_runs bookkeeping; a failure is recorded, not raised.';
REVOKE ALL ON FUNCTION learning.run_job(text, timestamptz) FROM public;
