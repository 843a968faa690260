/*
 * learning.category_baselines(p_as_of timestamptz) -> TABLE (action_category, baseline, n)
 *
 * The baseline R/R b of each action category (docs/stats.md, "Baseline"), computed here and nowhere else: the
 * trade-weighted median of the category's pattern-wide means (the smallest pattern mean m such that the patterns
 * with a mean <= m hold at least half of the category's facts), or tunables.rr_baseline when it is set; n = the
 * category's facts. The pattern means are those of the cube as it stands (learning.scope_cube_base: every fact of
 * the last rebuild and of the fold-ins since). p_as_of is the time of the evaluation that asks (build_lessons,
 * scope_stats, the rebuild's coherence baseline): on a shard of a sharded deployment (issue 16) the rows of
 * learning.pinned_baseline, which the router computed over all shards and handed off, are returned instead. Every
 * consumer (the finished stats, lessons, regime weights, the trailing-window edges, the frozen coherence baseline)
 * reads this function; no cell stores b.
 */
CREATE OR REPLACE FUNCTION learning.category_baselines(p_as_of timestamptz)
RETURNS TABLE (action_category text, baseline float8, n bigint)
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    WITH cfg AS (
        SELECT (learning.pm_config() #>> '{tunables,rr_baseline}')::float8 AS fixed_b
    ),
    pattern_mean AS (
        SELECT b.action_category::text AS action_category, sum(b.s_rr) / sum(b.n) AS m, sum(b.n) AS n
        FROM learning.scope_cube_base AS b
        GROUP BY b.pattern_key, b.action_category
    )
    (SELECT DISTINCT ON (x.action_category) x.action_category,
            coalesce(cfg.fixed_b, x.m), x.total_n::bigint
     FROM cfg, (SELECT pm.action_category, pm.m,
                  sum(pm.n) OVER (PARTITION BY pm.action_category ORDER BY pm.m ROWS UNBOUNDED PRECEDING) AS cum_n,
                  sum(pm.n) OVER (PARTITION BY pm.action_category) AS total_n
           FROM pattern_mean AS pm) AS x
     WHERE 2 * x.cum_n >= x.total_n AND p_as_of IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM learning.pinned_baseline)
     ORDER BY x.action_category, x.m)
    UNION ALL
    -- issue 16: on a shard, the baselines the router computed over all shards (learning.pinned_baseline)
    SELECT p.action_category, p.baseline, p.n FROM learning.pinned_baseline AS p WHERE p_as_of IS NOT NULL
$$;
COMMENT ON FUNCTION learning.category_baselines(timestamptz) IS
'The baseline R/R per action category (trade-weighted median of its pattern means, or tunables.rr_baseline), the one computation every consumer reads (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.category_baselines(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.category_baselines(timestamptz) TO pglearn_reader;
