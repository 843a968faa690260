/*
 * learning.materialize_overrides(as_of timestamptz DEFAULT now()) -> integer
 *
 * Active, enabled lessons -> one new override generation, swapped in atomically (roadmap 2.3).
 *  - decay (the seed's apply_decay): factor = exp(-ln 2 * age_hours / decay_halflife_hours) * lesson_strength,
 *    age = as_of - last_confirmed_at; a multiplier becomes 1 + (lever - 1) * factor;
 *    entry_delay_bars becomes round(bars * factor), "no override" when that is 0;
 *    signal thresholds apply only while factor >= 0.5 (docs/levers.md).
 *  - lessons of patterns in one latent factor with the same (category, scope) share one lever set,
 *    weighted by n * lesson_strength, so the same trades never move levers twice.
 *  - writes runtime_override rows and the two learning_configs documents (roadmap 1.5 shape), then points
 *    override_current at the new generation; readers see the old set or the new one, never a mix.
 *  - keeps the newest tunables.override_generations_kept generations for rollback_overrides().
 * Returns the number of overrides in the new generation.
 */
CREATE OR REPLACE FUNCTION learning.materialize_overrides(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_keep constant int := (pm_config() #>> '{tunables,override_generations_kept}')::int;
    v_gen bigint;
    v_rows integer;
BEGIN
    PERFORM _check_as_of(materialize_overrides.as_of);
    INSERT INTO override_generation (as_of) VALUES (materialize_overrides.as_of) RETURNING generation INTO v_gen;

    WITH live AS (
        SELECT l.*,
               exp(-ln(2.0) * greatest(0, extract(EPOCH FROM materialize_overrides.as_of - l.last_confirmed_at) / 3600.0)
                   / l.decay_halflife_hours) * l.lesson_strength AS factor,
               greatest(l.n, 1) * greatest(l.lesson_strength, 1e-6) AS w,
               coalesce(l.latent_factor_id, 'pattern:' || l.pattern_key) AS grp
        FROM learning_lessons AS l
        WHERE l.status = 'active' AND l.enabled AND l.last_confirmed_at <= materialize_overrides.as_of
    ),
    merged AS (  -- one evidence-weighted lever set per (factor, category, scope)
        SELECT grp, action_category, scope_mask, scope_values_hash,
               sum(w * (1 + ((effect #>> '{capital_levers,size_mult}')::float - 1) * factor)) / sum(w) AS size_mult,
               sum(w * (1 + ((effect #>> '{capital_levers,entry_aggression_mult}')::float - 1) * factor)) / sum(w) AS entry_aggression_mult,
               sum(w * (1 + ((effect #>> '{capital_levers,exit_aggression_mult}')::float - 1) * factor)) / sum(w) AS exit_aggression_mult,
               nullif(round(sum(w * coalesce((effect #>> '{execution_levers,entry_delay_bars}')::float, 0) * factor) / sum(w)), 0)::smallint
                   AS entry_delay_bars,
               sum(w * (1 + (coalesce((effect #>> '{execution_levers,phase1_frac_mult}')::float, 1) - 1) * factor)) / sum(w) AS phase1_frac_mult,
               sum(w * (1 + (coalesce((effect #>> '{execution_levers,trim_delay_mult}')::float, 1) - 1) * factor)) / sum(w) AS trim_delay_mult,
               sum(w * (1 + (coalesce((effect #>> '{execution_levers,trail_mult}')::float, 1) - 1) * factor)) / sum(w) AS trail_mult,
               sum(w * (1 + (coalesce((effect #>> '{execution_levers,panic_trigger_mult}')::float, 1) - 1) * factor)) / sum(w) AS panic_trigger_mult,
               sum(w * factor) / sum(w) AS factor
        FROM live
        GROUP BY grp, action_category, scope_mask, scope_values_hash
    ),
    thresholds AS (  -- the strongest lesson's thresholds, while its decay factor is >= 0.5
        SELECT DISTINCT ON (grp, action_category, scope_mask, scope_values_hash)
            grp, action_category, scope_mask, scope_values_hash,
            CASE WHEN factor >= 0.5 THEN coalesce(effect #> '{execution_levers,signal_thresholds}', '{}') ELSE '{}' END AS signal_thresholds
        FROM live
        ORDER BY grp, action_category, scope_mask, scope_values_hash, w DESC, id
    )
    INSERT INTO runtime_override (
        generation, pattern_key, action_category, scope_mask, scope_values, scope_values_hash, scope_dim_count,
        lesson_id, lesson_strength, decay_factor, latent_factor_id, size_mult, entry_aggression_mult, exit_aggression_mult,
        entry_delay_bars, phase1_frac_mult, trim_delay_mult, trail_mult, panic_trigger_mult, signal_thresholds
    )
    SELECT v_gen, l.pattern_key, l.action_category, l.scope_mask, l.scope_values, l.scope_values_hash,
           cardinality(l.scope_dims), l.id, l.lesson_strength, greatest(0, least(1, m.factor)), l.latent_factor_id,
           m.size_mult, m.entry_aggression_mult, m.exit_aggression_mult, m.entry_delay_bars, m.phase1_frac_mult,
           m.trim_delay_mult, m.trail_mult, m.panic_trigger_mult, t.signal_thresholds
    FROM live AS l
    JOIN merged AS m USING (grp, action_category, scope_mask, scope_values_hash)
    JOIN thresholds AS t USING (grp, action_category, scope_mask, scope_values_hash);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    UPDATE override_generation SET n_overrides = v_rows WHERE generation = v_gen;

    PERFORM _publish_override_generation(v_gen);
    DELETE FROM override_generation AS g
    WHERE g.generation NOT IN (SELECT generation FROM override_generation ORDER BY generation DESC LIMIT v_keep)
      AND g.generation <> (SELECT c.generation FROM override_current AS c);
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.materialize_overrides(timestamptz) IS
'Decays active lessons, merges them within latent factors, writes a new override generation and swaps it in atomically; returns its size.';
REVOKE ALL ON FUNCTION learning.materialize_overrides(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.materialize_overrides(timestamptz) TO pglearn_admin;
