-- Lesson selection with false-discovery control (docs/levers.md): BY adjustment, layered FDR step,
-- self-sufficiency, shrinkage, counterfactual lessons, levers, lifecycle, out-of-sample rollback, productivity and
-- overlap on real trades, the trailing-window edge history.
\ir ../fixtures.psql
SELECT plan(44);

-- the BY adjustment is R's p.adjust(c(0.01, 0.02, 0.02, 0.03, 0.5), "BY"): ties ranked by ROW_NUMBER share the
-- smaller value (DENSE_RANK would give 0.1141667 to the first three)
SELECT is((SELECT array_agg(round(q::numeric, 7)) FROM unnest(by_adjust(ARRAY[0.01, 0.02, 0.02, 0.03, 0.5]::float8[])) AS q),
    ARRAY[0.0761111, 0.0761111, 0.0761111, 0.0856250, 1.0000000]::numeric[], 'by_adjust matches R p.adjust(method = "BY") with ties');
SELECT is((SELECT array_agg(round(q::numeric, 7)) FROM unnest(by_adjust(ARRAY[0.04, NULL, 0.01]::float8[])) AS q),
    ARRAY[0.06, NULL, 0.03]::numeric[], 'a NULL p stays NULL and does not count in m (c(2) = 1.5)');
SELECT is(by_adjust('{}'::float8[]), NULL, 'an empty family adjusts to nothing');

-- hand-made stats rows: n, mean, variance, baseline b = 0; edge_raw by the seed's formula
CREATE FUNCTION pg_temp.stat(p_pattern text, p_mask int, p_scope jsonb, p_n int, p_mean float, p_var float, p_extra jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    SELECT pg_temp.cube_cell(p_pattern, 'entry', p_mask, p_scope, p_n,
        jsonb_build_object('avg_rr', p_mean, 'rr_baseline', 0, 'variance', p_var, 'segments_tested', 4, 'segments_positive', 3)
        || p_extra)
$$;
-- P: pattern-wide mean 1.0 (n 100); its Recover half has mean 1.5, the rest 0.5 (variance 1 on both sides), so the
-- parent's variance is (223 - 100) / 99; its micro half is just like the parent (no effect of its own).
SELECT pg_temp.stat('pm.l.P', 0, '{}', 100, 1.0, 123.0 / 99);
SELECT pg_temp.stat('pm.l.P', 1, '{"macro_phase": "Recover"}', 50, 1.5, 1);
SELECT pg_temp.stat('pm.l.P', 64, '{"bucket": "micro"}', 50, 1.0, 1);
SELECT pg_temp.stat('pm.l.Q', 0, '{}', 100, 0.25, 1);         -- t = 2.5: not enough among these tests
-- C: no R/R edge, but entering later pays in every sample (counterfactual only)
SELECT pg_temp.stat('pm.l.C', 0, '{}', 100, 0.0, 1, '{"cf_entry_gain_n": 100, "cf_entry_gain_rr_mean": 0.4, "cf_entry_gain_var": 0.01,
    "cf_entry_delay_n": 100, "cf_entry_delay_bars_mean": 2.6}');

SELECT is(build_lessons('2026-05-01'), 2, 'epoch 1 writes two lessons (P Recover: R/R; C: counterfactual)');
SELECT is(build_lessons('2026-05-01'), 0, 're-running the same epoch changes nothing');
SELECT is((SELECT count(*)::int FROM lesson_epoch), 1, 'one epoch is recorded');

-- layered BY: two layers (k = 0: 3 tests of rr + 1 cf, k = 1: 2 tests); q = min(1, L * BY-adjusted p)
SELECT ok((SELECT abs(q_value - 2 * by_harmonic(4) * 4 / 3 * mean_test_p(100, 0.25, 1, 0)) < 1e-12 AND q_value < 1
           FROM lesson_candidate WHERE pattern_key = 'pm.l.Q'),
    'q of the third-ranked k = 0 test = L * c(m) * m / i * p');
SELECT ok((SELECT NOT significant FROM lesson_candidate WHERE pattern_key = 'pm.l.Q'),
    'a t = 2.5 pattern is not a discovery at q = 0.05 among these tests');
SELECT is((SELECT layers FROM lesson_epoch), 2, 'two layers (subset sizes 0 and 1)');
SELECT ok((SELECT abs((per_layer -> 1 ->> 'critical_p')::float - 2 * (0.05 / 2) / (2 * by_harmonic(2))) < 1e-15 FROM lesson_epoch),
    'critical p of layer k = 1: d * (q / L) / (m * c(m))');
SELECT is((SELECT count(*)::int FROM lesson_candidate WHERE significant AND k = 1), 2, 'both k = 1 cells are discoveries');

-- self-sufficiency: Recover differs from P without it (mean 0.5); micro does not (its rest has mean 1.0 too)
SELECT ok((SELECT self_sufficient AND parent_p < 1e-4 FROM lesson_candidate WHERE scope_values = '{"macro_phase": "Recover"}'),
    'Recover differs from its parent without its samples');
SELECT ok((SELECT NOT self_sufficient AND NOT chosen FROM lesson_candidate WHERE scope_values = '{"bucket": "micro"}'),
    'a child that adds nothing to its parent is not self-sufficient');
SELECT matches((SELECT reason FROM lesson_candidate WHERE scope_values = '{"bucket": "micro"}'),
    '^not self-sufficient: does not differ from its parent \{\}', 'the reason names the parent');
-- independent productivity: without Recover's samples P has no effect left (no facts behind these hand-made rows at all)
SELECT ok((SELECT significant AND NOT productive AND NOT chosen FROM lesson_candidate WHERE pattern_key = 'pm.l.P' AND k = 0 AND kind = 'rr'),
    'a pattern-wide effect explained by its significant child is not a lesson');

-- shrinkage toward the parent mean 1.0: tau^2 = (1.5 - 1.0)^2 - 1 / 50 = 0.23, w = 50 / (50 + 1 / 0.23)
SELECT ok((SELECT abs(shrink_weight - 50 / (50 + 1 / 0.23)) < 1e-12 FROM lesson_candidate WHERE scope_values = '{"macro_phase": "Recover"}'),
    'w = n / (n + s^2 / tau^2)');
SELECT ok((SELECT abs(shrunk_mean - (shrink_weight * 1.5 + (1 - shrink_weight) * 1.0)) < 1e-12
           FROM lesson_candidate WHERE scope_values = '{"macro_phase": "Recover"}'), 'shrunk mean = w x + (1 - w) parent mean');
SELECT ok((SELECT abs(edge_shrunk - edge_raw * shrunk_mean / 1.5) < 1e-12 FROM lesson_candidate WHERE scope_values = '{"macro_phase": "Recover"}'),
    'the shrunk edge scales edge_raw by the shrunk effect');

-- levers from the shrunk edge; strength = w * consistency
SELECT ok((SELECT abs((effect #>> '{capital_levers,size_mult}')::float - (1 + lever_step(c.edge_shrunk, pm_config() -> 'tunables'))) < 1e-12
           FROM learning_lessons AS l JOIN lesson_candidate AS c USING (pattern_key, scope_values_hash)
           WHERE l.scope_values = '{"macro_phase": "Recover"}' AND c.kind = 'rr'),
    'size_mult moves one step from the shrunk edge');
SELECT ok((SELECT abs(l.lesson_strength - c.shrink_weight * 0.75) < 1e-12
           FROM learning_lessons AS l JOIN lesson_candidate AS c USING (pattern_key, scope_values_hash)
           WHERE l.scope_values = '{"macro_phase": "Recover"}' AND c.kind = 'rr'),
    'strength = shrinkage weight * positive segment share');
SELECT is((SELECT basis || '/' || status || '/' || confirmed_epoch FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'),
    'rr/active/1', 'basis, status and epoch of the R/R lesson');

-- counterfactual lesson: execution levers move, capital levers stay neutral
SELECT is((SELECT basis || '/' || (effect #>> '{capital_levers,size_mult}') || '/' || (effect #>> '{execution_levers,entry_delay_bars}')
           FROM learning_lessons WHERE pattern_key = 'pm.l.C'),
    'cf/1/1', 'a counterfactual-only lesson: entry delay one bar toward round(2.6) = 3, size neutral');
SELECT ok((SELECT (effect #>> '{execution_levers,phase1_frac_mult}')::float < 1 FROM learning_lessons WHERE pattern_key = 'pm.l.C'),
    'waiting pays: scale in smaller');

-- lifecycle: Recover loses its edge; one epoch later it is still active, two epochs later stale
SELECT pg_temp.stat('pm.l.P', 1, '{"macro_phase": "Recover"}', 50, 1.0, 1);
SELECT build_lessons('2026-05-02');
SELECT is((SELECT status FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'), 'active',
    'one epoch without confirmation: still active');
SELECT build_lessons('2026-05-03');
SELECT is((SELECT status FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'), 'stale',
    'stale_after_epochs (2) without confirmation: stale');
SELECT matches((SELECT status_reason FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'), '^not re-confirmed for 2 epochs',
    'the lesson says why');
SELECT is((SELECT count(*)::int FROM v_lesson_candidates WHERE scope_values = '{"macro_phase": "Recover"}' AND NOT in_force), 1,
    'v_lesson_candidates shows the stale lesson is not in force');
SELECT materialize_overrides('2026-05-03');
SELECT is((SELECT count(*)::int FROM runtime_override WHERE scope_values = '{"macro_phase": "Recover"}'
    AND generation = (SELECT generation FROM override_current)), 0, 'a stale lesson gives no override');
SELECT is((explain_override('pm.l.P', 'entry', :'seed_scope') #>> '{lessons_not_in_force,0,status}'), 'stale',
    'explain_override lists the stale lesson and why it is not in force');
-- it passes again: active again, its levers kept (one more step from where they were)
SELECT pg_temp.stat('pm.l.P', 1, '{"macro_phase": "Recover"}', 50, 1.5, 1);
CREATE TEMP TABLE prev AS SELECT (effect #>> '{capital_levers,size_mult}')::float AS size_mult FROM learning_lessons
WHERE scope_values = '{"macro_phase": "Recover"}';
SELECT build_lessons('2026-05-04');
SELECT is((SELECT status FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'), 'active',
    'a stale lesson that passes again is active again');
SELECT ok((SELECT abs((effect #>> '{capital_levers,size_mult}')::float
                  - (SELECT size_mult FROM prev) * (1 + lever_step(c.edge_shrunk, pm_config() -> 'tunables'))) < 1e-12
           FROM learning_lessons AS l JOIN lesson_candidate AS c USING (pattern_key, scope_values_hash)
           WHERE l.scope_values = '{"macro_phase": "Recover"}' AND c.kind = 'rr'),
    'its levers are kept and move one more step');
-- never confirmed again: retired after retire_after_epochs (8)
DELETE FROM pattern_scope_stats WHERE pattern_key = 'pm.l.P';
SELECT build_lessons('2026-05-04'::timestamptz + i * interval '1 day') FROM generate_series(1, 7) AS i;
SELECT is((SELECT status FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'), 'stale',
    'seven epochs without confirmation: still stale');
SELECT build_lessons('2026-05-12');
SELECT is((SELECT status FROM learning_lessons WHERE scope_values = '{"macro_phase": "Recover"}'), 'retired',
    'eight epochs without confirmation: retired');

-- out-of-sample guard: C's override (size up) matched 40 trades 1 R below its pattern: rolled back
UPDATE learning_lessons SET effect = jsonb_set(effect, '{capital_levers,size_mult}', '1.05') WHERE pattern_key = 'pm.l.C';
INSERT INTO override_score (generation, pattern_key, action_category, scope_mask, scope_values_hash, scope_values, lesson_id, size_mult,
                            window_from, window_to, trades_matched, matched_sum_rr, matched_sum_size_rr, pattern_trades, pattern_sum_rr,
                            matched_sum_rr2)
SELECT 1, pattern_key, action_category, scope_mask, scope_values_hash, scope_values, id, 1.05, '2026-05-12', '2026-05-13', 40, -40, -42, 100, 0, 80
FROM learning_lessons WHERE pattern_key = 'pm.l.C';
SELECT build_lessons('2026-05-13');
SELECT is((SELECT status FROM learning_lessons WHERE pattern_key = 'pm.l.C'), 'rolled_back',
    'an override that underperformed its pattern out of sample (one-sided p < 0.05) is rolled back');
SELECT ok((SELECT oos_trades = 40 AND abs(oos_excess_rr + 1) < 1e-12 AND oos_p < 1e-6 FROM learning_lessons WHERE pattern_key = 'pm.l.C'),
    'the guard records trades, signed excess and p');
SELECT build_lessons('2026-05-14');
SELECT is((SELECT status FROM learning_lessons WHERE pattern_key = 'pm.l.C'), 'rolled_back',
    'a rolled-back lesson stays rolled back when it is confirmed again');
SELECT materialize_overrides('2026-05-14');
SELECT is((SELECT count(*)::int FROM runtime_override WHERE pattern_key = 'pm.l.C'
    AND generation = (SELECT generation FROM override_current)), 0, 'a rolled-back lesson gives no override');

-- productivity and overlap on real trades: U earns +2 R in Recover (20 trades) and 0 elsewhere; its Recover trades are
-- also its only mid-bucket ones; V and W earn 0 everywhere (they set the baseline, the median pattern mean, near 0);
-- the exit pattern Y closes V's and W's trades (the exit baseline)
TRUNCATE pattern_scope_stats, learning_lessons, lesson_candidate, lesson_epoch CASCADE;
UPDATE learning_configs SET config = jsonb_set(config, '{tunables,n_min}', '{"k1_2": 5, "k3_4": 5, "k5_6": 5, "k7_plus": 5}')
WHERE config_key = 'pm_config';
CREATE FUNCTION pg_temp.trade(p_pos text, p_pattern text, p_macro text, p_bucket text, p_day int, p_rr float, p_exit text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT learning.log_action(p_pos, p_pattern, 'E1',
        '{"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro", "bucket_rank_position": 1,
          "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h", "A_mode": "normal", "E_mode": "aggressive"}'::jsonb
        || jsonb_build_object('macro_phase', p_macro, 'bucket', p_bucket),
        '{"signals": {}, "applied_knobs": {}}', '2026-03-02 00:00+00'::timestamptz + p_day * interval '1 day');
    -- an exit action of another pattern in the same trade (it shares the trade's R/R)
    SELECT learning.log_action(p_pos, p_exit, 'cut',
        '{"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro", "bucket_rank_position": 1,
          "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h", "A_mode": "normal", "E_mode": "aggressive"}'::jsonb
        || jsonb_build_object('macro_phase', p_macro),
        '{"signals": {}, "applied_knobs": {}}', '2026-03-02 06:00+00'::timestamptz + p_day * interval '1 day')
    WHERE p_exit IS NOT NULL;
    SELECT learning.close_trade(p_pos, p_rr, '2026-03-02 12:00+00'::timestamptz + p_day * interval '1 day');
$$;
-- the exit pattern Z closes 15 of U's Recover trades and 20 of its others: Z in Recover only inherits U's effect
SELECT pg_temp.trade('U' || i, 'pm.l.U', CASE WHEN i <= 20 THEN 'Recover' ELSE 'Dip' END, CASE WHEN i <= 20 THEN 'mid' ELSE 'micro' END,
                     i % 20, CASE WHEN i <= 20 THEN 2 ELSE 0 END + CASE WHEN i % 2 = 0 THEN 0.5 ELSE -0.5 END,
                     CASE WHEN i <= 15 OR i > 20 THEN 'pm.l.Z' END)
FROM generate_series(1, 40) AS i;
SELECT pg_temp.trade(p || i, 'pm.l.' || p, CASE WHEN i % 2 = 0 THEN 'Recover' ELSE 'Dip' END, 'micro', i % 20,
                     CASE WHEN i % 4 < 2 THEN 0.5 ELSE -0.5 END, 'pm.l.Y')  -- Y: the exit pattern of the baseline trades
FROM generate_series(1, 40) AS i, unnest(ARRAY['V', 'W']) AS p;
SELECT ok(aggregate_pattern_scope_stats('2026-03-31') > 0, 'the real trades are aggregated');
SELECT build_lessons('2026-03-31');
SELECT is((SELECT array_agg(scope_values ORDER BY scope_mask)::text FROM learning_lessons WHERE status = 'active'),
    ARRAY['{"macro_phase": "Recover"}'::jsonb]::text, 'exactly one lesson: U in Recover (tied with mid, the stronger by id)')
;
SELECT matches((SELECT reason FROM lesson_candidate WHERE pattern_key = 'pm.l.U' AND k = 0 AND kind = 'rr'), '^not independently productive',
    'U pattern-wide is not a lesson: without Recover its effect is gone');
SELECT matches((SELECT reason FROM lesson_candidate WHERE pattern_key = 'pm.l.U' AND scope_values = '{"bucket": "mid"}' AND kind = 'rr'),
    '^explained by stronger overlapping lesson', 'U in the mid bucket borrows Recover''s trades: not a lesson of its own');
SELECT ok(NOT bool_or(chosen), 'the baseline patterns V and W teach nothing') FROM lesson_candidate WHERE pattern_key IN ('pm.l.V', 'pm.l.W');
SELECT matches((SELECT reason FROM lesson_candidate WHERE pattern_key = 'pm.l.Z' AND scope_values = '{"macro_phase": "Recover"}' AND kind = 'rr'),
    '^explained by stronger overlapping lesson.*"pattern_key": "pm.l.U"',
    'the exit pattern Z in Recover only shares U''s Recover trades (another action of the same trades): not a lesson of its own');
-- the trailing-window edge of the lesson scope is recorded for the half-life fit
-- (a full window only: the history starts 2026-03-02 12:00, the window (03-03, 03-31] drops U's trade of day 0)
SELECT is((SELECT n FROM learning_edge_history WHERE pattern_key = 'pm.l.U' AND window_days = 28), 19,
    'the lesson scope''s edge over the trailing 28 days is in the edge history');

SELECT * FROM finish();
ROLLBACK;
