/*
 * learning.record_override_application(pattern_key, action_category, scope, result) -> bigint
 *
 * Telemetry path for reads served by a hot standby: resolve_overrides cannot write there (its result says
 * "telemetry": "read_only"), so the PM forwards the result to the primary with this call. The arguments are
 * checked as resolve_overrides checks its own (learning._decision_args_ok / _raise_decision_args), and result must
 * have the shape resolve_overrides returns. One full row of override_application (source client) per call: a PM
 * that resolves many calls on a standby ships counters instead (pglearn.OverrideCache,
 * learning.record_override_decisions).
 * Errors (nothing written):
 *   22023  pattern_key malformed or longer than 200 characters; action_category not entry/add/trim/exit;
 *          scope not a JSON object; result not an object with "levers" and "controls" objects, or its
 *          "generation" / "applied.strength.lesson_id" / "applied.execution.lesson_id" not null or a
 *          positive integer (<= 9223372036854775807)
 */
CREATE OR REPLACE FUNCTION learning.record_override_application(
    pattern_key text, action_category text, scope jsonb, result jsonb
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_bad text;
    v_id bigint;
BEGIN
    IF NOT learning._decision_args_ok(record_override_application.pattern_key, record_override_application.action_category,
                                      record_override_application.scope) THEN
        PERFORM learning._raise_decision_args(record_override_application.pattern_key,
                                              record_override_application.action_category, record_override_application.scope);
    END IF;
    IF coalesce(jsonb_typeof(result), '') <> 'object' THEN
        RAISE EXCEPTION 'result must be a JSON object, got %', coalesce(jsonb_typeof(result), 'NULL')
            USING ERRCODE = '22023', HINT = 'Forward the document resolve_overrides returned, unchanged.';
    END IF;
    SELECT f INTO v_bad FROM unnest(ARRAY['levers', 'controls']) AS f
    WHERE coalesce(jsonb_typeof(result -> f), '') <> 'object' LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'result.% must be a JSON object', v_bad
            USING ERRCODE = '22023', HINT = 'Forward the document resolve_overrides returned, unchanged.';
    END IF;
    SELECT p INTO v_bad
    FROM unnest(ARRAY['generation', 'applied.strength.lesson_id', 'applied.execution.lesson_id']) AS p
    WHERE coalesce(jsonb_typeof(result #> string_to_array(p, '.')), 'null') <> 'null'
      AND NOT (jsonb_typeof(result #> string_to_array(p, '.')) = 'number'
               AND (result #>> string_to_array(p, '.'))::numeric = trunc((result #>> string_to_array(p, '.'))::numeric)
               AND (result #>> string_to_array(p, '.'))::numeric BETWEEN 1 AND 9223372036854775807)
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'result.% must be null or a positive integer', v_bad
            USING ERRCODE = '22023', HINT = 'Forward the document resolve_overrides returned, unchanged.';
    END IF;
    IF jsonb_typeof(result #> '{applied,strength}') NOT IN ('object', 'null')
        OR jsonb_typeof(result #> '{applied,execution}') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'result.applied.strength and result.applied.execution must be objects or null'
            USING ERRCODE = '22023', HINT = 'Forward the document resolve_overrides returned, unchanged.';
    END IF;

    INSERT INTO learning.override_application (pattern_key, action_category, generation, strength_lesson_id, execution_lesson_id,
                                               scope, before, after, source)
    VALUES (record_override_application.pattern_key, record_override_application.action_category,
            (result ->> 'generation')::bigint, (result #>> '{applied,strength,lesson_id}')::bigint,
            (result #>> '{applied,execution,lesson_id}')::bigint, record_override_application.scope,
            '{}', jsonb_build_object('levers', result -> 'levers', 'controls', result -> 'controls'), 'client')
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) IS
'Records a resolve_overrides result served by a read-only standby, on the primary (telemetry source = client). Errors: 22023 (docs/api.md).';
REVOKE ALL ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) TO pglearn_pm;
