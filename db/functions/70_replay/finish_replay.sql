/*
 * learning.finish_replay(run_id bigint, error text DEFAULT NULL) -> void
 *
 * Closes a replay run: status 'done', or 'failed' with the error when one is given.
 */
CREATE OR REPLACE FUNCTION learning.finish_replay(run_id bigint, error text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    UPDATE replay_run AS r
    SET status = CASE WHEN finish_replay.error IS NULL THEN 'done' ELSE 'failed' END,
        finished_at = clock_timestamp(), error = finish_replay.error
    WHERE r.run_id = finish_replay.run_id AND r.status = 'running';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'replay run % is not running', coalesce(finish_replay.run_id::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Only a run opened by learning.start_replay and not yet finished can be closed.';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning.finish_replay(bigint, text) IS 'Closes a replay run as done, or failed with its error.';
REVOKE ALL ON FUNCTION learning.finish_replay(bigint, text) FROM public;
GRANT EXECUTE ON FUNCTION learning.finish_replay(bigint, text) TO pglearn_admin;
