-- Structure: tables, seed DDL columns and keys, functions with signatures and volatility, comments, grants.
\ir ../fixtures.psql
SELECT plan(71);

SELECT has_schema('learning');
SELECT tables_are('learning', ARRAY[
    'scope_dimension', 'action_category_map', 'action_log', 'completed_trades', 'phase_state', 'phase_state_bucket',
    'token_cap_bucket', 'pattern_scope_stats', 'learning_regime_weights', 'learning_edge_history',
    'learning_latent_factors', 'learning_lessons', 'learning_configs', 'override_generation', 'override_current',
    'runtime_override', 'override_application', 'job_runs',
    'synthetic_run', 'replay_run', 'replay_step', 'lesson_snapshot', 'override_score', 'latent_factor_linkage',
    'lesson_epoch', 'lesson_candidate', 'job_registry',
    'scope_cube_base', 'scope_cube_frame', 'scope_fold_queue', 'scope_cube_code',  -- issue 13
    'alerts',  -- issue 15
    'pinned_baseline', 'pinned_cube_frame', 'pinned_first_action',  -- issue 16
    'override_decision_buffer', 'override_decision_counts'  -- issue 14
]);

-- the seed's DDL (roadmap 1.2, 1.4), column by column
SELECT columns_are('learning', 'pattern_scope_stats', ARRAY['id', 'pattern_key', 'action_category', 'scope_mask', 'scope_values',
    'scope_values_hash', 'n', 'updated_at', 'created_at',
    -- issue 13: mergeable sums in typed columns (learning._cube_measures), no stats JSON (learning.v_pattern_scope_stats)
    'k', 's_rr', 's_rr2', 's_te', 'n_above', 'weeks', 'sn0', 'sn1', 'sn2', 'sn3', 'sn4', 'ss0', 'ss1', 'ss2', 'ss3', 'ss4',
    'cfd_n', 'cfd_s', 'cfe_n', 'cfe_s', 'cfe_s2', 'cfx_n', 'cfx_s', 'cfx_later', 'cfx_earlier', 'cfx_dn', 'cfx_ds', 'cfx_ds2',
    's_t', 's_t2', 's_trr',
    -- issue 13, migration 0016: the cell's integer key (the fold-in's merge key)
    'scope_key']);
SELECT col_type_is('learning', 'pattern_scope_stats', 'scope_mask', 'smallint', 'scope_mask is SMALLINT');
SELECT col_type_is('learning', 'pattern_scope_stats', 'scope_values', 'jsonb', 'scope_values is JSONB');
SELECT col_type_is('learning', 'pattern_scope_stats', 'n', 'integer', 'n is INT');
SELECT col_is_unique('learning', 'pattern_scope_stats', ARRAY['pattern_key', 'action_category', 'scope_mask', 'scope_values_hash']);
SELECT has_index('learning', 'pattern_scope_stats', 'idx_pattern_scope_stats_lookup',
    ARRAY['pattern_key', 'action_category', 'scope_mask', 'scope_key']);
-- migration 0016: no index on n (it made every merge of a fold-in a non-HOT update)
SELECT hasnt_index('learning', 'pattern_scope_stats', 'idx_pattern_scope_stats_n');
SELECT columns_are('learning', 'learning_regime_weights', ARRAY['id', 'pattern_key', 'action_category', 'regime_signature',
    'weights', 'n_samples', 'confidence', 'updated_at']);
SELECT col_is_unique('learning', 'learning_regime_weights', ARRAY['pattern_key', 'action_category', 'regime_signature']);
SELECT columns_are('learning', 'learning_edge_history', ARRAY['id', 'pattern_key', 'action_category', 'scope_signature',
    'edge_raw', 'ts', 'n', 'window_days']);
SELECT has_index('learning', 'learning_edge_history', 'idx_edge_history_pattern',
    ARRAY['pattern_key', 'action_category', 'scope_signature', 'ts']);
SELECT columns_are('learning', 'learning_latent_factors', ARRAY['id', 'factor_id', 'pattern_keys', 'representative_pattern',
    'correlation_matrix', 'created_at', 'updated_at']);
SELECT col_is_unique('learning', 'learning_latent_factors', ARRAY['factor_id'], 'factor_id is unique');
SELECT has_column('learning', 'learning_lessons', c, 'learning_lessons.' || c)
FROM unnest(ARRAY['id', 'pattern_key', 'action_category', 'scope_dims', 'scope_values', 'lesson_strength', 'decay_halflife_hours',
    'latent_factor_id', 'status', 'enabled', 'effect', 'created_at', 'updated_at', 'last_confirmed_at', 'incremental_edge']) AS c;
SELECT has_column('learning', 'action_log', c, 'action_log.' || c)
FROM unnest(ARRAY['id', 'position_id', 'ts', 'pattern_key', 'action_type', 'action_category', 'scope', 'controls']) AS c;
SELECT has_column('learning', 'completed_trades', c, 'completed_trades.' || c)
FROM unnest(ARRAY['position_id', 'closed_at', 'rr', 'details', 'hold_hours']) AS c;
SELECT col_is_pk('learning', 'completed_trades', ARRAY['position_id'], 'position_id is the key of completed_trades');
SELECT columns_are('learning', 'job_runs', ARRAY['id', 'job', 'as_of', 'started_at', 'finished_at', 'status', 'rows', 'error',
    'sqlstate', 'detail', 'hint', 'context', 'pid', 'backend_start', 'xid']);
SELECT fk_ok('learning', 'action_log', 'action_type', 'learning', 'action_category_map', 'action_type');

-- the scope registry
SELECT results_eq(
    $$SELECT dim_name, bit::int FROM scope_dimension WHERE namespace = 'pm' ORDER BY bit$$,
    $$VALUES ('macro_phase', 0), ('meso_phase', 1), ('micro_phase', 2), ('bucket_leader', 3), ('bucket_rank_position', 4),
             ('market_family', 5), ('bucket', 6), ('timeframe', 7), ('A_mode', 8), ('E_mode', 9)$$,
    'pm dims in the seed bit order');
SELECT is((SELECT json_type FROM scope_dimension WHERE namespace = 'pm' AND dim_name = 'bucket_rank_position'), 'integer',
    'bucket_rank_position is an integer dim');
SELECT set_eq($$SELECT dim_name FROM scope_dimension WHERE namespace = 'dm'$$,
    ARRAY['curator_tier', 'intent', 'chain', 'bucket', 'macro_phase'], 'dm dims');
SELECT results_eq(
    $$SELECT action_type, action_category::text FROM action_category_map ORDER BY action_type$$,
    $$VALUES ('E1', 'entry'), ('E2', 'entry'), ('add', 'add'), ('cut', 'exit'), ('emergency_exit', 'exit'),
             ('entry_immediate', 'entry'), ('panic_exit', 'exit'), ('partial_exit', 'trim'), ('scale_up', 'add'), ('trim', 'trim')$$,
    'the category map is exactly the seed table');
SELECT throws_ok($$INSERT INTO action_category_map VALUES ('hold', 'wait')$$, '23514', NULL, 'categories are exactly entry/add/trim/exit');

-- public functions: signature, volatility
SELECT has_function('learning', 'log_action', ARRAY['text', 'text', 'text', 'jsonb', 'jsonb', 'timestamp with time zone']);
SELECT function_returns('learning', 'log_action', ARRAY['text', 'text', 'text', 'jsonb', 'jsonb', 'timestamp with time zone'], 'bigint');
SELECT volatility_is('learning', 'log_action', ARRAY['text', 'text', 'text', 'jsonb', 'jsonb', 'timestamp with time zone'], 'volatile');
SELECT has_function('learning', 'close_trade', ARRAY['text', 'double precision', 'timestamp with time zone', 'jsonb']);
SELECT function_returns('learning', 'close_trade', ARRAY['text', 'double precision', 'timestamp with time zone', 'jsonb'], 'void');
SELECT has_function('learning', 'regime_context', ARRAY['timestamp with time zone']);
SELECT volatility_is('learning', 'regime_context', ARRAY['timestamp with time zone'], 'stable');
SELECT has_function('learning', 'build_scope', ARRAY['text', 'text', 'text', 'text', 'text', 'timestamp with time zone']);
SELECT function_returns('learning', 'build_scope', ARRAY['text', 'text', 'text', 'text', 'text', 'timestamp with time zone'], 'jsonb');
SELECT volatility_is('learning', 'build_scope', ARRAY['text', 'text', 'text', 'text', 'text', 'timestamp with time zone'], 'stable');
SELECT volatility_is('learning', 'effect_within_bounds', ARRAY['jsonb'], 'immutable');
SELECT volatility_is('learning', 'pm_config', '{}'::text [], 'stable');

-- every table, view and function in the schema carries a COMMENT
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class AS c
                WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
                  AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1),
          '{}'::text [], 'every table and view has a COMMENT');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p
                WHERE p.pronamespace = 'learning'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1),
          '{}'::text [], 'every function has a COMMENT');
-- basejump: nothing executable by PUBLIC; SECURITY DEFINER only with a pinned search_path
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p
                WHERE p.pronamespace = 'learning'::regnamespace AND p.prokind = 'f'
                  AND has_function_privilege('public', p.oid, 'EXECUTE') ORDER BY 1),
          '{}'::text [], 'no learning function is executable by PUBLIC');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p
                WHERE p.pronamespace = 'learning'::regnamespace AND p.prosecdef
                  AND NOT coalesce(p.proconfig::text LIKE '%search_path=%', false) ORDER BY 1),
          '{}'::text [], 'every SECURITY DEFINER function pins search_path');
SELECT ok(has_function_privilege('pglearn_pm', 'learning.log_action(text,text,text,jsonb,jsonb,timestamptz)', 'EXECUTE'),
    'the PM role may log actions');
SELECT ok(NOT has_table_privilege('pglearn_pm', 'learning.action_log', 'INSERT'), 'the PM role cannot write action_log directly');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
                WHERE p.pronamespace = 'learning'::regnamespace AND l.lanname = 'plpython3u'
                  AND has_function_privilege('pglearn_pm', p.oid, 'EXECUTE')), '{}'::text [],
    'no PL/Python function is executable by the PM role');
-- PL/Python is for curve fitting and clustering only (v5.2 half-lives, v5.3 latent factors); aggregation, edges,
-- lesson selection, decay and materialization are SQL
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
                WHERE p.pronamespace = 'learning'::regnamespace AND l.lanname = 'plpython3u' ORDER BY 1),
          ARRAY['_cluster_patterns', '_fit_half_life'],
    'PL/Python only for the v5.2 curve fit and the v5.3 clustering');

SELECT * FROM finish();
ROLLBACK;
