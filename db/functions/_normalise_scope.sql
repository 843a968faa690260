/*
 * learning._normalise_scope(pattern_key text, scope jsonb) -> jsonb
 *
 * Private: integer dimensions of the pattern's namespace given as digit strings ("1") become JSON numbers (1),
 * as the registry types them, so a scope from any caller matches stored scope_values by containment.
 */
CREATE OR REPLACE FUNCTION learning._normalise_scope(p_pattern_key text, p_scope jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning
AS $$
    SELECT p_scope || coalesce((
        SELECT jsonb_object_agg(d.dim_name, to_jsonb((p_scope ->> d.dim_name)::bigint))
        FROM scope_dimension AS d
        WHERE d.namespace = split_part(p_pattern_key, '.', 1) AND d.json_type = 'integer'
          AND (p_scope ->> d.dim_name) ~ '^[0-9]+$'), '{}')
$$;
COMMENT ON FUNCTION learning._normalise_scope(text, jsonb) IS
'Private: types a scope''s integer dimensions given as digit strings as numbers, as the scope registry says.';
REVOKE ALL ON FUNCTION learning._normalise_scope(text, jsonb) FROM public;
