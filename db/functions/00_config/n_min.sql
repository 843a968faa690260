/*
 * learning.n_min(subset_size integer) -> integer
 *
 * The minimum sample size N_min(k) of a scope subset of k dimensions, from pm_config.tunables.n_min
 * (k1_2, k3_4, k5_6, k7_plus; k = 0, the pattern-wide row, uses k1_2). NULL for a negative or NULL k.
 * The one definition the aggregation, the benchmark and the tests read.
 */
CREATE OR REPLACE FUNCTION learning.n_min(subset_size integer)
RETURNS integer
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT (pm_config() #>> ARRAY['tunables', 'n_min',
        CASE WHEN subset_size <= 2 THEN 'k1_2' WHEN subset_size <= 4 THEN 'k3_4'
             WHEN subset_size <= 6 THEN 'k5_6' ELSE 'k7_plus' END])::int
    WHERE subset_size >= 0
$$;
COMMENT ON FUNCTION learning.n_min(integer) IS
'N_min(k): minimum sample size of a k-dimension scope subset, from pm_config.tunables.n_min (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.n_min(integer) FROM public;
GRANT EXECUTE ON FUNCTION learning.n_min(integer) TO pglearn_reader;
