/*
 * scaleout.shard_summary(p_as_of timestamptz) -> jsonb   [shard]
 *
 * The shard's side of the shard-local learning cycle (issue 16, docs/operations.md "Scaling out"); the router's
 * scaleout.run_learning_cycle calls them in order on every shard (PL/Proxy RUN ON ALL), each in its own transaction:
 *   scaleout.shard_summary(as_of) -> jsonb        round 1: the small summaries the cross-pattern inputs come from:
 *       "patterns" (per pattern and category: its mean rr m and facts n, learning._cube_pattern_means over the base
 *       of a trial rebuild, rolled back: the cube's first two stages, so the baseline is one node's to the bit), "first_fact"/"last_fact" (first and
 *       last close of the facts closed by as_of), "first_close" (of every trade), the co-firing incidence ("trades":
 *       positions closed by as_of, "fire_position"/"fire_pattern": the (position, pattern) pairs of their actions),
 *       "first_actions" (per closed position, its first action on this shard) and "oos" (learning._oos_evidence).
 *   scaleout.shard_tests(as_of, pins) -> jsonb    round 2: pins what the router computed over all shards (the
 *       category baselines, learning.pinned_baseline; the cube frame, learning.pinned_cube_frame; the first action of
 *       positions spanning shards, learning.pinned_first_action, with the trades' first_action_at refreshed), then
 *       runs its per-pattern stages: the cube rebuild (aggregate_pattern_scope_stats), the regime weights and, when
 *       pins->>'lessons' is true, the epoch's tests (learning._lessons_tests), kept for round 3 in the unlogged work
 *       tables scaleout.epoch_work (the as_of), epoch_moments and epoch_tests; returns {"jobs", "tests" (stats_id,
 *       kind, k, p), "k0" (the pattern-wide moments, for the shrinkage of k = 0 cells across patterns)}.
 *   scaleout.shard_choose(as_of, doc) -> jsonb    round 3: the tests of round 2, with the q-values, layers and the other
 *       shards' k = 0 moments of doc (the router's Benjamini-Yekutieli over all tests), then self-sufficiency,
 *       productivity, shrinkage (learning._lessons_choose); keeps its tests in the work table scaleout.epoch_tests
 *       (until round 4, which drops it) and returns the tests of the cells with a chosen test ("tests", both kinds, all
 *       columns) and the facts of the chosen cells ("facts"), for the overlap rule and the lessons on the router.
 *   scaleout.shard_record(as_of, doc) -> jsonb    round 4: the epoch's row, this shard's candidates with the router's
 *       outcome of the overlap rule for its chosen cells (learning._lessons_record), and the trailing-window edges of
 *       the lessons of its patterns (learning._lesson_window_edges); returns {"candidates", "edges"}.
 *   scaleout.shard_fold_in(as_of) -> integer      last: learning.fold_in_closes (the closes after as_of).
 * Stats ids are unique across shards (scaleout.shard_layout) but not one node's: cells are identified across a
 * deployment by their natural key (pattern, category, mask, scope hash).
 */
CREATE OR REPLACE FUNCTION scaleout.shard_summary(p_as_of timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_patterns jsonb := '[]';
BEGIN
    -- the pattern means of the base this shard's rebuild will have (the cube's first two stages, rolled back): the
    -- same rows, summed in the same way, as one node's learning.category_baselines reads
    PERFORM pg_advisory_xact_lock(hashtext('pglearn'), hashtext('cube'));
    BEGIN
        IF learning._cube_facts(p_as_of) > 0 THEN
            PERFORM learning._cube_base(p_as_of);
            SELECT coalesce(jsonb_agg(to_jsonb(pm)), '[]') INTO v_patterns FROM learning._cube_pattern_means() AS pm;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'LR999', MESSAGE = 'roll the trial base back';
    EXCEPTION WHEN SQLSTATE 'LR999' THEN
        NULL;
    END;
    RETURN jsonb_build_object(
        'patterns', v_patterns,
        'first_fact', (SELECT min(f.closed_at) FROM learning._trade_facts('-infinity', p_as_of) AS f),
        'last_fact', (SELECT max(f.closed_at) FROM learning._trade_facts('-infinity', p_as_of) AS f),
        'first_close', (SELECT min(t.closed_at) FROM learning.completed_trades AS t),
        'trades', to_jsonb(ARRAY(SELECT t.position_id::text FROM learning.completed_trades AS t WHERE t.closed_at <= p_as_of)),
        'fire_position', to_jsonb(ARRAY(SELECT a.position_id::text FROM learning.action_log AS a
                                        JOIN learning.completed_trades AS t ON t.position_id = a.position_id
                                        WHERE t.closed_at <= p_as_of ORDER BY a.id)),
        'fire_pattern', to_jsonb(ARRAY(SELECT a.pattern_key::text FROM learning.action_log AS a
                                       JOIN learning.completed_trades AS t ON t.position_id = a.position_id
                                       WHERE t.closed_at <= p_as_of ORDER BY a.id)),
        'first_actions', (SELECT coalesce(jsonb_agg(jsonb_build_object('position_id', x.position_id, 'first_action_at', x.first_at)), '[]')
                          FROM (SELECT a.position_id, min(a.ts) AS first_at
                                FROM learning.action_log AS a
                                WHERE EXISTS (SELECT 1 FROM learning.completed_trades AS t WHERE t.position_id = a.position_id)
                                GROUP BY a.position_id) AS x),
        'oos', (SELECT coalesce(jsonb_agg(to_jsonb(o)), '[]') FROM learning._oos_evidence(p_as_of) AS o));
END;
$$;
COMMENT ON FUNCTION scaleout.shard_summary(timestamptz) IS
'Issue 16 (shard side), round 1 of the cycle: the per-pattern sums, frame bounds, co-firing pairs, first actions and out-of-sample evidence the router needs.';
REVOKE ALL ON FUNCTION scaleout.shard_summary(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_summary(timestamptz) TO pglearn_admin;
