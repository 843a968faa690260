/*
 * learning._lessons_upsert(p_epoch integer, p_as_of timestamptz) -> integer
 *
 * Private, stage 6 of an epoch (learning.build_lessons, docs/levers.md): one lesson per chosen cell of the epoch's
 * tests (_lc_test, after the overlap rule), its levers one bounded step, reading what it needs of the cell from
 * _lc_test too (p, q, shrinkage, n, counterfactual delay, segments), so a router without a cube runs it over the
 * chosen cells the shards hand up (their two kinds' tests). New lessons are numbered in the cells' natural-key
 * order. Returns the number of lessons written.
 */
CREATE OR REPLACE FUNCTION learning._lessons_upsert(p_epoch integer, p_as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    -- each lever's neutral value (learning.lever_catalogue(), the one source): where a new lesson's levers start
    nt constant jsonb := (SELECT jsonb_object_agg(c.lever, c.neutral) FROM learning.lever_catalogue() AS c);
    v_lr constant float := (t ->> 'learning_rate')::float;
    v_max_step constant float := (t ->> 'max_step')::float;
    v_rows integer;
BEGIN
    -- 6. lessons: one per chosen cell, levers one bounded step -------------------------------------------
    WITH cell AS (
        SELECT c.stats_id, c.pattern_key, c.action_category, c.scope_mask, c.scope_values, c.scope_values_hash,
               bool_or(c.kind = 'rr' AND c.chosen) AS rr_ok, bool_or(c.kind = 'cf' AND c.chosen) AS cf_ok,
               max(c.edge_shrunk) FILTER (WHERE c.kind = 'rr') AS edge,
               max(c.w) FILTER (WHERE c.kind = 'rr' AND c.chosen) AS w_rr,
               max(c.w) FILTER (WHERE c.kind = 'cf' AND c.chosen) AS w_cf,
               max(c.shrunk) FILTER (WHERE c.kind = 'cf' AND c.chosen) AS cf_gain,
               min(c.p) FILTER (WHERE c.chosen) AS p, min(c.q) FILTER (WHERE c.chosen) AS q
        FROM _lc_test AS c
        GROUP BY c.stats_id, c.pattern_key, c.action_category, c.scope_mask, c.scope_values, c.scope_values_hash
        HAVING bool_or(c.chosen)
    ),
    stepped AS (
        SELECT cell.*, s.n,
               CASE WHEN p.status = 'retired' THEN NULL ELSE p.effect END AS prev,
               CASE WHEN cell.rr_ok THEN learning.lever_step(cell.edge, t) ELSE 0 END AS step,
               CASE WHEN cell.cf_ok AND cell.action_category IN ('trim', 'exit')
                    THEN greatest(-v_max_step, least(v_max_step, v_lr * cell.cf_gain)) ELSE 0 END AS exit_step,
               cell.cf_ok AND cell.action_category = 'entry' AS later_entry,
               greatest(0, least(5, round(s.cf_entry_delay_bars_mean)))::int AS target_delay,
               coalesce(s.segments_tested, 0) AS seg_t,
               coalesce(s.segments_positive, 0) AS seg_p
        FROM cell
        JOIN (SELECT DISTINCT ON (x.stats_id) x.stats_id, x.cell_n AS n, x.delay_mean AS cf_entry_delay_bars_mean,
                     x.seg_t AS segments_tested, x.seg_p AS segments_positive
              FROM _lc_test AS x ORDER BY x.stats_id) AS s ON s.stats_id = cell.stats_id
        LEFT JOIN learning.learning_lessons AS p
            ON p.pattern_key = cell.pattern_key AND p.action_category = cell.action_category
           AND p.scope_mask = cell.scope_mask AND p.scope_values_hash = cell.scope_values_hash
        WHERE p.last_epoch IS NULL OR p.last_epoch < p_as_of
    ),
    effect AS (
        SELECT s.*,
               coalesce((s.prev #>> '{execution_levers,entry_delay_bars}')::int, (nt ->> 'entry_delay_bars')::int) AS prev_delay,
               -- strength: the reliability of the effect (its shrinkage weight) times its consistency over time
               CASE WHEN s.rr_ok THEN s.w_rr * CASE WHEN s.seg_t = 0 THEN 0.5
                                                     WHEN s.edge >= 0 THEN s.seg_p::float / s.seg_t
                                                     ELSE (s.seg_t - s.seg_p)::float / s.seg_t END
                    ELSE s.w_cf END AS strength
        FROM stepped AS s
    )
    INSERT INTO learning.learning_lessons AS l (
        pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, status, effect,
        edge_raw, incremental_edge, n, lesson_strength, latent_factor_id, last_epoch, last_confirmed_at, updated_at,
        confirmed_epoch, basis, p_value, q_value, shrink_weight, status_reason, status_changed_at, decay_halflife_hours
    )
    SELECT e.pattern_key, e.action_category, e.scope_mask, e.scope_values_hash,
           ARRAY(SELECT k FROM jsonb_object_keys(e.scope_values) AS k ORDER BY k),
           e.scope_values, 'active',
           jsonb_build_object(
               'capital_levers', jsonb_build_object(
                   'size_mult', learning.clamp_to_bounds(coalesce((e.prev #>> '{capital_levers,size_mult}')::float, (nt ->> 'size_mult')::float) * (1 + e.step), 'size_mult', t),
                   'entry_aggression_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{capital_levers,entry_aggression_mult}')::float, (nt ->> 'entry_aggression_mult')::float) * (1 + e.step), 'entry_aggression_mult', t),
                   'exit_aggression_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{capital_levers,exit_aggression_mult}')::float, (nt ->> 'exit_aggression_mult')::float) * (1 - e.step), 'exit_aggression_mult', t)
               ),
               'execution_levers', jsonb_strip_nulls(jsonb_build_object(
                   'entry_delay_bars', CASE
                       WHEN e.later_entry THEN learning.clamp_to_bounds(e.prev_delay + sign(e.target_delay - e.prev_delay), 'entry_delay_bars', t)::int
                       ELSE (e.prev #>> '{execution_levers,entry_delay_bars}')::int END,
                   'phase1_frac_mult', learning.clamp_to_bounds(coalesce((e.prev #>> '{execution_levers,phase1_frac_mult}')::float, (nt ->> 'phase1_frac_mult')::float)
                       * (1 - CASE WHEN e.later_entry THEN least(v_max_step, v_lr * greatest(e.cf_gain, 0)) ELSE 0 END), 'phase1_frac_mult', t),
                   'trim_delay_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,trim_delay_mult}')::float, (nt ->> 'trim_delay_mult')::float) * (1 + e.exit_step), 'trim_delay_mult', t),
                   'trail_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,trail_mult}')::float, (nt ->> 'trail_mult')::float) * (1 + e.exit_step), 'trail_mult', t),
                   'panic_trigger_mult', learning.clamp_to_bounds(
                       coalesce((e.prev #>> '{execution_levers,panic_trigger_mult}')::float, (nt ->> 'panic_trigger_mult')::float) * (1 + e.step), 'panic_trigger_mult', t)
               )) || jsonb_build_object('signal_thresholds',
                   coalesce(e.prev #> '{execution_levers,signal_thresholds}', '{}'::jsonb)
                   || CASE WHEN NOT e.rr_ok THEN '{}'::jsonb
                           WHEN e.action_category = 'add' THEN jsonb_build_object('min_ts_for_add', learning.clamp_to_bounds(
                               coalesce((e.prev #>> '{execution_levers,signal_thresholds,min_ts_for_add}')::float, (nt ->> 'signal_threshold')::float) - e.step, 'signal_threshold', t))
                           WHEN e.action_category = 'trim' THEN jsonb_build_object('min_ox_for_trim', learning.clamp_to_bounds(
                               coalesce((e.prev #>> '{execution_levers,signal_thresholds,min_ox_for_trim}')::float, (nt ->> 'signal_threshold')::float) - e.step, 'signal_threshold', t))
                           ELSE '{}'::jsonb END)
           ),
           coalesce(e.edge, 0),
           (SELECT x.inc FROM _lc_test AS x WHERE x.stats_id = e.stats_id AND x.kind = CASE WHEN e.rr_ok THEN 'rr' ELSE 'cf' END),
           e.n, greatest(0, least(1, coalesce(e.strength, 0))),
           (SELECT f.factor_id FROM learning.learning_latent_factors AS f WHERE e.pattern_key = ANY (f.pattern_keys) ORDER BY f.factor_id LIMIT 1),
           p_as_of, p_as_of, now(),
           p_epoch, CASE WHEN e.rr_ok AND e.cf_ok THEN 'rr+cf' WHEN e.rr_ok THEN 'rr' ELSE 'cf' END, e.p, e.q,
           coalesce(e.w_rr, e.w_cf), format('confirmed in epoch %s (q = %s)', p_epoch, to_char(e.q, '9.99EEEE')), p_as_of,
           round((t ->> 'half_life_default_hours')::float)::int  -- a new lesson's half-life until it is fitted
    FROM effect AS e
    ORDER BY e.pattern_key, e.action_category, e.scope_mask, e.scope_values_hash  -- new lesson ids in natural-key order
    ON CONFLICT (pattern_key, action_category, scope_mask, scope_values_hash) DO UPDATE
    SET effect = excluded.effect, edge_raw = excluded.edge_raw, incremental_edge = excluded.incremental_edge, n = excluded.n,
        lesson_strength = excluded.lesson_strength, latent_factor_id = excluded.latent_factor_id,
        status = CASE WHEN l.status = 'rolled_back' THEN 'rolled_back' ELSE 'active' END,
        status_reason = CASE WHEN l.status = 'rolled_back' THEN l.status_reason ELSE excluded.status_reason END,
        status_changed_at = CASE WHEN l.status IN ('active', 'rolled_back') THEN l.status_changed_at ELSE excluded.status_changed_at END,
        last_epoch = excluded.last_epoch, last_confirmed_at = excluded.last_confirmed_at, updated_at = excluded.updated_at,
        confirmed_epoch = excluded.confirmed_epoch, basis = excluded.basis, p_value = excluded.p_value, q_value = excluded.q_value,
        shrink_weight = excluded.shrink_weight
    WHERE l.last_epoch IS NULL OR l.last_epoch < excluded.last_epoch;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning._lessons_upsert(integer, timestamptz) IS
'Private, epoch stage 6: upserts one lesson per chosen cell, levers one bounded step (build_lessons).';
REVOKE ALL ON FUNCTION learning._lessons_upsert(integer, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_upsert(integer, timestamptz) TO pglearn_admin;
