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
 */
CREATE OR REPLACE FUNCTION learning.cluster_latent_factors(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_cut double precision;
    v_keys text [];
    v_fire_pattern integer [];
    v_fire_trade integer [];
    v_n_trades integer;
    v_factors jsonb;
    v_linkage jsonb;
BEGIN
    PERFORM _check_as_of(cluster_latent_factors.as_of);
    v_cut := (pm_config() #>> '{tunables,latent_cut_distance}')::float;

    -- the sparse patterns x trades incidence: (pattern number from 1, trade number from 0) pairs
    WITH tr AS (
        SELECT t.position_id, (row_number() OVER (ORDER BY t.position_id) - 1)::int AS j
        FROM completed_trades AS t
        WHERE t.closed_at <= cluster_latent_factors.as_of
    ),

    fires AS (
        SELECT
            f.pattern_key,
            f.j,
            dense_rank() OVER (ORDER BY f.pattern_key)::int AS i
        FROM (SELECT DISTINCT
            a.pattern_key::text AS pattern_key,
            tr.j
        FROM action_log AS a INNER JOIN tr ON a.position_id = tr.position_id) AS f
    )

    SELECT
        array(SELECT f.pattern_key FROM fires AS f GROUP BY f.pattern_key, f.i ORDER BY f.i),
        array(SELECT f.i FROM fires AS f ORDER BY f.i, f.j),
        array(SELECT f.j FROM fires AS f ORDER BY f.i, f.j),
        (SELECT count(*)::int FROM tr)
    INTO v_keys, v_fire_pattern, v_fire_trade, v_n_trades;

    SELECT c.factors, c.linkage INTO v_factors, v_linkage
    FROM _cluster_patterns(v_keys, v_fire_pattern, v_fire_trade, v_n_trades, v_cut) AS c;

    DELETE FROM learning_latent_factors AS l
    WHERE l.factor_id NOT IN (SELECT f.factor_id FROM jsonb_to_recordset(v_factors) AS f (factor_id text));
    INSERT INTO learning_latent_factors AS l (factor_id, pattern_keys, representative_pattern, correlation_matrix)
    SELECT
        f.factor_id,
        f.pattern_keys,
        f.representative_pattern,
        f.correlation_matrix
    FROM jsonb_to_recordset(v_factors)
        AS f (factor_id text, pattern_keys text [], representative_pattern text, correlation_matrix jsonb)
    ON CONFLICT (factor_id) DO UPDATE
        SET representative_pattern = excluded.representative_pattern, correlation_matrix = excluded.correlation_matrix,
        updated_at = now()
    WHERE
        l.correlation_matrix IS DISTINCT FROM excluded.correlation_matrix
        OR l.representative_pattern IS DISTINCT FROM excluded.representative_pattern;
    UPDATE learning_lessons AS l SET latent_factor_id = f.factor_id
    FROM learning_latent_factors AS f
    WHERE l.pattern_key = any(f.pattern_keys) AND l.latent_factor_id IS DISTINCT FROM f.factor_id;
    INSERT INTO latent_factor_linkage AS t (as_of, pattern_keys, linkage, cut_distance)
    VALUES (cluster_latent_factors.as_of, v_keys, v_linkage, v_cut)
    ON CONFLICT (singleton) DO UPDATE
        SET as_of = excluded.as_of, pattern_keys = excluded.pattern_keys, linkage = excluded.linkage,
        cut_distance = excluded.cut_distance, updated_at = now();
    RETURN jsonb_array_length(v_factors);
END;
$$;
COMMENT ON FUNCTION learning.cluster_latent_factors(timestamptz) IS
'v5.3: clusters patterns by the phi correlation of the trades they fire on (sparse, average linkage; _cluster_patterns) into stable latent factors.';
REVOKE ALL ON FUNCTION learning.cluster_latent_factors(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.cluster_latent_factors(timestamptz) TO pglearn_admin;
