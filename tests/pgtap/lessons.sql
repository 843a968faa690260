-- Lesson selection (simplest subset, incremental edge), lever steps over epochs, bounds, idempotence.
\ir fixtures.psql
SELECT * FROM no_plan();

-- hand-made stats rows: t-stat = (avg - b) / sqrt(var / n) is large everywhere
CREATE FUNCTION pg_temp.stat(p_pattern text, p_mask int, p_scope jsonb, p_edge float, p_extra jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO learning.pattern_scope_stats (pattern_key, action_category, scope_mask, scope_values, scope_values_hash, n, stats)
    VALUES (p_pattern, 'entry', p_mask, p_scope, md5(p_scope::text), 100,
            jsonb_build_object('n', 100, 'avg_rr', sign(p_edge) * 2, 'rr_baseline', 0, 'variance', 1, 'edge_raw', p_edge,
                               'segments_tested', 4, 'segments_positive', 3) || p_extra)
    ON CONFLICT (pattern_key, action_category, scope_mask, scope_values_hash) DO UPDATE SET stats = excluded.stats
$$;
SELECT pg_temp.stat('pm.l.P', 0, '{}', 1.0);
SELECT pg_temp.stat('pm.l.P', 1, '{"macro_phase": "Recover"}', 1.2);        -- +0.2 over the root: not a lesson
SELECT pg_temp.stat('pm.l.P', 64, '{"bucket": "micro"}', 2.0);              -- +1.0 over the root: a lesson
SELECT pg_temp.stat('pm.l.P', 1, '{"macro_phase": "Dip"}', -1.0);           -- opposite sign: simplest
SELECT pg_temp.stat('pm.l.P', 65, '{"macro_phase": "Dip", "bucket": "micro"}', -1.1);  -- +0.1 over Dip
SELECT pg_temp.stat('pm.l.P', 128, '{"timeframe": "1h"}', 0.3);             -- below edge_min
SELECT pg_temp.stat('pm.l.Q', 2, '{"meso_phase": "Dip"}', 0.8, '{"variance": 10000}');  -- |t| = 0.2: not a candidate

SELECT set_eq($$SELECT scope_values FROM v_lesson_candidates WHERE chosen$$,
    $$VALUES ('{}'::jsonb), ('{"bucket": "micro"}'), ('{"macro_phase": "Dip"}')$$, 'the simplest subsets and the big incremental edge are chosen');
SELECT is((SELECT reason FROM v_lesson_candidates WHERE scope_values = '{"macro_phase": "Recover"}'),
    'not a lesson: adds only 0.200 edge over its best same-sign ancestor (< 0.5)', 'the view says why a candidate was not chosen');
SELECT ok((SELECT abs(incremental_edge - 1.0) < 1e-12 FROM v_lesson_candidates WHERE scope_values = '{"bucket": "micro"}'),
    'incremental edge = |edge| - best same-sign ancestor');
SELECT is((SELECT count(*) FROM v_lesson_candidates WHERE pattern_key = 'pm.l.Q')::int, 0, 'a low t-stat is no candidate');
SELECT is((SELECT count(*) FROM v_lesson_candidates WHERE scope_values = '{"timeframe": "1h"}')::int, 0, 'an edge below edge_min is no candidate');

-- epoch 1..3: levers move by step = clamp(edge / 20 * 0.02, +-0.02)
SELECT is(build_lessons('2026-05-01'), 3, 'three lessons');
SELECT is(build_lessons('2026-05-01'), 0, 're-running the same epoch changes nothing');
SELECT build_lessons('2026-05-02');
SELECT build_lessons('2026-05-03');
SELECT ok(abs((effect #>> '{capital_levers,size_mult}')::float - (1 + 2.0 / 20 * 0.02) ^ 3) < 1e-12,
    'size_mult after 3 epochs = (1 + step)^3') FROM learning_lessons WHERE scope_values = '{"bucket": "micro"}';
SELECT ok(abs((effect #>> '{capital_levers,exit_aggression_mult}')::float - (1 - 2.0 / 20 * 0.02) ^ 3) < 1e-12,
    'exit_aggression_mult moves the other way') FROM learning_lessons WHERE scope_values = '{"bucket": "micro"}';
SELECT ok((effect #>> '{capital_levers,size_mult}')::float < 1, 'a negative edge shrinks size') FROM learning_lessons WHERE scope_values = '{"macro_phase": "Dip"}';
SELECT is((SELECT count(*) FROM learning_lessons)::int, 3, 'lessons are upserted, never duplicated');
SELECT is((SELECT last_confirmed_at FROM learning_lessons WHERE scope_values = '{}'), '2026-05-03'::timestamptz, 'last_confirmed_at = as_of');
SELECT ok(abs(lesson_strength - ln(101) / ln(501) * 0.75) < 1e-12, 'strength = min(1, ln(1+n)/ln(1+500)) * positive share of tested segments')
FROM learning_lessons WHERE scope_values = '{}';
SELECT is(decay_halflife_hours, 720, 'default half-life 720 h') FROM learning_lessons WHERE scope_values = '{}';
SELECT is(scope_dims, ARRAY['bucket'], 'scope_dims lists the lesson''s dims') FROM learning_lessons WHERE scope_values = '{"bucket": "micro"}';

-- a huge edge is capped at max_step per epoch and the levers stop at their bounds
SELECT pg_temp.stat('pm.l.R', 0, '{}', 1000.0, '{"cf_entry_delay_n": 100, "cf_entry_delay_bars_mean": 3.0, "cf_entry_gain_rr_mean": 5.0}');
SELECT build_lessons('2026-05-04');
SELECT ok(abs((effect #>> '{capital_levers,size_mult}')::float - 1.02) < 1e-12, 'one epoch moves at most max_step (2 %)')
FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT is((effect #>> '{execution_levers,entry_delay_bars}')::int, 1, 'entry delay moves one bar per epoch toward the counterfactual')
FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT build_lessons('2026-05-04'::timestamptz + i * interval '1 day') FROM generate_series(1, 40) AS i;
SELECT is((effect #>> '{capital_levers,size_mult}')::float, 1.3::float, 'size_mult stops at 1.3') FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT is((effect #>> '{capital_levers,entry_aggression_mult}')::float, 1.2::float, 'entry_aggression_mult stops at 1.2') FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT is((effect #>> '{capital_levers,exit_aggression_mult}')::float, 0.8::float, 'exit_aggression_mult stops at 0.8') FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT is((effect #>> '{execution_levers,entry_delay_bars}')::int, 3, 'entry delay settles on the counterfactual (3 bars)') FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT is((effect #>> '{execution_levers,phase1_frac_mult}')::float, 0.5::float, 'phase1_frac_mult stops at 0.5') FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT is((effect #>> '{execution_levers,panic_trigger_mult}')::float, 1.2::float, 'panic_trigger_mult stops at 1.2') FROM learning_lessons WHERE pattern_key = 'pm.l.R';
SELECT ok(bool_and(effect_within_bounds(effect)), 'every lesson is within the hard bounds') FROM learning_lessons;
-- tightened config bounds are honoured
UPDATE learning_configs SET config = jsonb_set(config, '{tunables,lever_bounds,size_mult}', '[0.9, 1.1]') WHERE config_key = 'pm_config';
SELECT build_lessons('2026-07-01');
SELECT is((effect #>> '{capital_levers,size_mult}')::float, 1.1::float, 'a tightened bound clamps the lever') FROM learning_lessons WHERE pattern_key = 'pm.l.R';

SELECT * FROM finish();
ROLLBACK;
