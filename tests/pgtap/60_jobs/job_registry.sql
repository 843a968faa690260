-- The jobs registry (migration 0009.job_registry): the one list of the learning jobs, read by run_job,
-- run_learning_cycle and db/jobs/schedule.sql (docs/operations.md "Jobs").
\ir ../fixtures.psql
SELECT plan(17);

SELECT has_table('learning', 'job_registry', 'the jobs registry exists');
SELECT columns_are('learning', 'job_registry', ARRAY['job', 'stage', 'function_name', 'cron_name', 'cron_schedule',
    'meta_learning', 'requires', 'description']);
SELECT col_is_pk('learning', 'job_registry', ARRAY['job'], 'job is the key of job_registry');
SELECT results_eq(
    $$SELECT job, stage::int, function_name, cron_name, cron_schedule, meta_learning, requires
      FROM learning.job_registry ORDER BY stage$$,
    $$VALUES ('aggregate_pattern_scope_stats', 1, 'aggregate_pattern_scope_stats', 'pglearn_aggregate', '0 */2 * * *', false,
              '{}'::text []),
             ('learn_regime_weights', 2, 'learn_regime_weights', 'pglearn_regime_weights', '0 1 * * *', true, '{}'),
             ('cluster_latent_factors', 3, 'cluster_latent_factors', 'pglearn_latent_factors', '0 3 * * 1', true, '{}'),
             ('build_lessons', 4, 'build_lessons', 'pglearn_lessons', '20 */6 * * *', false, '{aggregate_pattern_scope_stats}'),
             ('estimate_half_lives', 5, 'estimate_half_lives', 'pglearn_half_lives', '0 2 * * 1', true, '{}'),
             ('materialize_overrides', 6, 'materialize_overrides', 'pglearn_materialize', '40 */2 * * *', false,
              '{aggregate_pattern_scope_stats,build_lessons}'),
             ('evaluate_alerts', 7, 'evaluate_alerts', 'pglearn_alerts', '*/15 * * * *', false, '{}'),
             ('fold_in_closes', 8, 'fold_in_closes', 'pglearn_fold_in', '* * * * *', false, '{}')$$,  -- issue 13
    'the eight jobs, their stages, functions, schedules, gates and prerequisites');

-- what the registry points at exists, in the shape run_job calls
SELECT is(ARRAY(SELECT r.job FROM learning.job_registry AS r
                WHERE to_regprocedure(format('learning.%I(timestamptz)', r.function_name)) IS NULL
                   OR (SELECT p.prorettype FROM pg_proc AS p
                       WHERE p.oid = to_regprocedure(format('learning.%I(timestamptz)', r.function_name))) <> 'integer'::regtype
                ORDER BY r.job),
    '{}'::text [], 'every job''s function is learning.f(timestamptz) -> integer');
SELECT is(ARRAY(SELECT r.job || ' requires ' || q.job FROM learning.job_registry AS r
                CROSS JOIN LATERAL unnest(r.requires) AS q (job)
                LEFT JOIN learning.job_registry AS e ON e.job = q.job
                WHERE e.stage IS NULL OR e.stage >= r.stage ORDER BY 1),
    '{}'::text [], 'a job requires only jobs of earlier stages');
SELECT throws_ok($$INSERT INTO learning.job_registry (job, stage, function_name, cron_name, cron_schedule, description)
                   VALUES ('x', 7, 'x', 'pglearn_x', 'every hour', 'x')$$, '23514', NULL, 'a schedule is five cron fields');
SELECT throws_ok($$INSERT INTO learning.job_registry (job, stage, function_name, cron_name, cron_schedule, description)
                   VALUES ('x', 7, 'x', 'pglearn_housekeeping', '0 * * * *', 'x')$$, '23514', NULL,
    'the housekeeping schedule name is not a registry job''s');

-- run_job: the registry's jobs and nothing else
SELECT throws_ok($$SELECT run_job('nope')$$, '22023', 'job ''nope'' is unknown', 'a name not in the registry is unknown');
SELECT throws_ok($$SELECT run_job(NULL)$$, '22023', 'job NULL is unknown', 'so is NULL');
SELECT throws_ok($$SELECT run_job('run_learning_cycle')$$, '22023', NULL, 'the cycle is not a job');

-- run_learning_cycle: the registry's jobs in stage order
SELECT log_action('p' || i, 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls', '2026-03-01'::timestamptz + i * interval '1 hour')
FROM generate_series(1, 4) AS i;
SELECT close_trade('p' || i, 1.0, '2026-03-02'::timestamptz + i * interval '1 hour') FROM generate_series(1, 4) AS i;
CREATE TEMP TABLE cycle AS SELECT run_learning_cycle('2026-03-03') AS r;
SELECT is((SELECT r ->> 'ok' FROM cycle), 'true', 'a cycle runs');
SELECT is(ARRAY(SELECT j ->> 'job' FROM cycle CROSS JOIN LATERAL jsonb_array_elements(r -> 'jobs') WITH ORDINALITY AS e (j, i) ORDER BY i),
    ARRAY(SELECT job FROM learning.job_registry ORDER BY stage), 'the cycle runs every registry job, in stage order');

-- the meta-learning gate and the prerequisites come from the registry
UPDATE learning.learning_configs SET config = jsonb_set(config, '{feature_flags,v5_meta_learning_enabled}', 'false')
WHERE config_key = 'pm_config';
SELECT is(ARRAY(SELECT r.job FROM learning.job_registry AS r
                WHERE ((run_job(r.job, '2026-03-04') ->> 'error') IS NOT DISTINCT FROM 'v5_meta_learning_enabled is false')
                      <> r.meta_learning
                ORDER BY r.stage),
    '{}'::text [], 'meta-learning off: exactly the meta_learning jobs are skipped');
SELECT is(run_job('aggregate_pattern_scope_stats', 'infinity') ->> 'status', 'failed', 'the aggregation fails (as_of infinity)');
SELECT is(ARRAY(SELECT r.job FROM (SELECT * FROM learning.job_registry
                                    WHERE NOT meta_learning AND job <> 'aggregate_pattern_scope_stats' OFFSET 0) AS r
                WHERE ((run_job(r.job, '2026-03-05') ->> 'error') IS NOT DISTINCT FROM 'an earlier stage failed')
                      <> ('aggregate_pattern_scope_stats' = ANY(r.requires))
                ORDER BY r.stage),
    '{}'::text [], 'after a failed aggregation, exactly the jobs that require it are skipped');

-- the docs of the cycle name every job (the Client docstring and the CLI help: tests/python/test_docs.py)
SELECT is(ARRAY(SELECT r.job FROM learning.job_registry AS r
                WHERE position(r.job IN obj_description('learning.run_learning_cycle(timestamptz)'::regprocedure, 'pg_proc')) = 0
                ORDER BY r.stage),
    '{}'::text [], 'the COMMENT of run_learning_cycle names every registry job');

SELECT * FROM finish();
ROLLBACK;
