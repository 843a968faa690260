/*
 * learning.record_override_application(pattern_key, action_category, scope, result) -> bigint
 *
 * Telemetry path for reads served by a hot standby: resolve_overrides cannot write there (its result says
 * "telemetry": "read_only"), so the PM forwards the result to the primary with this call.
 */
CREATE OR REPLACE FUNCTION learning.record_override_application(
    pattern_key text, action_category text, scope jsonb, result jsonb
)
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning
AS $$
    INSERT INTO learning.override_application (pattern_key, action_category, generation, strength_lesson_id, execution_lesson_id,
                                               scope, before, after, source)
    VALUES (record_override_application.pattern_key, record_override_application.action_category,
            (result ->> 'generation')::bigint, (result #>> '{applied,strength,lesson_id}')::bigint,
            (result #>> '{applied,execution,lesson_id}')::bigint, record_override_application.scope,
            '{}', jsonb_build_object('levers', result -> 'levers', 'controls', result -> 'controls'), 'client')
    RETURNING id
$$;
COMMENT ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) IS
'Records a resolve_overrides result served by a read-only standby, on the primary (telemetry source = client).';
REVOKE ALL ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) TO pglearn_pm;
