/*
 * scaleout.shard_record(p_as_of timestamptz, p_doc jsonb) -> jsonb   [shard]
 *
 * Issue 16: round 4 of the router's scaleout.run_learning_cycle (the rounds: shard_summary.sql). Writes the epoch's
 * row and this shard's candidates (learning._lessons_record) with the router's outcome of the overlap rule for its
 * chosen cells, drops the work table, and returns {"candidates", "edges"}: the trailing-window edges of the given
 * lessons over this shard's facts (learning._lesson_window_edges).
 * Errors: 22023 when p_doc lacks the object epoch or the arrays tests, layers and lessons.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_record(p_as_of timestamptz, p_doc jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_candidates integer := 0;
    v_edges jsonb;
BEGIN
    IF coalesce(jsonb_typeof(p_doc -> 'epoch'), '') <> 'object' OR coalesce(jsonb_typeof(p_doc -> 'tests'), '') <> 'array'
       OR coalesce(jsonb_typeof(p_doc -> 'layers'), '') <> 'array' OR coalesce(jsonb_typeof(p_doc -> 'lessons'), '') <> 'array' THEN
        RAISE EXCEPTION 'p_doc must hold the object epoch and the arrays tests, layers and lessons'
            USING ERRCODE = '22023', HINT = 'Only the router''s scaleout.run_learning_cycle calls this.';
    END IF;
    -- the epoch's row (every shard's candidates reference it)
    INSERT INTO learning.lesson_epoch AS e
    SELECT r.* FROM jsonb_populate_record(NULL::learning.lesson_epoch, p_doc -> 'epoch') AS r
    ON CONFLICT (epoch_no) DO UPDATE
    SET as_of = excluded.as_of, fdr_q = excluded.fdr_q, layers = excluded.layers, tests = excluded.tests,
        discoveries = excluded.discoveries, chosen = excluded.chosen, per_layer = excluded.per_layer;
    IF to_regclass('scaleout.epoch_tests') IS NOT NULL THEN
        -- this shard's tests, with the router's outcome of the overlap rule for its chosen cells
        PERFORM learning._lessons_tests(p_as_of, false);
        INSERT INTO _lc_test SELECT w.* FROM scaleout.epoch_tests AS w;
        DELETE FROM _lc_test AS x
        USING jsonb_to_recordset(p_doc -> 'tests') AS r (stats_id bigint, kind text)
        WHERE r.stats_id = x.stats_id AND r.kind = x.kind;
        INSERT INTO _lc_test
        SELECT r.* FROM jsonb_populate_recordset(NULL::_lc_test, p_doc -> 'tests') AS r
        WHERE r.stats_id IN (SELECT w.stats_id FROM scaleout.epoch_tests AS w);
        DROP TABLE IF EXISTS _lc_layer;
        CREATE TEMP TABLE _lc_layer ON COMMIT DROP AS
        SELECT y.k, y.m, y.d, y.crit FROM jsonb_to_recordset(p_doc -> 'layers') AS y (k integer, m integer, d integer, crit float8);
        v_candidates := learning._lessons_record((p_doc #>> '{epoch,epoch_no}')::integer);
        DROP TABLE scaleout.epoch_tests;
    END IF;
    -- the trailing-window edges of the lessons of this shard's patterns
    SELECT coalesce(jsonb_agg(to_jsonb(w)), '[]') INTO v_edges
    FROM learning._lesson_window_edges(p_as_of, (p_doc ->> 'first_close')::timestamptz, p_doc -> 'lessons') AS w;
    RETURN jsonb_build_object('candidates', v_candidates, 'edges', v_edges);
END;
$$;
COMMENT ON FUNCTION scaleout.shard_record(timestamptz, jsonb) IS
'Issue 16 (shard side), round 4 of the cycle: the epoch''s row and this shard''s candidates with the router''s overlap outcome; the window edges of its lessons.';
REVOKE ALL ON FUNCTION scaleout.shard_record(timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_record(timestamptz, jsonb) TO pglearn_admin;
