/*
 * learning.cluster_latent_factors(as_of timestamptz DEFAULT now()) -> integer
 *
 * v5.3 (roadmap 2.5): the match set of each pattern_key = the closed trades (closed by as_of) it fired on. This job
 * gathers the incidence in SQL (patterns in collation order, trades numbered by position_id from 0), lets
 * learning._cluster_patterns (PL/Python, numpy/scipy; computes only) cluster it (phi of every pair, distance
 * 1 - phi, average linkage cut at tunables.latent_cut_distance) and persists the result in SQL. Each cluster
 * (singletons included) is a factor whose id is derived from its sorted members, so it is stable while membership
 * is unchanged. Upserts learning_latent_factors (representative_pattern = the member with most trades,
 * correlation_matrix = the members' pairwise phi), removes factors that no longer exist and sets
 * learning_lessons.latent_factor_id; the linkage tree itself is kept in latent_factor_linkage (the report's
 * dendrogram). Returns the factor count.
 * The work is learning._cluster_latent_factors over this database's trades and actions (issue 16: a sharded router
 * passes all shards' ones).
 */
CREATE OR REPLACE FUNCTION learning.cluster_latent_factors(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    PERFORM _check_as_of(cluster_latent_factors.as_of);
    RETURN learning._cluster_latent_factors(
        cluster_latent_factors.as_of,
        ARRAY(SELECT t.position_id::text FROM completed_trades AS t WHERE t.closed_at <= cluster_latent_factors.as_of),
        ARRAY(SELECT a.position_id::text FROM action_log AS a JOIN completed_trades AS t ON t.position_id = a.position_id
              WHERE t.closed_at <= cluster_latent_factors.as_of ORDER BY a.id),
        ARRAY(SELECT a.pattern_key::text FROM action_log AS a JOIN completed_trades AS t ON t.position_id = a.position_id
              WHERE t.closed_at <= cluster_latent_factors.as_of ORDER BY a.id));
END;
$$;
COMMENT ON FUNCTION learning.cluster_latent_factors(timestamptz) IS
'v5.3: clusters patterns by the phi correlation of the trades they fire on (sparse, average linkage; _cluster_patterns) into stable latent factors.';
REVOKE ALL ON FUNCTION learning.cluster_latent_factors(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.cluster_latent_factors(timestamptz) TO pglearn_admin;
