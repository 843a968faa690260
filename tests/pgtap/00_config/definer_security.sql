-- SECURITY DEFINER functions cannot be steered through pg_temp (issue 11): they pin
-- search_path = pg_catalog, learning, pg_temp (pg_temp last) and name their tables with the schema. As pglearn_pm,
-- temp tables named like the real ones (with plausible rows) change nothing: ghost positions cannot be closed,
-- resolve_overrides answers from the real current generation, telemetry lands in the real table.
\ir ../fixtures.psql
SELECT plan(27);

-- every definer function pins exactly the safe path, and every one of them is exercised below
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p
                WHERE p.pronamespace = 'learning'::regnamespace AND p.prosecdef
                  AND NOT coalesce('search_path=pg_catalog, learning, pg_temp' = ANY(p.proconfig), false) ORDER BY 1),
    '{}'::text [], 'every SECURITY DEFINER function has search_path = pg_catalog, learning, pg_temp');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p CROSS JOIN unnest(p.proconfig) AS c (setting)
                WHERE p.pronamespace = 'learning'::regnamespace AND c.setting LIKE 'search\_path=%'
                  AND c.setting NOT LIKE '%, pg\_temp' ORDER BY 1),
    '{}'::text [], 'every function that pins a search_path puts pg_temp last (invoker functions too)');
SELECT set_eq($$SELECT p.proname::text FROM pg_proc AS p WHERE p.pronamespace = 'learning'::regnamespace AND p.prosecdef$$,
    ARRAY['log_action', 'close_trade', 'resolve_overrides', 'record_override_application', 'explain_override', '_job_run_begin',
          '_scheduled_jobs', '_cube_truncate',  -- issue 15: _scheduled_jobs; issue 13: _cube_truncate
          'record_override_decisions', 'override_cache_state', 'override_cache_rows'],  -- issue 14: OverrideCache
    'the SECURITY DEFINER functions are the ones this file tests');

-- the real state: a pattern-wide lesson (size_mult 1.2, strength 1) materialized as the current generation
INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values,
    effect, n, lesson_strength, decay_halflife_hours, last_epoch, last_confirmed_at)
VALUES ('pm.uptrend.S1.buy_flag', 'entry', 0, md5('{}'), '{}', '{}',
        '{"capital_levers": {"size_mult": 1.2, "entry_aggression_mult": 1.0, "exit_aggression_mult": 1.0},
          "execution_levers": {"signal_thresholds": {}}}', 100, 1.0, 720, '2026-06-01', '2026-06-01');
SELECT materialize_overrides('2026-06-01');
CREATE TEMP TABLE real_state AS
SELECT (SELECT generation FROM learning.override_current) AS generation,
       (SELECT id FROM learning.learning_lessons) AS lesson_id;
GRANT SELECT ON real_state TO pglearn_pm;
SELECT log_action('real1', 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls', '2026-03-01');

-- the decoys, created by the PM in its own pg_temp
SET ROLE pglearn_pm;
CREATE TEMP TABLE action_log (
    id bigint, position_id text, ts timestamptz, pattern_key text, action_type text, action_category text, scope jsonb,
    controls jsonb
);
INSERT INTO action_log VALUES (1, 'ghost', '2000-01-01', 'pm.uptrend.S1.buy_flag', 'E1', 'entry', '{}', '{}');
CREATE TEMP TABLE completed_trades (position_id text, closed_at timestamptz, rr float, details jsonb, hold_hours float);
INSERT INTO completed_trades VALUES ('real1', '2026-03-01', 1.0, '{}', 1), ('real2', '2026-03-01', 1.0, '{}', 1);
CREATE TEMP TABLE override_current (singleton boolean, generation bigint, swapped_at timestamptz);
INSERT INTO override_current VALUES (true, 999, now());
CREATE TEMP TABLE learning_configs (config_key text, config jsonb, updated_at timestamptz);
INSERT INTO learning_configs VALUES
('pm_config', '{"feature_flags": {"learning_overrides_enabled": false}, "tunables": {"rr_abs_max": 1}}', now());
CREATE TEMP TABLE runtime_override (
    generation bigint, pattern_key text, action_category text, scope_mask smallint, scope_values jsonb, scope_values_hash text,
    scope_dim_count smallint, lesson_id bigint, lesson_strength float, decay_factor float, latent_factor_id text,
    size_mult float, entry_aggression_mult float, exit_aggression_mult float, entry_delay_bars smallint,
    phase1_frac_mult float, trim_delay_mult float, trail_mult float, panic_trigger_mult float, signal_thresholds jsonb
);
INSERT INTO runtime_override VALUES
(999, 'pm.uptrend.S1.buy_flag', 'entry', 0, '{}', md5('{}'), 0, 4242, 1, 1, NULL, 9, 9, 9, 5, NULL, NULL, NULL, NULL, '{}');
CREATE TEMP TABLE override_application (
    id bigint, applied_at timestamptz, pattern_key text, action_category text, generation bigint, strength_lesson_id bigint,
    execution_lesson_id bigint, scope jsonb, before jsonb, after jsonb, source text
);
CREATE TEMP TABLE learning_lessons (
    id bigint, pattern_key text, action_category text, scope_values jsonb, status text, enabled boolean, effect jsonb,
    lesson_strength float, decay_halflife_hours integer, last_confirmed_at timestamptz
);
INSERT INTO learning_lessons VALUES (4242, 'pm.uptrend.S1.buy_flag', 'entry', '{}', 'active', true,
    '{"capital_levers": {"size_mult": 9}}', 1, 1, now());
CREATE TEMP TABLE pattern_scope_stats (
    pattern_key text, action_category text, scope_mask smallint, scope_values jsonb, scope_values_hash text, n integer, stats jsonb
);
INSERT INTO pattern_scope_stats VALUES ('pm.uptrend.S1.buy_flag', 'entry', 0, '{}', md5('{}'), 1000, '{"edge_raw": 99}');

-- the write path
SELECT throws_ok($$SELECT learning.close_trade('ghost', 99, '2026-03-02')$$, 'LR003', NULL,
    'a ghost position in a temp action_log cannot be closed');
SELECT lives_ok($$SELECT learning.close_trade('real1', 1.5, '2026-03-02')$$,
    'a temp completed_trades does not make a real open position look closed');
SELECT lives_ok(format($$SELECT learning.log_action('real2', 'pm.uptrend.S1.buy_flag', 'E1', %L, %L, '2026-03-01')$$,
    :'seed_scope', :'seed_controls'), 'log_action on a position a temp completed_trades calls closed');

-- decision time
CREATE TEMP TABLE answer AS
SELECT learning.resolve_overrides('pm.uptrend.S1.buy_flag', 'entry', :'seed_scope',
    '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{"entry_delay_bars": 0}') AS res;
SELECT is((SELECT (res ->> 'generation')::bigint FROM answer), (SELECT generation FROM real_state),
    'resolve_overrides answers from the real current generation');
SELECT is((SELECT (res #>> '{applied,strength,lesson_id}')::bigint FROM answer), (SELECT lesson_id FROM real_state),
    'with the real override (a temp learning_configs does not switch overrides off)');
SELECT ok((SELECT abs((res #>> '{levers,position_size_frac}')::float - 0.12) < 1e-9 FROM answer), 'and the real levers');
SELECT is((SELECT res ->> 'telemetry' FROM answer), 'recorded', 'the application is reported as recorded');
SELECT lives_ok(format($$SELECT learning.record_override_application('pm.uptrend.S1.buy_flag', 'entry', %L,
    (SELECT res FROM answer))$$, :'seed_scope'), 'record_override_application forwards a standby answer');
CREATE TEMP TABLE explained AS SELECT learning.explain_override('pm.uptrend.S1.buy_flag', 'entry', :'seed_scope') AS e;
SELECT is((SELECT (e ->> 'generation')::bigint FROM explained), (SELECT generation FROM real_state),
    'explain_override reads the real current generation');
SELECT is((SELECT e ->> 'applies' FROM explained), 'true', 'and the real feature flags');
SELECT is((SELECT (e #>> '{lesson,id}')::bigint FROM explained), (SELECT lesson_id FROM real_state), 'and the real lesson');
-- issue 14: the cache's reads and its batched telemetry
CREATE TEMP TABLE override_decision_counts (hour timestamptz, generation bigint, lesson_id bigint, mode text, source text,
    decisions bigint, execution_decisions bigint);
SELECT is((SELECT array_agg(r.lesson_id) FROM learning.override_cache_rows((learning.override_cache_state() ->> 'generation')::bigint) AS r),
    ARRAY[(SELECT lesson_id FROM real_state)], 'OverrideCache loads the real current generation and its real rows');
SELECT is(learning.record_override_decisions(ARRAY[now()], ARRAY[(SELECT generation FROM real_state)],
    ARRAY[(SELECT lesson_id FROM real_state)], ARRAY[false], ARRAY[7::bigint], ARRAY[0::bigint]), 1,
    'record_override_decisions takes a batch');
RESET ROLE;
SELECT is((SELECT sum(decisions)::int FROM learning.override_decision_counts WHERE source = 'cache')
          + (SELECT count(*)::int FROM pg_temp.override_decision_counts), 7, 'the batch landed in the real counters');

-- nothing landed in the decoys, everything in the real tables
SELECT is((SELECT array_agg(position_id ORDER BY position_id) FROM pg_temp.action_log), ARRAY['ghost'], 'the temp action_log is untouched');
SELECT is((SELECT count(*)::int FROM pg_temp.override_application), 0, 'the temp override_application is untouched');
SELECT is((SELECT array_agg(position_id ORDER BY position_id) FROM learning.completed_trades), ARRAY['real1'],
    'the real completed_trades has the real close only');
SELECT is((SELECT array_agg(position_id ORDER BY id) FROM learning.action_log), ARRAY['real1', 'real2'],
    'the real action_log has the real actions');
SELECT is((SELECT count(*)::int FROM learning.override_application WHERE generation = (SELECT generation FROM real_state))
          + (SELECT count(*)::int FROM learning.override_decision_buffer WHERE generation = (SELECT generation FROM real_state)), 2,
    'telemetry landed in the real tables (resolve: the decision buffer; record: override_application)');

-- the admin's job bookkeeping (learning._job_run_begin) cannot be diverted either
SET ROLE pglearn_admin;
CREATE TEMP TABLE job_runs (id bigint, job text, as_of timestamptz, status text);
SELECT is(learning.run_job('materialize_overrides', '2026-06-01') ->> 'status', 'ok', 'the admin runs a job with a temp job_runs about');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM learning.job_runs WHERE job = 'materialize_overrides') - (SELECT count(*)::int FROM pg_temp.job_runs), 1,
    'the run is in the real job_runs, not the temp one');

-- issue 15: the alert job's view of pg_cron (learning._scheduled_jobs) reads the real registry
SET ROLE pglearn_admin;
CREATE TEMP TABLE job_registry (job text, stage int, cron_name text, cron_schedule text);
INSERT INTO job_registry SELECT 'ghost', 1, cron_name, cron_schedule FROM learning.job_registry;
SELECT is(ARRAY(SELECT job FROM learning._scheduled_jobs() WHERE job NOT IN (SELECT job FROM learning.job_registry)), '{}'::text [],
    'the scheduled jobs come from the real registry, not a temp one');
RESET ROLE;

-- issue 13: the rebuild's swap (learning._cube_truncate) empties the real cube, not the temp one of the same name
SELECT pg_temp.cube_cell('pm.uptrend.S1.buy_flag', 'entry', 0, '{}', 50, '{"avg_rr": 1, "variance": 1}');
SET ROLE pglearn_admin;
SELECT lives_ok($$SELECT learning._cube_truncate()$$, 'the admin empties the cube through learning._cube_truncate');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM learning.pattern_scope_stats) * 10 + (SELECT count(*)::int FROM pg_temp.pattern_scope_stats), 1,
    'the real cube is empty, the temp table named like it untouched');

SELECT * FROM finish();
ROLLBACK;
