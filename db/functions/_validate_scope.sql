/*
 * learning._validate_scope(p_namespace, p_scope) -> text[]
 *
 * Validates a logged scope against the scope_dimension registry of its namespace and
 * returns its values as text in registry bit order (action_log.scope_vec).
 * Errors (nothing is written by the caller):
 *   LR001  unknown or missing scope dimension
 *   22023  value of the wrong JSON type, below min_value, or not in allowed_values
 */
CREATE OR REPLACE FUNCTION learning._validate_scope(p_namespace text, p_scope jsonb)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning
AS $$
DECLARE
    v_bad text;
    v_dim record;
    v_vec text [];
    v_ok boolean;
BEGIN
    -- fast path: one pass over the registry validates a correct scope
    SELECT
        array_agg(p_scope ->> d.dim_name ORDER BY d.bit),
        bool_and(_scope_value_ok(p_scope -> d.dim_name, d.json_type, d.min_value, d.allowed_values))
        AND (p_scope - array_agg(d.dim_name)) = '{}'::jsonb
    INTO v_vec, v_ok
    FROM scope_dimension AS d
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
    WHERE NOT EXISTS (SELECT 1 FROM scope_dimension AS d WHERE d.namespace = p_namespace AND d.dim_name = k);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'scope has unknown dimension(s) for namespace %: %', p_namespace, v_bad
            USING ERRCODE = 'LR001',
                  HINT = 'Known dimensions are listed in learning.scope_dimension; names are case-sensitive.';
    END IF;

    SELECT string_agg(d.dim_name, ', ' ORDER BY d.bit) INTO v_bad
    FROM scope_dimension AS d
    WHERE d.namespace = p_namespace AND NOT p_scope ? d.dim_name;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'scope is missing dimension(s) for namespace %: %', p_namespace, v_bad
            USING ERRCODE = 'LR001', HINT = 'Every scope carries all dimensions of its namespace (learning.scope_dimension).';
    END IF;

    -- first offending dimension, in bit order
    SELECT d.dim_name, d.json_type, d.allowed_values, d.min_value, p_scope -> d.dim_name AS v
    INTO v_dim
    FROM scope_dimension AS d
    WHERE d.namespace = p_namespace
      AND NOT _scope_value_ok(p_scope -> d.dim_name, d.json_type, d.min_value, d.allowed_values)
    ORDER BY d.bit
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'scope.% = % is invalid: expected %', v_dim.dim_name, v_dim.v,
            CASE
                WHEN v_dim.allowed_values IS NOT NULL THEN 'one of ' || v_dim.allowed_values::text
                WHEN v_dim.min_value IS NOT NULL THEN 'an integer >= ' || v_dim.min_value
                ELSE 'a JSON ' || v_dim.json_type
            END
            USING ERRCODE = '22023',
                  HINT = 'A DBA can extend allowed_values in learning.scope_dimension if the value is legitimate.';
    END IF;

    RETURN ARRAY(
        SELECT p_scope ->> d.dim_name FROM scope_dimension AS d WHERE d.namespace = p_namespace ORDER BY d.bit
    );
END;
$$;
COMMENT ON FUNCTION learning._validate_scope(text, jsonb) IS
'Private: validates a scope against the registry (LR001 unknown/missing dimension, 22023 bad value) and returns its values in bit order.';
REVOKE ALL ON FUNCTION learning._validate_scope(text, jsonb) FROM public;
