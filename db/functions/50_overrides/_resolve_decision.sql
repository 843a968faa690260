/*
 * learning._resolve_decision(pattern_key, action_category, scope, base_levers, plan_controls, telemetry text)
 *   -> TABLE (doc jsonb, generation bigint, lesson_id bigint, execution boolean, shadow boolean, telemetry_full boolean)
 *
 * Private: the decision of resolve_overrides for arguments it has checked (and a scope it has normalised), as one
 * inlinable query, so that resolve_overrides runs it as its one statement per call (its telemetry row is a plain
 * insert after it: as a data-modifying CTE it cost more). One row when pm_config exists, none otherwise.
 *  - the flags and the current generation: one read of pm_config.feature_flags and override_current;
 *  - mode: feature_flags.learning_overrides_mode_by_pattern ->> pattern_key, else learning_overrides_mode, else 'apply';
 *  - the match: learning._matching_overrides (the first contained candidate of one pre-sorted index range scan),
 *    read only when learning._overrides_allowed (the feature-flag gate);
 *  - levers and controls of the match, clamped (docs/levers.md): A *= entry_aggression_mult, E *= exit_aggression_mult,
 *    size *= size_mult, each in [0, 1]; entry_delay_bars set; phase1_frac *= phase1_frac_mult in [0, 1]; trim_delay *=
 *    trim_delay_mult and trail_speed *= trail_mult, each >= 0; panic_trigger *= panic_trigger_mult; signal thresholds
 *    set; absent controls stay absent; an override without execution levers returns the controls as given;
 *  - doc: the document resolve_overrides returns, its "telemetry" = the telemetry argument when a match was decided
 *    ('recorded' or 'read_only'), 'none' otherwise; the applied documents are the ones stored at publish time;
 *  - generation, lesson_id (NULL: no match), execution (the match moves execution levers), shadow (shadow mode) and
 *    telemetry_full (feature_flags.learning_overrides_telemetry_full in apply mode): what the telemetry records.
 */
CREATE OR REPLACE FUNCTION learning._resolve_decision(
    p_pattern_key text, p_action_category text, p_scope jsonb, p_base jsonb, p_controls jsonb, p_telemetry text
)
RETURNS TABLE (
    doc jsonb, generation bigint, lesson_id bigint, execution boolean, shadow boolean, telemetry_full boolean
)
LANGUAGE sql
STABLE
AS $$
    SELECT jsonb_build_object(
               'levers', CASE WHEN m.lesson_id IS NULL OR f.mode = 'shadow' THEN p_base ELSE m.levers END,
               'controls', CASE WHEN m.lesson_id IS NULL OR f.mode = 'shadow' THEN p_controls ELSE m.controls END,
               'applied', CASE WHEN m.lesson_id IS NULL OR f.mode = 'shadow' THEN '{"strength": null, "execution": null}'::jsonb
                               ELSE jsonb_build_object('strength', m.strength_doc, 'execution', m.execution_doc) END,
               'generation', f.generation, 'mode', f.mode,
               'telemetry', CASE WHEN m.lesson_id IS NULL THEN 'none' ELSE p_telemetry END)
           || CASE WHEN m.lesson_id IS NOT NULL AND f.mode = 'shadow'  -- what would have applied
                   THEN jsonb_build_object('shadow', jsonb_build_object('levers', m.levers, 'controls', m.controls,
                                                                        'strength', m.strength_doc, 'execution', m.execution_doc))
                   ELSE '{}' END,  -- || '{}' returns the left side as it is
           f.generation,
           m.lesson_id,
           m.execution_doc IS NOT NULL,
           f.mode = 'shadow',
           f.mode = 'apply' AND coalesce((f.flags ->> 'learning_overrides_telemetry_full')::boolean, false)
    FROM (
        SELECT c.config -> 'feature_flags' AS flags, o.generation,
               coalesce(c.config -> 'feature_flags' -> 'learning_overrides_mode_by_pattern' ->> p_pattern_key,
                        c.config -> 'feature_flags' ->> 'learning_overrides_mode', 'apply') AS mode
        FROM learning.learning_configs AS c LEFT JOIN learning.override_current AS o ON true
        WHERE c.config_key = 'pm_config'
        OFFSET 0  -- one evaluation of the flags, not one per reference
    ) AS f
    LEFT JOIN LATERAL (
        SELECT o.lesson_id, o.strength_doc, o.execution_doc,
               p_base || jsonb_build_object(
                   'A_value', greatest(0, least(1, (p_base -> 'A_value')::float * o.entry_aggression_mult)),
                   'E_value', greatest(0, least(1, (p_base -> 'E_value')::float * o.exit_aggression_mult)),
                   'position_size_frac', greatest(0, least(1, (p_base -> 'position_size_frac')::float * o.size_mult))
               ) AS levers,
               CASE
                   WHEN o.entry_delay_bars IS NULL AND o.phase1_frac_mult IS NULL AND o.trim_delay_mult IS NULL
                        AND o.trail_mult IS NULL AND o.panic_trigger_mult IS NULL AND o.signal_thresholds = '{}'
                       THEN p_controls
                   ELSE p_controls || jsonb_strip_nulls(jsonb_build_object(
                       'entry_delay_bars', o.entry_delay_bars,
                       'phase1_frac', CASE WHEN p_controls ? 'phase1_frac' AND o.phase1_frac_mult IS NOT NULL
                           THEN greatest(0, least(1, (p_controls -> 'phase1_frac')::float * o.phase1_frac_mult)) END,
                       'trim_delay', CASE WHEN p_controls ? 'trim_delay' AND o.trim_delay_mult IS NOT NULL
                           THEN greatest(0, (p_controls -> 'trim_delay')::float * o.trim_delay_mult) END,
                       'trail_speed', CASE WHEN p_controls ? 'trail_speed' AND o.trail_mult IS NOT NULL
                           THEN greatest(0, (p_controls -> 'trail_speed')::float * o.trail_mult) END,
                       'panic_trigger', CASE WHEN p_controls ? 'panic_trigger' AND o.panic_trigger_mult IS NOT NULL
                           THEN (p_controls -> 'panic_trigger')::float * o.panic_trigger_mult END))
                       || o.signal_thresholds
               END AS controls
        FROM learning._matching_overrides(f.generation, p_pattern_key, p_action_category, p_scope) AS o
        WHERE learning._overrides_allowed(f.flags, p_scope)
        LIMIT 1
    ) AS m ON true
$$;
COMMENT ON FUNCTION learning._resolve_decision(text, text, jsonb, jsonb, jsonb, text) IS
'Private: resolve_overrides'' decision (flags, generation, match, document, what to record) as one inlinable query.';
REVOKE ALL ON FUNCTION learning._resolve_decision(text, text, jsonb, jsonb, jsonb, text) FROM public;
