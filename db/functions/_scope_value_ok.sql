/*
 * learning._scope_value_ok(value, json_type, min_value, allowed_values) -> boolean
 *
 * One scope value against its registry row: the JSON type ('string', or 'integer' = an integral JSON
 * number), min_value for integers, and allowed_values when the registry lists them. A missing value is false.
 * CASE guards every cast, so a string where a number belongs is simply false, never a cast error.
 */
CREATE OR REPLACE FUNCTION learning._scope_value_ok(p_value jsonb, p_json_type text, p_min_value integer, p_allowed jsonb)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_value IS NULL THEN false
        WHEN p_json_type = 'string' THEN jsonb_typeof(p_value) = 'string'
            AND (p_allowed IS NULL OR p_allowed @> jsonb_build_array(p_value))
        WHEN jsonb_typeof(p_value) <> 'number' THEN false
        ELSE (p_value #>> '{}')::numeric = trunc((p_value #>> '{}')::numeric)
            AND (p_min_value IS NULL OR (p_value #>> '{}')::numeric >= p_min_value)
            AND (p_allowed IS NULL OR p_allowed @> jsonb_build_array(p_value))
    END
$$;
COMMENT ON FUNCTION learning._scope_value_ok(jsonb, text, integer, jsonb) IS
'Private: is one scope value of the registry''s JSON type, >= its min_value and within its allowed_values?';
REVOKE ALL ON FUNCTION learning._scope_value_ok(jsonb, text, integer, jsonb) FROM public;
