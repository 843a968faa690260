/* learning.v_active_overrides: the overrides in force, with their lesson and decay. */
CREATE OR REPLACE VIEW learning.v_active_overrides AS
SELECT
    r.generation,
    r.pattern_key,
    r.action_category,
    r.scope_values,
    r.lesson_id,
    l.edge_raw,
    l.n,
    r.lesson_strength,
    l.decay_halflife_hours,
    l.last_confirmed_at,
    r.decay_factor,
    r.latent_factor_id,
    r.size_mult,
    r.entry_aggression_mult,
    r.exit_aggression_mult,
    r.entry_delay_bars,
    r.phase1_frac_mult,
    r.trim_delay_mult,
    r.trail_mult,
    r.panic_trigger_mult,
    r.signal_thresholds
FROM learning.runtime_override AS r
INNER JOIN learning.override_current AS c ON r.generation = c.generation
INNER JOIN learning.learning_lessons AS l ON r.lesson_id = l.id;
COMMENT ON VIEW learning.v_active_overrides IS 'Overrides of the current generation with their lesson (edge, n, strength, half-life, last confirmation) and decay factor.';
GRANT SELECT ON learning.v_active_overrides TO pglearn_reader;
