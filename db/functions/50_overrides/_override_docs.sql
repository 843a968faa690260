/*
 * learning._override_docs(r learning.runtime_override, OUT strength jsonb, OUT execution jsonb)
 *
 * Private: the two "applied" documents resolve_overrides returns for an override, the one formula of them:
 *  - strength: {"lesson_id", "scope", "strength", "decay_factor", "size_mult", "entry_aggression_mult", "exit_aggression_mult"};
 *  - execution: {"lesson_id", "scope", "entry_delay_bars", "phase1_frac_mult", "trim_delay_mult", "trail_mult",
 *    "panic_trigger_mult", "signal_thresholds"} without its NULL levers, or NULL when the override moves no
 *    execution lever (no delay, no thresholds, every multiplier absent or 1).
 * materialize_overrides stores them in runtime_override.strength_doc / execution_doc; resolve_overrides and
 * pglearn.OverrideCache read those (and build them with this function for rows written before 0011.hot_path).
 */
CREATE OR REPLACE FUNCTION learning._override_docs(r learning.runtime_override, OUT strength jsonb, OUT execution jsonb)
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object('lesson_id', r.lesson_id, 'scope', r.scope_values, 'strength', r.lesson_strength,
               'decay_factor', r.decay_factor, 'size_mult', r.size_mult, 'entry_aggression_mult', r.entry_aggression_mult,
               'exit_aggression_mult', r.exit_aggression_mult),
           CASE WHEN r.entry_delay_bars IS NOT NULL OR r.signal_thresholds <> '{}'
                     OR coalesce(r.phase1_frac_mult, 1) <> 1 OR coalesce(r.trim_delay_mult, 1) <> 1
                     OR coalesce(r.trail_mult, 1) <> 1 OR coalesce(r.panic_trigger_mult, 1) <> 1
               THEN jsonb_strip_nulls(jsonb_build_object('lesson_id', r.lesson_id, 'scope', r.scope_values,
                   'entry_delay_bars', r.entry_delay_bars, 'phase1_frac_mult', r.phase1_frac_mult,
                   'trim_delay_mult', r.trim_delay_mult, 'trail_mult', r.trail_mult,
                   'panic_trigger_mult', r.panic_trigger_mult, 'signal_thresholds', r.signal_thresholds))
           END
$$;
COMMENT ON FUNCTION learning._override_docs(learning.runtime_override) IS
'Private: the applied.strength and applied.execution documents of an override (stored by materialize_overrides).';
REVOKE ALL ON FUNCTION learning._override_docs(learning.runtime_override) FROM public;
-- materialize_overrides and rollback_overrides (invoker rights, the admin) publish through it
GRANT EXECUTE ON FUNCTION learning._override_docs(learning.runtime_override) TO pglearn_admin;
