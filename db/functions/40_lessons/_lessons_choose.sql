/*
 * learning._lessons_choose(p_as_of timestamptz) -> integer
 *
 * Private, stage 3 of an epoch (learning.build_lessons, docs/levers.md): over the tests of _lc_test with their
 * q-values and the layers of _lc_layer (stage 2), self-sufficiency against each immediate parent, independent
 * productivity without the significant descendants (over the facts of learning._lessons_facts), empirical-Bayes
 * shrinkage toward the parent and the effect-size floor: which cells are chosen before the overlap rule. Per
 * pattern (the shrinkage of a pattern-wide cell, k = 0, reads the k = 0 moments of every pattern in _lc_moment: on a
 * shard the router adds the other shards' ones). Returns the number of chosen tests.
 */
CREATE OR REPLACE FUNCTION learning._lessons_choose(p_as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    v_edge_min constant float := (t ->> 'edge_min')::float;
BEGIN
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

    PERFORM learning._lessons_facts(p_as_of, true);

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
    RETURN (SELECT count(*)::int FROM _lc_test AS x WHERE x.chosen);
END;
$$;
COMMENT ON FUNCTION learning._lessons_choose(timestamptz) IS
'Private, epoch stage 3: self-sufficiency, productivity, shrinkage, effect floor: the chosen tests before the overlap rule (per pattern).';
REVOKE ALL ON FUNCTION learning._lessons_choose(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_choose(timestamptz) TO pglearn_admin;
