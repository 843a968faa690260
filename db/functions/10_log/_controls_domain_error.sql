/*
 * learning._controls_domain_error(p_controls) -> text
 *
 * The domain of an action's controls document, written once (roadmap 1.1; docs/api.md, "Domains"): why it is
 * outside, naming the field, or NULL when it is inside. The document is {"signals": {name: number},
 * "applied_knobs": {name: number}}: exactly those two keys, each a JSON object; every value a number within
 * +/- 1,000,000 (1e6), so no reader casting it to float can overflow; every name at most 200 characters. The first
 * offender in that order (by field name within a check) is named. Read by the action_log_validate trigger, which
 * raises 22023 with this text. A STABLE SQL expression (format is STABLE) that never raises (CASE guards the cast).
 */
CREATE OR REPLACE FUNCTION learning._controls_domain_error(p_controls jsonb)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN jsonb_typeof(p_controls) IS DISTINCT FROM 'object'
            THEN format('controls must be a JSON object, got %s', coalesce(jsonb_typeof(p_controls), 'NULL'))
        WHEN p_controls - '{signals,applied_knobs}'::text [] <> '{}'::jsonb
            THEN (SELECT format('controls has unknown key(s): %s', left(string_agg(k, ', ' ORDER BY k), 300))
                  FROM jsonb_object_keys(p_controls - '{signals,applied_knobs}'::text []) AS k)
        WHEN coalesce(jsonb_typeof(p_controls -> 'signals'), '') <> 'object'
            THEN format('controls.signals must be a JSON object, got %s', coalesce(jsonb_typeof(p_controls -> 'signals'), 'nothing'))
        WHEN coalesce(jsonb_typeof(p_controls -> 'applied_knobs'), '') <> 'object'
            THEN format('controls.applied_knobs must be a JSON object, got %s',
                        coalesce(jsonb_typeof(p_controls -> 'applied_knobs'), 'nothing'))
        ELSE (
            SELECT CASE
                WHEN e.bad_name THEN format('controls.%s.%s... has a name longer than 200 characters', e.f, left(e.key, 40))
                WHEN e.kind <> 'number' THEN format('controls.%s.%s must be a number, got %s', e.f, e.key, e.kind)
                ELSE format('controls.%s.%s = %s is out of range (+/- %s)', e.f, e.key, left(e.value::text, 100), e.max)
            END
            FROM (
                SELECT f.f, v.key, v.value, jsonb_typeof(v.value) AS kind, length(v.key) > 200 AS bad_name, b.max,
                       CASE WHEN jsonb_typeof(v.value) = 'number' THEN abs((v.value #>> '{}')::numeric) > b.max END AS out_of_range
                FROM (VALUES (1000000::numeric)) AS b (max)
                CROSS JOIN unnest(ARRAY['signals', 'applied_knobs']) AS f (f)
                CROSS JOIN LATERAL jsonb_each(p_controls -> f.f) AS v
            ) AS e
            WHERE e.bad_name OR e.kind <> 'number' OR e.out_of_range
            ORDER BY e.bad_name DESC, e.kind <> 'number' DESC, e.f, e.key
            LIMIT 1
        )
    END
$$;
COMMENT ON FUNCTION learning._controls_domain_error(jsonb) IS
'Private: the domain of the controls document {"signals": {name: number}, "applied_knobs": {name: number}} (numbers within +/- 1e6, names <= 200 characters), written once: why a document is outside it (naming the field), or NULL; read by the action_log trigger.';
REVOKE ALL ON FUNCTION learning._controls_domain_error(jsonb) FROM public;
