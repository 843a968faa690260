/*
 * learning._publish_override_generation(generation) -> void
 *
 * Makes a generation the one in force: rewrites the learning_configs documents
 * pattern_strength_overrides (capital levers) and pattern_overrides (execution levers), in the roadmap 1.5
 * shape, from its rows and points override_current at it, in the caller's transaction (an atomic swap).
 * Stores the rows' "applied" documents (learning._override_docs) where they are missing (a new generation, or
 * one materialized before 0011.hot_path coming back by rollback), and sends NOTIFY pglearn_overrides with the
 * generation as payload: delivered when the caller commits (materialize_overrides, rollback_overrides), never
 * for a rolled-back publish. pglearn.OverrideCache LISTENs on it (docs/api.md, "OverrideCache").
 */
CREATE OR REPLACE FUNCTION learning._publish_override_generation(p_generation bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    UPDATE runtime_override AS r
    SET (strength_doc, execution_doc) = (SELECT d.strength, d.execution FROM _override_docs(r) AS d)
    WHERE r.generation = p_generation AND r.strength_doc IS NULL;
    UPDATE learning_configs AS c
    SET config = coalesce((
        SELECT jsonb_agg(jsonb_build_object(
            'pattern_key', r.pattern_key, 'action_category', r.action_category, 'scope', r.scope_values,
            'levers', CASE c.config_key
                WHEN 'pattern_strength_overrides' THEN jsonb_build_object(
                    'size_mult', r.size_mult, 'entry_aggression_mult', r.entry_aggression_mult,
                    'exit_aggression_mult', r.exit_aggression_mult)
                ELSE jsonb_strip_nulls(jsonb_build_object(
                    'entry_delay_bars', r.entry_delay_bars, 'phase1_frac_mult', r.phase1_frac_mult,
                    'trim_delay_mult', r.trim_delay_mult, 'trail_mult', r.trail_mult,
                    'panic_trigger_mult', r.panic_trigger_mult)) || jsonb_build_object('signal_thresholds', r.signal_thresholds)
            END,
            'lesson', jsonb_build_object('id', r.lesson_id, 'strength', r.lesson_strength,
                                         'decay_halflife_hours', l.decay_halflife_hours, 'enabled', true),
            'generation', r.generation) ORDER BY r.pattern_key, r.action_category, r.scope_mask, r.scope_values_hash)
        FROM runtime_override AS r JOIN learning_lessons AS l ON l.id = r.lesson_id
        WHERE r.generation = p_generation), '[]')
    WHERE c.config_key IN ('pattern_strength_overrides', 'pattern_overrides');
    INSERT INTO override_current (singleton, generation, swapped_at) VALUES (true, p_generation, now())
    ON CONFLICT (singleton) DO UPDATE SET generation = excluded.generation, swapped_at = excluded.swapped_at;
    PERFORM pg_notify('pglearn_overrides', p_generation::text);
END;
$$;
COMMENT ON FUNCTION learning._publish_override_generation(bigint) IS
'Private: writes the override documents of a generation into learning_configs, makes it current (atomic with the caller) and sends NOTIFY pglearn_overrides.';
REVOKE ALL ON FUNCTION learning._publish_override_generation(bigint) FROM public;
GRANT EXECUTE ON FUNCTION learning._publish_override_generation(bigint) TO pglearn_admin;
