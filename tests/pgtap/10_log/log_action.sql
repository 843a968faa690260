-- The PM write path: learning.log_action and the action_log_validate trigger (also under COPY).
\ir ../fixtures.psql
SELECT plan(53);

-- the issue's acceptance call
SELECT ok(log_action('p1', 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls') > 0, 'log_action returns an id');
SELECT is((SELECT action_category FROM action_log WHERE position_id = 'p1'), 'entry', 'E1 is stored with category entry');
SELECT is((SELECT scope_vec FROM action_log WHERE position_id = 'p1'),
          ARRAY['Recover', 'Dip', 'Good', 'micro', '1', 'lowcaps', 'micro', '1h', 'normal', 'aggressive'],
          'scope_vec holds the values in registry bit order');
SELECT is((SELECT scope FROM action_log WHERE position_id = 'p1'), :'seed_scope'::jsonb, 'scope is stored as given');
SELECT ok(log_action('p1', 'pm.uptrend.S1.buy_flag', 'trim', :'seed_scope', :'seed_controls', '2026-01-01') > 0,
          'explicit ts is accepted');
SELECT is((SELECT ts FROM action_log WHERE action_type = 'trim'), '2026-01-01'::timestamptz, 'ts is stored');

-- every category through the map
SELECT ok(log_action('p2', 'pm.x', t, :'seed_scope', :'seed_controls') > 0, 'action_type ' || t || ' is accepted')
FROM unnest(ARRAY['entry_immediate', 'E2', 'add', 'scale_up', 'partial_exit', 'cut', 'emergency_exit', 'panic_exit']) AS t;
SELECT results_eq(
    $$SELECT action_type, action_category FROM action_log WHERE position_id = 'p2' ORDER BY id$$,
    $$SELECT action_type, action_category::text FROM action_category_map
      WHERE action_type IN ('entry_immediate', 'E2', 'add', 'scale_up', 'partial_exit', 'cut', 'emergency_exit', 'panic_exit')
      ORDER BY array_position(ARRAY['entry_immediate', 'E2', 'add', 'scale_up', 'partial_exit', 'cut', 'emergency_exit', 'panic_exit'], action_type)$$,
    'categories come from action_category_map');

-- DM namespace validates against its own dims
SELECT ok(log_action('d1', 'dm.curator.alpha', 'E1',
    '{"curator_tier": "A", "intent": "buy", "chain": "solana", "bucket": "nano", "macro_phase": "Dip"}', :'seed_controls') > 0,
    'a dm. pattern is validated against the dm dimensions');

CREATE TEMP TABLE before_count AS SELECT count(*) AS n FROM action_log;

-- bad input: SQLSTATE, field named, nothing written
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb - 'bucket', :'seed_controls'),
    'LR001', NULL, 'missing scope dimension -> LR001');
SELECT throws_like(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb - 'bucket', :'seed_controls'),
    '%missing dimension(s)%bucket%', 'the message names the missing dimension');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"colour": "red"}', :'seed_controls'),
    'LR001', NULL, 'unknown scope dimension -> LR001');
SELECT throws_like(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"colour": "red"}', :'seed_controls'),
    '%unknown dimension(s)%colour%', 'the message names the unknown dimension');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"bucket_rank_position": "1"}', :'seed_controls'),
    '22023', NULL, 'wrong JSON type (string for integer) -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"bucket_rank_position": "high"}', :'seed_controls'),
    '22023', NULL, 'a non-numeric string for an integer dim -> 22023, not a cast error');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"bucket_rank_position": null}', :'seed_controls'),
    '22023', NULL, 'null value -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"bucket_rank_position": 0}', :'seed_controls'),
    '22023', NULL, 'bucket_rank_position < 1 -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"bucket_rank_position": 1.5}', :'seed_controls'),
    '22023', NULL, 'non-integral bucket_rank_position -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"timeframe": 60}', :'seed_controls'),
    '22023', NULL, 'number for a string dimension -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"macro_phase": "Moon"}', :'seed_controls'),
    '22023', NULL, 'value not in the registry -> 22023');
SELECT throws_like(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope'::jsonb || '{"macro_phase": "Moon"}', :'seed_controls'),
    'scope.macro_phase = "Moon" is invalid%', 'the message names the field and the value');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', '[1, 2]', :'seed_controls'),
    '22023', NULL, 'scope not an object -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E9', :'seed_scope', :'seed_controls'),
    'LR002', NULL, 'unknown action_type -> LR002');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', k, 'E1', :'seed_scope', :'seed_controls'),
    '22023', NULL, 'malformed pattern key ' || quote_literal(k) || ' -> 22023')
FROM unnest(ARRAY['uptrend.S1', 'pm', 'pm.', 'pm..x', 'xm.a', 'pm.a b', 'PM.a']) AS k;
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope', c),
    '22023', NULL, 'bad controls ' || c || ' -> 22023')
FROM unnest(ARRAY['[]', '{}', '{"signals": {}}', '{"signals": {}, "applied_knobs": []}',
                  '{"signals": {"TS": "high"}, "applied_knobs": {}}', '{"signals": {}, "applied_knobs": {}, "extra": 1}']) AS c;
SELECT throws_like(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope', '{"signals": {"TS": "high"}, "applied_knobs": {}}'),
    'controls.signals.TS must be a number, got string', 'the message names the control');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', '', 'pm.a', 'E1', :'seed_scope', :'seed_controls'),
    '22023', NULL, 'empty position_id -> 22023');
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L, %L)', 'p3', 'pm.a', 'E1', :'seed_scope', :'seed_controls', 'infinity'),
    '22023', NULL, 'infinite ts -> 22023');
SELECT throws_ok($$INSERT INTO action_log (position_id, ts, pattern_key, action_type, action_category, scope, controls)
                   VALUES ('p3', now(), 'pm.a', 'E1', 'exit', '{}', '{}')$$,
    '22023', NULL, 'an explicit category contradicting the map -> 22023');
SELECT is((SELECT count(*) FROM action_log), (SELECT n FROM before_count), 'failed calls wrote nothing');

-- COPY backfill obeys the same rules; a bad line loads nothing of the batch
CREATE TEMP TABLE copy_line AS
SELECT concat_ws(E'\t', p, '2026-02-01', 'pm.copy.ok', t, :'seed_scope'::jsonb::text, :'seed_controls'::jsonb::text) AS line, p
FROM (VALUES ('c1', 'add'), ('c2', 'add'), ('c3', 'E9')) AS v (p, t);
CREATE FUNCTION pg_temp.copy_sql(p_positions text []) RETURNS text LANGUAGE sql AS $$
    SELECT format('COPY learning.action_log (position_id, ts, pattern_key, action_type, scope, controls) FROM PROGRAM %L',
        'printf ''%s\n'' ' || string_agg(quote_literal(line), ' ' ORDER BY p))
    FROM copy_line WHERE p = ANY (p_positions)
$$;
SELECT lives_ok(pg_temp.copy_sql('{c1}'), 'COPY of a valid line loads');
SELECT is((SELECT action_category FROM action_log WHERE position_id = 'c1'), 'add', 'COPY derives the category');
SELECT throws_ok(pg_temp.copy_sql('{c2,c3}'), 'LR002', NULL, 'COPY with an unknown action_type on line 2 fails with LR002');
SELECT is((SELECT count(*) FROM action_log WHERE position_id IN ('c2', 'c3')), 0::bigint, 'nothing of the failed COPY batch is loaded');

-- a closed position takes no more actions
SELECT close_trade('p1', 1.5);
SELECT throws_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p1', 'pm.a', 'add', :'seed_scope', :'seed_controls'),
    '23505', NULL, 'logging on a closed position -> 23505');

SELECT * FROM finish();
ROLLBACK;
