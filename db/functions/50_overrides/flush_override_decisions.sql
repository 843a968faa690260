/*
 * learning.flush_override_decisions() -> integer
 *
 * Rolls the UNLOGGED learning.override_decision_buffer (one row per resolve_overrides decision on the SQL path)
 * up into learning.override_decision_counts (source 'sql'): one counter per (UTC hour, generation, lesson, mode),
 * added to the existing one. The rows it moves are deleted in the same statement; rows written meanwhile wait
 * for the next call. Scheduled every minute by pg_cron (db/jobs/schedule.sql, pglearn_telemetry) and called by
 * score_overrides before it reads the counters. Returns the number of decisions moved.
 */
CREATE OR REPLACE FUNCTION learning.flush_override_decisions()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_moved integer;
BEGIN
    WITH moved AS (
        DELETE FROM learning.override_decision_buffer RETURNING decided_at, generation, lesson_id, execution, shadow
    ),
    counted AS (  -- a data-modifying CTE runs whether or not it is read
        INSERT INTO learning.override_decision_counts AS c (hour, generation, lesson_id, mode, source, decisions, execution_decisions)
        SELECT date_trunc('hour', m.decided_at, 'UTC'), m.generation, m.lesson_id,
               CASE WHEN m.shadow THEN 'shadow' ELSE 'apply' END, 'sql', count(*), count(*) FILTER (WHERE m.execution)
        FROM moved AS m
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (hour, generation, lesson_id, mode, source) DO UPDATE
        SET decisions = c.decisions + excluded.decisions, execution_decisions = c.execution_decisions + excluded.execution_decisions
    )
    SELECT count(*) INTO v_moved FROM moved;
    RETURN v_moved;
END;
$$;
COMMENT ON FUNCTION learning.flush_override_decisions() IS
'Rolls the unlogged decision buffer up into override_decision_counts (hourly counters); returns the decisions moved.';
REVOKE ALL ON FUNCTION learning.flush_override_decisions() FROM public;
GRANT EXECUTE ON FUNCTION learning.flush_override_decisions() TO pglearn_admin;
