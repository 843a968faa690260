/*
 * learning._overrides_allowed(flags jsonb, scope jsonb) -> boolean
 *
 * Private: the feature-flag gate of resolve_overrides and explain_override. True when
 * learning_overrides_enabled is true, and a non-empty learning_overrides_enabled_regimes lists the scope's
 * macro, meso or micro phase, and a non-empty learning_overrides_enabled_buckets lists the scope's bucket.
 */
CREATE OR REPLACE FUNCTION learning._overrides_allowed(p_flags jsonb, p_scope jsonb)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce((p_flags ->> 'learning_overrides_enabled')::boolean, false)
        AND (coalesce(jsonb_array_length(p_flags -> 'learning_overrides_enabled_regimes'), 0) = 0
             OR p_flags -> 'learning_overrides_enabled_regimes'
             ?| ARRAY[p_scope ->> 'macro_phase', p_scope ->> 'meso_phase', p_scope ->> 'micro_phase'])
        AND (coalesce(jsonb_array_length(p_flags -> 'learning_overrides_enabled_buckets'), 0) = 0
             OR p_flags -> 'learning_overrides_enabled_buckets' ? coalesce(p_scope ->> 'bucket', ''))
$$;
COMMENT ON FUNCTION learning._overrides_allowed(jsonb, jsonb) IS
'Private: the feature-flag gate (enabled, enabled_regimes, enabled_buckets) shared by resolve_overrides and explain_override.';
REVOKE ALL ON FUNCTION learning._overrides_allowed(jsonb, jsonb) FROM public;
