/*
 * learning._latent_factor_incidence(p_trades text[], p_fire_position text[], p_fire_pattern text[])
 *     -> TABLE (keys text[], fire_pattern integer[], fire_trade integer[], n_trades integer)
 *
 * Private (learning.cluster_latent_factors, v5.3): the sparse patterns x trades incidence the clustering reads,
 * from the closed trades (p_trades, position ids) and the (position, pattern) pairs of their actions (p_fire_position,
 * p_fire_pattern, element-wise; repeats allowed): patterns numbered from 1 in collation order, trades from 0 by
 * position id, one (pattern, trade) pair per firing, ordered. A router of a sharded deployment (issue 16) passes the
 * pairs every shard hands up, so the co-firing of patterns of different shards in one trade counts as on one node.
 */
CREATE OR REPLACE FUNCTION learning._latent_factor_incidence(p_trades text[], p_fire_position text[], p_fire_pattern text[])
RETURNS TABLE (keys text[], fire_pattern integer[], fire_trade integer[], n_trades integer)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    WITH tr AS (
        SELECT t.position_id, (row_number() OVER (ORDER BY t.position_id) - 1)::int AS j
        FROM (SELECT DISTINCT u.position_id FROM unnest(p_trades) AS u (position_id)) AS t
    ),

    fires AS (
        SELECT
            f.pattern_key,
            f.j,
            dense_rank() OVER (ORDER BY f.pattern_key)::int AS i
        FROM (SELECT DISTINCT
            a.pattern_key::text AS pattern_key,
            tr.j
        FROM unnest(p_fire_position, p_fire_pattern) AS a (position_id, pattern_key)
        INNER JOIN tr ON a.position_id = tr.position_id) AS f
    )

    SELECT
        array(SELECT f.pattern_key FROM fires AS f GROUP BY f.pattern_key, f.i ORDER BY f.i),
        array(SELECT f.i FROM fires AS f ORDER BY f.i, f.j),
        array(SELECT f.j FROM fires AS f ORDER BY f.i, f.j),
        (SELECT count(*)::int FROM tr)
$$;
COMMENT ON FUNCTION learning._latent_factor_incidence(text[], text[], text[]) IS
'Private: the patterns x trades incidence of the latent-factor clustering, from closed trades and (position, pattern) pairs.';
REVOKE ALL ON FUNCTION learning._latent_factor_incidence(text[], text[], text[]) FROM public;
GRANT EXECUTE ON FUNCTION learning._latent_factor_incidence(text[], text[], text[]) TO pglearn_admin;
