/*
 * learning._lessons_overlap() -> integer
 *
 * Private, stage 4 of an epoch (learning.build_lessons, docs/levers.md): the overlap rule between the chosen tests
 * of _lc_test, strongest first (p, then |t|, then the cell's natural key: pattern, category, mask, scope hash; on one
 * node after a rebuild that is the stats id order), over the facts of _lc_fact and the latent factors. Spans
 * patterns (a chosen cell may lose to a stronger one of another pattern sharing its trades): on a sharded
 * deployment the router runs it over the chosen tests and their facts the shards hand up. Returns the number of
 * tests still chosen.
 */
CREATE OR REPLACE FUNCTION learning._lessons_overlap()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_cell record;
    v_rem_n integer;
    v_rem_mean float;
    v_rem_var float;
    v_rem_p float;
BEGIN
    -- 5b. overlap: strongest first (p, then |t|, then the cell's natural key), a chosen cell must keep its effect once the trades
    -- of stronger chosen cells with an effect of the same sign that share trades with it are removed (removing an
    -- opposite effect's trades would only inflate this one; same kind; within its own pattern only cells
    -- that are neither its ancestors nor its descendants; of another pattern or category: any, unless both patterns
    -- are in one latent factor, whose duplicates the materializer merges). A cell that only borrows a stronger
    -- lesson's trades is not a lesson of its own: a correlated dimension of the same pattern, or another action of
    -- the same trades (trades entered in Oh-Shit also exit in it, so an entry pattern inherits an exit pattern's
    -- Oh-Shit effect through the shared trade R/R).
    UPDATE _lc_test AS x SET ord = r.rn
    FROM (SELECT y.stats_id, y.kind,
                 row_number() OVER (ORDER BY y.p, abs(y.mean - y.mu0) / sqrt(greatest(y.var, 1e-300) / y.n) DESC,
                                    y.pattern_key, y.action_category, y.scope_mask, y.scope_values_hash, y.kind) AS rn
          FROM _lc_test AS y WHERE y.chosen) AS r
    WHERE r.stats_id = x.stats_id AND r.kind = x.kind;
    FOR v_cell IN
        SELECT x.stats_id, x.kind, x.pattern_key, x.action_category, x.scope_values, x.mu0, x.mean, x.k, x.ord
        FROM _lc_test AS x
        WHERE x.chosen AND x.ord > 1
        ORDER BY x.ord
    LOOP
        DROP TABLE IF EXISTS _lc_rival;
        CREATE TEMP TABLE _lc_rival ON COMMIT DROP AS
        SELECT o.pattern_key, o.action_category, o.scope_values
        FROM _lc_test AS o
        WHERE o.chosen AND o.kind = v_cell.kind AND o.ord < v_cell.ord
          AND sign(o.mean - o.mu0) = sign(v_cell.mean - v_cell.mu0)  -- an opposite effect cannot explain this one
          AND NOT (o.pattern_key = v_cell.pattern_key AND o.action_category = v_cell.action_category
                   AND (o.scope_values @> v_cell.scope_values OR v_cell.scope_values @> o.scope_values))
          AND NOT (o.pattern_key <> v_cell.pattern_key AND EXISTS (
              SELECT 1 FROM learning.learning_latent_factors AS lf
              WHERE o.pattern_key = ANY (lf.pattern_keys) AND v_cell.pattern_key = ANY (lf.pattern_keys)))
          AND EXISTS (  -- it shares at least one trade with the cell
              SELECT 1 FROM _lc_fact AS f JOIN _lc_fact AS g ON g.position_id = f.position_id
              WHERE f.pattern_key = v_cell.pattern_key AND f.action_category = v_cell.action_category
                AND f.scope @> v_cell.scope_values
                AND g.pattern_key = o.pattern_key AND g.action_category = o.action_category AND g.scope @> o.scope_values);
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM _lc_rival);
        SELECT count(v.x)::int, avg(v.x), var_samp(v.x)
        INTO v_rem_n, v_rem_mean, v_rem_var
        FROM _lc_fact AS f
        CROSS JOIN LATERAL (SELECT CASE WHEN v_cell.kind = 'rr' THEN f.rr ELSE f.cf END AS x) AS v
        WHERE f.pattern_key = v_cell.pattern_key AND f.action_category = v_cell.action_category AND f.scope @> v_cell.scope_values
          AND NOT EXISTS (
              SELECT 1 FROM _lc_rival AS r
              JOIN _lc_fact AS g ON g.pattern_key = r.pattern_key AND g.action_category = r.action_category
              WHERE g.position_id = f.position_id AND g.scope @> r.scope_values);
        v_rem_p := learning.mean_test_p(v_rem_n, v_rem_mean, v_rem_var, v_cell.mu0);
        IF NOT learning._persists(v_rem_p, (SELECT ly.crit FROM _lc_layer AS ly WHERE ly.k = v_cell.k),
                                  v_rem_mean - v_cell.mu0, v_cell.mean - v_cell.mu0) THEN
            UPDATE _lc_test AS x
            SET chosen = false, productive = false, remainder_n = v_rem_n, remainder_p = v_rem_p,
                explained_by = (SELECT jsonb_agg(CASE WHEN r.pattern_key = v_cell.pattern_key AND r.action_category = v_cell.action_category
                                                      THEN r.scope_values
                                                      ELSE jsonb_build_object('pattern_key', r.pattern_key, 'action_category', r.action_category,
                                                                              'scope', r.scope_values) END)
                                FROM _lc_rival AS r)
            WHERE x.stats_id = v_cell.stats_id AND x.kind = v_cell.kind;
        END IF;
    END LOOP;
    RETURN (SELECT count(*)::int FROM _lc_test AS x WHERE x.chosen);
END;
$$;
COMMENT ON FUNCTION learning._lessons_overlap() IS
'Private, epoch stage 4: the overlap rule between chosen tests of all patterns sharing trades (spans patterns).';
REVOKE ALL ON FUNCTION learning._lessons_overlap() FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_overlap() TO pglearn_admin;
