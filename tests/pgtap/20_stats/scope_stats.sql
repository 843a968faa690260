-- aggregate_pattern_scope_stats on a hand-computed fixture (docs/stats.md): the cube's cells (sums) and their finished
-- statistics (learning.v_pattern_scope_stats, the roadmap's stats JSON; learning.scope_stats).
\ir ../fixtures.psql
SELECT plan(57);

-- N_min 2/3/4/5 by subset size so that a handful of trades qualify
UPDATE learning_configs SET config = jsonb_set(jsonb_set(config, '{tunables,n_min}', '{"k1_2": 2, "k3_4": 3, "k5_6": 4, "k7_plus": 5}'),
    '{tunables,max_subset_size}', '10')
WHERE config_key = 'pm_config';

-- pattern A: four trades, two in macro Recover, two in Dip; pattern B: two trades. All category entry.
CREATE FUNCTION pg_temp.trade(p_pos text, p_pattern text, p_macro text, p_open timestamptz, p_close timestamptz, p_rr float,
                              p_details jsonb DEFAULT '{}') RETURNS void LANGUAGE sql AS $$
    SELECT learning.log_action(p_pos, p_pattern, 'E1',
        '{"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro", "bucket_rank_position": 1,
          "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h", "A_mode": "normal", "E_mode": "aggressive"}'::jsonb
        || jsonb_build_object('macro_phase', p_macro),
        '{"signals": {}, "applied_knobs": {}}', p_open);
    SELECT learning.close_trade(p_pos, p_rr, p_close, p_details);
$$;
SELECT pg_temp.trade('A1', 'pm.t.A', 'Recover', '2026-03-02 00:00+00', '2026-03-03 00:00+00', 2.0, '{"cf_entry_delay_bars": 2}');
SELECT pg_temp.trade('A2', 'pm.t.A', 'Recover', '2026-03-03 00:00+00', '2026-03-03 12:00+00', 1.0, '{"cf_entry_delay_bars": 1}');
SELECT pg_temp.trade('A3', 'pm.t.A', 'Dip', '2026-03-09 00:00+00', '2026-03-10 00:00+00', -1.0);
SELECT pg_temp.trade('A4', 'pm.t.A', 'Dip', '2026-03-16 00:00+00', '2026-03-18 00:00+00', 0.0);
SELECT pg_temp.trade('B1', 'pm.t.B', 'Recover', '2026-03-02 00:00+00', '2026-03-03 00:00+00', 0.5);
SELECT pg_temp.trade('B2', 'pm.t.B', 'Dip', '2026-03-16 00:00+00', '2026-03-17 00:00+00', -0.5);
-- a second firing of A inside trade A1 counts once (the first action's scope is the trade's scope)
SELECT learning.log_action('A1x', 'pm.t.A', 'E2', :'seed_scope', '{"signals": {}, "applied_knobs": {}}', '2026-03-02 00:00+00');
UPDATE action_log SET position_id = 'A1' WHERE position_id = 'A1x';  -- a correction, validated by the trigger
UPDATE action_log SET ts = '2026-03-02 01:00+00' WHERE position_id = 'A1' AND action_type = 'E2';

SELECT ok(aggregate_pattern_scope_stats('2026-04-01') > 0, 'the aggregation writes rows');
-- the baseline of a category: the trade-weighted median of its patterns' mean rr (A: 0.5 over 4 trades, B: 0 over 2)
SELECT ok(bool_and(abs((stats ->> 'rr_baseline')::float - 0.5) < 1e-12), 'baseline = trade-weighted median of the pattern means')
FROM v_pattern_scope_stats;
SELECT results_eq($$SELECT action_category, baseline, n FROM category_baselines(now())$$, $$VALUES ('entry', 0.5::float8, 6::bigint)$$,
    'category_baselines: the one computation of b, with the category''s facts');
SELECT is((SELECT coherence_baseline FROM scope_cube_frame WHERE action_category = 'entry'), 0.5::float8,
    'the rebuild freezes it as the coherence baseline of the fold-ins');
-- from here on a fixed baseline (tunables.rr_baseline), so that the hand computations below test the edge formula
UPDATE learning_configs SET config = jsonb_set(config, '{tunables,rr_baseline}', to_jsonb(2.0 / 6)) WHERE config_key = 'pm_config';
SELECT ok(bool_and(abs((stats ->> 'rr_baseline')::float - 2.0 / 6) < 1e-12), 'a new baseline shows at once: no cell stores it')
FROM v_pattern_scope_stats;
CREATE TEMP TABLE rebuilt AS SELECT aggregate_pattern_scope_stats('2026-04-01') AS cells;
SELECT is((SELECT cells FROM rebuilt), (SELECT count(*)::int FROM pattern_scope_stats), 'a rebuild writes every cell (and returns their number)');

-- N_min per subset size: A has 9 constant dims (n = 4 up to 6 dims) and macro_phase splits it in n = 2 groups (k <= 2)
SELECT is((SELECT count(*) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A')::int,
    (1 + 9 + 36 + 84 + 126 + 126 + 84) + 2 * (1 + 9), 'pattern A: 466 masks without macro_phase (k <= 6) + 2 x 10 with it (k <= 2)');
SELECT is((SELECT count(*) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.B')::int, 1 + 9 + 36,
    'pattern B: n = 2 only qualifies up to 2 dims, and only without macro_phase');
SELECT is((SELECT max(bit_count(scope_mask::int::bit(16))) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A')::int, 6,
    'no 7+-dim row: n = 4 < N_min 5');
SELECT is((SELECT count(DISTINCT scope_mask) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND n = 2)::int, 10,
    'macro_phase groups stop at 2 dims (N_min 3 for 3-4 dims)');

-- pattern-wide row (mask 0) of A, by hand: b = mean of all six entry trades = 2/6
CREATE TEMP TABLE a0 AS SELECT stats FROM v_pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 0;
SELECT is((SELECT scope_values FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 0), '{}'::jsonb, 'mask 0 has empty scope_values');
SELECT is((SELECT (stats ->> 'n')::int FROM a0), 4, 'n = 4 (trade A1 counts once)');
SELECT ok((SELECT abs((stats ->> 'avg_rr')::float - 0.5) < 1e-12 FROM a0), 'avg_rr = (2 + 1 - 1 + 0) / 4');
SELECT ok((SELECT abs((stats ->> 'variance')::float - 5.0 / 3) < 1e-12 FROM a0), 'variance = 5 / 3 (sample)');
SELECT ok((SELECT abs((stats ->> 'rr_baseline')::float - 2.0 / 6) < 1e-12 FROM a0), 'a fixed tunables.rr_baseline is used as it is');
SELECT ok((SELECT abs((stats ->> 'time_efficiency')::float - (24.0 / 48 + 24.0 / 36) / 4) < 1e-12 FROM a0),
    'time_efficiency = mean of H/(H + hold) over winners, 0 otherwise');
SELECT ok((SELECT abs((stats ->> 'field_coherence')::float - 0.5) < 1e-12 FROM a0), 'field_coherence = 2 of 4 at or above b');
SELECT ok((SELECT abs((stats ->> 'recurrence_score')::float - 1.0) < 1e-12 FROM a0), 'recurrence of the root = 1');
SELECT is((SELECT (stats ->> 'segments_tested')::int FROM a0), 1, 'one segment with >= 2 samples (all 4 in the first 4-week block)');
SELECT is((SELECT (stats ->> 'segments_positive')::int FROM a0), 1, 'and its mean (0.5) beats b');
SELECT results_eq($$SELECT n, s_rr, s_rr2, n_above, weeks::text, sn0, sn1, ss0, cfd_n, cfd_s FROM pattern_scope_stats
                    WHERE pattern_key = 'pm.t.A' AND scope_mask = 0$$,
    $$VALUES (4, 2.0::float8, 6.0::float8, 2, '111' || repeat('0', 52), 4, 0, 2.0::float8, 2, 3.0::float8)$$,
    'the cell stores sums: n, sum rr, sum rr^2, n_above, week bits (3 weeks + 52 of headroom), segment sums, counterfactual sums');
SELECT ok((SELECT abs((stats ->> 'edge_raw')::float
    - (0.5 - 2.0 / 6) * (1 / (1 + 5.0 / 3)) * ln(5) * (0.5 + 0.5 * ((24.0 / 48 + 24.0 / 36) / 4 + 0.5 + 1) / 3) * (1 / (1 + 5.0 / 3))) < 1e-12
    FROM a0), 'edge_raw = delta * coherence * ln(1+n) * (0.5 + 0.5 * mean factors) * var_penalty');
SELECT ok((SELECT abs((stats ->> 'cf_entry_delay_bars_mean')::float - 1.5) < 1e-12 FROM a0), 'counterfactual mean over the trades that carry it');
SELECT is((SELECT stats ->> 'regime_signature' FROM a0), '*', 'no regime dims -> *');

-- the one-dim macro_phase rows
CREATE TEMP TABLE a1 AS SELECT scope_values ->> 'macro_phase' AS macro, scope_values_hash, stats
FROM v_pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 1;
SELECT is((SELECT count(*) FROM a1)::int, 2, 'two macro_phase groups');
SELECT ok((SELECT abs((stats ->> 'avg_rr')::float - 1.5) < 1e-12 AND abs((stats ->> 'variance')::float - 0.5) < 1e-12
           FROM a1 WHERE macro = 'Recover'), 'Recover: avg 1.5, variance 0.5');
SELECT ok((SELECT abs((stats ->> 'field_coherence')::float - 1.0) < 1e-12 FROM a1 WHERE macro = 'Dip'), 'Dip: both below b, coherence 1');
SELECT ok((SELECT abs((stats ->> 'recurrence_score')::float - 1.0 / 3) < 1e-12 FROM a1 WHERE macro = 'Recover'),
    'Recover: 1 of the pattern''s 3 ISO weeks');
SELECT ok((SELECT abs((stats ->> 'recurrence_score')::float - 2.0 / 3) < 1e-12 FROM a1 WHERE macro = 'Dip'), 'Dip: 2 of 3 weeks');
SELECT is((SELECT (stats ->> 'segments_positive')::int FROM a1 WHERE macro = 'Dip'), 0, 'Dip: its tested segment is below b');
SELECT is((SELECT stats ->> 'regime_signature' FROM a1 WHERE macro = 'Recover'), 'macro=Recover',
    'regime signature from the masked macro_phase');
SELECT is((SELECT scope_values_hash FROM a1 WHERE macro = 'Recover'), md5('{"macro_phase": "Recover"}'::jsonb::text),
    'hash = md5 of the canonical scope JSON');
SELECT is((SELECT scope_values FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 16),
    '{"bucket_rank_position": 1}'::jsonb, 'integer dims come back as JSON numbers; bit 4 = bucket_rank_position');
SELECT is(regime_signature('{"bucket_rank_position": 1, "bucket": "micro", "meso_phase": "Dip", "macro_phase": "Recover"}'),
    'macro=Recover|meso=Dip|bucket_rank=1', 'full regime signature: macro, meso, bucket_rank in that order');
SELECT is((SELECT stats ->> 'regime_signature' FROM v_pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 2 | 16),
    'meso=Dip|bucket_rank=1', 'a stats row carries the signature of its masked regime dims');

-- regime weights feed the edge, when it is read
INSERT INTO learning_regime_weights (pattern_key, action_category, regime_signature, weights, n_samples)
VALUES ('pm.t.A', 'entry', '*', '{"time_efficiency": 1.5, "field_coherence": 0.5, "recurrence": 1.0, "variance": 1.2}', 10);
CREATE TEMP TABLE hashes_before AS SELECT scope_mask, scope_values_hash FROM pattern_scope_stats ORDER BY 1, 2;
SELECT ok(aggregate_pattern_scope_stats('2026-04-01') > 0, 'a rebuild');
SELECT ok(abs((SELECT (stats ->> 'edge_raw')::float FROM v_pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 0)
    - (0.5 - 2.0 / 6) * (1 / (1 + 5.0 / 3)) * ln(5)
      * (0.5 + 0.5 * (1.5 * (24.0 / 48 + 24.0 / 36) / 4 + 0.5 * 0.5 + 1.0 * 1) / 3) * (1.2 / (1 + 5.0 / 3))) < 1e-12,
    'edge_raw uses the learned weights of the row''s regime signature');
SELECT set_eq('SELECT scope_mask, scope_values_hash FROM pattern_scope_stats', 'SELECT * FROM hashes_before',
    'hashes are deterministic across runs');
SELECT is((SELECT count(*)::int FROM learning_edge_history), 0, 'the rebuild writes no edge history (only the lessons'' scopes get one)');

-- walk-forward: as_of before A3 closes sees only A1, A2, B1
SELECT ok(aggregate_pattern_scope_stats('2026-03-05') > 0, 'an earlier as_of');
SELECT is((SELECT n FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 0), 2, 'only trades closed by as_of count');
SELECT is((SELECT count(*) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.B')::int, 0, 'rows that no longer qualify are removed');
SELECT is((SELECT array_agg(position_id ORDER BY position_id) FROM scope_fold_queue), ARRAY['A3', 'A4', 'B2'],
    'the closes after as_of (back) in the fold-in queue');

-- fold-in: the queued closes join the cube; the result is the rebuild's (hand-checked on A's pattern-wide row)
SELECT is(fold_in_closes('2026-04-01'), 3, 'the fold-in takes the three queued closes');
SELECT is((SELECT (stats ->> 'n')::int FROM v_pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 0), 4, 'A has n = 4 again');
SELECT ok((SELECT abs((stats ->> 'variance')::float - 5.0 / 3) < 1e-12 FROM v_pattern_scope_stats WHERE pattern_key = 'pm.t.A' AND scope_mask = 0),
    'and variance 5 / 3, from the merged sums');
SELECT is((SELECT count(*) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.B')::int, 1 + 9 + 36,
    'B''s cells crossed N_min and appear with their full sums');
CREATE TEMP TABLE folded AS SELECT pattern_key, scope_mask, scope_values_hash, n, s_rr, s_rr2, s_te, n_above FROM pattern_scope_stats;
SELECT is(fold_in_closes('2026-04-01'), 0, 'a rerun folds nothing twice');
SELECT ok(aggregate_pattern_scope_stats('2026-04-01') > 0, 'a rebuild of the same trades');
SELECT set_eq($$SELECT pattern_key, scope_mask, scope_values_hash, n, round(s_rr::numeric, 9) AS s1, round(s_rr2::numeric, 9) AS s2,
                       round(s_te::numeric, 9) AS s3, n_above FROM pattern_scope_stats$$,
    $$SELECT pattern_key, scope_mask, scope_values_hash, n, round(s_rr::numeric, 9) AS s1, round(s_rr2::numeric, 9) AS s2,
             round(s_te::numeric, 9) AS s3, n_above FROM folded$$, 'equals the fold-ins');
SELECT throws_ok($$SELECT aggregate_pattern_scope_stats('infinity')$$, '22023', NULL, 'as_of must be finite');

-- depth: tunables.max_subset_size caps the subset size (the pattern-wide row is k = 0)
UPDATE learning_configs SET config = jsonb_set(config, '{tunables,max_subset_size}', '2') WHERE config_key = 'pm_config';
SELECT ok(aggregate_pattern_scope_stats('2026-04-01') > 0, 'a shallower cube');
SELECT is((SELECT max(bit_count(scope_mask::int::bit(16))) FROM pattern_scope_stats)::int, 2, 'no row deeper than max_subset_size');
SELECT is((SELECT count(*) FROM pattern_scope_stats WHERE pattern_key = 'pm.t.A')::int, 1 + 9 + 36 + 2 * (1 + 9),
    'pattern A: every mask up to 2 dims');

-- the fold-in's matching (migration 0016): candidate i's base keys are those with key & keymask[i] = cell[i]; only the
-- candidates whose matching rows hold at least min_n samples come back, with those keys
SELECT set_eq($$SELECT cell, key FROM _cube_match_keys('{1, 2, 3, 5, 7}', '{1, 1, 2, 1, 1}', '{1, 3, 6}', '{1, 3, 4}', 3)$$,
    $$VALUES (1, 1::bigint), (1, 3), (1, 5), (1, 7), (2, 3), (2, 7)$$,
    'the candidates with >= 3 samples and their keys (cell 1: 1, 3, 5, 7 with 5 samples; cell 2: 3 and 7 with 3; cell 3: only 5)');
SELECT is((SELECT count(*) FROM _cube_match_keys('{1, 2}', '{1, 1}', '{3}', '{3}', 1))::int, 0, 'no key matches: no row');
SELECT throws_ok($$SELECT * FROM _cube_match_keys('{1}', '{1}', '{1, 3}', '{1}', 1)$$, '22023', NULL,
    'key masks and cells of different lengths: 22023');

SELECT * FROM finish();
ROLLBACK;
