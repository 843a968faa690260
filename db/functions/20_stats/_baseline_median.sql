/*
 * learning._baseline_median(p_category text[], p_mean float8[], p_n bigint[]) -> TABLE (action_category, baseline, n)
 *
 * Private: the rule of the category baseline (docs/stats.md, "Baseline"), written once: per category, the
 * trade-weighted median of its pattern means (the smallest pattern mean m such that the patterns with a mean <= m
 * hold at least half of the category's facts), or tunables.rr_baseline when it is set; n = the category's facts.
 * Input: one element per (pattern, category), its mean and its number of facts. learning.category_baselines reads it
 * over the cube's pattern means; the router of a sharded deployment (issue 16, scaleout.run_learning_cycle) over
 * the pattern means every shard hands up.
 */
CREATE OR REPLACE FUNCTION learning._baseline_median(p_category text[], p_mean float8[], p_n bigint[])
RETURNS TABLE (action_category text, baseline float8, n bigint)
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    WITH cfg AS (
        SELECT (learning.pm_config() #>> '{tunables,rr_baseline}')::float8 AS fixed_b
    ),
    pattern_mean AS (
        SELECT u.c AS action_category, u.m, u.n FROM unnest(p_category, p_mean, p_n) AS u (c, m, n)
    )
    SELECT DISTINCT ON (x.action_category) x.action_category,
           coalesce(cfg.fixed_b, x.m), x.total_n::bigint
    FROM cfg, (SELECT pm.action_category, pm.m,
                      sum(pm.n) OVER (PARTITION BY pm.action_category ORDER BY pm.m ROWS UNBOUNDED PRECEDING) AS cum_n,
                      sum(pm.n) OVER (PARTITION BY pm.action_category) AS total_n
               FROM pattern_mean AS pm) AS x
    WHERE 2 * x.cum_n >= x.total_n
    ORDER BY x.action_category, x.m
$$;
COMMENT ON FUNCTION learning._baseline_median(text[], float8[], bigint[]) IS
'Private: the category baseline rule (trade-weighted median of the pattern means, or tunables.rr_baseline), read by category_baselines and the scale-out router.';
REVOKE ALL ON FUNCTION learning._baseline_median(text[], float8[], bigint[]) FROM public;
GRANT EXECUTE ON FUNCTION learning._baseline_median(text[], float8[], bigint[]) TO pglearn_reader;
