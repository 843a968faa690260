-- The main job's database side: out-of-sample scoring (score_overrides, v_override_effectiveness),
-- explain_override, the feature-flag gate, and the replay bookkeeping (start/run/finish).
\ir ../fixtures.psql
SELECT plan(38);

CREATE FUNCTION pg_temp.lesson(p_scope jsonb, p_size float)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values,
        effect, n, lesson_strength, decay_halflife_hours, last_epoch, last_confirmed_at)
    VALUES ('pm.s.A', 'entry',
            (SELECT coalesce(sum(1 << d.bit), 0) FROM learning.scope_dimension AS d WHERE d.namespace = 'pm' AND p_scope ? d.dim_name),
            md5(p_scope::text), ARRAY(SELECT jsonb_object_keys(p_scope)), p_scope,
            jsonb_build_object('capital_levers', jsonb_build_object('size_mult', p_size, 'entry_aggression_mult', 1.0, 'exit_aggression_mult', 1.0),
                               'execution_levers', '{"signal_thresholds": {}}'::jsonb),
            50, 1.0, 720, '2026-06-01', '2026-06-01')
    RETURNING id
$$;
CREATE TEMP TABLE seed AS SELECT :'seed_scope'::jsonb AS scope, :'seed_controls'::jsonb AS controls;
CREATE FUNCTION pg_temp.trade(p_pos text, p_macro text, p_rr float, p_closed timestamptz)
RETURNS void LANGUAGE sql AS $$
    SELECT log_action(p_pos, 'pm.s.A', 'E1', jsonb_set(seed.scope, '{macro_phase}', to_jsonb(p_macro)),
                      seed.controls, p_closed - interval '2 hours') FROM seed;
    SELECT close_trade(p_pos, p_rr, p_closed);
$$;

-- the feature-flag gate
SELECT ok(_overrides_allowed('{"learning_overrides_enabled": true}', '{}'), 'enabled, no lists: allowed');
SELECT ok(NOT _overrides_allowed('{"learning_overrides_enabled": false}', '{}'), 'disabled: not allowed');
SELECT ok(NOT _overrides_allowed('{}', '{}'), 'a missing flag means off');
SELECT ok(_overrides_allowed('{"learning_overrides_enabled": true, "learning_overrides_enabled_regimes": ["Dip"]}',
    '{"macro_phase": "Recover", "micro_phase": "Dip"}'), 'a listed regime in any phase dim: allowed');
SELECT ok(NOT _overrides_allowed('{"learning_overrides_enabled": true, "learning_overrides_enabled_buckets": ["big"]}',
    '{"bucket": "micro"}'), 'an unlisted bucket: not allowed');

-- one generation: L_all (pattern-wide, size 1.2) and L_rec (macro = Recover, size 1.1), decay factor 1
CREATE TEMP TABLE l AS SELECT pg_temp.lesson('{}', 1.2) AS l_all, pg_temp.lesson('{"macro_phase": "Recover"}', 1.1) AS l_rec;
SELECT is(materialize_overrides('2026-06-01'), 2, 'two overrides');
CREATE TEMP TABLE g AS SELECT generation FROM override_current;
-- trades: two before/after the window are ignored; in it: Recover +2, Dip -1, Recover +1
SELECT pg_temp.trade('p0', 'Recover', 7.0, '2026-05-31');
SELECT pg_temp.trade('p1', 'Recover', 2.0, '2026-06-02');
SELECT pg_temp.trade('p2', 'Dip', -1.0, '2026-06-03');
SELECT pg_temp.trade('p3', 'Recover', 1.0, '2026-06-08');
SELECT pg_temp.trade('p4', 'Recover', 5.0, '2026-06-09');

SELECT is(score_overrides((SELECT generation FROM g), '2026-06-01', '2026-06-08'), 2, 'every override of the generation is scored');
SELECT results_eq(
    $$SELECT trades_matched, matched_sum_rr, round(matched_sum_size_rr::numeric, 9)::float, pattern_trades, pattern_sum_rr
      FROM override_score ORDER BY scope_mask DESC$$,
    $$VALUES (2, 3.0::float, 3.3::float, 3, 2.0::float), (1, -1.0::float, -1.2::float, 3, 2.0::float)$$,
    'the most specific override takes the Recover trades, the pattern-wide one the rest; window (from, to]');
SELECT is(score_overrides((SELECT generation FROM g), '2026-06-01', '2026-06-08'), 2, 're-scoring replaces, never duplicates');
SELECT is((SELECT count(*) FROM override_score)::int, 2, 'still two rows');
SELECT ok((SELECT abs(excess_rr_per_trade - (1.5 - 2.0 / 3)) < 1e-12 AND abs(capital_uplift_rr - 0.3) < 1e-12
           FROM v_override_effectiveness WHERE level = 'override' AND scope_values = '{"macro_phase": "Recover"}'),
    'per override: matched mean 1.5 vs the pattern''s 2/3; size uplift 1.1 * 3 - 3');
SELECT ok((SELECT trades_matched = 3 AND abs(excess_rr_per_trade) < 1e-12 AND abs(capital_uplift_rr - 0.1) < 1e-12
           FROM v_override_effectiveness WHERE level = 'total'),
    'total: 3 trades, excess (3 - 4/3) + (-1 - 2/3) = 0, uplift 0.3 - 0.2');
SELECT throws_ok($$SELECT score_overrides(-1, '2026-06-01', '2026-06-08')$$, '22023', NULL, 'unknown generation: 22023');
SELECT throws_ok($$SELECT score_overrides((SELECT generation FROM g), '2026-06-08', '2026-06-01')$$, '22023', NULL,
    'an empty window: 22023');

-- explain_override
CREATE TEMP TABLE e AS SELECT explain_override('pm.s.A', 'entry', :'seed_scope') AS x;
SELECT ok((SELECT (x ->> 'applies')::boolean FROM e), 'an override applies to the seed scope');
SELECT is((SELECT (x #>> '{lesson,id}')::bigint FROM e), (SELECT l_rec FROM l), 'the most specific one, with its lesson');
SELECT is((SELECT jsonb_array_length(x -> 'other_matches') FROM e), 1, 'the pattern-wide one is listed as the losing match');
SELECT is((SELECT (x #>> '{decay,decay_factor}')::float FROM e), 1.0::float, 'its decay');
SELECT is((SELECT (explain_override('pm.s.A', 'entry', jsonb_set(:'seed_scope'::jsonb, '{bucket_rank_position}', '"1"'))
           #>> '{lesson,id}')::bigint), (SELECT l_rec FROM l), 'digit strings are typed as the registry says');
SELECT is((SELECT explain_override('pm.s.Z', 'entry', :'seed_scope') ->> 'applies'), 'false', 'no override of another pattern');
UPDATE learning_configs SET config = jsonb_set(config, '{feature_flags,learning_overrides_enabled}', 'false') WHERE config_key = 'pm_config';
SELECT is((SELECT explain_override('pm.s.A', 'entry', :'seed_scope') -> 'flags_allow'), 'false'::jsonb, 'flags are reported');
SELECT is((SELECT explain_override('pm.s.A', 'entry', :'seed_scope') -> 'applies'), 'false'::jsonb, 'and keep it from applying');
UPDATE learning_configs SET config = jsonb_set(config, '{feature_flags,learning_overrides_enabled}', 'true') WHERE config_key = 'pm_config';
SELECT throws_ok($$SELECT explain_override('pm.s.A', 'buy', '{}')$$, '22023', NULL, 'a bad category: 22023');
SELECT throws_ok($$SELECT explain_override('pm.s.A', 'entry', '[]')$$, '22023', NULL, 'a scope that is not an object: 22023');

-- replay bookkeeping
SELECT throws_ok($$SELECT start_replay('2026-06-08', '2026-06-01', '1 week')$$, '22023', NULL, 'a reversed range: 22023');
SELECT throws_ok($$SELECT start_replay('2026-06-01', '2026-06-08', '0 days')$$, '22023', NULL, 'a zero step: 22023');
SELECT throws_ok($$SELECT run_replay_step(-1, '2026-06-01')$$, '22023', NULL, 'an unknown run: 22023');
CREATE TEMP TABLE run AS SELECT start_replay('2026-06-01', '2026-06-08', '1 week') AS id;
CREATE TEMP TABLE s1 AS SELECT run_replay_step((SELECT id FROM run), '2026-06-01') AS r;
SELECT is((SELECT (r ->> 'step_no')::int FROM s1), 1, 'step 1');
SELECT is((SELECT (r ->> 'scored')::int FROM s1), 0, 'the first step has nothing to score yet');
SELECT is((SELECT (r ->> 'generation')::bigint FROM s1), (SELECT generation FROM override_current), 'it publishes a generation');
SELECT throws_ok(format('SELECT run_replay_step(%s, %L)', (SELECT id FROM run), '2026-06-01'), '22023', NULL,
    'a step must be later than the previous one');
CREATE TEMP TABLE s2 AS SELECT run_replay_step((SELECT id FROM run), '2026-06-08') AS r;
SELECT is((SELECT (r ->> 'scored')::int FROM s2),
    (SELECT n_overrides FROM override_generation WHERE generation = (SELECT (r ->> 'generation')::bigint FROM s1)),
    'step 2 scores every override step 1 published');
SELECT is((SELECT count(*)::int FROM replay_step WHERE run_id = (SELECT id FROM run)), 2, 'both steps recorded');
SELECT is((SELECT count(*)::int FROM lesson_snapshot WHERE run_id = (SELECT id FROM run) AND step_no = 2),
    (SELECT count(*)::int FROM learning_lessons), 'every lesson is snapshotted at each step');
SELECT lives_ok(format('SELECT finish_replay(%s)', (SELECT id FROM run)), 'finish');
SELECT is((SELECT status FROM replay_run WHERE run_id = (SELECT id FROM run)), 'done', 'the run is done');
SELECT throws_ok(format('SELECT finish_replay(%s)', (SELECT id FROM run)), '22023', NULL, 'a finished run cannot be finished again');
SELECT throws_ok(format('SELECT run_replay_step(%s, %L)', (SELECT id FROM run), '2026-06-09'), '22023', NULL,
    'nor stepped');

SELECT * FROM finish();
ROLLBACK;
