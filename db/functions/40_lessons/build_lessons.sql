/*
 * learning.build_lessons(as_of timestamptz DEFAULT now()) -> integer
 *
 * One learning epoch (roadmap 2.2) with false-discovery control over the whole scope search (docs/levers.md):
 *  1. tests: every cube cell (learning.scope_stats(as_of): pattern_scope_stats finished against the baselines of
 *     learning.category_baselines(as_of)) is a test of its mean rr against the category baseline b (kind rr,
 *     one-sample t, n - 1 df); an entry cell whose counterfactuals cover at least half its samples (and
 *     cf_min_n) is also a test of its counterfactual gain of a later entry against 0, a trim/exit cell the
 *     same for its signed gain of a later (+) or earlier (-) exit (kind cf).
 *  2. layered Benjamini-Yekutieli: the tests of one subset size k form a layer; BY at fdr_q / L within each of
 *     the L non-empty layers (q_value = min(1, L * BY-adjusted p)); the union controls the FDR at fdr_q.
 *     significant: q_value <= fdr_q; the layer's critical p is d_k * (fdr_q / L) / (m_k * c(m_k)).
 *  3. self-sufficiency: a significant cell with k >= 1 must differ (Welch, same critical p, same direction)
 *     from each immediate parent with the cell's samples removed.
 *  4. independent productivity: a significant, self-sufficient cell with significant, self-sufficient
 *     descendants must keep its effect (same test, same critical p) once their samples are removed.
 *     overlap: strongest first, a chosen cell must also keep its effect without the trades of stronger chosen
 *     cells it shares trades with: of its own pattern if neither its ancestors nor descendants, of any other
 *     pattern or category outside its latent factor (a lesson that only borrows a stronger lesson's trades, through
 *     a correlated dimension or another action of the same trades, is not a lesson of its own).
 *  5. shrinkage: the cell mean shrunk toward its parent's mean (b, resp. 0, for k = 0) by empirical Bayes,
 *     w = n / (n + s^2 / tau^2), tau^2 = max(0, mean((sibling mean - parent mean)^2) - mean(s^2 / n)) over the
 *     sibling cells (same mask and parent); the shrunk edge (edge_raw scaled by the shrunk / raw effect) must
 *     reach edge_min for an R/R lesson.
 *  6. lessons: the chosen cells are upserted active (a stale lesson keeps its levers, a retired one starts
 *     afresh, a rolled-back one stays rolled back); capital levers move one bounded step from the shrunk edge
 *     when the rr test chose the cell, execution levers from the shrunk counterfactual gain when the cf test did.
 *  7. lifecycle: a lesson not re-confirmed for stale_after_epochs epochs becomes stale, for retire_after_epochs
 *     retired; the out-of-sample guard rolls back an active lesson whose overrides underperformed its pattern
 *     (score_overrides, signed by the size lever) over >= oos_min_trades matched trades, one-sided p < oos_p.
 *  8. every active or stale lesson's edge over the trailing edge_window_days is appended to learning_edge_history
 *     (window_days set) once the history covers a whole window: the series the half-life fit reads.
 * Every test of the epoch, with the reason it is or is not a lesson, is kept in learning.lesson_candidate
 * (v_lesson_candidates); the epoch itself in learning.lesson_epoch. An as_of at or before the latest epoch
 * changes nothing (re-running an epoch is a no-op). Returns the number of lessons written.
 * The steps are stage functions (issue 16), so a sharded deployment runs the per-pattern ones on the shards and
 * the ones spanning patterns on the router (scaleout.run_learning_cycle, docs/operations.md "Scaling out"):
 * learning._lessons_tests (1, per pattern), _lessons_by (2, all tests), _lessons_choose (3-5, per pattern, with
 * _lessons_facts), _lessons_overlap (5b, all chosen cells), _lessons_epoch (the epoch), _lessons_record (its
 * candidates, per pattern), _lessons_upsert (6, over _lc_test's chosen cells), _lessons_lifecycle (7),
 * _lesson_window_edges (8, per pattern).
 */
CREATE OR REPLACE FUNCTION learning.build_lessons(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_epoch integer;
    v_layers integer;
    v_rows integer;
BEGIN
    PERFORM learning._check_as_of(build_lessons.as_of);
    IF EXISTS (SELECT 1 FROM learning.lesson_epoch AS e WHERE e.as_of >= build_lessons.as_of) THEN
        RETURN 0;  -- this epoch (or a later one) is done
    END IF;
    SELECT coalesce(max(e.epoch_no), 0) + 1 INTO v_epoch FROM learning.lesson_epoch AS e;
    PERFORM learning._lessons_tests(build_lessons.as_of);              -- 1. moments and tests
    v_layers := learning._lessons_by();                                 -- 2. layered Benjamini-Yekutieli
    PERFORM learning._lessons_choose(build_lessons.as_of);             -- 3-5. parents, productivity, shrinkage
    PERFORM learning._lessons_overlap();                                -- 5b. overlap
    PERFORM learning._lessons_epoch(v_epoch, build_lessons.as_of, v_layers);
    PERFORM learning._lessons_record(v_epoch);
    v_rows := learning._lessons_upsert(v_epoch, build_lessons.as_of);   -- 6. lessons
    PERFORM learning._lessons_lifecycle(v_epoch, build_lessons.as_of);  -- 7. stale, retired, out-of-sample guard
    -- 8. trailing-window edge of every active or stale lesson scope (the half-life series)
    INSERT INTO learning.learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n, window_days)
    SELECT w.pattern_key, w.action_category, w.scope_signature, w.edge_raw, build_lessons.as_of, w.n,
           (learning.pm_config() #>> '{tunables,edge_window_days}')::int
    FROM learning._lesson_window_edges(
        build_lessons.as_of, (SELECT min(t.closed_at) FROM learning.completed_trades AS t), learning._window_lessons()) AS w;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.build_lessons(timestamptz) IS
'One learning epoch: layered BY over every cell''s tests, self-sufficiency, independent productivity, shrinkage; chosen cells become lessons (levers one bounded step), the rest age into stale/retired, the out-of-sample guard rolls back; idempotent per as_of.';
REVOKE ALL ON FUNCTION learning.build_lessons(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.build_lessons(timestamptz) TO pglearn_admin;
