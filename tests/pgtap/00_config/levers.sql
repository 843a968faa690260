-- The lever catalogue (learning.lever_catalogue(), migration 0008.levers) is the one source of the levers: its content,
-- the CHECKs and the config validator that read it, and the functions that still name each lever (build_lessons,
-- materialize_overrides / _publish_override_generation, resolve_overrides, explain_override, runtime_override's
-- columns) producing exactly its set, so a lever added in one place only fails here. The pattern_key and
-- action_category domains and their one rule each.
\ir ../fixtures.psql
SELECT plan(43);

-- the catalogue ------------------------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT lever, lever_group, kind, neutral, hard_lo, hard_hi FROM lever_catalogue() ORDER BY lever$$,
    $$VALUES ('entry_aggression_mult', 'capital', 'multiplier', 1::float8, 0.8::float8, 1.2::float8),
             ('entry_delay_bars', 'execution', 'bars', 0, 0, 5),
             ('exit_aggression_mult', 'capital', 'multiplier', 1, 0.8, 1.2),
             ('panic_trigger_mult', 'execution', 'multiplier', 1, 0.8, 1.2),
             ('phase1_frac_mult', 'execution', 'multiplier', 1, 0.5, 1.5),
             ('signal_threshold', 'threshold', 'threshold', 0.5, 0, 1),
             ('size_mult', 'capital', 'multiplier', 1, 0.7, 1.3),
             ('trail_mult', 'execution', 'multiplier', 1, 0.5, 2.0),
             ('trim_delay_mult', 'execution', 'multiplier', 1, 0.5, 2.0)$$,
    'the catalogue: the levers of roadmap 5.1 with their group, kind, neutral value and hard bounds');
SELECT is((SELECT count(*)::int FROM lever_catalogue() WHERE NOT (hard_lo <= neutral AND neutral <= hard_hi)
             OR description IS NULL OR description = ''), 0, 'every lever: neutral within its bounds, a description');
SELECT volatility_is('learning', 'lever_catalogue', '{}'::text [], 'immutable');
SELECT volatility_is('learning', 'lever_within_hard_bounds', ARRAY['text', 'double precision'], 'immutable');
SELECT set_eq(
    $$SELECT b.key, (b.value ->> 0)::float8 AS lo, (b.value ->> 1)::float8 AS hi
      FROM learning_configs AS c, jsonb_each(c.config #> '{tunables,lever_bounds}') AS b WHERE c.config_key = 'pm_config'$$,
    $$SELECT lever, hard_lo, hard_hi FROM lever_catalogue()$$,
    'the shipped pm_config lever_bounds are the hard bounds, one per lever of the catalogue');

-- the CHECKs read it -------------------------------------------------------------------------------------------
SELECT ok(lever_within_hard_bounds('size_mult', 1.3) AND lever_within_hard_bounds('size_mult', NULL)
    AND NOT lever_within_hard_bounds('size_mult', 1.31) AND NOT lever_within_hard_bounds('size_mult', 'NaN')
    AND NOT lever_within_hard_bounds('no_such_lever', 1), 'lever_within_hard_bounds: bounds inclusive, NULL passes, NaN and unknown levers fail');
-- effect_within_bounds agrees with the catalogue at, just inside and just outside every bound
CREATE TEMP TABLE probe AS
SELECT c.lever, p.v, p.v BETWEEN c.hard_lo AND c.hard_hi AS inside,
       CASE c.lever_group
           WHEN 'capital' THEN jsonb_build_object('capital_levers', jsonb_build_object(c.lever, p.v), 'execution_levers', '{}'::jsonb)
           WHEN 'execution' THEN jsonb_build_object('capital_levers', '{}'::jsonb, 'execution_levers', jsonb_build_object(c.lever, p.v))
           ELSE jsonb_build_object('capital_levers', '{}'::jsonb, 'execution_levers',
                                   jsonb_build_object('signal_thresholds', jsonb_build_object('min_ox_for_trim', p.v)))
       END AS effect
FROM lever_catalogue() AS c
CROSS JOIN LATERAL (VALUES (c.hard_lo), (c.hard_hi), (c.hard_lo - 0.01), (c.hard_hi + 0.01), (c.neutral)) AS p (v);
SELECT is((SELECT count(*)::int FROM probe), 45, 'five probes per lever');
SELECT is(ARRAY(SELECT lever || ' = ' || v FROM probe WHERE effect_within_bounds(effect) IS DISTINCT FROM inside ORDER BY 1),
    '{}'::text [], 'effect_within_bounds accepts exactly the values within each lever''s hard bounds');
SELECT is(ARRAY(SELECT lever || ' = ' || v FROM probe WHERE lever_within_hard_bounds(lever, v) IS DISTINCT FROM inside ORDER BY 1),
    '{}'::text [], 'lever_within_hard_bounds agrees');
SELECT ok(NOT effect_within_bounds('{"capital_levers": {"size_multiplier": 1}, "execution_levers": {}}')
    AND NOT effect_within_bounds('{"capital_levers": {}, "execution_levers": {"size_mult": 1}}')
    AND NOT effect_within_bounds('{"capital_levers": {}, "execution_levers": {"signal_thresholds": [0.5]}}')
    AND effect_within_bounds('{"capital_levers": {}, "execution_levers": {"signal_thresholds": {}, "entry_delay_bars": null}}'),
    'a lever the catalogue does not know (or in another group) fails; absent and null levers pass');
SELECT throws_ok($$INSERT INTO learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, effect)
    VALUES ('pm.v.x', 'entry', 0, md5('{}'), '{}', '{}', '{"capital_levers": {"size_mult": 1.31}, "execution_levers": {}}')$$,
    '23514', NULL, 'learning_lessons.effect CHECK rejects a lever outside its hard bounds');

INSERT INTO override_generation (as_of) VALUES ('2026-06-01');
CREATE FUNCTION pg_temp.override_with(p_column text, p_value text) RETURNS text LANGUAGE sql AS $$
    SELECT format($f$INSERT INTO learning.runtime_override (generation, pattern_key, action_category, scope_mask, scope_values,
        scope_values_hash, scope_dim_count, lesson_id, lesson_strength, decay_factor, %I)
        VALUES ((SELECT max(generation) FROM learning.override_generation), 'pm.v.o', 'entry', 0, '{}', md5(%L), 0, 1, 1, 1, %s)$f$,
        p_column, p_column || p_value, p_value)
$$;
SELECT throws_ok(pg_temp.override_with(lever, (CASE WHEN kind = 'bars' THEN hard_hi + 1 ELSE hard_hi + 0.01 END)::text), '23514', NULL,
    'runtime_override.' || lever || ' above its hard bound is rejected')
FROM lever_catalogue() WHERE lever_group <> 'threshold' ORDER BY lever;
SELECT throws_ok(pg_temp.override_with('signal_thresholds', $$'{"min_ts_for_add": 1.01}'$$), '23514', NULL,
    'runtime_override.signal_thresholds outside the threshold bounds is rejected');
SELECT lives_ok(CASE WHEN lever_group = 'threshold' THEN pg_temp.override_with('signal_thresholds', '''{"min_ts_for_add": 1}''')
                     ELSE pg_temp.override_with(lever, hard_lo::text) END,
    'runtime_override: ' || lever || ' at its lower hard bound is accepted')
FROM lever_catalogue() WHERE lever IN ('size_mult', 'signal_threshold') ORDER BY lever;
SELECT throws_like($$UPDATE learning_configs SET config = jsonb_set(config, '{tunables,lever_bounds,trail_mult}', '[0.5, 2.5]')
    WHERE config_key = 'pm_config'$$, 'pm_config.tunables.lever_bounds.trail_mult must be [lo, hi] within [0.5, 2]',
    'the config validator reads the hard bounds from the catalogue');

-- the functions that name each lever produce exactly the catalogue's set -------------------------------------
SELECT set_eq(
    $$SELECT a.attname::text FROM pg_attribute AS a
      WHERE a.attrelid = 'learning.runtime_override'::regclass AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attname NOT IN ('generation', 'pattern_key', 'action_category', 'scope_mask', 'scope_values', 'scope_values_hash',
                              'scope_dim_count', 'lesson_id', 'lesson_strength', 'decay_factor', 'latent_factor_id',
                              'strength_doc', 'execution_doc')$$,  -- issue 14: the applied documents, stored at publish
    $$SELECT CASE lever_group WHEN 'threshold' THEN 'signal_thresholds' ELSE lever END FROM lever_catalogue()$$,
    'runtime_override has one lever column per lever of the catalogue (signal_thresholds: the threshold levers)');
SELECT is(ARRAY(SELECT c.lever FROM lever_catalogue() AS c
                WHERE c.lever_group <> 'threshold' AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint AS k JOIN pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                    WHERE k.conrelid = 'learning.runtime_override'::regclass AND k.contype = 'c' AND a.attname = c.lever
                      AND pg_get_constraintdef(k.oid) LIKE format('%%lever_within_hard_bounds(%L::text, %%', c.lever))
                ORDER BY 1),
    '{}'::text [], 'each lever column of runtime_override is CHECKed by lever_within_hard_bounds of its own lever');

-- build_lessons: an R/R lesson, a counterfactual entry lesson and an R/R add lesson, from hand-made stats rows
CREATE FUNCTION pg_temp.stat(p_pattern text, p_category text, p_n int, p_mean float, p_var float, p_extra jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    SELECT pg_temp.cube_cell(p_pattern, p_category, 0, '{}', p_n,  -- issue 13: the cube stores sums
        jsonb_build_object('avg_rr', p_mean, 'rr_baseline', 0, 'variance', p_var, 'segments_tested', 4, 'segments_positive', 3)
        || p_extra)
$$;
SELECT pg_temp.stat('pm.v.R', 'entry', 100, 1.5, 1);
SELECT pg_temp.stat('pm.v.A', 'add', 100, 1.5, 1);
SELECT pg_temp.stat('pm.v.C', 'entry', 100, 0.0, 1, '{"cf_entry_gain_n": 100, "cf_entry_gain_rr_mean": 0.4, "cf_entry_gain_var": 0.01,
    "cf_entry_delay_n": 100, "cf_entry_delay_bars_mean": 2.6}');
SELECT is(build_lessons('2026-05-01'), 3, 'three lessons built');
SELECT set_eq(
    $$SELECT DISTINCT g.lever_group, CASE WHEN e.key = 'signal_thresholds' THEN 'signal_threshold' ELSE e.key END
      FROM learning_lessons AS l
      CROSS JOIN LATERAL (VALUES ('capital', l.effect -> 'capital_levers'), ('execution', l.effect -> 'execution_levers')) AS g (lever_group, levers)
      CROSS JOIN LATERAL jsonb_each(g.levers) AS e$$,
    $$SELECT CASE lever_group WHEN 'threshold' THEN 'execution' ELSE lever_group END, lever FROM lever_catalogue()$$,
    'build_lessons writes exactly the catalogue''s levers, each in its group');
SELECT is((SELECT effect #> '{execution_levers,signal_thresholds}' ? 'min_ts_for_add' FROM learning_lessons WHERE pattern_key = 'pm.v.A'),
    true, 'an add lesson moves its signal threshold');

-- materialize_overrides, the documents, resolve_overrides and explain_override: a lesson with every lever set
INSERT INTO learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, effect, n,
                              lesson_strength, decay_halflife_hours, last_epoch, last_confirmed_at)
SELECT 'pm.v.all', 'entry', 0, md5('{}'), '{}', '{}',
       jsonb_build_object(
           'capital_levers', (SELECT jsonb_object_agg(lever, hard_hi) FROM lever_catalogue() WHERE lever_group = 'capital'),
           'execution_levers', (SELECT jsonb_object_agg(lever, hard_hi) FROM lever_catalogue() WHERE lever_group = 'execution')
           || jsonb_build_object('signal_thresholds', '{"min_ts_for_add": 0.4}'::jsonb)),
       100, 1, 720, '2026-06-02', '2026-06-02';
SELECT ok(materialize_overrides('2026-06-02') >= 1, 'the overrides are materialized');
SELECT is(ARRAY(SELECT c.lever FROM lever_catalogue() AS c, runtime_override AS r
                WHERE r.generation = (SELECT generation FROM override_current) AND r.pattern_key = 'pm.v.all'
                  AND (to_jsonb(r) -> CASE c.lever_group WHEN 'threshold' THEN 'signal_thresholds' ELSE c.lever END)
                      IN ('null', '{}') ORDER BY 1),
    '{}'::text [], 'materialize_overrides fills every lever column of a lesson that sets every lever');
SELECT set_eq(
    $$SELECT DISTINCT CASE WHEN e.key = 'signal_thresholds' THEN 'signal_threshold' ELSE e.key END
      FROM learning_configs AS c, jsonb_array_elements(c.config) AS o, jsonb_each(o -> 'levers') AS e
      WHERE c.config_key IN ('pattern_strength_overrides', 'pattern_overrides') AND o ->> 'pattern_key' = 'pm.v.all'$$,
    $$SELECT lever FROM lever_catalogue()$$,
    'the published override documents carry exactly the catalogue''s levers');
SELECT set_eq(
    format($$SELECT CASE WHEN k = 'signal_thresholds' THEN 'signal_threshold' ELSE k END
             FROM jsonb_object_keys(%L::jsonb) AS k WHERE k NOT IN ('lesson_id', 'scope', 'strength', 'decay_factor')$$,
           (SELECT (a -> 'strength') || (a -> 'execution')
            FROM (SELECT resolve_overrides('pm.v.all', 'entry', :'seed_scope', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}',
                                           '{}') -> 'applied' AS a) AS x)),
    $$SELECT lever FROM lever_catalogue()$$,
    'resolve_overrides reports exactly the catalogue''s levers as applied');
SELECT is(ARRAY(SELECT c.lever FROM lever_catalogue() AS c
                WHERE NOT (explain_override('pm.v.all', 'entry', :'seed_scope') -> 'override')
                          ? CASE c.lever_group WHEN 'threshold' THEN 'signal_thresholds' ELSE c.lever END ORDER BY 1),
    '{}'::text [], 'explain_override shows every lever of the winning override');

-- the domains ----------------------------------------------------------------------------------------------------
SELECT throws_ok(format('SELECT %L::learning.pattern_key', k), '23514', NULL, 'pattern_key domain rejects ' || left(k, 20))
FROM unnest(ARRAY['pm', 'xx.a', 'pm.a b', 'pm..a', 'pm.' || repeat('k', 198)]) AS k;
SELECT lives_ok($$SELECT 'pm.uptrend.S1.buy_flag'::learning.pattern_key, ('pm.' || repeat('k', 197))::learning.pattern_key,
    'entry'::learning.action_category$$, 'a well-formed key of 200 characters and a category pass');
SELECT throws_ok($$SELECT 'wait'::learning.action_category$$, '23514', NULL, 'action_category domain rejects wait');
SELECT is(ARRAY(SELECT c.relname || '.' || a.attname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
                WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
                  AND a.attname IN ('pattern_key', 'action_category') AND a.atttypid <> ('learning.' || a.attname)::regtype
                ORDER BY 1),
    ARRAY['action_log.action_category', 'action_log.pattern_key'],
    'every pattern_key / action_category column is of its domain, but action_log''s (its trigger answers first, with 22023)');
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc AS p
                WHERE p.pronamespace = 'learning'::regnamespace AND (p.prosrc LIKE '%(pm|dm)%' OR p.prosrc LIKE '%''entry'', ''add''%')
                ORDER BY 1),
    ARRAY['_action_category_ok', '_pattern_key_ok'], 'the pattern-key regex and the category list are written once');
SELECT throws_ok($$SELECT resolve_overrides('pm.' || repeat('k', 198), 'entry', '{}', '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}', '{}')$$,
    '22023', NULL, 'resolve_overrides still answers a malformed key with its own 22023');

SELECT * FROM finish();
ROLLBACK;
