/*
 * learning._scope_value_ok(value, json_type, min_value, allowed_values) -> boolean
 *
 * One scope value against its registry row: the JSON type ('string', or 'integer' = an integral JSON
 * number such as 3 or 3.0), min_value and the fixed upper bound 1,000,000 for integers, allowed_values when
 * the registry lists them, and at most 200 characters for strings. A missing value is false.
 * CASE guards every cast, so a string where a number belongs is simply false, never a cast error; numbers
 * are compared as numeric, so 1e30 or 1e400 is out of range, never an overflow.
 */
CREATE OR REPLACE FUNCTION learning._scope_value_ok(p_value jsonb, p_json_type text, p_min_value integer, p_allowed jsonb)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_value IS NULL THEN false
        WHEN p_json_type = 'string' THEN jsonb_typeof(p_value) = 'string'
            AND length(p_value #>> '{}') <= 200
            AND (p_allowed IS NULL OR p_allowed @> jsonb_build_array(p_value))
        WHEN jsonb_typeof(p_value) <> 'number' THEN false
        ELSE (p_value #>> '{}')::numeric = trunc((p_value #>> '{}')::numeric)
            AND (p_value #>> '{}')::numeric BETWEEN coalesce(p_min_value, -1000000) AND 1000000
            AND (p_allowed IS NULL OR p_allowed @> jsonb_build_array(p_value))
    END
$$;
COMMENT ON FUNCTION learning._scope_value_ok(jsonb, text, integer, jsonb) IS
'Private: is one scope value of the registry''s JSON type, within [min_value, 1000000] (integers) or 200 characters (strings), and within its allowed_values?';
REVOKE ALL ON FUNCTION learning._scope_value_ok(jsonb, text, integer, jsonb) FROM public;
-- build_scope runs with its caller's rights and validates through _validate_scope and this
GRANT EXECUTE ON FUNCTION learning._scope_value_ok(jsonb, text, integer, jsonb) TO pglearn_pm, pglearn_reader;
