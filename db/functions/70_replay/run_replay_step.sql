/*
 * learning.run_replay_step(run_id bigint, as_of timestamptz) -> jsonb
 *
 * One step of a walk-forward replay, as of a time later than the run's previous step:
 *  1. scores the generation published by the previous step on the trades closed since it
 *     (learning.score_overrides over (previous as_of, as_of]): out of sample by construction;
 *  2. runs the full learning cycle as of this time (it sees only trades closed by then);
 *  3. snapshots every lesson (lever trajectories) and records the step with its wall time.
 * Returns {"step_no", "as_of", "generation", "scored", "ok", "seconds"}. Errors: 22023 (unknown or
 * finished run, as_of not after the previous step).
 */
CREATE OR REPLACE FUNCTION learning.run_replay_step(run_id bigint, as_of timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_t0 constant timestamptz := clock_timestamp();
    v_prev replay_step%ROWTYPE;
    v_step integer;
    v_scored integer := 0;
    v_cycle jsonb;
    v_gen bigint;
    v_seconds float;
BEGIN
    PERFORM _check_as_of(run_replay_step.as_of);
    IF NOT EXISTS (SELECT 1 FROM replay_run AS r WHERE r.run_id = run_replay_step.run_id AND r.status = 'running') THEN
        RAISE EXCEPTION 'replay run % is not running', coalesce(run_replay_step.run_id::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Open a run with learning.start_replay(replay_from, replay_to, step).';
    END IF;
    SELECT s.* INTO v_prev FROM replay_step AS s WHERE s.run_id = run_replay_step.run_id ORDER BY s.step_no DESC LIMIT 1;
    IF v_prev.as_of IS NOT NULL AND run_replay_step.as_of <= v_prev.as_of THEN
        RAISE EXCEPTION 'as_of % is not after the previous step (%)', run_replay_step.as_of, v_prev.as_of
            USING ERRCODE = '22023', HINT = 'Replays walk forward one step at a time.';
    END IF;
    v_step := coalesce(v_prev.step_no, 0) + 1;

    IF v_prev.generation IS NOT NULL AND EXISTS (SELECT 1 FROM override_generation AS g WHERE g.generation = v_prev.generation) THEN
        v_scored := score_overrides(v_prev.generation, v_prev.as_of, run_replay_step.as_of);
    END IF;
    v_cycle := run_learning_cycle(run_replay_step.as_of);
    SELECT c.generation INTO v_gen FROM override_current AS c;
    v_seconds := extract(EPOCH FROM clock_timestamp() - v_t0);

    INSERT INTO replay_step (run_id, step_no, as_of, generation, cycle, seconds)
    VALUES (run_replay_step.run_id, v_step, run_replay_step.as_of, v_gen, v_cycle, v_seconds);
    INSERT INTO lesson_snapshot (run_id, step_no, lesson_id, pattern_key, action_category, scope_values, status, effect,
                                 lesson_strength, edge_raw, decay_halflife_hours, latent_factor_id)
    SELECT run_replay_step.run_id, v_step, l.id, l.pattern_key, l.action_category, l.scope_values, l.status, l.effect,
           l.lesson_strength, l.edge_raw, l.decay_halflife_hours, l.latent_factor_id
    FROM learning_lessons AS l;
    RETURN jsonb_build_object('step_no', v_step, 'as_of', run_replay_step.as_of, 'generation', v_gen, 'scored', v_scored,
                              'ok', v_cycle -> 'ok', 'seconds', round(v_seconds::numeric, 3));
END;
$$;
COMMENT ON FUNCTION learning.run_replay_step(bigint, timestamptz) IS
'One walk-forward step: scores the previous generation out of sample, runs the learning cycle as of the step, snapshots the lessons.';
REVOKE ALL ON FUNCTION learning.run_replay_step(bigint, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.run_replay_step(bigint, timestamptz) TO pglearn_admin;
