/*
 * learning.build_lessons(as_of timestamptz DEFAULT now()) -> integer
 *
 * One learning epoch (roadmap 2.2): the chosen rows of v_lesson_candidates become lessons, upserted on
 * (pattern_key, action_category, scope_mask, scope_values_hash), and their levers move one step.
 * Re-running the same epoch (an as_of <= the lesson's last_epoch) changes nothing.
 * Lever rules and the strength formula: docs/levers.md. Returns the number of lessons written.
 */
CREATE OR REPLACE FUNCTION learning.build_lessons(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning
AS $$
DECLARE
    t constant jsonb := pm_config() -> 'tunables';
    v_lr constant float := (t ->> 'learning_rate')::float;
    v_max_step constant float := (t ->> 'max_step')::float;
    v_n_full constant float := coalesce((t ->> 'strength_n_full')::float, 500);
    v_cf_min_n constant int := coalesce((t ->> 'cf_min_n')::int, 5);
    v_rows integer;
BEGIN
    PERFORM _check_as_of(build_lessons.as_of);

    WITH chosen AS (
        SELECT c.*, lever_step(c.edge_raw, t) AS step,
               coalesce((c.stats ->> 'segments_tested')::int, 0) AS seg_t,
               coalesce((c.stats ->> 'segments_positive')::int, 0) AS seg_p,
               coalesce((c.stats ->> 'cf_entry_delay_n')::int, 0) AS cfd_n,
               (c.stats ->> 'cf_entry_delay_bars_mean')::float AS cfd_mean,
               greatest(coalesce((c.stats ->> 'cf_entry_gain_rr_mean')::float, 0), 0) AS cfe_gain,
               coalesce((c.stats ->> 'cf_exit_gain_n')::int, 0) AS cfx_n,
               coalesce((c.stats ->> 'cf_exit_later_share')::float, 0) AS cfx_dir,
               greatest(coalesce((c.stats ->> 'cf_exit_gain_rr_mean')::float, 0), 0) AS cfx_gain
        FROM v_lesson_candidates AS c
        WHERE c.chosen
    ),
    stepped AS (
        SELECT ch.*, p.effect AS prev,
               -- counterfactual evidence counts only for its own category and when most samples carry it
               ch.action_category = 'entry' AND ch.cfd_n >= greatest(v_cf_min_n, ch.n / 2.0) AND ch.cfd_mean >= 0.5 AS later_entry,
               greatest(-v_max_step, least(v_max_step, v_lr * ch.cfx_dir * ch.cfx_gain))
               * (ch.action_category IN ('trim', 'exit') AND ch.cfx_n >= greatest(v_cf_min_n, ch.n / 2.0))::int AS exit_step,
               least(1.0, ln(1 + ch.n) / ln(1 + v_n_full))
               * CASE WHEN ch.seg_t = 0 THEN 0.5
                      WHEN ch.edge_raw >= 0 THEN ch.seg_p::float / ch.seg_t
                      ELSE (ch.seg_t - ch.seg_p)::float / ch.seg_t END AS strength
        FROM chosen AS ch
        LEFT JOIN learning_lessons AS p
            ON p.pattern_key = ch.pattern_key AND p.action_category = ch.action_category
           AND p.scope_mask = ch.scope_mask AND p.scope_values_hash = ch.scope_values_hash
        WHERE p.last_epoch IS NULL OR p.last_epoch < build_lessons.as_of
    ),
    effect AS (
        SELECT s.*,
               coalesce((s.prev #>> '{execution_levers,entry_delay_bars}')::int, 0) AS prev_delay,
               greatest(0, least(5, round(s.cfd_mean)))::int AS target_delay
        FROM stepped AS s
    )
    INSERT INTO learning_lessons AS l (
        pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, status, effect,
        edge_raw, incremental_edge, n, lesson_strength, latent_factor_id, last_epoch, last_confirmed_at, updated_at
    )
    SELECT e.pattern_key, e.action_category, e.scope_mask, e.scope_values_hash,
           ARRAY(SELECT k FROM jsonb_object_keys(e.scope_values) AS k ORDER BY k),
           e.scope_values, 'active',
           jsonb_build_object(
               'capital_levers', jsonb_build_object(
                   'size_mult', clamp_to_bounds(coalesce((e.prev #>> '{capital_levers,size_mult}')::float, 1) * (1 + e.step), 'size_mult', t),
                   'entry_aggression_mult', clamp_to_bounds(
                       coalesce((e.prev #>> '{capital_levers,entry_aggression_mult}')::float, 1) * (1 + e.step), 'entry_aggression_mult', t),
                   'exit_aggression_mult', clamp_to_bounds(
                       coalesce((e.prev #>> '{capital_levers,exit_aggression_mult}')::float, 1) * (1 - e.step), 'exit_aggression_mult', t)
               ),
               'execution_levers', jsonb_strip_nulls(jsonb_build_object(
                   'entry_delay_bars', CASE
                       WHEN e.later_entry THEN clamp_to_bounds(e.prev_delay + sign(e.target_delay - e.prev_delay), 'entry_delay_bars', t)::int
                       ELSE (e.prev #>> '{execution_levers,entry_delay_bars}')::int END,
                   'phase1_frac_mult', clamp_to_bounds(coalesce((e.prev #>> '{execution_levers,phase1_frac_mult}')::float, 1)
                       * (1 - CASE WHEN e.later_entry THEN least(v_max_step, v_lr * e.cfe_gain) ELSE 0 END), 'phase1_frac_mult', t),
                   'trim_delay_mult', clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,trim_delay_mult}')::float, 1) * (1 + e.exit_step), 'trim_delay_mult', t),
                   'trail_mult', clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,trail_mult}')::float, 1) * (1 + e.exit_step), 'trail_mult', t),
                   'panic_trigger_mult', clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,panic_trigger_mult}')::float, 1) * (1 + e.step), 'panic_trigger_mult', t)
               )) || jsonb_build_object('signal_thresholds',
                   coalesce(e.prev #> '{execution_levers,signal_thresholds}', '{}'::jsonb)
                   || CASE e.action_category
                       WHEN 'add' THEN jsonb_build_object('min_ts_for_add', clamp_to_bounds(
                           coalesce((e.prev #>> '{execution_levers,signal_thresholds,min_ts_for_add}')::float, 0.5) - e.step, 'signal_threshold', t))
                       WHEN 'trim' THEN jsonb_build_object('min_ox_for_trim', clamp_to_bounds(
                           coalesce((e.prev #>> '{execution_levers,signal_thresholds,min_ox_for_trim}')::float, 0.5) - e.step, 'signal_threshold', t))
                       ELSE '{}'::jsonb END)
           ),
           e.edge_raw, e.incremental_edge, e.n, greatest(0, least(1, e.strength)),
           (SELECT f.factor_id FROM learning_latent_factors AS f WHERE e.pattern_key = ANY (f.pattern_keys) ORDER BY f.factor_id LIMIT 1),
           build_lessons.as_of, build_lessons.as_of, now()
    FROM effect AS e
    ON CONFLICT (pattern_key, action_category, scope_mask, scope_values_hash) DO UPDATE
    SET effect = excluded.effect, edge_raw = excluded.edge_raw, incremental_edge = excluded.incremental_edge, n = excluded.n,
        lesson_strength = excluded.lesson_strength, latent_factor_id = excluded.latent_factor_id, status = 'active',
        last_epoch = excluded.last_epoch, last_confirmed_at = excluded.last_confirmed_at, updated_at = excluded.updated_at
    WHERE l.last_epoch IS NULL OR l.last_epoch < excluded.last_epoch;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.build_lessons(timestamptz) IS
'One learning epoch: chosen candidates become lessons (upserted on their identity) and their levers move one bounded step; idempotent per as_of.';
REVOKE ALL ON FUNCTION learning.build_lessons(timestamptz) FROM public;
