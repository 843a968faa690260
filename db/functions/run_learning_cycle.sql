/*
 * learning.run_learning_cycle(as_of timestamptz DEFAULT now()) -> jsonb
 *
 * The whole loop in dependency order, each step through run_job (job_runs, skip-if-running):
 * aggregate_pattern_scope_stats -> learn_regime_weights (v5.1) -> cluster_latent_factors (v5.3) -> build_lessons
 * -> estimate_half_lives (v5.2) -> materialize_overrides.
 * Returns {"as_of", "jobs": [run_job results], "ok": no job failed (a skipped meta-learning job is fine)}.
 */
CREATE OR REPLACE FUNCTION learning.run_learning_cycle(as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, learning
AS $$
DECLARE
    v_job text;
    v_results jsonb := '[]';
BEGIN
    FOREACH v_job IN ARRAY ARRAY['aggregate_pattern_scope_stats', 'learn_regime_weights', 'cluster_latent_factors', 'build_lessons',
                                  'estimate_half_lives', 'materialize_overrides'] LOOP
        v_results := v_results || jsonb_build_array(run_job(v_job, run_learning_cycle.as_of));
    END LOOP;
    RETURN jsonb_build_object('as_of', run_learning_cycle.as_of, 'jobs', v_results,
        'ok', NOT jsonb_path_exists(v_results, '$[*] ? (@.status == "failed" || (@.status == "skipped" && @.error == "already running"))'));
END;
$$;
COMMENT ON FUNCTION learning.run_learning_cycle(timestamptz) IS
'Runs aggregation, lesson building and materialization in order as of a time; returns a JSON summary of each job.';
REVOKE ALL ON FUNCTION learning.run_learning_cycle(timestamptz) FROM public;
