-- v5.1 learn_regime_weights: planted correlation moves a weight, none leaves it neutral, bounds and flag hold.
\ir ../fixtures.psql
SELECT plan(10);

-- regime macro=Recover of pm.r.P: time_efficiency rises with delta_rr; field_coherence constant (no correlation);
-- cells are hand-made sums (pg_temp.cube_cell), the pattern-wide row (regime *) is the recurrence denominator
SELECT pg_temp.cube_cell('pm.r.P', 'entry', 0, '{}', 2000, '{"avg_rr": 0, "rr_baseline": 0, "variance": 1}');
SELECT pg_temp.cube_cell('pm.r.P', 'entry', 1 | (1 << 6), jsonb_build_object('macro_phase', 'Recover', 'bucket', 'b' || i), 50,
       jsonb_build_object('avg_rr', i * 0.1, 'variance', 1, 'time_efficiency', i * 0.01, 'field_coherence', 0.6,
                          'recurrence_score', ((i * 7) % 5) * 0.1))
FROM generate_series(1, 40) AS i;
-- a thin regime: 3 rows only
SELECT pg_temp.cube_cell('pm.r.P', 'entry', 1, jsonb_build_object('macro_phase', 'Dip' || i), 50,
       jsonb_build_object('avg_rr', i, 'variance', 1, 'time_efficiency', i * 0.1, 'field_coherence', 0.5, 'recurrence_score', 0.5))
FROM generate_series(1, 3) AS i;
UPDATE pattern_scope_stats SET updated_at = '2026-01-01';
-- regime_signature() reads the scope: the thin regime's three cells are macro=Dip1..3; make them one regime
UPDATE pattern_scope_stats SET scope_values = '{"macro_phase": "Dip"}' WHERE scope_values ->> 'macro_phase' LIKE 'Dip_';

SELECT is(learn_regime_weights('2026-01-02'), 3, 'one weights row per regime (the pattern-wide row is regime *)');
SELECT is((SELECT (weights ->> 'time_efficiency')::float FROM learning_regime_weights WHERE regime_signature = 'macro=Recover'), 1.02::float,
    'a planted correlation moves the weight up by at most the learning rate');
SELECT is((SELECT (weights ->> 'field_coherence')::float FROM learning_regime_weights WHERE regime_signature = 'macro=Recover'), 1.0::float,
    'no correlation (constant factor): neutral');
SELECT is((SELECT weights FROM learning_regime_weights WHERE regime_signature = 'macro=Dip'),
    '{"variance": 1.0, "recurrence": 1.0, "field_coherence": 1.0, "time_efficiency": 1.0}'::jsonb, 'too few rows: every weight neutral');
SELECT is((SELECT n_samples FROM learning_regime_weights WHERE regime_signature = 'macro=Recover'), 40, 'n_samples = rows of the regime');
SELECT is(learn_regime_weights('2026-01-02'), 0, 'the same as_of again changes nothing');

SELECT learn_regime_weights('2026-01-02'::timestamptz + i * interval '1 day') FROM generate_series(1, 60) AS i;
SELECT ok((SELECT abs((weights ->> 'time_efficiency')::float - round((1 + 0.5 * 1.0 * 40.0 / 60)::numeric, 6)::float) < 1e-6
           FROM learning_regime_weights WHERE regime_signature = 'macro=Recover'),
    'it converges on 1 + 0.5 * corr * rows / (rows + 20)');
SELECT ok(bool_and((w.value #>> '{}')::float BETWEEN 0.5 AND 1.5), 'every weight stays within [0.5, 1.5]')
FROM learning_regime_weights, jsonb_each(weights) AS w;

-- the aggregation reads them: covered in scope_stats.sql; the flag
UPDATE learning_configs SET config = jsonb_set(config, '{feature_flags,v5_meta_learning_enabled}', 'false') WHERE config_key = 'pm_config';
CREATE TEMP TABLE w_before AS SELECT weights FROM learning_regime_weights WHERE regime_signature = 'macro=Recover';
SELECT is(run_job('learn_regime_weights', '2027-01-01') ->> 'status', 'skipped', 'meta-learning off: the run is recorded as skipped');
SELECT is((SELECT weights FROM learning_regime_weights WHERE regime_signature = 'macro=Recover'), (SELECT weights FROM w_before),
    'and changes nothing');

SELECT * FROM finish();
ROLLBACK;
