/*
 * scaleout.shard_tests(p_as_of timestamptz, p_pins jsonb) -> jsonb   [shard]
 *
 * Issue 16: round 2 of the router's scaleout.run_learning_cycle (the rounds: shard_summary.sql). Pins the category
 * baselines, the cube frame and the first actions the router computed over all shards, rebuilds this shard's cube,
 * learns its regime weights and, when p_pins->>'lessons' is true, computes the epoch's tests, kept for round 3 in the
 * unlogged work tables scaleout.epoch_work (the as_of), epoch_moments and epoch_tests. Returns {"jobs", "tests"
 * (stats_id, kind, k, p), "k0" (the pattern-wide moments)}.
 * Errors: 22023 when p_pins lacks the arrays baselines and first_actions.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_tests(p_as_of timestamptz, p_pins jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_cells integer;
    v_regimes integer;
BEGIN
    IF coalesce(jsonb_typeof(p_pins -> 'baselines'), '') <> 'array' OR coalesce(jsonb_typeof(p_pins -> 'first_actions'), '') <> 'array' THEN
        RAISE EXCEPTION 'p_pins must hold the arrays baselines and first_actions'
            USING ERRCODE = '22023', HINT = 'Only the router''s scaleout.run_learning_cycle calls this.';
    END IF;
    DELETE FROM learning.pinned_baseline;
    INSERT INTO learning.pinned_baseline (action_category, baseline, n)
    SELECT b.action_category, b.baseline, b.n FROM jsonb_to_recordset(p_pins -> 'baselines') AS b (action_category text, baseline float8, n bigint);
    DELETE FROM learning.pinned_cube_frame;
    INSERT INTO learning.pinned_cube_frame (first_close, last_close)
    SELECT (p_pins ->> 'first_fact')::timestamptz, (p_pins ->> 'last_fact')::timestamptz WHERE p_pins ->> 'first_fact' IS NOT NULL;
    -- positions spanning shards: their first action over all shards (completed_trades_validate reads it on UPDATE)
    INSERT INTO learning.pinned_first_action AS p (position_id, first_action_at)
    SELECT f.position_id, f.first_action_at
    FROM jsonb_to_recordset(p_pins -> 'first_actions') AS f (position_id text, first_action_at timestamptz)
    WHERE EXISTS (SELECT 1 FROM learning.completed_trades AS t WHERE t.position_id = f.position_id)
    ON CONFLICT (position_id) DO UPDATE SET first_action_at = excluded.first_action_at
    WHERE p.first_action_at IS DISTINCT FROM excluded.first_action_at;
    UPDATE learning.completed_trades AS t SET closed_at = t.closed_at
    FROM learning.pinned_first_action AS p
    WHERE p.position_id = t.position_id AND p.first_action_at < t.first_action_at;
    v_cells := learning.aggregate_pattern_scope_stats(p_as_of);
    v_regimes := learning.learn_regime_weights(p_as_of);
    IF NOT coalesce((p_pins ->> 'lessons')::boolean, false) THEN
        RETURN jsonb_build_object('jobs', jsonb_build_object('aggregate_pattern_scope_stats', v_cells, 'learn_regime_weights', v_regimes),
                                  'tests', '[]'::jsonb, 'k0', '[]'::jsonb);
    END IF;
    PERFORM learning._lessons_tests(p_as_of);
    -- the moments and tests wait here for round 3 (scaleout.shard_choose): work tables of this shard
    DROP TABLE IF EXISTS scaleout.epoch_work, scaleout.epoch_moments, scaleout.epoch_tests;
    CREATE UNLOGGED TABLE scaleout.epoch_work AS SELECT p_as_of AS as_of;
    CREATE UNLOGGED TABLE scaleout.epoch_moments AS SELECT * FROM _lc_moment;
    CREATE UNLOGGED TABLE scaleout.epoch_tests AS SELECT * FROM _lc_test;
    REVOKE ALL ON scaleout.epoch_work, scaleout.epoch_moments, scaleout.epoch_tests FROM public;
    RETURN jsonb_build_object(
        'jobs', jsonb_build_object('aggregate_pattern_scope_stats', v_cells, 'learn_regime_weights', v_regimes),
        'tests', (SELECT coalesce(jsonb_agg(jsonb_build_object('stats_id', x.stats_id, 'kind', x.kind, 'k', x.k, 'p', x.p)), '[]')
                  FROM _lc_test AS x),
        'k0', (SELECT coalesce(jsonb_agg(to_jsonb(m)), '[]') FROM _lc_moment AS m WHERE m.scope_mask = 0));
END;
$$;
COMMENT ON FUNCTION scaleout.shard_tests(timestamptz, jsonb) IS
'Issue 16 (shard side), round 2 of the cycle: pins the router''s baselines, frame and first actions, rebuilds the cube, the regime weights, the epoch''s tests (p-values).';
REVOKE ALL ON FUNCTION scaleout.shard_tests(timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_tests(timestamptz, jsonb) TO pglearn_admin;
