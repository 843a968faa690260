-- Bad input (issue 11): every value is checked against its domain at the door, with a specific SQLSTATE and
-- nothing written; rows that got in anyway (triggers disabled) are quarantined and cannot stop the aggregation.
\ir ../fixtures.psql
SELECT plan(122);

CREATE FUNCTION pg_temp.log_sql(p_pos text, p_pattern text, p_scope jsonb, p_controls jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT format('SELECT learning.log_action(%L, %L, %L, %L, %L, %L)', p_pos, p_pattern, 'E1', p_scope, p_controls, '2026-03-01')
$$;
CREATE FUNCTION pg_temp.cfg_sql(p_path text [], p_value jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT format('UPDATE learning.learning_configs SET config = jsonb_set(config, %L, %L) WHERE config_key = %L',
                  p_path, p_value, 'pm_config')
$$;
-- what a rejected call must leave unchanged: row counts and the config documents
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ', (SELECT count(*) FROM learning.action_log), (SELECT count(*) FROM learning.completed_trades),
                     (SELECT count(*) FROM learning.override_application), (SELECT count(*) FROM learning.pattern_scope_stats),
                     (SELECT md5(string_agg(config::text, ',' ORDER BY config_key)) FROM learning.learning_configs))
$$;

SELECT log_action('open', 'pm.bad.in', 'E1', :'seed_scope', :'seed_controls', '2026-03-01');
SELECT log_action('closed', 'pm.bad.in', 'E1', :'seed_scope', :'seed_controls', '2026-03-01');
SELECT close_trade('closed', 1.0, '2026-03-02');
CREATE TEMP TABLE before_state AS SELECT pg_temp.state() AS s;
CREATE TEMP TABLE scope0 AS SELECT :'seed_scope'::jsonb AS s, :'seed_controls'::jsonb AS c;

-- log_action: 22023 for every value outside its domain (22 tests)
SELECT throws_ok(pg_temp.log_sql(v.pos, v.pattern, scope0.s || v.scope_patch, coalesce(v.controls, scope0.c)), v.state, NULL,
                 'log_action: ' || v.what || ' -> ' || v.state)
FROM scope0, (VALUES
    ('p', 'pm.a', '{"bucket_rank_position": 1e30}'::jsonb, NULL::jsonb, '22023', 'bucket_rank_position 1e30'),
    ('p', 'pm.a', '{"bucket_rank_position": 1e400}', NULL, '22023', 'bucket_rank_position 1e400'),
    ('p', 'pm.a', '{"bucket_rank_position": 1000001}', NULL, '22023', 'bucket_rank_position above 1e6'),
    ('p', 'pm.a', '{"bucket_rank_position": -3}', NULL, '22023', 'negative bucket_rank_position'),
    ('p', 'pm.a', '{"bucket_rank_position": 1.000001}', NULL, '22023', 'bucket_rank_position 1.000001'),
    ('p', 'pm.a', '{"bucket_rank_position": "99999999999999999999"}', NULL, '22023', 'bucket_rank_position as a long digit string'),
    ('p', 'pm.a', '{"bucket_rank_position": true}', NULL, '22023', 'bucket_rank_position boolean'),
    ('p', 'pm.a', '{"bucket_rank_position": [1]}', NULL, '22023', 'bucket_rank_position array'),
    ('p', 'pm.a', '{"timeframe": "1h1h1h"}', NULL, '22023', 'timeframe outside the registry'),
    ('p', 'pm.a', '{"Timeframe": "1h"}', NULL, 'LR001', 'dimension in the wrong case'),
    (repeat('p', 3000), 'pm.a', '{}', NULL, '22023', 'a 3,000-character position_id'),
    (repeat('p', 201), 'pm.a', '{}', NULL, '22023', 'a 201-character position_id'),
    ('p', 'pm.' || repeat('k', 3000), '{}', NULL, '22023', 'a 3,000-character pattern_key'),
    ('p', 'pm.' || repeat('k', 198), '{}', NULL, '22023', 'a 201-character pattern_key'),
    ('p', 'pm.a', '{}', '{"signals": {"TS": 1e400}, "applied_knobs": {}}', '22023', 'signal 1e400'),
    ('p', 'pm.a', '{}', '{"signals": {"TS": -2000000}, "applied_knobs": {}}', '22023', 'signal -2e6'),
    ('p', 'pm.a', '{}', '{"signals": {}, "applied_knobs": {"trim_delay": 1e7}}', '22023', 'knob 1e7'),
    ('p', 'pm.a', '{}', jsonb_build_object('signals', jsonb_build_object(repeat('s', 300), 1), 'applied_knobs', '{}'::jsonb),
     '22023', 'a 300-character signal name'),
    ('p', 'pm.a', '{}', '{"signals": {"TS": null}, "applied_knobs": {}}', '22023', 'signal null'),
    ('p', 'pm.a', '{}', '{"signals": {"TS": [0.5]}, "applied_knobs": {}}', '22023', 'signal array'),
    ('closed', 'pm.a', '{}', NULL, '23505', 'an action on a closed position'),
    ('p', 'pm.a', '{}', '{"signals": {"TS": "0.5"}, "applied_knobs": {}}', '22023', 'signal as a string')
) AS v (pos, pattern, scope_patch, controls, state, what);

-- close_trade: rr and counterfactuals within +/- rr_abs_max (default 100) (16 tests)
SELECT throws_ok(format('SELECT learning.close_trade(%L, %s, %L, %L)', v.pos, v.rr, '2026-03-02', v.details), v.state, NULL,
                 'close_trade: ' || v.what || ' -> ' || v.state)
FROM (VALUES
    ('open', '1e200', '{}'::jsonb, '22023', 'rr 1e200'),
    ('open', '-1e300', '{}', '22023', 'rr -1e300'),
    ('open', '100.5', '{}', '22023', 'rr 100.5 (> rr_abs_max)'),
    ('open', '-101', '{}', '22023', 'rr -101'),
    ('open', '''NaN''', '{}', '22023', 'rr NaN'),
    ('open', '''-Infinity''', '{}', '22023', 'rr -Infinity'),
    ('open', 'NULL', '{}', '22023', 'rr NULL'),
    ('open', '1', '{"cf_exit_gain_rr": 1e400}', '22023', 'cf_exit_gain_rr 1e400'),
    ('open', '1', '{"cf_entry_gain_rr": -1000}', '22023', 'cf_entry_gain_rr -1000'),
    ('open', '1', '{"cf_entry_gain_rr": "1"}', '22023', 'cf_entry_gain_rr as a string'),
    ('open', '1', '{"cf_entry_delay_bars": 1e30}', '22023', 'cf_entry_delay_bars 1e30'),
    ('open', '1', '{"cf_entry_delay_bars": -1}', '22023', 'cf_entry_delay_bars -1'),
    ('open', '1', '{"cf_exit_direction": null}', '22023', 'cf_exit_direction null'),
    ('open', '1', '"{}"', '22023', 'details a JSON string'),
    (repeat('p', 3000), '1', '{}', '22023', 'a 3,000-character position_id'),
    ('closed', '1', '{}', '23505', 'closing twice')
) AS v (pos, rr, details, state, what);

-- resolve_overrides: 22023 (never 22003) before any lookup, so also when nothing matches (16 tests)
SELECT throws_ok(format('SELECT resolve_overrides(%L, %L, %L, %L, %L)', v.pattern, v.category, scope0.s || v.scope_patch,
                        v.levers, v.controls), '22023', NULL, 'resolve_overrides: ' || v.what || ' -> 22023')
FROM scope0, (VALUES
    ('pm.a', 'entry', '{"bucket_rank_position": "99999999999999999999"}'::jsonb,
     '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}'::jsonb, '{}'::jsonb, 'rank as a 20-digit string'),
    ('pm.a', 'entry', '{"bucket_rank_position": 1e30}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}',
     'rank 1e30'),
    ('pm.a', 'entry', '{"bucket_rank_position": 0}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}', 'rank 0'),
    ('pm.a', 'entry', '{"bucket_rank_position": 2.5}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}', 'rank 2.5'),
    ('pm.a', 'entry', '{}', '{"A_value": 1e400, "E_value": 0.5, "position_size_frac": 0.1}', '{}', 'A_value 1e400'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 1.5, "position_size_frac": 0.1}', '{}', 'E_value 1.5'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": -0.1}', '{}', 'negative position_size_frac'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 2}', '{}', 'position_size_frac 2'),
    ('pm.a', 'entry', '{}', '{"A_value": -1e-9, "E_value": 0.5, "position_size_frac": 0.1}', '{}', 'A_value just below 0'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": null}', '{}', 'position_size_frac null'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{"phase1_frac": 1e400}', 'phase1_frac 1e400'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{"trail_speed": -1e7}', 'trail_speed -1e7'),
    ('pm.a', 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{"entry_delay_bars": "0"}',
     'entry_delay_bars as a string'),
    ('pm.' || repeat('k', 3000), 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}',
     'a 3,000-character pattern_key'),
    ('pm.a', 'Entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}', 'category in the wrong case'),
    ('pm.a', 'entry', '{}', '[0.5, 0.5, 0.1]', '{}', 'base_levers an array')
) AS v (pattern, category, scope_patch, levers, controls, what);

-- record_override_application: the arguments and the result document are checked (10 tests)
SELECT throws_ok(format('SELECT learning.record_override_application(%L, %L, %L, %L)', v.pattern, v.category, v.scope, v.result),
                 '22023', NULL, 'record_override_application: ' || v.what || ' -> 22023')
FROM (VALUES
    ('not a pattern', 'hold', '[1]'::jsonb, '{}'::jsonb, 'the issue''s call'),
    ('pm.a', 'hold', '{}', '{"levers": {}, "controls": {}}', 'category hold'),
    ('pm.a', 'entry', '[1]', '{"levers": {}, "controls": {}}', 'scope an array'),
    ('pm.a', 'entry', '{}', '{}', 'an empty result'),
    ('pm.a', 'entry', '{}', '{"levers": [], "controls": {}}', 'result.levers an array'),
    ('pm.a', 'entry', '{}', '{"levers": {}, "controls": {}, "generation": "7"}', 'generation a string'),
    ('pm.a', 'entry', '{}', '{"levers": {}, "controls": {}, "generation": 1e30}', 'generation 1e30'),
    ('pm.a', 'entry', '{}', '{"levers": {}, "controls": {}, "applied": {"strength": {"lesson_id": -1}}}', 'negative lesson_id'),
    ('pm.' || repeat('k', 3000), 'entry', '{}', '{"levers": {}, "controls": {}}', 'a 3,000-character pattern_key')
) AS v (pattern, category, scope, result, what);
SELECT lives_ok($$SELECT learning.record_override_application('pm.a', 'entry', '{}',
    '{"levers": {}, "controls": {}, "generation": null, "applied": {"strength": null, "execution": null}}')$$,
    'record_override_application: a well-formed result is recorded');
DELETE FROM override_application WHERE source = 'client';

-- the config: every tunable of its type and within its range; unknown keys have their own error (42 tests)
SELECT throws_ok(pg_temp.cfg_sql(v.path, v.value), '22023', NULL, 'config: ' || v.path::text || ' = ' || v.value::text || ' -> 22023')
FROM (VALUES
    ('{tunables,rr_baseline}'::text [], '1e308'::jsonb),
    ('{tunables,rr_baseline}', '-101'),
    ('{tunables,override_generations_kept}', '-1'),
    ('{tunables,override_generations_kept}', '2.5'),
    ('{tunables,half_life_min_hours}', '-10'),
    ('{tunables,half_life_default_hours}', '10'),
    ('{tunables,half_life_max_hours}', '1e400'),
    ('{tunables,edge_scale}', '0'),
    ('{tunables,cf_min_n}', '"five"'),
    ('{tunables,cf_min_n}', '0'),
    ('{tunables,latent_cut_distance}', '"x"'),
    ('{tunables,latent_cut_distance}', '0'),
    ('{tunables,learning_rate}', '1e400'),
    ('{tunables,max_step}', 'null'),
    ('{tunables,edge_scale}', '1e-300'),
    ('{tunables,ref_hold_hours}', '0'),
    ('{tunables,edge_min}', '-0.5'),
    ('{tunables,regime_min_rows}', '0.5'),
    ('{tunables,regime_support_k}', '-1'),
    ('{tunables,edge_history_full_days}', '0'),
    ('{tunables,rr_abs_max}', '0'),
    ('{tunables,rr_abs_max}', '"big"'),
    ('{tunables,n_min,k7_plus}', '1e12'),
    ('{tunables,n_min}', '[10, 20, 30, 50]'),
    ('{tunables,lever_bounds,size_mult}', '[1e400, 1.0]'),
    ('{tunables,lever_bounds,size_mult}', '[null, 1.0]'),
    ('{tunables,fdr_q}', '0.7'),
    ('{tunables,fdr_q}', '0'),
    ('{tunables,stale_after_epochs}', '0'),
    ('{tunables,retire_after_epochs}', '1'),
    ('{tunables,edge_window_days}', '400'),
    ('{tunables,oos_min_trades}', '1'),
    ('{tunables,oos_p}', '"0.05"'),
    ('{tunables,max_subset_size}', '11'),
    ('{tunables}', '[]')
) AS v (path, value);
SELECT throws_ok($$UPDATE learning.learning_configs SET config = config #- '{tunables,fdr_q}' WHERE config_key = 'pm_config'$$,
    '22023', NULL, 'config: a required tunable removed -> 22023');
SELECT throws_like($$UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,cf_min_n}', '"five"')
                     WHERE config_key = 'pm_config'$$,
    'pm_config.tunables.cf_min_n must be an integer in [1, 1000000]%', 'the config message names the tunable and its range');
SELECT throws_ok($$INSERT INTO learning.learning_configs (config_key, config) VALUES ('pm_confg', '{}')$$, '22023', NULL,
    'config: an unknown config_key -> 22023, before the CHECK');
SELECT throws_like($$UPDATE learning.learning_configs SET config_key = 'overrides' WHERE config_key = 'pattern_overrides'$$,
    '%config_key ''overrides'' is unknown%', 'the unknown config_key is named');
SELECT lives_ok(pg_temp.cfg_sql('{tunables,rr_abs_max}', '50'), 'config: rr_abs_max can be tightened');
SELECT throws_ok($$SELECT learning.close_trade('open', 60, '2026-03-02')$$, '22023', NULL, 'then rr 60 is out of range');
SELECT lives_ok(pg_temp.cfg_sql('{tunables,rr_abs_max}', '100'), 'config: rr_abs_max back to 100');

SELECT is(pg_temp.state(), (SELECT s FROM before_state), 'no rejected call changed a table');

-- accepted at the door, normalised: a Python float 1.0 for an integer dimension is stored as 1 (4 tests)
SELECT lives_ok(pg_temp.log_sql('f1', 'pm.bad.in', (SELECT s FROM scope0) || '{"bucket_rank_position": 1.0}', (SELECT c FROM scope0)),
    'bucket_rank_position 1.0 is accepted');
SELECT is((SELECT scope -> 'bucket_rank_position' FROM action_log WHERE position_id = 'f1'), '1'::jsonb, 'and stored as the integer 1');
SELECT is((SELECT scope_vec[5] FROM action_log WHERE position_id = 'f1'), '1', 'scope_vec holds "1"');
SELECT lives_ok($$SELECT learning.close_trade('f1', 1.5, '2026-03-02', '{"cf_entry_delay_bars": 2.0}')$$,
    'it closes, cf_entry_delay_bars 2.0 is the integer 2');

-- defence in depth: rows written with the triggers disabled are quarantined, the aggregation runs on the rest (9 tests)
UPDATE learning_configs SET config = jsonb_set(config, '{tunables,n_min}', '{"k1_2": 1, "k3_4": 1, "k5_6": 1, "k7_plus": 1}')
WHERE config_key = 'pm_config';
ALTER TABLE action_log DISABLE TRIGGER USER;
ALTER TABLE completed_trades DISABLE TRIGGER USER;
INSERT INTO action_log (position_id, ts, pattern_key, action_type, action_category, scope, controls, scope_vec)
SELECT v.pos, '2026-03-01', 'pm.bad.in', 'E1', 'entry', scope0.s || v.patch, scope0.c,
       ARRAY['Recover', 'Dip', 'Good', 'micro', v.rank, 'lowcaps', 'micro', '1h', 'normal', 'aggressive']
FROM scope0, (VALUES ('z1', '1.0', '{"bucket_rank_position": 1.0}'::jsonb), ('z2', '1000000000000000000000000000000', '{}'),
                     ('z3', 'x', '{}'), ('z4', '1', '{}'), ('z5', '1', '{}'), ('z6', '1', '{}'), ('z8', '1', '{}'),
                     ('z9', '1', '{}')) AS v (pos, rank, patch);
INSERT INTO action_log (position_id, ts, pattern_key, action_type, action_category, scope, controls, scope_vec)
SELECT 'z7', '2026-03-01', 'pm.bad.in', 'E1', 'entry', scope0.s, scope0.c, '{Recover,Dip}' FROM scope0;
INSERT INTO completed_trades (position_id, closed_at, rr, details, first_action_at)
VALUES ('z1', '2026-03-02', 1, '{}', '2026-03-01'), ('z2', '2026-03-02', 1, '{}', '2026-03-01'),
       ('z3', '2026-03-02', 1, '{}', '2026-03-01'), ('z4', '2026-03-02', 1e200, '{}', '2026-03-01'),
       ('z5', '2026-03-02', 1, '{"cf_exit_gain_rr": 1e400}', '2026-03-01'),
       ('z6', '2026-03-02', 1, '{"cf_entry_delay_bars": "two"}', '2026-03-01'), ('z7', '2026-03-02', 1, '{}', '2026-03-01'),
       ('z8', '2026-03-02', 1, '{"cf_exit_direction": "sideways"}', '2026-03-01'),
       ('z9', '2026-03-02', 1, '{"cf_entry_delay": 1}', '2026-03-01');
ALTER TABLE action_log ENABLE TRIGGER USER;
ALTER TABLE completed_trades ENABLE TRIGGER USER;

SELECT is((SELECT count(*) FROM v_quarantine)::int, 9, 'v_quarantine lists the 9 poison rows');
SELECT is(ARRAY(SELECT position_id FROM v_quarantine ORDER BY position_id), '{z1,z2,z3,z4,z5,z6,z7,z8,z9}', 'each of them');
SELECT ok(bool_and(reason <> ''), 'each with its reason') FROM v_quarantine;
SELECT alike((SELECT reason FROM v_quarantine WHERE position_id = 'z4'), 'rr = 1e+200%', 'the reason names the field');
SELECT is(ARRAY(SELECT reason FROM v_quarantine WHERE position_id IN ('z8', 'z9') ORDER BY position_id),
    ARRAY[(SELECT learning._trade_domain_error(1, '{"cf_exit_direction": "sideways"}', 100)),
          (SELECT learning._trade_domain_error(1, '{"cf_entry_delay": 1}', 100))],
    'the quarantine applies the trigger''s rule: a bad cf_exit_direction and an unknown cf_* key too');
SELECT is(ARRAY(SELECT reason FROM v_quarantine WHERE position_id IN ('z8', 'z9') ORDER BY position_id),
    ARRAY['details.cf_exit_direction is not ''earlier'' or ''later''',
          'details holds an unknown counterfactual key (the cf_* keys are cf_entry_delay_bars, cf_entry_gain_rr, cf_exit_gain_rr, cf_exit_direction)'],
    'and names the field');
SELECT lives_ok($$SELECT learning.aggregate_pattern_scope_stats('2026-04-01')$$, 'the aggregation succeeds despite them');
SELECT is((SELECT n FROM pattern_scope_stats WHERE pattern_key = 'pm.bad.in' AND scope_mask = 0), 2,
    'on the two sound trades (closed, f1)');
SELECT is((SELECT count(*) FROM learning._trade_facts('-infinity', 'infinity') WHERE position_id LIKE 'z%')::int, 0,
    '_trade_facts skips every quarantined row');
SELECT lives_ok($$UPDATE learning.completed_trades SET rr = 1 WHERE position_id = 'z4'$$, 'a DBA corrects a quarantined trade');
SELECT is((SELECT count(*) FROM v_quarantine WHERE position_id = 'z4')::int, 0, 'and it leaves the quarantine');

SELECT * FROM finish();
ROLLBACK;
