/*
 * learning.start_replay(replay_from timestamptz, replay_to timestamptz, step interval) -> bigint
 *
 * Opens a walk-forward replay (pglearn replay) and returns its run_id; the caller then runs
 * learning.run_replay_step(run_id, as_of) for as_of = replay_from, replay_from + step, ... up to replay_to
 * and closes it with learning.finish_replay. Errors: 22023 (empty or reversed range, non-positive step).
 */
CREATE OR REPLACE FUNCTION learning.start_replay(replay_from timestamptz, replay_to timestamptz, step interval)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_run bigint;
BEGIN
    PERFORM _check_as_of(start_replay.replay_from);
    PERFORM _check_as_of(start_replay.replay_to);
    IF start_replay.replay_to < start_replay.replay_from THEN
        RAISE EXCEPTION 'replay_to is before replay_from' USING ERRCODE = '22023',
            DETAIL = format('replay_from = %s, replay_to = %s', start_replay.replay_from, start_replay.replay_to),
            HINT = 'Replays walk forward: --from must not be later than --to.';
    END IF;
    IF start_replay.step IS NULL OR start_replay.step <= interval '0' THEN
        RAISE EXCEPTION 'step must be a positive interval, got %', coalesce(start_replay.step::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'e.g. 1 week, 1 day.';
    END IF;
    INSERT INTO replay_run (replay_from, replay_to, step)
    VALUES (start_replay.replay_from, start_replay.replay_to, start_replay.step)
    RETURNING run_id INTO v_run;
    RETURN v_run;
END;
$$;
COMMENT ON FUNCTION learning.start_replay(timestamptz, timestamptz, interval) IS
'Opens a walk-forward replay and returns its run_id (then run_replay_step per step, then finish_replay).';
REVOKE ALL ON FUNCTION learning.start_replay(timestamptz, timestamptz, interval) FROM public;
GRANT EXECUTE ON FUNCTION learning.start_replay(timestamptz, timestamptz, interval) TO pglearn_admin;
