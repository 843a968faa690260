/*
 * learning.run_job(job text, as_of timestamptz DEFAULT now()) -> jsonb
 *
 * Runs one learning job the way pg_cron does and records it in learning.job_runs:
 *  - skipped (not queued) while a learning cycle runs in another backend (shared side of the cycle lock, see
 *    run_learning_cycle) or while the same job runs (transaction-level advisory lock (hashtext('pglearn'), hashtext(job)));
 *  - skipped ('an earlier stage failed') when the latest finished run of a job in its job_registry.requires failed or
 *    was interrupted (build_lessons after the aggregation; materialize_overrides after the aggregation or
 *    build_lessons): the pg_cron schedule runs the stages one by one, and no lessons or generation are built from
 *    stale stats;
 *  - skipped, changing nothing, for the meta-learning jobs (job_registry.meta_learning) while
 *    feature_flags.v5_meta_learning_enabled is false;
 *  - failed: the job's work is rolled back (subtransaction) and the error is recorded with its SQLSTATE, message, DETAIL,
 *    HINT and CONTEXT (GET STACKED DIAGNOSTICS), not raised;
 *  - a run whose backend is killed stays 'running' and the next run marks it 'interrupted' (learning._job_run_begin).
 * Jobs: the rows of learning.job_registry (job -> the function of schema learning it calls).
 * Returns {"job", "status", "rows", "ms", "error", "sqlstate"}.
 * Errors: 22023 for an unknown job name.
 */
CREATE OR REPLACE FUNCTION learning.run_job(job text, as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_id bigint;
    v_rows integer;
    v_status text := 'ok';
    v_error text;
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
    v_context text;
    v_t0 timestamptz := clock_timestamp();
    v_job learning.job_registry%ROWTYPE;
BEGIN
    SELECT r.* INTO v_job FROM learning.job_registry AS r WHERE r.job = run_job.job;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % is unknown', coalesce(quote_literal(left(run_job.job, 60)), 'NULL')
            USING ERRCODE = '22023',
                  HINT = format('Jobs (learning.job_registry): %s.',
                                (SELECT string_agg(r.job, ', ' ORDER BY r.stage) FROM learning.job_registry AS r));
    END IF;
    v_id := learning._job_run_begin(run_job.job, run_job.as_of);
    IF v_job.meta_learning AND NOT (learning.pm_config() #>> '{feature_flags,v5_meta_learning_enabled}')::boolean THEN
        v_status := 'skipped';
        v_error := 'v5_meta_learning_enabled is false';
    ELSIF NOT pg_try_advisory_xact_lock_shared(hashtext('pglearn'), hashtext('run_learning_cycle')) THEN
        v_status := 'skipped';
        v_error := 'a learning cycle is running';
    ELSIF EXISTS (SELECT 1
                  FROM unnest(v_job.requires) AS u (job)
                  CROSS JOIN LATERAL (SELECT j.status FROM learning.job_runs AS j
                                      WHERE j.job = u.job AND j.status IN ('ok', 'failed', 'interrupted')
                                      ORDER BY j.started_at DESC, j.id DESC LIMIT 1) AS l
                  WHERE l.status <> 'ok') THEN
        v_status := 'skipped';
        v_error := 'an earlier stage failed';
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('pglearn'), hashtext(run_job.job)) THEN
        v_status := 'skipped';
        v_error := 'already running';
    ELSE
        BEGIN
            EXECUTE format('SELECT learning.%I($1)', v_job.function_name) INTO v_rows USING run_job.as_of;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                                    v_hint = PG_EXCEPTION_HINT, v_context = PG_EXCEPTION_CONTEXT;
            v_status := 'failed';
            v_error := format('%s: %s', v_state, v_message);
        END;
    END IF;
    UPDATE learning.job_runs
    SET finished_at = clock_timestamp(), status = v_status, rows = v_rows, error = v_error, sqlstate = v_state,
        detail = nullif(v_detail, ''), hint = nullif(v_hint, ''), context = nullif(v_context, '')
    WHERE id = v_id;
    RETURN jsonb_build_object('job', run_job.job, 'status', v_status, 'rows', v_rows,
        'ms', round((extract(EPOCH FROM clock_timestamp() - v_t0) * 1000)::numeric, 1), 'error', v_error, 'sqlstate', v_state);
END;
$$;
COMMENT ON FUNCTION learning.run_job(text, timestamptz) IS
'Runs one learning job of learning.job_registry with skip-if-running (advisory locks) and job_runs bookkeeping; a failure is recorded with SQLSTATE, DETAIL and HINT, not raised.';
REVOKE ALL ON FUNCTION learning.run_job(text, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.run_job(text, timestamptz) TO pglearn_admin;
