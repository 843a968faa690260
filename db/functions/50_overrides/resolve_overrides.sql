/*
 * learning.resolve_overrides(pattern_key, action_category, scope, base_levers, plan_controls) -> jsonb
 *
 * The PM's one call at decision time (roadmap 2.4, strength and execution overrides together):
 *  - matches: current-generation overrides of the pattern and category whose scope is contained in the
 *    given scope (integer dimensions given as digit strings are normalised); the most specific wins
 *    (most dims), ties: higher lesson_strength, then lower lesson id (learning._matching_overrides: the first
 *    contained candidate of one pre-sorted index range scan).
 *  - base_levers {"A_value", "E_value", "position_size_frac", ...}: A *= entry_aggression_mult,
 *    E *= exit_aggression_mult, size *= size_mult, each clamped to [0, 1]; other keys pass through.
 *  - plan_controls: entry_delay_bars set (0-5); phase1_frac *= phase1_frac_mult (clamped to [0, 1]);
 *    trim_delay *= trim_delay_mult; trail_speed *= trail_mult; panic_trigger *= panic_trigger_mult;
 *    signal thresholds (min_ts_for_add, min_ox_for_trim, ...) set (stored within [0, 1]). Absent controls stay absent.
 *  - feature flags: learning_overrides_enabled false -> unchanged; a non-empty enabled_regimes list needs the
 *    scope's macro, meso or micro phase in it; a non-empty enabled_buckets list needs the scope's bucket in it.
 *  - mode (feature_flags.learning_overrides_mode_by_pattern ->> pattern_key, else learning_overrides_mode):
 *    'apply' applies the match; 'shadow' returns the inputs unchanged and puts what would have applied under
 *    "shadow" ({"levers", "controls", "strength", "execution"}), recorded like an application (mode shadow).
 * Returns {"levers", "controls", "applied": {"strength", "execution"}, "generation", "mode", "telemetry"} (+ "shadow").
 * Telemetry: a match writes one compact row into the UNLOGGED learning.override_decision_buffer (no WAL, so the
 * call's commit waits for no flush), rolled up into learning.override_decision_counts (flush_override_decisions);
 * with feature_flags.learning_overrides_telemetry_full (apply mode) the full before/after row of
 * override_application instead: each decision is recorded once, compact or full. On a read-only hot standby or in a read-only transaction "telemetry" says "read_only" and nothing is
 * written. Errors: 22023 naming the invalid argument field, checked before any lookup (so also when nothing
 * matches): learning._raise_decision_args (pattern_key, action_category, scope object) and
 * learning._raise_resolve_args (integer dimensions, base_levers, plan_controls); the good path is one expression.
 * plan_cache_mode = force_generic_plan: left to choose, plpgsql re-plans the match with the caller's scope on
 * every call (jsonb containment selectivity from the column statistics: ~0.2 ms, most of a call's time); the
 * generic plan is the one index range scan.
 */
CREATE OR REPLACE FUNCTION learning.resolve_overrides(
    pattern_key text,
    action_category text,
    scope jsonb,
    base_levers jsonb,
    plan_controls jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_scope jsonb := resolve_overrides.scope;
    v_flags jsonb;
    v_gen bigint;
    v_mode text;
    r learning.runtime_override%ROWTYPE;
    v_levers jsonb;
    v_controls jsonb;
    v_strength jsonb;
    v_execution jsonb;
    v_telemetry text := 'none';
BEGIN
    -- the good path in one expression; anything else (or a scope value worth a closer look) takes the error path
    IF (learning._decision_args_ok(resolve_overrides.pattern_key, resolve_overrides.action_category, v_scope)
            AND jsonb_typeof(base_levers) = 'object' AND jsonb_typeof(plan_controls) = 'object'
            AND jsonb_path_match(base_levers, '$.A_value.type() == "number" && $.E_value.type() == "number"
                && $.position_size_frac.type() == "number" && $.A_value >= 0 && $.A_value <= 1 && $.E_value >= 0
                && $.E_value <= 1 && $.position_size_frac >= 0 && $.position_size_frac <= 1', '{}', true)
            AND NOT jsonb_path_exists(plan_controls, '$.keyvalue() ? ((@.key == "entry_delay_bars" || @.key == "phase1_frac"
                || @.key == "trim_delay" || @.key == "trail_speed" || @.key == "panic_trigger" || @.key == "min_ts_for_add"
                || @.key == "min_ox_for_trim") && (@.value.type() != "number" || @.value > 1000000 || @.value < -1000000))', '{}', true)
            AND NOT jsonb_path_exists(v_scope, '$.* ? ((@.type() == "number" && (@ < 1 || @ > 1000000 || @ != @.floor()))
                                                 || (@.type() == "string" && @ like_regex "^[0-9]+$"))'))
       IS NOT TRUE THEN
        PERFORM learning._raise_decision_args(resolve_overrides.pattern_key, resolve_overrides.action_category, v_scope);
        PERFORM learning._raise_resolve_args(resolve_overrides.pattern_key, v_scope, base_levers, plan_controls);
        v_scope := learning._normalise_scope(resolve_overrides.pattern_key, v_scope);
    END IF;

    SELECT c.config -> 'feature_flags', o.generation INTO v_flags, v_gen
    FROM learning.learning_configs AS c LEFT JOIN learning.override_current AS o ON true
    WHERE c.config_key = 'pm_config';
    v_mode := coalesce(v_flags -> 'learning_overrides_mode_by_pattern' ->> resolve_overrides.pattern_key,
                       v_flags ->> 'learning_overrides_mode', 'apply');
    IF learning._overrides_allowed(v_flags, v_scope) THEN
        SELECT m.* INTO r
        FROM learning._matching_overrides(v_gen, resolve_overrides.pattern_key, resolve_overrides.action_category, v_scope) AS m
        LIMIT 1;
    END IF;
    IF r.lesson_id IS NULL THEN
        RETURN jsonb_build_object('levers', base_levers, 'controls', plan_controls,
            'applied', jsonb_build_object('strength', NULL, 'execution', NULL), 'generation', v_gen, 'mode', v_mode,
            'telemetry', v_telemetry);
    END IF;

    v_levers := base_levers || jsonb_build_object(
        'A_value', greatest(0, least(1, (base_levers ->> 'A_value')::float * r.entry_aggression_mult)),
        'E_value', greatest(0, least(1, (base_levers ->> 'E_value')::float * r.exit_aggression_mult)),
        'position_size_frac', greatest(0, least(1, (base_levers ->> 'position_size_frac')::float * r.size_mult)));
    v_controls := plan_controls || jsonb_strip_nulls(jsonb_build_object(
        'entry_delay_bars', r.entry_delay_bars,
        'phase1_frac', CASE WHEN plan_controls ? 'phase1_frac' AND r.phase1_frac_mult IS NOT NULL
            THEN greatest(0, least(1, (plan_controls ->> 'phase1_frac')::float * r.phase1_frac_mult)) END,
        'trim_delay', CASE WHEN plan_controls ? 'trim_delay' AND r.trim_delay_mult IS NOT NULL
            THEN greatest(0, (plan_controls ->> 'trim_delay')::float * r.trim_delay_mult) END,
        'trail_speed', CASE WHEN plan_controls ? 'trail_speed' AND r.trail_mult IS NOT NULL
            THEN greatest(0, (plan_controls ->> 'trail_speed')::float * r.trail_mult) END,
        'panic_trigger', CASE WHEN plan_controls ? 'panic_trigger' AND r.panic_trigger_mult IS NOT NULL
            THEN (plan_controls ->> 'panic_trigger')::float * r.panic_trigger_mult END))
        || r.signal_thresholds;
    v_strength := r.strength_doc;
    v_execution := r.execution_doc;
    IF v_strength IS NULL THEN  -- a generation materialized before 0011.hot_path
        SELECT d.strength, d.execution INTO v_strength, v_execution FROM learning._override_docs(r) AS d;
    END IF;

    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        v_telemetry := 'read_only';  -- a hot standby or a read-only transaction: answer without writing
    ELSE
        IF v_mode = 'apply' AND (v_flags ->> 'learning_overrides_telemetry_full')::boolean THEN  -- the full row instead
            INSERT INTO learning.override_application (pattern_key, action_category, generation, strength_lesson_id,
                                                       execution_lesson_id, scope, before, after)
            VALUES (resolve_overrides.pattern_key, resolve_overrides.action_category, v_gen, r.lesson_id,
                    CASE WHEN v_execution IS NOT NULL THEN r.lesson_id END, resolve_overrides.scope,
                    jsonb_build_object('levers', base_levers, 'controls', plan_controls),
                    jsonb_build_object('levers', v_levers, 'controls', v_controls));
        ELSE
            INSERT INTO learning.override_decision_buffer (generation, lesson_id, kind)
            VALUES (v_gen, r.lesson_id, CASE WHEN v_execution IS NOT NULL THEN 1 ELSE 0 END + CASE WHEN v_mode = 'shadow' THEN 2 ELSE 0 END);
        END IF;
        v_telemetry := 'recorded';
    END IF;
    IF v_mode = 'shadow' THEN
        RETURN jsonb_build_object('levers', base_levers, 'controls', plan_controls,
            'applied', jsonb_build_object('strength', NULL, 'execution', NULL), 'generation', v_gen, 'mode', v_mode,
            'shadow', jsonb_build_object('levers', v_levers, 'controls', v_controls, 'strength', v_strength, 'execution', v_execution),
            'telemetry', v_telemetry);
    END IF;
    RETURN jsonb_build_object('levers', v_levers, 'controls', v_controls,
        'applied', jsonb_build_object('strength', v_strength, 'execution', v_execution),
        'generation', v_gen, 'mode', v_mode, 'telemetry', v_telemetry);
END;
$$;
COMMENT ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) IS
'The PM''s decision-time lookup: applies (or, in shadow mode, only records) the most specific matching override, clamped, with compact telemetry (docs/api.md).';
REVOKE ALL ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) TO pglearn_pm;
