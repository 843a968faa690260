/*
 * learning._validate_scope(p_namespace, p_scope) -> text[]
 *
 * Validates a logged scope against the scope_dimension registry of its namespace and
 * returns its values as text in registry bit order (action_log.scope_vec). Integer dimensions are integral
 * JSON numbers in [min_value, 1000000]; their text is canonical ("1" for 1 and for 1.0), so the aggregation's
 * integer decode of scope_vec can never fail. String values are at most 200 characters.
 * Errors (nothing is written by the caller):
 *   LR001  unknown or missing scope dimension
 *   22023  scope not an object; value of the wrong JSON type, out of its bounds, or not in allowed_values
 */
CREATE OR REPLACE FUNCTION learning._validate_scope(p_namespace text, p_scope jsonb)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_bad text;
    v_dim record;
    v_vec text [];
    v_ok boolean;
BEGIN
    -- fast path: one pass over the registry validates a correct scope
    SELECT
        array_agg(CASE WHEN d.json_type = 'integer' AND jsonb_typeof(p_scope -> d.dim_name) = 'number'
                       THEN trunc((p_scope ->> d.dim_name)::numeric)::text
                       ELSE p_scope ->> d.dim_name END ORDER BY d.bit),
        bool_and(learning._scope_value_ok(p_scope -> d.dim_name, d.json_type, d.min_value, d.allowed_values))
        AND (p_scope - array_agg(d.dim_name)) = '{}'::jsonb
    INTO v_vec, v_ok
    FROM learning.scope_dimension AS d
    WHERE d.namespace = p_namespace AND jsonb_typeof(p_scope) = 'object';
    IF v_ok THEN
        RETURN v_vec;
    END IF;

    -- slow path: say precisely what is wrong
    IF p_scope IS NULL OR jsonb_typeof(p_scope) <> 'object' THEN
        RAISE EXCEPTION 'scope must be a JSON object, got %', coalesce(jsonb_typeof(p_scope), 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass the scope as {"macro_phase": ..., "bucket": ..., ...}.';
    END IF;

    SELECT string_agg(k, ', ' ORDER BY k) INTO v_bad
    FROM jsonb_object_keys(p_scope) AS k
    WHERE NOT EXISTS (SELECT 1 FROM learning.scope_dimension AS d WHERE d.namespace = p_namespace AND d.dim_name = k);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'scope has unknown dimension(s) for namespace %: %', p_namespace, v_bad
            USING ERRCODE = 'LR001',
                  HINT = 'Known dimensions are listed in learning.scope_dimension; names are case-sensitive.';
    END IF;

    SELECT string_agg(d.dim_name, ', ' ORDER BY d.bit) INTO v_bad
    FROM learning.scope_dimension AS d
    WHERE d.namespace = p_namespace AND NOT p_scope ? d.dim_name;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'scope is missing dimension(s) for namespace %: %', p_namespace, v_bad
            USING ERRCODE = 'LR001', HINT = 'Every scope carries all dimensions of its namespace (learning.scope_dimension).';
    END IF;

    -- first offending dimension, in bit order
    SELECT d.dim_name, d.json_type, d.allowed_values, d.min_value, p_scope -> d.dim_name AS v
    INTO v_dim
    FROM learning.scope_dimension AS d
    WHERE d.namespace = p_namespace
      AND NOT learning._scope_value_ok(p_scope -> d.dim_name, d.json_type, d.min_value, d.allowed_values)
    ORDER BY d.bit
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'scope.% = % is invalid: expected %', v_dim.dim_name, v_dim.v,
            CASE
                WHEN v_dim.allowed_values IS NOT NULL THEN 'one of ' || v_dim.allowed_values::text
                WHEN v_dim.json_type = 'integer' THEN 'an integer from ' || coalesce(v_dim.min_value, -1000000) || ' to 1000000'
                ELSE 'a JSON string of at most 200 characters'
            END
            USING ERRCODE = '22023',
                  HINT = 'A DBA can extend allowed_values in learning.scope_dimension if the value is legitimate.';
    END IF;

    RETURN ARRAY(
        SELECT CASE WHEN d.json_type = 'integer' THEN trunc((p_scope ->> d.dim_name)::numeric)::text ELSE p_scope ->> d.dim_name END
        FROM learning.scope_dimension AS d WHERE d.namespace = p_namespace ORDER BY d.bit
    );
END;
$$;
COMMENT ON FUNCTION learning._validate_scope(text, jsonb) IS
'Private: validates a scope against the registry (LR001 unknown/missing dimension, 22023 bad value) and returns its values in bit order.';
REVOKE ALL ON FUNCTION learning._validate_scope(text, jsonb) FROM public;
-- build_scope runs with its caller's rights and validates through these
GRANT EXECUTE ON FUNCTION learning._validate_scope(text, jsonb) TO pglearn_pm, pglearn_reader;
