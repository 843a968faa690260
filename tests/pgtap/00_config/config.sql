-- pm_config validation and the hard lever bounds (CHECK constraints wherever levers are stored).
\ir ../fixtures.psql
SELECT plan(41);

SELECT is(pm_config() #>> '{tunables,n_min,k1_2}', '10', 'N_min 1-2 dims = 10');
SELECT is(pm_config() #>> '{tunables,n_min,k3_4}', '20', 'N_min 3-4 dims = 20');
SELECT is(pm_config() #>> '{tunables,n_min,k5_6}', '30', 'N_min 5-6 dims = 30');
SELECT is(pm_config() #>> '{tunables,n_min,k7_plus}', '50', 'N_min 7+ dims = 50');
SELECT is(ARRAY(SELECT learning.n_min(k) FROM generate_series(0, 10) AS k), '{10,10,10,20,20,30,30,50,50,50,50}'::int [],
    'n_min(k) for k = 0..10 follows the subset-size bands');
SELECT is(learning.n_min(-1), NULL, 'n_min of a negative subset size is NULL');
SELECT volatility_is('learning', 'n_min', ARRAY['integer'], 'stable');
SELECT is((pm_config() #>> '{tunables,learning_rate}')::float, 0.02::float, 'learning_rate 0.02');
SELECT is((pm_config() #>> '{tunables,edge_scale}')::float, 20::float, 'edge_scale 20');
SELECT is((pm_config() #>> '{tunables,max_step}')::float, 0.02::float, 'max_step 0.02');
SELECT is(pm_config() #> '{tunables,lever_bounds,size_mult}', '[0.7, 1.3]'::jsonb, 'size_mult bounds from the seed');
SELECT is(pm_config() #> '{feature_flags,learning_overrides_enabled}', 'true'::jsonb, 'overrides enabled by default');
SELECT is(pm_config() #> '{feature_flags,v5_meta_learning_enabled}', 'true'::jsonb, 'meta-learning enabled by default');

CREATE FUNCTION pg_temp.set_cfg(p_path text [], p_value jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT format('UPDATE learning.learning_configs SET config = jsonb_set(config, %L, %L) WHERE config_key = %L',
                  p_path, p_value, 'pm_config')
$$;
SELECT lives_ok(pg_temp.set_cfg('{tunables,lever_bounds,size_mult}', '[0.8, 1.2]'), 'lever bounds can be tightened');
SELECT throws_ok(pg_temp.set_cfg(c.p, c.v), '22023', NULL, 'bad pm_config ' || c.p::text || ' = ' || c.v::text || ' -> 22023')
FROM (VALUES
    ('{tunables,lever_bounds,size_mult}'::text [], '[0.5, 1.3]'::jsonb),
    ('{tunables,lever_bounds,trail_mult}', '[1.5, 1.0]'),
    ('{tunables,lever_bounds,entry_delay_bars}', '[0, 9]'),
    ('{tunables,learning_rate}', '0.5'),
    ('{tunables,max_step}', '0'),
    ('{tunables,edge_scale}', '-1'),
    ('{tunables,n_min,k1_2}', '0'),
    ('{tunables,n_min,k3_4}', '5'),
    ('{tunables,rr_baseline}', '"high"'),
    ('{feature_flags,learning_overrides_enabled}', '"yes"'),
    ('{feature_flags,learning_overrides_enabled_regimes}', '"Recover"'),
    ('{feature_flags,learning_overrides_enabled_buckets}', '[1]')
) AS c (p, v);
SELECT throws_like(pg_temp.set_cfg('{tunables,lever_bounds,size_mult}', '[0.5, 1.3]'),
    'pm_config.tunables.lever_bounds.size_mult%', 'the message names the field');
SELECT throws_ok($$UPDATE learning_configs SET config = '{}' WHERE config_key = 'pattern_overrides'$$, '22023', NULL,
    'override documents are arrays');

-- lever CHECKs on lessons
CREATE FUNCTION pg_temp.lesson(p_effect jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT format($f$INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash,
        scope_dims, scope_values, effect) VALUES ('pm.a', 'entry', 0, %L, '{}', '{}', %L)$f$, md5(p_effect::text), p_effect)
$$;
SELECT lives_ok(pg_temp.lesson('{"capital_levers": {"size_mult": 1.3, "entry_aggression_mult": 0.8}, "execution_levers": {"entry_delay_bars": 5, "signal_thresholds": {"min_ts_for_add": 0.55}}}'),
    'levers at their bounds are accepted');
SELECT throws_ok(pg_temp.lesson(e::jsonb), '23514', NULL, 'lever out of bounds rejected: ' || e)
FROM unnest(ARRAY[
    '{"capital_levers": {"size_mult": 1.31}, "execution_levers": {}}',
    '{"capital_levers": {"entry_aggression_mult": 0.79}, "execution_levers": {}}',
    '{"capital_levers": {"exit_aggression_mult": 1.5}, "execution_levers": {}}',
    '{"capital_levers": {}, "execution_levers": {"entry_delay_bars": 6}}',
    '{"capital_levers": {}, "execution_levers": {"phase1_frac_mult": 0.4}}',
    '{"capital_levers": {}, "execution_levers": {"trim_delay_mult": 2.1}}',
    '{"capital_levers": {}, "execution_levers": {"trail_mult": 0.49}}',
    '{"capital_levers": {}, "execution_levers": {"panic_trigger_mult": 1.3}}',
    '{"capital_levers": {}, "execution_levers": {"signal_thresholds": {"min_ts_for_add": 1.2}}}',
    '{"capital_levers": {"size_mult": "big"}, "execution_levers": {}}',
    '{"capital_levers": {}}'
]) AS e;

-- lever CHECKs on the runtime table
INSERT INTO override_generation (as_of) VALUES (now());
SELECT throws_ok(format($$INSERT INTO runtime_override (generation, pattern_key, action_category, scope_mask, scope_values,
    scope_values_hash, scope_dim_count, lesson_id, lesson_strength, decay_factor, size_mult)
    VALUES (%s, 'pm.a', 'entry', 0, '{}', 'h', 0, 1, 0.5, 1, 1.4)$$, max(generation)), '23514', NULL,
    'runtime_override.size_mult is CHECKed') FROM override_generation;

SELECT * FROM finish();
ROLLBACK;
