/*
 * learning._normalise_scope(pattern_key text, scope jsonb) -> jsonb
 *
 * Private: integer dimensions of the pattern's namespace given as digit strings ("1") or as integral JSON
 * numbers written with a fraction (1.0, what a Python float becomes) become plain JSON integers (1), as the
 * registry types them, so a scope from any caller matches stored scope_values by containment and its
 * scope_vec text is canonical. Only values within the integer bound (|v| <= 1,000,000) are rewritten: anything
 * else is left as given for the caller's validation to reject (22023), never cast into an overflow.
 */
CREATE OR REPLACE FUNCTION learning._normalise_scope(p_pattern_key text, p_scope jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT p_scope || coalesce((
        SELECT jsonb_object_agg(d.dim_name, to_jsonb(trunc((p_scope ->> d.dim_name)::numeric)::bigint))
        FROM learning.scope_dimension AS d
        WHERE d.namespace = split_part(p_pattern_key, '.', 1) AND d.json_type = 'integer'
          AND CASE jsonb_typeof(p_scope -> d.dim_name)
              WHEN 'string' THEN (p_scope ->> d.dim_name) ~ '^[0-9]{1,7}$'
                  AND (p_scope ->> d.dim_name)::numeric <= 1000000
              WHEN 'number' THEN abs((p_scope ->> d.dim_name)::numeric) <= 1000000
                  AND (p_scope ->> d.dim_name)::numeric = trunc((p_scope ->> d.dim_name)::numeric)
              ELSE false
          END), '{}')
$$;
COMMENT ON FUNCTION learning._normalise_scope(text, jsonb) IS
'Private: types a scope''s integer dimensions given as digit strings or integral numbers (1.0) as plain JSON integers, as the scope registry says.';
REVOKE ALL ON FUNCTION learning._normalise_scope(text, jsonb) FROM public;
