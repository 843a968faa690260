/*
 * learning.resolve_overrides(pattern_key, action_category, scope, base_levers, plan_controls) -> jsonb
 *
 * The PM's one call at decision time (roadmap 2.4, strength and execution overrides together):
 *  - matches: current-generation overrides of the pattern and category whose scope is contained in the
 *    given scope (integer dimensions given as digit strings are normalised); the most specific wins
 *    (most dims), ties: higher lesson_strength, then lower lesson id.
 *  - base_levers {"A_value", "E_value", "position_size_frac", ...}: A *= entry_aggression_mult,
 *    E *= exit_aggression_mult, size *= size_mult, each clamped to [0, 1]; other keys pass through.
 *  - plan_controls: entry_delay_bars set (0-5); phase1_frac *= phase1_frac_mult (clamped to [0, 1]);
 *    trim_delay *= trim_delay_mult; trail_speed *= trail_mult; panic_trigger *= panic_trigger_mult;
 *    signal thresholds (min_ts_for_add, min_ox_for_trim, ...) set within [0, 1]. Absent controls stay absent.
 *  - feature flags: learning_overrides_enabled false -> unchanged; a non-empty enabled_regimes list needs the
 *    scope's macro, meso or micro phase in it; a non-empty enabled_buckets list needs the scope's bucket in it.
 * Returns {"levers", "controls", "applied": {"strength", "execution"}, "generation", "telemetry"}; with no
 * match the inputs come back unchanged. An application is recorded in override_application, except on a
 * read-only hot standby or in a read-only transaction, where "telemetry" says "read_only" and nothing is written.
 * Errors: 22023 naming the invalid argument field, checked before any lookup (so also when nothing matches):
 * pattern_key malformed or longer than 200 characters; action_category not entry/add/trim/exit; scope not an
 * object, or an integer dimension of the namespace (bucket_rank_position) not an integer (a number or a digit
 * string) in [min_value, 1000000]; base_levers not an object or A_value / E_value / position_size_frac not a
 * number in [0, 1]; plan_controls not an object or one of the controls acted on not a number within +/- 1e6.
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
AS $$
DECLARE
    v_flags jsonb;
    v_gen bigint;
    v_scope jsonb := resolve_overrides.scope;
    r learning.runtime_override%ROWTYPE;
    v_levers jsonb;
    v_controls jsonb;
    v_strength jsonb;
    v_execution jsonb;
    v_bad text;
    v_telemetry text := 'none';
BEGIN
    IF NOT coalesce(learning._pattern_key_ok(resolve_overrides.pattern_key), false) THEN
        RAISE EXCEPTION 'pattern_key % is malformed', coalesce(quote_literal(left(resolve_overrides.pattern_key, 60)), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters, e.g. pm.uptrend.S1.buy_flag.';
    END IF;
    IF NOT coalesce(learning._action_category_ok(resolve_overrides.action_category), false) THEN
        RAISE EXCEPTION 'action_category % is invalid', coalesce(quote_literal(left(resolve_overrides.action_category, 60)), 'NULL')
            USING ERRCODE = '22023', HINT = 'action_category is entry, add, trim or exit.';
    END IF;
    IF coalesce(jsonb_typeof(v_scope), '') <> 'object' THEN
        RAISE EXCEPTION 'scope must be a JSON object' USING ERRCODE = '22023', HINT = 'Pass the action''s scope, as logged.';
    END IF;
    -- integer dimensions: only a scope holding a number that is not a plain integer in [1, 1e6] or a digit
    -- string is looked at closely (the usual scope costs one jsonpath test)
    IF jsonb_path_exists(v_scope, '$.* ? ((@.type() == "number" && (@ < 1 || @ > 1000000 || @ != @.floor()))
                                         || (@.type() == "string" && @ like_regex "^[0-9]+$"))') THEN
        SELECT d.dim_name || ' = ' || left((v_scope -> d.dim_name)::text, 40) INTO v_bad
        FROM learning.scope_dimension AS d
        WHERE d.namespace = split_part(resolve_overrides.pattern_key, '.', 1) AND d.json_type = 'integer'
          AND v_scope ? d.dim_name
          AND NOT learning._scope_value_ok(
              CASE WHEN jsonb_typeof(v_scope -> d.dim_name) = 'string' AND (v_scope ->> d.dim_name) ~ '^[0-9]{1,7}$'
                   THEN to_jsonb((v_scope ->> d.dim_name)::numeric) ELSE v_scope -> d.dim_name END,
              d.json_type, d.min_value, d.allowed_values)
        ORDER BY d.bit
        LIMIT 1;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'scope.% is invalid: expected an integer in the registry''s range', v_bad
                USING ERRCODE = '22023', HINT = 'Integer scope dimensions (bucket_rank_position) are integers from min_value to 1000000.';
        END IF;
    END IF;
    IF coalesce(jsonb_typeof(base_levers), '') <> 'object' THEN
        RAISE EXCEPTION 'base_levers must be a JSON object' USING ERRCODE = '22023',
            HINT = 'base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}.';
    END IF;
    SELECT f INTO v_bad FROM unnest(ARRAY['A_value', 'E_value', 'position_size_frac']) AS f
    WHERE coalesce(jsonb_typeof(base_levers -> f), '') <> 'number' LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'base_levers.% must be a number', v_bad USING ERRCODE = '22023',
            HINT = 'base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}, each a number in [0, 1].';
    END IF;
    SELECT f INTO v_bad FROM unnest(ARRAY['A_value', 'E_value', 'position_size_frac']) AS f
    WHERE (base_levers ->> f)::numeric NOT BETWEEN 0 AND 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'base_levers.% = % is out of range', v_bad, left((base_levers -> v_bad)::text, 40) USING ERRCODE = '22023',
            HINT = 'base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}, each a number in [0, 1].';
    END IF;
    IF coalesce(jsonb_typeof(plan_controls), '') <> 'object' THEN
        RAISE EXCEPTION 'plan_controls must be a JSON object' USING ERRCODE = '22023', HINT = 'Pass ''{}'' when the plan has no controls.';
    END IF;
    SELECT e.key INTO v_bad FROM jsonb_each(plan_controls) AS e
    WHERE e.key IN ('entry_delay_bars', 'phase1_frac', 'trim_delay', 'trail_speed', 'panic_trigger', 'min_ts_for_add', 'min_ox_for_trim')
      AND (jsonb_typeof(e.value) <> 'number' OR abs((e.value #>> '{}')::numeric) > 1000000)
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'plan_controls.% must be a number within +/- 1e6, got %', v_bad, left((plan_controls -> v_bad)::text, 40)
            USING ERRCODE = '22023', HINT = 'Controls the overrides act on are numbers within +/- 1000000.';
    END IF;

    SELECT c.config -> 'feature_flags' INTO v_flags FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config';
    SELECT c.generation INTO v_gen FROM learning.override_current AS c;
    IF v_gen IS NOT NULL
        AND learning._overrides_allowed(v_flags, v_scope)
    THEN
        IF jsonb_path_exists(v_scope, '$.* ? (@.type() == "string" && @ like_regex "^[0-9]+$")') THEN
            v_scope := learning._normalise_scope(resolve_overrides.pattern_key, v_scope);
        END IF;
        SELECT m.* INTO r
        FROM learning._matching_overrides(v_gen, resolve_overrides.pattern_key, resolve_overrides.action_category, v_scope) AS m
        LIMIT 1;
    END IF;
    IF r.lesson_id IS NULL THEN
        RETURN jsonb_build_object('levers', base_levers, 'controls', plan_controls,
            'applied', jsonb_build_object('strength', NULL, 'execution', NULL), 'generation', v_gen, 'telemetry', v_telemetry);
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
        || coalesce((SELECT jsonb_object_agg(t.key, greatest(0, least(1, (t.value #>> '{}')::float)))
                     FROM jsonb_each(r.signal_thresholds) AS t), '{}');
    v_strength := jsonb_build_object('lesson_id', r.lesson_id, 'scope', r.scope_values, 'strength', r.lesson_strength,
        'decay_factor', r.decay_factor, 'size_mult', r.size_mult, 'entry_aggression_mult', r.entry_aggression_mult,
        'exit_aggression_mult', r.exit_aggression_mult);
    v_execution := CASE WHEN r.entry_delay_bars IS NOT NULL OR r.signal_thresholds <> '{}'
                         OR coalesce(r.phase1_frac_mult, 1) <> 1 OR coalesce(r.trim_delay_mult, 1) <> 1
                         OR coalesce(r.trail_mult, 1) <> 1 OR coalesce(r.panic_trigger_mult, 1) <> 1
        THEN jsonb_strip_nulls(jsonb_build_object('lesson_id', r.lesson_id, 'scope', r.scope_values,
            'entry_delay_bars', r.entry_delay_bars, 'phase1_frac_mult', r.phase1_frac_mult, 'trim_delay_mult', r.trim_delay_mult,
            'trail_mult', r.trail_mult, 'panic_trigger_mult', r.panic_trigger_mult, 'signal_thresholds', r.signal_thresholds))
        END;

    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        v_telemetry := 'read_only';  -- a hot standby or a read-only transaction: answer without writing
    ELSE
        INSERT INTO learning.override_application (pattern_key, action_category, generation, strength_lesson_id, execution_lesson_id,
                                          scope, before, after)
        VALUES (resolve_overrides.pattern_key, resolve_overrides.action_category, v_gen, r.lesson_id,
                CASE WHEN v_execution IS NOT NULL THEN r.lesson_id END, resolve_overrides.scope,
                jsonb_build_object('levers', base_levers, 'controls', plan_controls),
                jsonb_build_object('levers', v_levers, 'controls', v_controls));
        v_telemetry := 'recorded';
    END IF;
    RETURN jsonb_build_object('levers', v_levers, 'controls', v_controls,
        'applied', jsonb_build_object('strength', v_strength, 'execution', v_execution),
        'generation', v_gen, 'telemetry', v_telemetry);
END;
$$;
COMMENT ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) IS
'The PM''s decision-time lookup: applies the most specific matching override to base levers and plan controls, clamped, and records it (docs/api.md).';
REVOKE ALL ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) TO pglearn_pm;
