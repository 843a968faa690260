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
    -- the median (learning._baseline_median) of the cube's pattern means (learning._cube_pattern_means); a sharded
    -- router (issue 16) takes the same median over the pattern means every shard hands up
    SELECT x.action_category, x.baseline, x.n
    FROM (SELECT array_agg(pm.action_category) AS c, array_agg(pm.m) AS m, array_agg(pm.n) AS n
          FROM learning._cube_pattern_means() AS pm) AS a
    CROSS JOIN LATERAL learning._baseline_median(a.c, a.m, a.n) AS x
    WHERE p_as_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM learning.pinned_baseline)
    UNION ALL
    -- issue 16: on a shard, the baselines the router computed over all shards (learning.pinned_baseline)
    SELECT p.action_category, p.baseline, p.n FROM learning.pinned_baseline AS p WHERE p_as_of IS NOT NULL
$$;
COMMENT ON FUNCTION learning.category_baselines(timestamptz) IS
'The baseline R/R per action category (trade-weighted median of its pattern means, or tunables.rr_baseline), the one computation every consumer reads (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.category_baselines(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.category_baselines(timestamptz) TO pglearn_reader;
