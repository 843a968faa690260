/*
 * learning._raise_resolve_args(pattern_key text, scope jsonb, base_levers jsonb, plan_controls jsonb) -> void
 *
 * Private: the error path of resolve_overrides' argument check, called only when its one-expression good-path test
 * fails (or the scope holds a value worth a closer look: a number that is not a plain integer in [1, 1e6], or a digit
 * string). Raises 22023 naming the first bad field, in this order: an integer dimension of the pattern's namespace
 * (bucket_rank_position) that is not an integer (a number or a digit string) in [min_value, 1000000]; base_levers not
 * an object; A_value / E_value / position_size_frac missing or not a number, or outside [0, 1]; plan_controls not an
 * object; a control the overrides act on not a number within +/- 1e6. Returns quietly when all are good.
 */
CREATE OR REPLACE FUNCTION learning._raise_resolve_args(p_pattern_key text, p_scope jsonb, p_base jsonb, p_controls jsonb)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_bad text;
BEGIN
    SELECT d.dim_name || ' = ' || left((p_scope -> d.dim_name)::text, 40) INTO v_bad
    FROM learning.scope_dimension AS d
    WHERE d.namespace = split_part(p_pattern_key, '.', 1) AND d.json_type = 'integer'
      AND p_scope ? d.dim_name
      AND NOT learning._scope_value_ok(
          CASE WHEN jsonb_typeof(p_scope -> d.dim_name) = 'string' AND (p_scope ->> d.dim_name) ~ '^[0-9]{1,7}$'
               THEN to_jsonb((p_scope ->> d.dim_name)::numeric) ELSE p_scope -> d.dim_name END,
          d.json_type, d.min_value, d.allowed_values)
    ORDER BY d.bit
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'scope.% is invalid: expected an integer in the registry''s range', v_bad
            USING ERRCODE = '22023', HINT = 'Integer scope dimensions (bucket_rank_position) are integers from min_value to 1000000.';
    END IF;
    IF coalesce(jsonb_typeof(p_base), '') <> 'object' THEN
        RAISE EXCEPTION 'base_levers must be a JSON object' USING ERRCODE = '22023',
            HINT = 'base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}.';
    END IF;
    SELECT f INTO v_bad FROM unnest(ARRAY['A_value', 'E_value', 'position_size_frac']) AS f
    WHERE coalesce(jsonb_typeof(p_base -> f), '') <> 'number' LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'base_levers.% must be a number', v_bad USING ERRCODE = '22023',
            HINT = 'base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}, each a number in [0, 1].';
    END IF;
    SELECT f INTO v_bad FROM unnest(ARRAY['A_value', 'E_value', 'position_size_frac']) AS f
    WHERE (p_base ->> f)::numeric NOT BETWEEN 0 AND 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'base_levers.% = % is out of range', v_bad, left((p_base -> v_bad)::text, 40) USING ERRCODE = '22023',
            HINT = 'base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}, each a number in [0, 1].';
    END IF;
    IF coalesce(jsonb_typeof(p_controls), '') <> 'object' THEN
        RAISE EXCEPTION 'plan_controls must be a JSON object' USING ERRCODE = '22023', HINT = 'Pass ''{}'' when the plan has no controls.';
    END IF;
    SELECT e.key INTO v_bad FROM jsonb_each(p_controls) AS e
    WHERE e.key IN ('entry_delay_bars', 'phase1_frac', 'trim_delay', 'trail_speed', 'panic_trigger', 'min_ts_for_add', 'min_ox_for_trim')
      AND (jsonb_typeof(e.value) <> 'number' OR abs((e.value #>> '{}')::numeric) > 1000000)
    ORDER BY e.key
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'plan_controls.% must be a number within +/- 1e6, got %', v_bad, left((p_controls -> v_bad)::text, 40)
            USING ERRCODE = '22023', HINT = 'Controls the overrides act on are numbers within +/- 1000000.';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning._raise_resolve_args(text, jsonb, jsonb, jsonb) IS
'Private: raises 22023 naming the first bad scope integer, base lever or plan control of a resolve_overrides call.';
REVOKE ALL ON FUNCTION learning._raise_resolve_args(text, jsonb, jsonb, jsonb) FROM public;
