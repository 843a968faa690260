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
 */
CREATE OR REPLACE FUNCTION learning.build_lessons(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    -- each lever's neutral value (learning.lever_catalogue(), the one source): where a new lesson's levers start
    nt constant jsonb := (SELECT jsonb_object_agg(c.lever, c.neutral) FROM learning.lever_catalogue() AS c);
    v_lr constant float := (t ->> 'learning_rate')::float;
    v_max_step constant float := (t ->> 'max_step')::float;
    v_q constant float := (t ->> 'fdr_q')::float;
    v_edge_min constant float := (t ->> 'edge_min')::float;
    v_cf_min_n constant int := (t ->> 'cf_min_n')::int;
    v_stale constant int := (t ->> 'stale_after_epochs')::int;
    v_retire constant int := (t ->> 'retire_after_epochs')::int;
    v_window constant int := (t ->> 'edge_window_days')::int;
    v_oos_min constant int := (t ->> 'oos_min_trades')::int;
    v_oos_p constant float := (t ->> 'oos_p')::float;
    v_h constant float := (t ->> 'ref_hold_hours')::float;
    v_epoch integer;
    v_layers integer;
    v_rows integer;
    v_cell record;
    v_rem_n integer;
    v_rem_mean float;
    v_rem_var float;
    v_rem_p float;
BEGIN
    PERFORM learning._check_as_of(build_lessons.as_of);
    IF EXISTS (SELECT 1 FROM learning.lesson_epoch AS e WHERE e.as_of >= build_lessons.as_of) THEN
        RETURN 0;  -- this epoch (or a later one) is done
    END IF;
    SELECT coalesce(max(e.epoch_no), 0) + 1 INTO v_epoch FROM learning.lesson_epoch AS e;
    DROP TABLE IF EXISTS _lc_moment, _lc_test, _lc_q, _lc_layer, _lc_parent, _lc_desc, _lc_fact, _lc_rem, _lc_shrink, _lc_rival;

    -- 1. moments of every cell and kind, and the tests among them ---------------------------------------
    CREATE TEMP TABLE _lc_moment ON COMMIT DROP AS
    SELECT s.id AS stats_id, x.kind, s.pattern_key, s.action_category, s.scope_mask, s.scope_values, s.scope_values_hash,
           bit_count(s.scope_mask::int::bit(16))::int AS k, x.n, x.mean, greatest(x.var, 0) AS var, x.mu0, x.eligible,
           s.edge_raw AS edge_raw,
           CASE WHEN x.kind = 'rr' THEN s.sum_t END AS st,
           CASE WHEN x.kind = 'rr' THEN s.sum_t2 END AS st2,
           CASE WHEN x.kind = 'rr' THEN s.sum_t_rr END AS sty
    FROM learning.scope_stats(build_lessons.as_of) AS s
    CROSS JOIN LATERAL (
        VALUES ('rr', s.n, s.avg_rr, s.variance, s.rr_baseline, true),
               ('cf', CASE WHEN s.action_category = 'entry' THEN s.cf_entry_gain_n
                           WHEN s.action_category IN ('trim', 'exit') THEN s.cf_exit_signed_n END,
                      CASE WHEN s.action_category = 'entry' THEN s.cf_entry_gain_rr_mean
                           ELSE s.cf_exit_signed_mean END,
                      CASE WHEN s.action_category = 'entry' THEN s.cf_entry_gain_var
                           ELSE s.cf_exit_signed_var END,
                      0.0::float,
                      -- counterfactual evidence counts only when most samples carry it (and, for entries, the
                      -- better entry lay at least half a bar later on average)
                      CASE WHEN s.action_category = 'entry'
                           THEN coalesce(s.cf_entry_gain_n, 0) >= greatest(v_cf_min_n, s.n / 2.0)
                                AND coalesce(s.cf_entry_delay_n, 0) >= greatest(v_cf_min_n, s.n / 2.0)
                                AND coalesce(s.cf_entry_delay_bars_mean, 0) >= 0.5
                           ELSE coalesce(s.cf_exit_signed_n, 0) >= greatest(v_cf_min_n, s.n / 2.0) END)
    ) AS x (kind, n, mean, var, mu0, eligible)
    WHERE x.n >= 2 AND x.mean IS NOT NULL AND x.var IS NOT NULL AND x.mu0 IS NOT NULL;
    CREATE INDEX ON _lc_moment (pattern_key, action_category, kind, scope_mask, scope_values_hash);
    ANALYZE _lc_moment;

    CREATE TEMP TABLE _lc_test ON COMMIT DROP AS
    SELECT m.*, learning.mean_test_p(m.n, m.mean, m.var, m.mu0) AS p, NULL::float AS q, false AS sig
    FROM _lc_moment AS m
    WHERE m.eligible;
    ANALYZE _lc_test;

    -- 2. layered Benjamini-Yekutieli: BY at fdr_q / L within each subset size -----------------------------
    SELECT count(DISTINCT x.k) INTO v_layers FROM _lc_test AS x WHERE x.p IS NOT NULL;
    CREATE TEMP TABLE _lc_q ON COMMIT DROP AS
    SELECT u.stats_id, u.kind, u.q
    FROM (SELECT y.k, array_agg(y.p ORDER BY y.stats_id, y.kind) AS ps, array_agg(y.stats_id ORDER BY y.stats_id, y.kind) AS ids,
                 array_agg(y.kind ORDER BY y.stats_id, y.kind) AS kinds
          FROM _lc_test AS y WHERE y.p IS NOT NULL GROUP BY y.k) AS l
    CROSS JOIN LATERAL unnest(l.ids, l.kinds, learning.by_adjust(l.ps)) AS u (stats_id, kind, q);
    ANALYZE _lc_q;
    UPDATE _lc_test AS x
    SET q = least(1.0, v_layers * a.q), sig = v_layers * a.q <= v_q
    FROM _lc_q AS a
    WHERE a.stats_id = x.stats_id AND a.kind = x.kind;
    ANALYZE _lc_test;

    CREATE TEMP TABLE _lc_layer ON COMMIT DROP AS
    SELECT x.k, count(x.p)::int AS m, (count(*) FILTER (WHERE x.sig))::int AS d,
           (count(*) FILTER (WHERE x.sig)) * (v_q / nullif(v_layers, 0)) / (count(x.p) * learning.by_harmonic(count(x.p))) AS crit
    FROM _lc_test AS x
    WHERE x.p IS NOT NULL
    GROUP BY x.k;

    -- 3. self-sufficiency: each significant cell against each immediate parent without its samples ---------
    CREATE TEMP TABLE _lc_parent ON COMMIT DROP AS
    SELECT x.stats_id, x.kind, d.dim_name, pm.n AS parent_n, pm.mean AS parent_mean, r.n_r, r.mean_r, r.var_r,
           CASE WHEN a.d IS NULL THEN learning.welch_test_p(x.n, x.mean, x.var, r.n_r, r.mean_r, r.var_r)
                WHEN r.n_r < 3 THEN NULL
                WHEN a.var_d <= 0 THEN CASE WHEN a.d = 0 THEN 1.0 ELSE 0.0 END
                ELSE learning.t_pvalue(a.d / sqrt(a.var_d), x.n + r.n_r - 3) END AS p_parent,
           coalesce(a.d, x.mean - r.mean_r) AS diff,
           pm.scope_values AS parent_scope
    FROM _lc_test AS x
    JOIN learning.scope_dimension AS d
        ON d.namespace = split_part(x.pattern_key, '.', 1) AND (x.scope_mask & (1 << d.bit)) <> 0
    LEFT JOIN _lc_moment AS pm
        ON pm.pattern_key = x.pattern_key AND pm.action_category = x.action_category AND pm.kind = x.kind
       AND pm.scope_mask = x.scope_mask - (1 << d.bit) AND pm.scope_values_hash = md5((x.scope_values - d.dim_name)::text)
    CROSS JOIN LATERAL (
        SELECT pm.n - x.n AS n_r, (pm.n * pm.mean - x.n * x.mean) / nullif(pm.n - x.n, 0) AS mean_r
    ) AS r0
    CROSS JOIN LATERAL (
        SELECT r0.n_r, r0.mean_r,
               greatest(0, ((pm.n - 1) * pm.var + pm.n * pm.mean ^ 2 - (x.n - 1) * x.var - x.n * x.mean ^ 2
                            - r0.n_r * r0.mean_r ^ 2) / nullif(r0.n_r - 1, 0)) AS var_r
    ) AS r
    -- R/R cells: time-adjusted (ANCOVA with a common slope on t, the close time in weeks), so a cell whose samples
    -- merely fall in another period than the rest of its parent's (a fading pattern) is not self-sufficient:
    --   beta = (Sty_c + Sty_r) / (Stt_c + Stt_r),  D = (mean_c - mean_r) - beta (tbar_c - tbar_r),
    --   var(D) = s^2 (1/n_c + 1/n_r + (tbar_c - tbar_r)^2 / (Stt_c + Stt_r)),  s^2 = SSE / (n_c + n_r - 3)
    LEFT JOIN LATERAL (
        SELECT m.d, m.s2 * (1.0 / x.n + 1.0 / nullif(r.n_r, 0) + coalesce((m.tc - m.tr) ^ 2 / nullif(m.stt, 0), 0)) AS var_d
        FROM (SELECT g.tc, g.tr, g.stt,
                     (x.mean - r.mean_r) - coalesce(g.sty / nullif(g.stt, 0), 0) * (g.tc - g.tr) AS d,
                     greatest(0, g.syy - coalesce(g.sty ^ 2 / nullif(g.stt, 0), 0)) / nullif(x.n + r.n_r - 3, 0) AS s2
              FROM (SELECT x.st / x.n AS tc, (pm.st - x.st) / nullif(r.n_r, 0) AS tr,
                           (x.st2 - x.st ^ 2 / x.n) + ((pm.st2 - x.st2) - (pm.st - x.st) ^ 2 / nullif(r.n_r, 0)) AS stt,
                           (x.sty - x.st * x.mean) + ((pm.sty - x.sty) - (pm.st - x.st) * r.mean_r) AS sty,
                           (x.n - 1) * x.var + (r.n_r - 1) * r.var_r AS syy) AS g) AS m
        WHERE x.kind = 'rr' AND x.st IS NOT NULL AND pm.st IS NOT NULL AND r.n_r >= 1
    ) AS a ON true
    WHERE x.sig AND x.k >= 1;

    ALTER TABLE _lc_test ADD COLUMN parent_p float, ADD COLUMN weakest_parent jsonb, ADD COLUMN ss boolean,
        ADD COLUMN remainder_n integer, ADD COLUMN remainder_p float, ADD COLUMN productive boolean,
        ADD COLUMN w float, ADD COLUMN shrunk float, ADD COLUMN edge_shrunk float, ADD COLUMN chosen boolean NOT NULL DEFAULT false,
        ADD COLUMN inc float, ADD COLUMN explained_by jsonb;
    UPDATE _lc_test AS x SET ss = x.k = 0 WHERE x.sig;
    UPDATE _lc_test AS x
    SET ss = pp.all_ok, parent_p = pp.worst_p, weakest_parent = pp.worst_scope, inc = pp.min_diff
    FROM (
        SELECT c.stats_id, c.kind,
               bool_and(learning._persists(p.p_parent, ly.crit, p.diff, c.mean - c.mu0)) AS all_ok,
               max(coalesce(p.p_parent, 1)) AS worst_p,
               (array_agg(p.parent_scope ORDER BY coalesce(p.p_parent, 1) DESC, p.dim_name))[1] AS worst_scope,
               min(abs(p.diff)) AS min_diff
        FROM _lc_parent AS p
        JOIN _lc_test AS c ON c.stats_id = p.stats_id AND c.kind = p.kind
        JOIN _lc_layer AS ly ON ly.k = c.k
        GROUP BY c.stats_id, c.kind
    ) AS pp
    WHERE pp.stats_id = x.stats_id AND pp.kind = x.kind;

    -- 4. independent productivity: without the samples of its significant, self-sufficient descendants --------
    CREATE TEMP TABLE _lc_desc ON COMMIT DROP AS
    SELECT c.stats_id, c.kind, d.scope_values AS d_scope
    FROM _lc_test AS c
    JOIN _lc_test AS d
        ON d.pattern_key = c.pattern_key AND d.action_category = c.action_category AND d.kind = c.kind
       AND d.scope_mask <> c.scope_mask AND (d.scope_mask & c.scope_mask) = c.scope_mask AND d.scope_values @> c.scope_values
    WHERE c.sig AND c.ss AND d.sig AND d.ss;

    -- the facts of the patterns that still have candidates (the remainders below are taken over them)
    CREATE TEMP TABLE _lc_fact ON COMMIT DROP AS
    SELECT f.pattern_key, f.action_category, f.position_id, f.scope, f.rr,
           CASE WHEN f.action_category = 'entry' THEN (f.details ->> 'cf_entry_gain_rr')::float
                ELSE learning._cf_exit_signed_gain(f.details) END AS cf
    FROM learning._trade_facts('-infinity', build_lessons.as_of) AS f
    WHERE (f.pattern_key, f.action_category) IN (SELECT x.pattern_key, x.action_category FROM _lc_test AS x WHERE x.sig AND x.ss);
    CREATE INDEX ON _lc_fact (pattern_key, action_category);
    CREATE INDEX ON _lc_fact (position_id);
    ANALYZE _lc_fact;

    CREATE TEMP TABLE _lc_rem ON COMMIT DROP AS
    WITH cell AS (
        SELECT DISTINCT c.stats_id, c.kind, c.pattern_key, c.action_category, c.scope_values
        FROM _lc_test AS c JOIN _lc_desc AS dd ON dd.stats_id = c.stats_id AND dd.kind = c.kind
    )
    SELECT cell.stats_id, cell.kind, count(v.x)::int AS n, avg(v.x) AS mean, var_samp(v.x) AS var
    FROM cell
    JOIN _lc_fact AS f
        ON f.pattern_key = cell.pattern_key AND f.action_category = cell.action_category AND f.scope @> cell.scope_values
    CROSS JOIN LATERAL (SELECT CASE WHEN cell.kind = 'rr' THEN f.rr ELSE f.cf END AS x) AS v
    WHERE NOT EXISTS (SELECT 1 FROM _lc_desc AS dd WHERE dd.stats_id = cell.stats_id AND dd.kind = cell.kind AND f.scope @> dd.d_scope)
    GROUP BY cell.stats_id, cell.kind;

    UPDATE _lc_test AS x
    SET remainder_n = rp.n, remainder_p = rp.p, productive = learning._persists(rp.p, ly.crit, rp.mean - x.mu0, x.mean - x.mu0)
    FROM _lc_layer AS ly, (
        SELECT has.stats_id, has.kind, coalesce(r.n, 0) AS n, r.mean, learning.mean_test_p(r.n, r.mean, r.var, t.mu0) AS p
        FROM (SELECT DISTINCT dd.stats_id, dd.kind FROM _lc_desc AS dd) AS has
        JOIN _lc_test AS t ON t.stats_id = has.stats_id AND t.kind = has.kind
        LEFT JOIN _lc_rem AS r ON r.stats_id = has.stats_id AND r.kind = has.kind
    ) AS rp
    WHERE ly.k = x.k AND rp.stats_id = x.stats_id AND rp.kind = x.kind;
    UPDATE _lc_test AS x SET productive = true WHERE x.sig AND x.ss AND x.productive IS NULL;

    -- 5. empirical-Bayes shrinkage toward the parent's mean, tau^2 from the sibling cells --------------------
    CREATE TEMP TABLE _lc_shrink ON COMMIT DROP AS
    SELECT x.stats_id, x.kind, par.m_par,
           (SELECT greatest(0, avg((sib.mean - par.m_par) ^ 2) - avg(sib.var / sib.n))
            FROM _lc_moment AS sib
            WHERE sib.pattern_key = CASE WHEN x.k = 0 THEN sib.pattern_key ELSE x.pattern_key END
              AND sib.action_category = x.action_category AND sib.kind = x.kind AND sib.scope_mask = x.scope_mask
              AND (x.k = 0 OR md5((sib.scope_values - par.dim_name)::text) = md5((x.scope_values - par.dim_name)::text))
           ) AS tau2
    FROM _lc_test AS x
    CROSS JOIN LATERAL (  -- the largest immediate parent (none for k = 0: the null mean)
        SELECT coalesce(lp.parent_mean, x.mu0) AS m_par, lp.dim_name
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
            SELECT p.parent_mean, p.dim_name FROM _lc_parent AS p WHERE p.stats_id = x.stats_id AND p.kind = x.kind
            ORDER BY p.parent_n DESC, p.dim_name LIMIT 1
        ) AS lp ON true
    ) AS par
    WHERE x.sig AND x.ss AND x.productive;

    UPDATE _lc_test AS x
    SET w = s.w, shrunk = s.w * x.mean + (1 - s.w) * s.m_par,
        edge_shrunk = CASE WHEN x.kind = 'rr' THEN x.edge_raw * (s.w * x.mean + (1 - s.w) * s.m_par - x.mu0) / nullif(x.mean - x.mu0, 0) END
    FROM (SELECT sh.stats_id, sh.kind, sh.m_par,
                 CASE WHEN x2.var = 0 THEN 1.0 WHEN sh.tau2 > 0 THEN x2.n / (x2.n + x2.var / sh.tau2) ELSE 0.0 END AS w
          FROM _lc_shrink AS sh JOIN _lc_test AS x2 ON x2.stats_id = sh.stats_id AND x2.kind = sh.kind) AS s
    WHERE s.stats_id = x.stats_id AND s.kind = x.kind;

    UPDATE _lc_test AS x
    SET chosen = CASE WHEN x.kind = 'rr' THEN abs(x.edge_shrunk) >= v_edge_min AND sign(x.shrunk - x.mu0) = sign(x.mean - x.mu0)
                      WHEN x.action_category = 'entry' THEN x.shrunk > 0
                      ELSE x.shrunk <> 0 END
    WHERE x.sig AND x.ss AND x.productive AND x.w IS NOT NULL;

    -- 5b. overlap: strongest first (p, then |t|, then stats id), a chosen cell must keep its effect once the trades
    -- of stronger chosen cells with an effect of the same sign that share trades with it are removed (removing an
    -- opposite effect's trades would only inflate this one; same kind; within its own pattern only cells
    -- that are neither its ancestors nor its descendants; of another pattern or category: any, unless both patterns
    -- are in one latent factor, whose duplicates the materializer merges). A cell that only borrows a stronger
    -- lesson's trades is not a lesson of its own: a correlated dimension of the same pattern, or another action of
    -- the same trades (trades entered in Oh-Shit also exit in it, so an entry pattern inherits an exit pattern's
    -- Oh-Shit effect through the shared trade R/R).
    ALTER TABLE _lc_test ADD COLUMN ord integer;
    UPDATE _lc_test AS x SET ord = r.rn
    FROM (SELECT y.stats_id, y.kind,
                 row_number() OVER (ORDER BY y.p, abs(y.mean - y.mu0) / sqrt(greatest(y.var, 1e-300) / y.n) DESC, y.stats_id) AS rn
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

    -- the epoch and its tests, with the reason each is or is not a lesson ---------------------------------
    INSERT INTO learning.lesson_epoch (epoch_no, as_of, fdr_q, layers, tests, discoveries, chosen, per_layer)
    SELECT v_epoch, build_lessons.as_of, v_q, coalesce(v_layers, 0),
           (SELECT count(*) FROM _lc_test AS x WHERE x.p IS NOT NULL),
           (SELECT count(*) FROM _lc_test AS x WHERE x.sig),
           (SELECT count(*) FROM _lc_test AS x WHERE x.chosen),
           coalesce((SELECT jsonb_agg(jsonb_build_object('k', ly.k, 'tests', ly.m, 'discoveries', ly.d, 'critical_p', ly.crit) ORDER BY ly.k)
                     FROM _lc_layer AS ly), '[]');
    DELETE FROM learning.lesson_candidate AS c WHERE c.epoch_no < v_epoch;  -- only the latest epoch's tests are kept
    INSERT INTO learning.lesson_candidate (
        epoch_no, stats_id, kind, pattern_key, action_category, scope_mask, scope_values, scope_values_hash, k, n, mean,
        variance, null_mean, p_value, q_value, significant, parent_p, weakest_parent, self_sufficient, remainder_n,
        remainder_p, productive, shrink_weight, shrunk_mean, edge_raw, edge_shrunk, chosen, reason
    )
    SELECT v_epoch, x.stats_id, x.kind, x.pattern_key, x.action_category, x.scope_mask, x.scope_values, x.scope_values_hash,
           x.k, x.n, x.mean, x.var, x.mu0, x.p, x.q, x.sig, x.parent_p, x.weakest_parent, x.ss, x.remainder_n, x.remainder_p,
           x.productive, x.w, x.shrunk, CASE WHEN x.kind = 'rr' THEN x.edge_raw END, x.edge_shrunk, x.chosen,
           CASE
               WHEN x.p IS NULL THEN 'not tested: no variance to test against'
               WHEN NOT x.sig THEN format('not significant: q = %s > fdr_q = %s (p = %s, %s tests with k = %s)',
                   round(x.q::numeric, 4), v_q, to_char(x.p, '9.99EEEE'), ly.m, x.k)
               WHEN NOT x.ss THEN format('not self-sufficient: does not differ from its parent %s without its samples (p = %s > %s)',
                   x.weakest_parent, to_char(x.parent_p, '9.99EEEE'), to_char(ly.crit, '9.99EEEE'))
               WHEN x.explained_by IS NOT NULL THEN format(
                   'explained by stronger overlapping lesson(s) %s: without their samples its effect is gone (n = %s, p = %s)',
                   x.explained_by, x.remainder_n, coalesce(to_char(x.remainder_p, '9.99EEEE'), 'none'))
               WHEN NOT x.productive THEN format(
                   'not independently productive: without the samples of its significant descendants its effect is gone (n = %s, p = %s)',
                   x.remainder_n, coalesce(to_char(x.remainder_p, '9.99EEEE'), 'none'))
               WHEN x.chosen THEN format('lesson: q = %s, self-sufficient and productive, shrinkage weight %s, %s',
                   to_char(x.q, '9.99EEEE'), round(x.w::numeric, 3),
                   CASE WHEN x.kind = 'rr' THEN format('shrunk edge %s', round(x.edge_shrunk::numeric, 3))
                        ELSE format('shrunk counterfactual gain %s R', round(x.shrunk::numeric, 3)) END)
               WHEN x.kind = 'rr' THEN format('below the effect-size floor: shrunk edge %s, edge_min %s',
                   round(coalesce(x.edge_shrunk, 0)::numeric, 3), v_edge_min)
               ELSE 'the counterfactual does not favour a later entry once shrunk'
           END
    FROM _lc_test AS x
    LEFT JOIN _lc_layer AS ly ON ly.k = x.k;

    -- 6. lessons: one per chosen cell, levers one bounded step -------------------------------------------
    WITH cell AS (
        SELECT c.stats_id, c.pattern_key, c.action_category, c.scope_mask, c.scope_values, c.scope_values_hash,
               bool_or(c.kind = 'rr' AND c.chosen) AS rr_ok, bool_or(c.kind = 'cf' AND c.chosen) AS cf_ok,
               max(c.edge_shrunk) FILTER (WHERE c.kind = 'rr') AS edge,
               max(c.shrink_weight) FILTER (WHERE c.kind = 'rr' AND c.chosen) AS w_rr,
               max(c.shrink_weight) FILTER (WHERE c.kind = 'cf' AND c.chosen) AS w_cf,
               max(c.shrunk_mean) FILTER (WHERE c.kind = 'cf' AND c.chosen) AS cf_gain,
               min(c.p_value) FILTER (WHERE c.chosen) AS p, min(c.q_value) FILTER (WHERE c.chosen) AS q
        FROM learning.lesson_candidate AS c
        WHERE c.epoch_no = v_epoch
        GROUP BY c.stats_id, c.pattern_key, c.action_category, c.scope_mask, c.scope_values, c.scope_values_hash
        HAVING bool_or(c.chosen)
    ),
    stepped AS (
        SELECT cell.*, s.n,
               CASE WHEN p.status = 'retired' THEN NULL ELSE p.effect END AS prev,
               CASE WHEN cell.rr_ok THEN learning.lever_step(cell.edge, t) ELSE 0 END AS step,
               CASE WHEN cell.cf_ok AND cell.action_category IN ('trim', 'exit')
                    THEN greatest(-v_max_step, least(v_max_step, v_lr * cell.cf_gain)) ELSE 0 END AS exit_step,
               cell.cf_ok AND cell.action_category = 'entry' AS later_entry,
               greatest(0, least(5, round(s.cf_entry_delay_bars_mean)))::int AS target_delay,
               coalesce(s.segments_tested, 0) AS seg_t,
               coalesce(s.segments_positive, 0) AS seg_p
        FROM cell
        JOIN learning.scope_stats(build_lessons.as_of) AS s ON s.id = cell.stats_id
        LEFT JOIN learning.learning_lessons AS p
            ON p.pattern_key = cell.pattern_key AND p.action_category = cell.action_category
           AND p.scope_mask = cell.scope_mask AND p.scope_values_hash = cell.scope_values_hash
        WHERE p.last_epoch IS NULL OR p.last_epoch < build_lessons.as_of
    ),
    effect AS (
        SELECT s.*,
               coalesce((s.prev #>> '{execution_levers,entry_delay_bars}')::int, (nt ->> 'entry_delay_bars')::int) AS prev_delay,
               -- strength: the reliability of the effect (its shrinkage weight) times its consistency over time
               CASE WHEN s.rr_ok THEN s.w_rr * CASE WHEN s.seg_t = 0 THEN 0.5
                                                     WHEN s.edge >= 0 THEN s.seg_p::float / s.seg_t
                                                     ELSE (s.seg_t - s.seg_p)::float / s.seg_t END
                    ELSE s.w_cf END AS strength
        FROM stepped AS s
    )
    INSERT INTO learning.learning_lessons AS l (
        pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, status, effect,
        edge_raw, incremental_edge, n, lesson_strength, latent_factor_id, last_epoch, last_confirmed_at, updated_at,
        confirmed_epoch, basis, p_value, q_value, shrink_weight, status_reason, status_changed_at, decay_halflife_hours
    )
    SELECT e.pattern_key, e.action_category, e.scope_mask, e.scope_values_hash,
           ARRAY(SELECT k FROM jsonb_object_keys(e.scope_values) AS k ORDER BY k),
           e.scope_values, 'active',
           jsonb_build_object(
               'capital_levers', jsonb_build_object(
                   'size_mult', learning.clamp_to_bounds(coalesce((e.prev #>> '{capital_levers,size_mult}')::float, (nt ->> 'size_mult')::float) * (1 + e.step), 'size_mult', t),
                   'entry_aggression_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{capital_levers,entry_aggression_mult}')::float, (nt ->> 'entry_aggression_mult')::float) * (1 + e.step), 'entry_aggression_mult', t),
                   'exit_aggression_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{capital_levers,exit_aggression_mult}')::float, (nt ->> 'exit_aggression_mult')::float) * (1 - e.step), 'exit_aggression_mult', t)
               ),
               'execution_levers', jsonb_strip_nulls(jsonb_build_object(
                   'entry_delay_bars', CASE
                       WHEN e.later_entry THEN learning.clamp_to_bounds(e.prev_delay + sign(e.target_delay - e.prev_delay), 'entry_delay_bars', t)::int
                       ELSE (e.prev #>> '{execution_levers,entry_delay_bars}')::int END,
                   'phase1_frac_mult', learning.clamp_to_bounds(coalesce((e.prev #>> '{execution_levers,phase1_frac_mult}')::float, (nt ->> 'phase1_frac_mult')::float)
                       * (1 - CASE WHEN e.later_entry THEN least(v_max_step, v_lr * greatest(e.cf_gain, 0)) ELSE 0 END), 'phase1_frac_mult', t),
                   'trim_delay_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,trim_delay_mult}')::float, (nt ->> 'trim_delay_mult')::float) * (1 + e.exit_step), 'trim_delay_mult', t),
                   'trail_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,trail_mult}')::float, (nt ->> 'trail_mult')::float) * (1 + e.exit_step), 'trail_mult', t),
                   'panic_trigger_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,panic_trigger_mult}')::float, (nt ->> 'panic_trigger_mult')::float) * (1 + e.step), 'panic_trigger_mult', t)
               )) || jsonb_build_object('signal_thresholds',
                   coalesce(e.prev #> '{execution_levers,signal_thresholds}', '{}'::jsonb)
                   || CASE WHEN NOT e.rr_ok THEN '{}'::jsonb
                           WHEN e.action_category = 'add' THEN jsonb_build_object('min_ts_for_add', learning.clamp_to_bounds(
                               coalesce((e.prev #>> '{execution_levers,signal_thresholds,min_ts_for_add}')::float, (nt ->> 'signal_threshold')::float) - e.step, 'signal_threshold', t))
                           WHEN e.action_category = 'trim' THEN jsonb_build_object('min_ox_for_trim', learning.clamp_to_bounds(
                               coalesce((e.prev #>> '{execution_levers,signal_thresholds,min_ox_for_trim}')::float, (nt ->> 'signal_threshold')::float) - e.step, 'signal_threshold', t))
                           ELSE '{}'::jsonb END)
           ),
           coalesce(e.edge, 0),
           (SELECT x.inc FROM _lc_test AS x WHERE x.stats_id = e.stats_id AND x.kind = CASE WHEN e.rr_ok THEN 'rr' ELSE 'cf' END),
           e.n, greatest(0, least(1, coalesce(e.strength, 0))),
           (SELECT f.factor_id FROM learning.learning_latent_factors AS f WHERE e.pattern_key = ANY (f.pattern_keys) ORDER BY f.factor_id LIMIT 1),
           build_lessons.as_of, build_lessons.as_of, now(),
           v_epoch, CASE WHEN e.rr_ok AND e.cf_ok THEN 'rr+cf' WHEN e.rr_ok THEN 'rr' ELSE 'cf' END, e.p, e.q,
           coalesce(e.w_rr, e.w_cf), format('confirmed in epoch %s (q = %s)', v_epoch, to_char(e.q, '9.99EEEE')), build_lessons.as_of,
           round((t ->> 'half_life_default_hours')::float)::int  -- a new lesson's half-life until it is fitted
    FROM effect AS e
    ON CONFLICT (pattern_key, action_category, scope_mask, scope_values_hash) DO UPDATE
    SET effect = excluded.effect, edge_raw = excluded.edge_raw, incremental_edge = excluded.incremental_edge, n = excluded.n,
        lesson_strength = excluded.lesson_strength, latent_factor_id = excluded.latent_factor_id,
        status = CASE WHEN l.status = 'rolled_back' THEN 'rolled_back' ELSE 'active' END,
        status_reason = CASE WHEN l.status = 'rolled_back' THEN l.status_reason ELSE excluded.status_reason END,
        status_changed_at = CASE WHEN l.status IN ('active', 'rolled_back') THEN l.status_changed_at ELSE excluded.status_changed_at END,
        last_epoch = excluded.last_epoch, last_confirmed_at = excluded.last_confirmed_at, updated_at = excluded.updated_at,
        confirmed_epoch = excluded.confirmed_epoch, basis = excluded.basis, p_value = excluded.p_value, q_value = excluded.q_value,
        shrink_weight = excluded.shrink_weight
    WHERE l.last_epoch IS NULL OR l.last_epoch < excluded.last_epoch;
    GET DIAGNOSTICS v_rows = ROW_COUNT;

    -- 7. lifecycle: stale, retired; the out-of-sample guard ------------------------------------------------
    UPDATE learning.learning_lessons AS l
    SET status = x.status, status_changed_at = build_lessons.as_of, updated_at = now(),
        status_reason = format('not re-confirmed for %s epochs (last: epoch %s)', v_epoch - coalesce(l.confirmed_epoch, 0),
                               coalesce(l.confirmed_epoch::text, 'before epochs were counted'))
    FROM (SELECT l2.id, CASE WHEN v_epoch - coalesce(l2.confirmed_epoch, 0) >= v_retire THEN 'retired'
                             WHEN v_epoch - coalesce(l2.confirmed_epoch, 0) >= v_stale THEN 'stale'
                             ELSE l2.status END AS status
          FROM learning.learning_lessons AS l2
          WHERE l2.status IN ('active', 'stale') AND coalesce(l2.confirmed_epoch, 0) < v_epoch) AS x
    WHERE x.id = l.id AND x.status <> l.status;

    UPDATE learning.learning_lessons AS l
    SET oos_trades = x.n, oos_excess_rr = x.excess, oos_p = x.p,
        status = CASE WHEN x.n >= v_oos_min AND x.p < v_oos_p THEN 'rolled_back' ELSE l.status END,
        status_reason = CASE WHEN x.n >= v_oos_min AND x.p < v_oos_p
            THEN format('rolled back: out of sample its overrides did %s R per trade against its pattern over %s trades (one-sided p = %s < %s)',
                        round(x.excess::numeric, 3), x.n, to_char(x.p, '9.99EEEE'), v_oos_p)
            ELSE l.status_reason END,
        status_changed_at = CASE WHEN x.n >= v_oos_min AND x.p < v_oos_p THEN build_lessons.as_of ELSE l.status_changed_at END
    FROM learning._oos_evidence(build_lessons.as_of) AS x
    WHERE x.lesson_id = l.id AND l.status = 'active';

    -- 8. trailing-window edge of every active or stale lesson scope (the half-life series) -------------------
    INSERT INTO learning.learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n, window_days)
    SELECT w.pattern_key, w.action_category, w.scope_values_hash,
           learning.edge_raw(w.avg_rr, w.var, w.n, w.b, w.te, w.fc, w.rec), build_lessons.as_of, w.n, v_window
    FROM (
        SELECT l.pattern_key, l.action_category, l.scope_values_hash, count(*)::int AS n, avg(f.rr) AS avg_rr,
               coalesce(var_samp(f.rr), 0) AS var, b.b,
               avg(learning._time_efficiency(f.rr, f.hold_hours, v_h)) AS te,
               CASE WHEN avg(f.rr) >= b.b THEN count(*) FILTER (WHERE f.rr >= b.b) ELSE count(*) FILTER (WHERE f.rr < b.b) END::float
               / count(*) AS fc,
               count(DISTINCT date_trunc('week', f.closed_at))::float / ceil(v_window / 7.0) AS rec
        FROM learning.learning_lessons AS l
        JOIN (SELECT cb.action_category, cb.baseline AS b FROM learning.category_baselines(build_lessons.as_of) AS cb) AS b
            ON b.action_category = l.action_category
        JOIN learning._trade_facts(build_lessons.as_of - make_interval(days => v_window), build_lessons.as_of) AS f
            ON f.pattern_key = l.pattern_key AND f.action_category = l.action_category AND f.scope @> l.scope_values
        WHERE l.status IN ('active', 'stale')
          -- only full windows: a window cut short by the start of the history would flatten the decay
          AND (SELECT min(t.closed_at) FROM learning.completed_trades AS t) <= build_lessons.as_of - make_interval(days => v_window)
        GROUP BY l.id, l.pattern_key, l.action_category, l.scope_values_hash, b.b
        HAVING count(*) >= 2
    ) AS w;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.build_lessons(timestamptz) IS
'One learning epoch: layered BY over every cell''s tests, self-sufficiency, independent productivity, shrinkage; chosen cells become lessons (levers one bounded step), the rest age into stale/retired, the out-of-sample guard rolls back; idempotent per as_of.';
REVOKE ALL ON FUNCTION learning.build_lessons(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.build_lessons(timestamptz) TO pglearn_admin;
