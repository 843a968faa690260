/*
 * learning._cluster_latent_factors(as_of, p_trades text[], p_fire_position text[], p_fire_pattern text[]) -> integer
 *
 * Private: learning.cluster_latent_factors over the closed trades and (position, pattern) pairs given
 * (learning._latent_factor_incidence): clusters, persists the factors and the linkage, sets the lessons'
 * latent_factor_id; returns the factor count. The router of a sharded deployment (issue 16) calls it with the pairs
 * every shard hands up: the clustering runs once, over all shards. */
CREATE OR REPLACE FUNCTION learning._cluster_latent_factors(
    as_of timestamptz, p_trades text[], p_fire_position text[], p_fire_pattern text[]
)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_cut double precision;
    v_keys text[];
    v_fire_pattern integer [];
    v_fire_trade integer [];
    v_n_trades integer;
    v_factors jsonb;
    v_linkage jsonb;
BEGIN
    PERFORM _check_as_of(_cluster_latent_factors.as_of);
    v_cut := (pm_config() #>> '{tunables,latent_cut_distance}')::float;

    -- the sparse patterns x trades incidence: (pattern number from 1, trade number from 0) pairs, from the closed
    -- trades and the patterns that fired on them (learning._latent_factor_incidence; a sharded router passes all
    -- shards' ones, issue 16)
    SELECT i.keys, i.fire_pattern, i.fire_trade, i.n_trades
    INTO v_keys, v_fire_pattern, v_fire_trade, v_n_trades
    FROM learning._latent_factor_incidence(p_trades, p_fire_position, p_fire_pattern) AS i;

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
        AS f (factor_id text, pattern_keys text[], representative_pattern text, correlation_matrix jsonb)
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
    VALUES (_cluster_latent_factors.as_of, v_keys, v_linkage, v_cut)
    ON CONFLICT (singleton) DO UPDATE
        SET as_of = excluded.as_of, pattern_keys = excluded.pattern_keys, linkage = excluded.linkage,
        cut_distance = excluded.cut_distance, updated_at = now();
    RETURN jsonb_array_length(v_factors);
END;
$$;
COMMENT ON FUNCTION learning._cluster_latent_factors(timestamptz, text[], text[], text[]) IS
'Private (v5.3): cluster_latent_factors over a given incidence (closed trades, (position, pattern) pairs); the scale-out router''s entry.';
REVOKE ALL ON FUNCTION learning._cluster_latent_factors(timestamptz, text[], text[], text[]) FROM public;
GRANT EXECUTE ON FUNCTION learning._cluster_latent_factors(timestamptz, text[], text[], text[]) TO pglearn_admin;
