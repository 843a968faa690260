-- Alerts (issue 15, migration 0012.alerts, docs/operations.md "Alerts"): learning.evaluate_alerts opens one alert per
-- condition, refreshes it while the condition holds, resolves it when it clears, notifies; v_health counts them.
\ir ../fixtures.psql
SELECT plan(33);
TRUNCATE learning.alerts;
-- where pg_cron is installed (make test's database) it schedules the real jobs, which have not run here: no job is
-- scheduled in this transaction until the job_late test below says so (the stub is rolled back with the rest)
CREATE OR REPLACE FUNCTION learning._scheduled_jobs() RETURNS TABLE (job text, cron_schedule text) LANGUAGE sql AS $$
    SELECT NULL::text, NULL::text WHERE false
$$;

SELECT has_table('learning', 'alerts', 'the alerts table exists');
SELECT columns_are('learning', 'alerts', ARRAY['id', 'kind', 'subject', 'severity', 'detail', 'data', 'first_seen', 'last_seen',
    'resolved_at']);
SELECT is((SELECT function_name FROM learning.job_registry WHERE job = 'evaluate_alerts'), 'evaluate_alerts',
    'the alert job is a registry job');

-- cron schedules: the k-th most recent fire time
SELECT is(learning._cron_field('1,5-7,30/10', 0, 59), '{1,5,6,7,30,40,50}', 'a cron field: list, range, n/step');
SELECT is(ARRAY[learning._cron_recent_fire('0 */2 * * *', '2026-11-29 01:03+00', 1),
                learning._cron_recent_fire('0 */2 * * *', '2026-11-29 01:03+00', 2)],
    ARRAY['2026-11-29 00:00+00', '2026-11-28 22:00+00']::timestamptz [], 'every two hours: the last two fire times');
SELECT is(learning._cron_recent_fire('0 3 * * 1', '2026-11-29 01:03+00', 2), '2026-11-16 03:00+00',
    'weekly on Monday: two intervals back');
SELECT is(learning._cron_recent_fire('0 0 1 * 1', '2026-11-29 01:03+00', 1), '2026-11-23 00:00+00',
    'day of month and day of week both restricted: either matches (vixie cron)');
SELECT is(learning._cron_recent_fire('20 */6 * * *', '2026-11-29 06:20+00', 1), '2026-11-29 06:20+00',
    'a fire time at the instant itself counts');

-- nothing wrong, nothing open
SELECT is(evaluate_alerts(), 0, 'an empty database has no alert');

-- job_failed: the latest finished run failed -> critical; a later ok run resolves it
INSERT INTO job_runs (job, as_of, started_at, finished_at, status, error, sqlstate)
VALUES ('build_lessons', now(), now() - interval '2 hours', now() - interval '2 hours', 'failed', '22023: boom', '22023');
SELECT is(evaluate_alerts(), 1, 'a failed job opens an alert');
SELECT results_eq($$SELECT kind, subject, severity, open FROM v_alerts$$,
    $$VALUES ('job_failed', 'build_lessons', 'critical', true)$$, 'job_failed, critical, about the job');
SELECT is((SELECT ok FROM v_health WHERE check_name = 'no_open_alerts'), false, 'v_health counts the open alert');
SELECT is(evaluate_alerts(), 1, 'evaluating again keeps one alert per condition');
SELECT ok((SELECT last_seen >= first_seen AND resolved_at IS NULL FROM alerts WHERE kind = 'job_failed'), 'refreshed, still open');
INSERT INTO job_runs (job, as_of, started_at, finished_at, status)
VALUES ('build_lessons', now(), now() - interval '1 hour', now() - interval '1 hour', 'ok');
SELECT is(evaluate_alerts(), 0, 'a later ok run resolves it');
SELECT ok((SELECT resolved_at IS NOT NULL FROM alerts WHERE kind = 'job_failed'), 'the alert is kept, resolved');

-- job_late: a job pg_cron runs here (stubbed: this database may have no pg_cron, or schedule every job) that has not run for 2 intervals
CREATE OR REPLACE FUNCTION learning._scheduled_jobs() RETURNS TABLE (job text, cron_schedule text) LANGUAGE sql AS $$
    SELECT 'aggregate_pattern_scope_stats'::text, '0 */2 * * *'::text
$$;
INSERT INTO job_runs (job, as_of, started_at, finished_at, status)
VALUES ('aggregate_pattern_scope_stats', now(), now() - interval '5 hours', now() - interval '5 hours', 'ok');
SELECT is(evaluate_alerts(), 1, 'a job scheduled every 2 hours, last run 5 hours ago, is late');
SELECT results_eq($$SELECT kind, subject, severity FROM v_alerts WHERE open$$,
    $$VALUES ('job_late', 'aggregate_pattern_scope_stats', 'warning')$$, 'job_late, a warning');
INSERT INTO job_runs (job, as_of, started_at, finished_at, status)
VALUES ('aggregate_pattern_scope_stats', now(), now() - interval '1 minute', now(), 'ok');
SELECT is(evaluate_alerts(), 0, 'a run resolves it');

-- an override in force: a lever at a hard bound (info), losing out of sample (critical), no longer applied (warning)
INSERT INTO learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, effect,
                              lesson_strength, last_epoch, last_confirmed_at)
VALUES ('pm.a.lose', 'entry', 0, md5('{}'), '{}', '{}',
        '{"capital_levers": {"size_mult": 1.3, "entry_aggression_mult": 1.0}, "execution_levers": {"entry_delay_bars": 0, "signal_thresholds": {}}}',
        0.5, now(), now());
INSERT INTO override_generation (as_of) VALUES (now());
INSERT INTO override_current (generation) SELECT max(generation) FROM override_generation;
INSERT INTO runtime_override (generation, pattern_key, action_category, scope_mask, scope_values, scope_values_hash, scope_dim_count,
                              lesson_id, lesson_strength, decay_factor, size_mult)
SELECT max(g.generation), 'pm.a.lose', 'entry', 0, '{}', md5('{}'), 0, max(l.id), 0.5, 1, 1.3
FROM override_generation AS g, learning_lessons AS l;
SELECT is(evaluate_alerts(), 1, 'a lever at its hard bound (not its neutral value) is an info alert');
SELECT is((SELECT subject FROM v_alerts WHERE open AND kind = 'lever_at_bound' AND severity = 'info'),
    (SELECT format('lesson %s size_mult', max(id)) FROM learning_lessons), 'about the lesson''s lever; entry_delay_bars 0 is neutral');
SELECT is((SELECT ok FROM v_health WHERE check_name = 'no_open_alerts'), true, 'an info alert does not fail v_health');
-- sized up, but its trades did worse than the pattern's: 3 windows of 10 trades, mean -0.5 R against 0, variance 1
-- (sum rr^2 = 9 * 1 + 10 * 0.25): t = -2.8 on 29 df
INSERT INTO override_score (generation, pattern_key, action_category, scope_mask, scope_values_hash, scope_values, lesson_id, size_mult,
                            window_from, window_to, trades_matched, matched_sum_rr, matched_sum_size_rr, pattern_trades, pattern_sum_rr,
                            matched_sum_rr2)
SELECT w, 'pm.a.lose', 'entry', 0, md5('{}'), '{}', max(l.id), 1.3, now() - w * interval '1 day', now() - (w - 1) * interval '1 day',
       10, -5, -6.5, 40, 0, 9 * 1 + 10 * 0.25
FROM learning_lessons AS l, generate_series(1, 3) AS w GROUP BY w;
SELECT is(evaluate_alerts(), 2, 'its signed out-of-sample excess is significantly negative');
SELECT ok((SELECT (data ->> 'p')::float < 0.05 AND (data ->> 'trades')::int = 30 AND (data ->> 'signed_excess_rr_per_trade')::float = -0.5
           FROM alerts WHERE kind = 'override_oos_negative' AND resolved_at IS NULL), 'with its trades, excess and p');
-- applied 30 hours ago, not since (alert_application_window_hours 24)
INSERT INTO override_application (applied_at, pattern_key, action_category, scope, before, after)
VALUES (now() - interval '30 hours', 'pm.a.lose', 'entry', '{}', '{}', '{}');
SELECT is(evaluate_alerts(), 3, 'overrides in force that nobody applies any more');
SELECT is((SELECT array_agg(kind ORDER BY kind) FROM alerts WHERE resolved_at IS NULL),
    '{lever_at_bound,override_oos_negative,overrides_not_applied}', 'the three open alerts');
UPDATE learning_configs SET config = jsonb_set(config, '{feature_flags,learning_overrides_mode}', '"shadow"') WHERE config_key = 'pm_config';
SELECT is(evaluate_alerts(), 2, 'in shadow mode nothing is applied by design');
SELECT is((SELECT resolved_at IS NOT NULL FROM alerts WHERE kind = 'overrides_not_applied'), true, 'so that alert resolves');
UPDATE learning_configs SET config = jsonb_set(config, '{feature_flags,learning_overrides_mode}', '"apply"') WHERE config_key = 'pm_config';
INSERT INTO override_application (pattern_key, action_category, scope, before, after) VALUES ('pm.a.lose', 'entry', '{}', '{}', '{}');
UPDATE learning_configs SET config = jsonb_set(config, '{tunables,alert_oos_p}', '1e-12') WHERE config_key = 'pm_config';
SELECT is(evaluate_alerts(), 1, 'applied again, and a stricter alert_oos_p: both resolve');

-- rows_quarantined: a trade written with the triggers disabled, outside its domain (learning.v_quarantine)
ALTER TABLE completed_trades DISABLE TRIGGER USER;
INSERT INTO completed_trades (position_id, closed_at, rr, details, first_action_at) VALUES ('q1', '2026-03-02', 1e200, '{}', '2026-03-01');
ALTER TABLE completed_trades ENABLE TRIGGER USER;
SELECT is(evaluate_alerts(), 2, 'a quarantined row opens an alert');
SELECT results_eq($$SELECT kind, subject, severity FROM v_alerts WHERE open AND kind = 'rows_quarantined'$$,
    $$VALUES ('rows_quarantined', 'completed_trades', 'warning')$$, 'rows_quarantined, per table, a warning');
DELETE FROM completed_trades WHERE position_id = 'q1';
SELECT is(evaluate_alerts(), 1, 'deleting the row resolves it');

-- the thresholds are validated
SELECT throws_ok($$UPDATE learning_configs SET config = jsonb_set(config, '{tunables,alert_oos_p}', '0.9') WHERE config_key = 'pm_config'$$,
    '22023', NULL, 'alert_oos_p must be in (0, 0.5]');

SELECT * FROM finish();
ROLLBACK;
