/*
 * learning.override_cache_state() -> jsonb
 *
 * What pglearn.OverrideCache needs besides the override rows, read in one statement:
 * {"generation": the current generation (null before the first materialization),
 *  "flags": pm_config.feature_flags,
 *  "integer_dims": {namespace: {dim_name: {"min_value", "allowed_values"}}} (the registry's integer dimensions, which
 *  resolve_overrides validates and normalises)}.
 * Reads only (answers on a hot standby); granted to pglearn_pm and pglearn_reader.
 */
CREATE OR REPLACE FUNCTION learning.override_cache_state()
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT jsonb_build_object(
        'generation', (SELECT o.generation FROM learning.override_current AS o),
        'flags', (SELECT c.config -> 'feature_flags' FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config'),
        'integer_dims', coalesce((
            SELECT jsonb_object_agg(n.namespace, n.dims)
            FROM (SELECT d.namespace, jsonb_object_agg(d.dim_name, jsonb_build_object('min_value', d.min_value,
                                                                                      'allowed_values', d.allowed_values)) AS dims
                  FROM learning.scope_dimension AS d WHERE d.json_type = 'integer' GROUP BY d.namespace) AS n), '{}'))
$$;
COMMENT ON FUNCTION learning.override_cache_state() IS
'For pglearn.OverrideCache: the current generation, the feature flags and the integer scope dimensions, in one read.';
REVOKE ALL ON FUNCTION learning.override_cache_state() FROM public;
GRANT EXECUTE ON FUNCTION learning.override_cache_state() TO pglearn_pm, pglearn_reader;
