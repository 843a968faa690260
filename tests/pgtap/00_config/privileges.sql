-- Privileges: the three roles by job (docs/api.md, docs/operations.md "Roles"), pinned as a matrix.
-- A new table, view or function that is not in the lists below, or a grant that is not, fails this file.
\ir ../fixtures.psql
SELECT plan(27);

-- the roles
SELECT has_role(r) FROM unnest(ARRAY['pglearn_pm', 'pglearn_reader', 'pglearn_admin']) AS r;
SELECT is(ARRAY(SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'pglearn\_%' AND (rolcanlogin OR rolsuper) ORDER BY 1),
    '{}'::text [], 'the three groups are NOLOGIN, not superusers');
SELECT ok(pg_has_role('pglearn_admin', 'pglearn_reader', 'MEMBER'), 'an admin reads what a reader reads');
SELECT ok(NOT pg_has_role('pglearn_pm', 'pglearn_reader', 'MEMBER') AND NOT pg_has_role('pglearn_reader', 'pglearn_pm', 'MEMBER')
    AND NOT pg_has_role('pglearn_pm', 'pglearn_admin', 'MEMBER'), 'the PM is in no other group and no group is in it');

-- Every relation of the schema, by kind:
--  facts     the PM's history (written only through log_action / close_trade / resolve_overrides, or COPY by the owner)
--  feed      market state and the scope registry, read by the PM's invoker functions (build_scope, regime_context)
--  registry  read only
--  config    learning_configs: the PM reads it (pm_config), the admin may UPDATE it
--  derived   written by the jobs, replays and rollbacks (the admin)
--  view      the DBA views
CREATE TEMP TABLE rel_kind (relname text PRIMARY KEY, kind text NOT NULL);
INSERT INTO rel_kind VALUES
('action_log', 'facts'), ('completed_trades', 'facts'), ('override_application', 'facts'), ('synthetic_run', 'facts'),
('phase_state', 'feed'), ('phase_state_bucket', 'feed'), ('token_cap_bucket', 'feed'), ('scope_dimension', 'feed'),
('action_category_map', 'registry'), ('job_registry', 'registry'),
('learning_configs', 'config'),
('pattern_scope_stats', 'derived'), ('learning_regime_weights', 'derived'), ('learning_edge_history', 'derived'),
('learning_latent_factors', 'derived'), ('learning_lessons', 'derived'), ('override_generation', 'derived'),
('override_current', 'derived'), ('runtime_override', 'derived'), ('job_runs', 'derived'), ('replay_run', 'derived'),
('replay_step', 'derived'), ('lesson_snapshot', 'derived'), ('override_score', 'derived'),
('latent_factor_linkage', 'derived'), ('lesson_epoch', 'derived'), ('lesson_candidate', 'derived'),
('v_health', 'view'), ('v_top_edges', 'view'), ('v_lesson_candidates', 'view'), ('v_active_overrides', 'view'),
('v_override_application_rates', 'view'), ('v_override_effectiveness', 'view'), ('v_quarantine', 'view'),
('v_job_history', 'view');
INSERT INTO rel_kind VALUES ('alerts', 'derived'), ('v_alerts', 'view');  -- issue 15
INSERT INTO rel_kind VALUES ('override_decision_buffer', 'derived'), ('override_decision_counts', 'derived');  -- issue 14
INSERT INTO rel_kind VALUES ('scope_cube_base', 'derived'), ('scope_cube_frame', 'derived'), ('scope_fold_queue', 'derived'),
    ('scope_cube_code', 'derived'), ('v_pattern_scope_stats', 'view');  -- issue 13
INSERT INTO rel_kind VALUES ('pinned_baseline', 'derived');  -- issue 16
INSERT INTO rel_kind VALUES ('pinned_cube_frame', 'derived'), ('pinned_first_action', 'derived');  -- issue 16: shard-local learning
CREATE TEMP TABLE rel_expected (rolname text, kind text, privilege text);
INSERT INTO rel_expected VALUES
('pglearn_pm', 'feed', 'SELECT'), ('pglearn_pm', 'config', 'SELECT'),
('pglearn_reader', 'facts', 'SELECT'), ('pglearn_reader', 'feed', 'SELECT'), ('pglearn_reader', 'registry', 'SELECT'),
('pglearn_reader', 'config', 'SELECT'), ('pglearn_reader', 'derived', 'SELECT'), ('pglearn_reader', 'view', 'SELECT'),
('pglearn_admin', 'facts', 'SELECT'), ('pglearn_admin', 'feed', 'SELECT'), ('pglearn_admin', 'registry', 'SELECT'),
('pglearn_admin', 'config', 'SELECT'), ('pglearn_admin', 'config', 'UPDATE'), ('pglearn_admin', 'view', 'SELECT'),
('pglearn_admin', 'derived', 'SELECT'), ('pglearn_admin', 'derived', 'INSERT'), ('pglearn_admin', 'derived', 'UPDATE'),
('pglearn_admin', 'derived', 'DELETE');

SELECT set_eq(
    $$SELECT c.relname::text FROM pg_class AS c WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')$$,
    $$SELECT relname FROM rel_kind$$, 'every table and view of the schema is in the privilege matrix');
SELECT set_eq(
    format($$SELECT c.relname::text, p.privilege FROM pg_class AS c
             CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p (privilege)
             WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
               AND has_table_privilege(%L, c.oid, p.privilege)$$, r),
    format($$SELECT k.relname, e.privilege FROM rel_kind AS k JOIN rel_expected AS e USING (kind) WHERE e.rolname = %L$$, r),
    r || ': table and view privileges exactly as documented')
FROM unnest(ARRAY['pglearn_pm', 'pglearn_reader', 'pglearn_admin']) AS r;
SELECT is(ARRAY(SELECT a.attname::text FROM pg_attribute AS a
                WHERE a.attrelid = 'learning.learning_lessons'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                  AND has_column_privilege('pglearn_admin', a.attrelid, a.attnum, 'UPDATE') AND a.attname = 'enabled'),
    ARRAY['enabled'], 'the admin may switch a lesson off (learning_lessons.enabled)');

-- Functions each role may EXECUTE, by name (private helpers included where an invoker-rights function needs them).
CREATE TEMP TABLE fn_expected (rolname text, proname text);
INSERT INTO fn_expected
SELECT 'pglearn_pm', unnest(ARRAY[
    'log_action', 'close_trade', 'build_scope', 'regime_context', 'pm_config', 'resolve_overrides',
    'record_override_application', 'explain_override',
    '_validate_scope', '_scope_value_ok'  -- build_scope (invoker rights) validates through these
]);
-- issue 12: the incomplete beta's continued fraction, written once (t_pvalue, invoker rights, calls it twice)
INSERT INTO fn_expected SELECT r, '_betacf' FROM unnest(ARRAY['pglearn_reader', 'pglearn_admin']) AS r;
-- issue 12: the out-of-sample evidence, written once (build_lessons' guard and evaluate_alerts read it)
INSERT INTO fn_expected VALUES ('pglearn_admin', '_oos_evidence');
-- issue 12: the scope rule, set-based (build_scope, invoker rights, reads through it; so does the generator)
INSERT INTO fn_expected SELECT r, '_scopes' FROM unnest(ARRAY['pglearn_pm', 'pglearn_reader', 'pglearn_admin']) AS r;
INSERT INTO fn_expected
SELECT r, unnest(ARRAY[
    'build_scope', 'regime_context', 'pm_config', 'explain_override', 'validate', 'n_min', 'clamp_to_bounds', 'edge_raw',
    'lever_step', 'regime_signature', 'effect_within_bounds', 'json_number_between',
    'lever_catalogue', 'lever_within_hard_bounds', '_pattern_key_ok', '_action_category_ok',  -- the lever and domain rules
    't_pvalue', 't_pvalue_lower', 'mean_test_p', 'welch_test_p', 'by_adjust', 'by_harmonic',  -- the lesson tests (docs/levers.md)
    '_validate_scope', '_scope_value_ok', '_action_domain_error', '_trade_domain_error'  -- scope and quarantine checks
])
FROM unnest(ARRAY['pglearn_reader', 'pglearn_admin']) AS r;
INSERT INTO fn_expected SELECT r, unnest(ARRAY['scope_stats', 'category_baselines', '_square_over'])  -- issue 13: the finished cube
FROM unnest(ARRAY['pglearn_reader', 'pglearn_admin']) AS r;
INSERT INTO fn_expected SELECT r, '_vs_baseline' FROM unnest(ARRAY['pglearn_reader', 'pglearn_admin']) AS r;  -- the tie rule of scope_stats
INSERT INTO fn_expected VALUES ('pglearn_admin', '_window_lessons');  -- the lessons of the half-life series
INSERT INTO fn_expected
SELECT 'pglearn_admin', unnest(ARRAY[
    'run_job', 'run_learning_cycle', 'aggregate_pattern_scope_stats', 'learn_regime_weights', 'cluster_latent_factors',
    'build_lessons', 'estimate_half_lives', 'materialize_overrides', 'rollback_overrides',
    'start_replay', 'run_replay_step', 'finish_replay', 'score_overrides',
    '_job_run_begin', '_trade_facts', '_check_as_of', '_fit_half_life', '_cluster_patterns', '_publish_override_generation',
    '_time_efficiency', '_cf_exit_signed_gain', '_persists'
]);
INSERT INTO fn_expected SELECT 'pglearn_admin', unnest(ARRAY['evaluate_alerts', '_cron_field', '_cron_recent_fire', '_scheduled_jobs']);  -- issue 15
INSERT INTO fn_expected SELECT 'pglearn_pm', unnest(ARRAY['record_override_decisions', 'override_cache_state', 'override_cache_rows'])
UNION ALL SELECT r, unnest(ARRAY['override_cache_state', 'override_cache_rows', '_buffered_override_decisions'])
FROM unnest(ARRAY['pglearn_reader', 'pglearn_admin']) AS r
UNION ALL SELECT 'pglearn_admin', unnest(ARRAY['flush_override_decisions', '_override_docs']);  -- issue 14
INSERT INTO fn_expected SELECT 'pglearn_admin', unnest(ARRAY['fold_in_closes', '_cube_facts', '_cube_base', '_cube_cuboids',
    '_cube_write', '_cube_truncate', '_cube_measures', '_cube_fact_context']);  -- issue 13: the cube's stages
-- issue 16: the stages of an epoch and of the latent factors a sharded router and its shards run apart
INSERT INTO fn_expected SELECT 'pglearn_admin', unnest(ARRAY['_lessons_tests', '_lessons_by', '_lessons_facts', '_lessons_choose',
    '_lessons_overlap', '_lessons_epoch', '_lessons_record', '_lessons_upsert', '_lessons_lifecycle', '_lesson_window_edges',
    '_latent_factor_incidence', '_cluster_latent_factors']);
INSERT INTO fn_expected SELECT r, unnest(ARRAY['_baseline_median', '_cube_pattern_means']) FROM unnest(ARRAY['pglearn_reader', 'pglearn_admin']) AS r;  -- issue 16
INSERT INTO fn_expected VALUES ('pglearn_admin', '_cube_match_keys');  -- issue 13, migration 0016: the fold-in's candidate matching
-- issue 14, migration 0017: learning._resolve_decision is executable by no role (resolve_overrides, SECURITY DEFINER, inlines it)
SELECT set_eq(
    format($$SELECT DISTINCT p.proname::text FROM pg_proc AS p
             WHERE p.pronamespace = 'learning'::regnamespace AND has_function_privilege(%L, p.oid, 'EXECUTE')$$, r),
    format($$SELECT proname FROM fn_expected WHERE rolname = %L$$, r),
    r || ': executes exactly the documented functions')
FROM unnest(ARRAY['pglearn_pm', 'pglearn_reader', 'pglearn_admin']) AS r;
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p
                WHERE p.pronamespace = 'learning'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')),
    '{}'::text [], 'nothing in learning is executable by PUBLIC');

-- Used, not only granted: a little history, then each role at work.
SELECT log_action('p' || i, 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls', '2026-03-01'::timestamptz + i * interval '1 hour')
FROM generate_series(1, 12) AS i;
SELECT close_trade('p' || i, (i % 4) - 1.0, '2026-03-02'::timestamptz + i * interval '1 hour') FROM generate_series(1, 10) AS i;
INSERT INTO phase_state (ts, macro_phase, meso_phase, micro_phase) VALUES ('2026-03-01', 'Recover', 'Dip', 'Good');
INSERT INTO phase_state_bucket (ts, bucket, phase, rank_position, population)
VALUES ('2026-03-01', 'micro', 'Good', 1, 10), ('2026-03-01', 'mid', 'Dip', 2, 10);
INSERT INTO token_cap_bucket (token, valid_from, bucket) VALUES ('TOK', '2026-03-01', 'micro');

SET ROLE pglearn_admin;
SELECT is(run_learning_cycle('2026-03-03') ->> 'ok', 'true', 'the admin runs a learning cycle');
SELECT lives_ok($$UPDATE learning.learning_configs SET config = config WHERE config_key = 'pm_config'$$, 'the admin edits pm_config');
SELECT lives_ok($$UPDATE learning.learning_lessons SET enabled = true$$, 'the admin switches lessons on and off');
SELECT throws_ok($$DELETE FROM learning.learning_configs$$, '42501', NULL, 'the admin cannot delete configs');
SELECT throws_ok($$INSERT INTO learning.action_log (position_id) VALUES ('x')$$, '42501', NULL, 'the admin cannot rewrite history');
RESET ROLE;

SET ROLE pglearn_pm;
SELECT lives_ok(format($$
    SELECT log_action('p20', 'pm.uptrend.S1.buy_flag', 'E1', %L, %L, '2026-03-03');
    SELECT close_trade('p20', 1.0, '2026-03-03 02:00');
    SELECT build_scope('TOK', '1h', 'lowcaps', 'normal', 'aggressive', '2026-03-02');
    SELECT regime_context('2026-03-02');
    SELECT pm_config();
    SELECT resolve_overrides('pm.uptrend.S1.buy_flag', 'entry', %L, '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}');
    SELECT record_override_application('pm.uptrend.S1.buy_flag', 'entry', %L,
        resolve_overrides('pm.uptrend.S1.buy_flag', 'entry', %L, '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}'));
    SELECT explain_override('pm.uptrend.S1.buy_flag', 'entry', %L)$$,
    :'seed_scope', :'seed_controls', :'seed_scope', :'seed_scope', :'seed_scope', :'seed_scope'), 'the PM calls all eight of its functions');
SELECT throws_ok($$SELECT run_learning_cycle()$$, '42501', NULL, 'the PM cannot run a cycle');
SELECT throws_ok($$SELECT count(*) FROM learning.v_health$$, '42501', NULL, 'the PM reads no DBA view');
RESET ROLE;

-- every view, read as the reader (functions a view calls need EXECUTE by the caller: this proves they have it)
CREATE FUNCTION pg_temp.unreadable_views(p_role text) RETURNS text [] LANGUAGE plpgsql AS $$
DECLARE
    v record;
    bad text [] := '{}';
BEGIN
    FOR v IN SELECT c.oid::regclass AS name FROM pg_class AS c WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind = 'v' LOOP
        BEGIN
            EXECUTE format('SET LOCAL ROLE %I', p_role);
            EXECUTE format('SELECT count(*) FROM (SELECT * FROM %s) AS x', v.name);
            RESET ROLE;
        EXCEPTION WHEN OTHERS THEN
            bad := bad || (v.name::text || ': ' || SQLERRM);
        END;
    END LOOP;
    RETURN bad;
END
$$;
SELECT is(pg_temp.unreadable_views('pglearn_reader'), '{}'::text [], 'the reader reads every view, v_health included');
SELECT is(pg_temp.unreadable_views('pglearn_admin'), '{}'::text [], 'the admin reads every view');
SELECT ok((SELECT count(*) FROM learning.v_health) > 0 AND (SELECT count(*) FROM learning.v_job_history) >= 6,
    'v_health has rows and v_job_history shows the cycle');
SET ROLE pglearn_reader;
SELECT ok((SELECT count(*) FROM learning.v_job_history WHERE job = 'aggregate_pattern_scope_stats' AND status = 'ok') >= 1,
    'the reader sees job history');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
