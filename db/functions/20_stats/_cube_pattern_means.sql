/*
 * learning._cube_pattern_means() -> TABLE (pattern_key, action_category, m, n)
 *
 * Private: the mean rr m and the number of facts n of each (pattern, category) of the cube as it stands
 * (learning.scope_cube_base), the input of the category baseline (learning.category_baselines, through
 * learning._baseline_median). A shard of a sharded deployment (issue 16, scaleout.shard_summary) hands up the same
 * rows of its patterns, computed by this function over the base of its rebuild, so the router's baseline is one
 * node's to the last bit.
 */
CREATE OR REPLACE FUNCTION learning._cube_pattern_means()
RETURNS TABLE (pattern_key text, action_category text, m float8, n bigint)
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT b.pattern_key::text, b.action_category::text, sum(b.s_rr) / sum(b.n), sum(b.n)
    FROM learning.scope_cube_base AS b
    GROUP BY b.pattern_key, b.action_category
$$;
COMMENT ON FUNCTION learning._cube_pattern_means() IS
'Private: each (pattern, category)''s mean rr and facts in the cube''s base, the input of the category baseline.';
REVOKE ALL ON FUNCTION learning._cube_pattern_means() FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_pattern_means() TO pglearn_reader;
