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
 * override_application instead: each decision is recorded once, compact or full. On a read-only hot standby or in
 * a read-only transaction "telemetry" says "read_only" and nothing is written. Errors: 22023 naming the invalid argument field, checked before any lookup (so also when nothing
 * matches): learning._raise_decision_args (pattern_key, action_category, scope object) and
 * learning._raise_resolve_args (integer dimensions, base_levers, plan_controls); the good path is one expression.
 * Per call (issue 14, docs/api.md "Decision time"): the good-path argument check (one expression), one statement for
 * the decision (learning._resolve_decision, inlined: flags, generation, gate, match, document), and for a decision in
 * a writable transaction one plain insert of its telemetry row.
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
    v_doc jsonb;
    v_gen bigint;
    v_lesson bigint;
    v_execution boolean;
    v_shadow boolean;
    v_full boolean;
    v_read_only boolean;
BEGIN
    -- the good path in one expression of jsonpath tests (an expression is compiled again in every transaction,
    -- and each function call in it costs a catalog lookup then: one jsonpath call costs less than the jsonb operators
    -- it replaces); anything else, or a scope value worth a closer look, takes the error path, which raises naming
    -- the field or normalises the scope. base_levers in strict mode: a missing key or a value of another type (an
    -- array too) makes a comparison unknown, not true. plan_controls: a listed control that is not a number within +/- 1e6.
    IF (learning._decision_args_ok(resolve_overrides.pattern_key, resolve_overrides.action_category, v_scope)
            AND jsonb_path_match(base_levers, 'strict $.A_value >= 0 && $.A_value <= 1 && $.E_value >= 0 && $.E_value <= 1
                && $.position_size_frac >= 0 && $.position_size_frac <= 1', '{}', true)
            AND jsonb_typeof(plan_controls) = 'object'
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

    -- one statement: flags, generation, match, the document (learning._resolve_decision, inlined into it)
    v_read_only := pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean;  -- a hot standby, too
    SELECT d.doc, d.generation, d.lesson_id, d.execution, d.shadow, d.telemetry_full
    INTO v_doc, v_gen, v_lesson, v_execution, v_shadow, v_full
    FROM learning._resolve_decision(resolve_overrides.pattern_key, resolve_overrides.action_category, v_scope,
                                    base_levers, plan_controls, CASE WHEN v_read_only THEN 'read_only' ELSE 'recorded' END) AS d;
    -- and for a decision, its telemetry: one plain insert (a data-modifying CTE in the statement above cost more: its
    -- tuplestore and scans); none in a read-only transaction, where the document says "read_only"
    IF v_lesson IS NOT NULL AND NOT v_read_only THEN
        IF v_full THEN  -- feature_flags.learning_overrides_telemetry_full (apply mode): the before/after row instead
            INSERT INTO learning.override_application (pattern_key, action_category, generation, strength_lesson_id,
                                                       execution_lesson_id, scope, before, after)
            VALUES (resolve_overrides.pattern_key, resolve_overrides.action_category, v_gen, v_lesson,
                    CASE WHEN v_execution THEN v_lesson END, resolve_overrides.scope,
                    jsonb_build_object('levers', base_levers, 'controls', plan_controls),
                    jsonb_build_object('levers', v_doc -> 'levers', 'controls', v_doc -> 'controls'));
        ELSE
            INSERT INTO learning.override_decision_buffer (generation, lesson_id, execution, shadow)
            VALUES (v_gen, v_lesson, v_execution, v_shadow);
        END IF;
    END IF;
    IF v_doc IS NULL THEN  -- no pm_config row: no flags, nothing applies
        RETURN jsonb_build_object('levers', base_levers, 'controls', plan_controls,
            'applied', jsonb_build_object('strength', NULL, 'execution', NULL), 'generation', NULL, 'mode', 'apply',
            'telemetry', 'none');
    END IF;
    RETURN v_doc;
END;
$$;
COMMENT ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) IS
'The PM''s decision-time lookup: applies (or, in shadow mode, only records) the most specific matching override, clamped, with compact telemetry (docs/api.md).';
REVOKE ALL ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) TO pglearn_pm;
