/*
 * learning.explain_override(pattern_key text, action_category text, scope jsonb) -> jsonb
 *
 * Which override resolve_overrides would apply to this (pattern, category, scope), and why (pglearn explain):
 *  - "applies": true when an override matches and the feature flags let it apply ("flags_allow");
 *  - "override": the winning runtime_override row of the current generation (most dims, then strength, then id);
 *  - "lesson": the lesson behind it (levers before decay, edge_raw, incremental edge, n, epochs);
 *  - "stats": the pattern_scope_stats row of that scope (n, avg_rr, edge_raw, ...);
 *  - "decay": age since last confirmation, half-life, the decay factor applied;
 *  - "factor": the latent factor the lesson belongs to (members, representative);
 *  - "other_matches": the losing matches, in rank order;
 *  - "lessons_not_in_force": matching lessons that give no override (stale, retired, rolled back, disabled) and why;
 *  - "evidence": the latest epoch's tests of the winning scope (v_lesson_candidates: p, q, self-sufficiency, ...).
 *  - "mode": apply or shadow, as resolve_overrides would act for this pattern (feature_flags.learning_overrides_mode).
 * Reads only: answers on a hot standby. Errors: 22023 naming the invalid argument (learning._raise_decision_args).
 */
CREATE OR REPLACE FUNCTION learning.explain_override(pattern_key text, action_category text, scope jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_scope jsonb;
    v_gen bigint;
    v_gen_as_of timestamptz;
    v_flags jsonb;
    v_matches jsonb;
    v_win jsonb;
    v_lesson learning.learning_lessons%ROWTYPE;
    v_allowed boolean;
BEGIN
    IF NOT learning._decision_args_ok(explain_override.pattern_key, explain_override.action_category, explain_override.scope) THEN
        PERFORM learning._raise_decision_args(explain_override.pattern_key, explain_override.action_category, explain_override.scope);
    END IF;
    v_scope := learning._normalise_scope(explain_override.pattern_key, explain_override.scope);
    SELECT c.config -> 'feature_flags' INTO v_flags FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config';
    v_allowed := learning._overrides_allowed(v_flags, v_scope);
    SELECT c.generation, g.as_of INTO v_gen, v_gen_as_of
    FROM learning.override_current AS c JOIN learning.override_generation AS g ON g.generation = c.generation;

    -- every column of runtime_override (each lever of the catalogue) by name, in rank order
    SELECT jsonb_agg(to_jsonb(m) - 'generation' - 'ordinality' - 'strength_doc' - 'execution_doc' ORDER BY m.ordinality)
    INTO v_matches
    FROM learning._matching_overrides(v_gen, explain_override.pattern_key, explain_override.action_category, v_scope)
        WITH ORDINALITY AS m;
    v_win := v_matches -> 0;
    IF v_win IS NOT NULL THEN
        SELECT l.* INTO v_lesson FROM learning.learning_lessons AS l WHERE l.id = (v_win ->> 'lesson_id')::bigint;
    END IF;

    RETURN jsonb_build_object(
        'pattern_key', explain_override.pattern_key,
        'action_category', explain_override.action_category,
        'scope', v_scope,
        'generation', v_gen,
        'generation_as_of', v_gen_as_of,
        'flags_allow', v_allowed,
        'mode', coalesce(v_flags -> 'learning_overrides_mode_by_pattern' ->> explain_override.pattern_key,
                         v_flags ->> 'learning_overrides_mode', 'apply'),
        'applies', v_win IS NOT NULL AND v_allowed,
        'reason', CASE
            WHEN v_gen IS NULL THEN 'no override generation has been materialized yet'
            WHEN v_win IS NULL THEN 'no override of this pattern and category has a scope contained in the given scope'
            WHEN NOT v_allowed THEN 'an override matches but the feature flags keep it off for this scope'
            ELSE format('the most specific of %s matching override(s): %s dim(s)', jsonb_array_length(v_matches), v_win ->> 'scope_dim_count')
        END,
        'override', v_win,
        'lesson', CASE WHEN v_lesson.id IS NOT NULL THEN jsonb_build_object(
            'id', v_lesson.id, 'scope', v_lesson.scope_values, 'status', v_lesson.status, 'enabled', v_lesson.enabled,
            'effect', v_lesson.effect, 'lesson_strength', v_lesson.lesson_strength, 'edge_raw', v_lesson.edge_raw,
            'incremental_edge', v_lesson.incremental_edge, 'n', v_lesson.n, 'last_confirmed_at', v_lesson.last_confirmed_at,
            'basis', v_lesson.basis, 'p_value', v_lesson.p_value, 'q_value', v_lesson.q_value, 'shrink_weight', v_lesson.shrink_weight,
            'confirmed_epoch', v_lesson.confirmed_epoch, 'status_reason', v_lesson.status_reason,
            'oos_trades', v_lesson.oos_trades, 'oos_excess_rr', v_lesson.oos_excess_rr, 'oos_p', v_lesson.oos_p) END,
        'stats', (SELECT s.stats FROM learning.v_pattern_scope_stats AS s
                  WHERE s.pattern_key = explain_override.pattern_key AND s.action_category = explain_override.action_category
                    AND s.scope_mask = (v_win ->> 'scope_mask')::smallint AND s.scope_values_hash = v_win ->> 'scope_values_hash'),
        'decay', CASE WHEN v_lesson.id IS NOT NULL THEN jsonb_build_object(
            'age_hours', round((extract(EPOCH FROM v_gen_as_of - v_lesson.last_confirmed_at) / 3600.0)::numeric, 2),
            'half_life_hours', v_lesson.decay_halflife_hours,
            'decay_factor', v_win -> 'decay_factor',
            'rule', 'lever = 1 + (lesson lever - 1) * exp(-ln 2 * age / half-life) * lesson_strength') END,
        'factor', (SELECT jsonb_build_object('factor_id', f.factor_id, 'pattern_keys', f.pattern_keys,
                                             'representative_pattern', f.representative_pattern)
                   FROM learning.learning_latent_factors AS f WHERE f.factor_id = v_win ->> 'latent_factor_id'),
        'other_matches', coalesce(v_matches - 0, '[]'),
        -- lessons of this pattern and category whose scope matches but that give no override, and why
        'lessons_not_in_force', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', l.id, 'scope', l.scope_values, 'status', l.status, 'enabled', l.enabled,
                                                'reason', CASE WHEN NOT l.enabled THEN 'disabled by an operator' ELSE l.status_reason END)
                             ORDER BY cardinality(l.scope_dims) DESC, l.id)
            FROM learning.learning_lessons AS l
            WHERE l.pattern_key = explain_override.pattern_key AND l.action_category = explain_override.action_category
              AND v_scope @> l.scope_values AND (l.status <> 'active' OR NOT l.enabled)), '[]'),
        -- the latest epoch's test of the winning lesson's scope (p, q, self-sufficiency, productivity, shrinkage)
        'evidence', (SELECT jsonb_agg(to_jsonb(c) - 'scope_values' - 'scope_values_hash' - 'pattern_key' - 'action_category'
                                      ORDER BY c.kind)
                     FROM learning.v_lesson_candidates AS c
                     WHERE c.pattern_key = explain_override.pattern_key AND c.action_category = explain_override.action_category
                       AND c.scope_mask = (v_win ->> 'scope_mask')::smallint AND c.scope_values_hash = v_win ->> 'scope_values_hash'));
END;
$$;
COMMENT ON FUNCTION learning.explain_override(text, text, jsonb) IS
'Which override resolve_overrides would apply to a pattern, category and scope, and why: lesson, stats row, decay, factor, losing matches.';
REVOKE ALL ON FUNCTION learning.explain_override(text, text, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.explain_override(text, text, jsonb) TO pglearn_pm, pglearn_reader;
