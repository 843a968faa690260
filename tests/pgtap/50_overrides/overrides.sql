-- materialize_overrides (decay, factor merge, atomic generations, rollback) and resolve_overrides.
\ir ../fixtures.psql
SELECT plan(73);

CREATE FUNCTION pg_temp.lesson(p_pattern text, p_scope jsonb, p_size float, p_strength float, p_confirmed timestamptz,
                               p_exec jsonb DEFAULT '{}', p_halflife int DEFAULT 720, p_factor text DEFAULT NULL, p_n int DEFAULT 100)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values,
        effect, n, lesson_strength, decay_halflife_hours, latent_factor_id, last_epoch, last_confirmed_at)
    VALUES (p_pattern, 'entry',
            (SELECT coalesce(sum(1 << d.bit), 0) FROM learning.scope_dimension AS d WHERE d.namespace = 'pm' AND p_scope ? d.dim_name),
            md5(p_scope::text), ARRAY(SELECT jsonb_object_keys(p_scope)), p_scope,
            jsonb_build_object('capital_levers', jsonb_build_object('size_mult', p_size, 'entry_aggression_mult', 1.1, 'exit_aggression_mult', 0.9),
                               'execution_levers', '{"signal_thresholds": {}}'::jsonb || p_exec),
            p_n, p_strength, p_halflife, p_factor, p_confirmed, p_confirmed)
    RETURNING id
$$;
CREATE TEMP TABLE base AS SELECT '{"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}'::jsonb AS levers,
    '{"entry_delay_bars": 0, "phase1_frac": 0.2, "trim_delay": 3, "trail_speed": 1.0, "panic_trigger": 2.0, "min_ts_for_add": 0.5}'::jsonb AS controls;

-- decay at a known age: half-life 10 h, age 10 h, strength 0.5 -> factor 0.25
SELECT pg_temp.lesson('pm.o.D', '{}', 1.2, 0.5, '2026-06-01 00:00+00',
    '{"entry_delay_bars": 4, "phase1_frac_mult": 0.8, "signal_thresholds": {"min_ts_for_add": 0.6}}', 10);
SELECT is(materialize_overrides('2026-06-01 10:00+00'), 1, 'one override');
SELECT ok((SELECT abs(decay_factor - 0.25) < 1e-12 FROM runtime_override), 'decay factor = exp(-ln2 * age / half-life) * strength');
SELECT ok((SELECT abs(size_mult - (1 + 0.2 * 0.25)) < 1e-12 FROM runtime_override), 'size_mult = 1 + (lever - 1) * factor');
SELECT ok((SELECT abs(phase1_frac_mult - (1 - 0.2 * 0.25)) < 1e-12 FROM runtime_override), 'execution multipliers decay the same way');
SELECT is((SELECT entry_delay_bars::int FROM runtime_override), 1, 'entry_delay_bars = round(4 * 0.25)');
SELECT is((SELECT signal_thresholds FROM runtime_override), '{}'::jsonb, 'thresholds lapse below factor 0.5');
SELECT is((SELECT jsonb_array_length(config) FROM learning_configs WHERE config_key = 'pattern_strength_overrides'), 1,
    'the strength override document is written');
SELECT is((SELECT config -> 0 -> 'lesson' ->> 'decay_halflife_hours' FROM learning_configs WHERE config_key = 'pattern_overrides'), '10',
    'documents carry the roadmap 1.5 lesson block');
SELECT is(materialize_overrides('2026-06-01 00:00+00'), 1, 'age 0');
SELECT ok((SELECT abs(size_mult - (1 + 0.2 * 0.5)) < 1e-12 FROM runtime_override WHERE generation = (SELECT generation FROM override_current)),
    'at age 0 only the strength scales');
SELECT is((SELECT signal_thresholds FROM runtime_override WHERE generation = (SELECT generation FROM override_current)),
    '{"min_ts_for_add": 0.6}'::jsonb, 'thresholds apply at factor >= 0.5');

-- rollback: the previous generation comes back, documents and runtime rows together
CREATE TEMP TABLE gens AS SELECT array_agg(generation ORDER BY generation) AS g FROM override_generation;
SELECT is(rollback_overrides(), (SELECT g[1] FROM gens), 'rollback returns the previous generation');
SELECT is((SELECT generation FROM override_current), (SELECT g[1] FROM gens), 'and makes it current');
SELECT is((SELECT (config -> 0 ->> 'generation')::bigint FROM learning_configs WHERE config_key = 'pattern_strength_overrides'),
    (SELECT g[1] FROM gens), 'the documents follow the swap');
SELECT throws_ok('SELECT rollback_overrides()', 'P0002', NULL, 'nothing older to roll back to');
DELETE FROM learning_lessons;

-- most specific match wins; ties: higher strength, then lower id
SELECT pg_temp.lesson('pm.o.P', '{}', 1.05, 1.0, '2026-06-01');
SELECT pg_temp.lesson('pm.o.P', '{"macro_phase": "Recover"}', 1.10, 0.6, '2026-06-01');
SELECT pg_temp.lesson('pm.o.P', '{"bucket": "micro"}', 1.15, 0.9, '2026-06-01');
SELECT pg_temp.lesson('pm.o.P', '{"bucket": "micro", "timeframe": "1h"}', 1.20, 0.5, '2026-06-01');
SELECT pg_temp.lesson('pm.o.P', '{"bucket": "micro", "bucket_rank_position": 1}', 1.25, 0.5, '2026-06-01');
SELECT materialize_overrides('2026-06-01');
CREATE TEMP TABLE r AS SELECT resolve_overrides('pm.o.P', 'entry', :'seed_scope', levers, controls) AS res FROM base;
SELECT is((SELECT res #> '{applied,strength,scope}' FROM r), '{"bucket": "micro", "timeframe": "1h"}'::jsonb,
    'the most specific match wins; among equals the lower lesson id');
SELECT ok((SELECT abs((res #>> '{levers,position_size_frac}')::float - 0.1 * (1 + 0.2 * 0.5)) < 1e-12 FROM r), 'size *= size_mult');
SELECT ok((SELECT abs((res #>> '{levers,A_value}')::float - 0.5 * (1 + 0.1 * 0.5)) < 1e-12 FROM r), 'A *= entry_aggression_mult');
SELECT ok((SELECT abs((res #>> '{levers,E_value}')::float - 0.5 * (1 - 0.1 * 0.5)) < 1e-12 FROM r), 'E *= exit_aggression_mult');
SELECT is((SELECT res ->> 'telemetry' FROM r), 'recorded', 'an application is recorded');
SELECT is((SELECT count(*) FROM override_decision_buffer)::int, 1, 'one compact row in the decision buffer');
SELECT is((SELECT count(*) FROM override_application)::int, 0, 'no full before/after row unless asked for');
SELECT is(resolve_overrides('pm.o.P', 'entry', :'seed_scope'::jsonb - 'timeframe' || '{"bucket_rank_position": 2}', levers, controls)
    #> '{applied,strength,scope}', '{"bucket": "micro"}'::jsonb, 'ties on dims: higher strength wins') FROM base;
SELECT is(resolve_overrides('pm.o.P', 'entry', '{"macro_phase": "Recover", "bucket_rank_position": "1", "bucket": "micro"}', levers, controls)
    #> '{applied,strength,scope}', '{"bucket": "micro", "bucket_rank_position": 1}'::jsonb, 'integer dims given as strings are normalised') FROM base;
SELECT is(resolve_overrides('pm.o.P', 'entry', '{"macro_phase": "Dip", "bucket": "nano"}', levers, controls)
    #> '{applied,strength,scope}', '{}'::jsonb, 'the pattern-wide override matches any scope') FROM base;
SELECT is(resolve_overrides('pm.o.X', 'entry', :'seed_scope', levers, controls),
    jsonb_build_object('levers', levers, 'controls', controls, 'applied', '{"strength": null, "execution": null}'::jsonb,
                       'generation', (SELECT generation FROM override_current), 'mode', 'apply', 'telemetry', 'none'),
    'no match: the inputs come back unchanged') FROM base;
SELECT is(resolve_overrides('pm.o.P', 'exit', :'seed_scope', levers, controls) -> 'levers', levers, 'another category does not match') FROM base;
SELECT is(resolve_overrides('pm.o.P', 'entry', :'seed_scope', '{"A_value": 0.99, "E_value": 0.5, "position_size_frac": 0.98}', '{}')
    #>> '{levers,position_size_frac}', '1', 'levers are clamped to [0, 1]');

-- execution levers on plan controls
DELETE FROM learning_lessons;
SELECT pg_temp.lesson('pm.o.E', '{}', 1.0, 1.0, '2026-06-01',
    '{"entry_delay_bars": 2, "phase1_frac_mult": 0.5, "trim_delay_mult": 2.0, "trail_mult": 1.5, "panic_trigger_mult": 1.2, "signal_thresholds": {"min_ts_for_add": 0.55}}');
SELECT materialize_overrides('2026-06-01');
CREATE TEMP TABLE e AS SELECT resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls' AS c FROM base;
SELECT is((SELECT c FROM e), '{"entry_delay_bars": 2, "phase1_frac": 0.1, "trim_delay": 6, "trail_speed": 1.5, "panic_trigger": 2.4, "min_ts_for_add": 0.55}'::jsonb,
    'execution levers: delay set, fractions and delays multiplied, thresholds set');
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, '{"phase1_frac": 0.2}') -> 'controls',
    '{"entry_delay_bars": 2, "phase1_frac": 0.1, "min_ts_for_add": 0.55}'::jsonb, 'absent controls stay absent') FROM base;

-- feature flags
CREATE FUNCTION pg_temp.flag(p_key text, p_value jsonb) RETURNS void LANGUAGE sql AS $$
    UPDATE learning.learning_configs SET config = jsonb_set(config, ARRAY['feature_flags', p_key], p_value) WHERE config_key = 'pm_config'
$$;
SELECT pg_temp.flag('learning_overrides_enabled', 'false');
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls', controls, 'master switch off: unchanged') FROM base;
SELECT pg_temp.flag('learning_overrides_enabled', 'true');
SELECT pg_temp.flag('learning_overrides_enabled_regimes', '["Euphoria"]');
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls', controls, 'regime not listed: unchanged') FROM base;
SELECT pg_temp.flag('learning_overrides_enabled_regimes', '["Good"]');
SELECT isnt(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls', controls, 'micro phase listed: applies') FROM base;
SELECT pg_temp.flag('learning_overrides_enabled_buckets', '["nano"]');
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls', controls, 'bucket not listed: unchanged') FROM base;
SELECT pg_temp.flag('learning_overrides_enabled_buckets', '["micro", "nano"]');
SELECT isnt(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls', controls, 'bucket listed: applies') FROM base;

-- issue 14: the candidates come pre-sorted (no sort node), documents stored at publish, telemetry rolled up
SELECT ok(NOT EXISTS (SELECT 1 FROM runtime_override WHERE strength_doc IS NULL), 'publishing stores the applied documents');
SELECT is((SELECT jsonb_build_object('s', strength_doc, 'e', execution_doc) FROM runtime_override WHERE generation = (SELECT generation FROM override_current)),
    (SELECT jsonb_build_object('s', d.strength, 'e', d.execution) FROM runtime_override AS r, _override_docs(r) AS d
     WHERE r.generation = (SELECT generation FROM override_current)), 'stored documents = learning._override_docs');
SELECT is(flush_override_decisions(), (SELECT count(*)::int FROM override_decision_buffer), 'the roll-up moves every buffered decision');
SELECT is((SELECT count(*)::int FROM override_decision_buffer), 0, 'and empties the buffer');
SELECT is((SELECT sum(decisions)::int FROM override_decision_counts WHERE mode = 'apply' AND source = 'sql'), 9,
    'every matching call so far is counted (5 of pm.o.P, 4 of pm.o.E; not the 6 that matched nothing or were flagged off)');
SELECT is((SELECT sum(execution_decisions)::int FROM override_decision_counts WHERE lesson_id = (SELECT max(id) FROM learning_lessons)), 4,
    'execution levers counted apart (pm.o.E''s four applications)');

-- shadow mode: inputs unchanged, what would have applied under "shadow", recorded with its mode
SELECT materialize_overrides('2026-06-01');
SELECT pg_temp.flag('learning_overrides_mode', '"shadow"');
CREATE TEMP TABLE sh AS SELECT resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) AS res FROM base;
SELECT is((SELECT res -> 'levers' FROM sh), (SELECT levers FROM base), 'shadow: the levers come back unchanged');
SELECT is((SELECT res -> 'controls' FROM sh), (SELECT controls FROM base), 'shadow: the controls come back unchanged');
SELECT is((SELECT res -> 'applied' FROM sh), '{"strength": null, "execution": null}'::jsonb, 'shadow: nothing applied');
SELECT is((SELECT res #> '{shadow,controls}' FROM sh), (SELECT c FROM e), 'shadow: what would have applied, as apply mode applies it');
SELECT is((SELECT res ->> 'mode' || ':' || (res ->> 'telemetry') FROM sh), 'shadow:recorded', 'shadow: mode and telemetry');
SELECT is((SELECT format('%s/%s', shadow, execution) FROM override_decision_buffer), 't/t',
    'the decision is recorded as shadow, with execution levers');
SELECT is(explain_override('pm.o.E', 'entry', :'seed_scope') ->> 'mode', 'shadow', 'explain_override says the mode');
SELECT pg_temp.flag('learning_overrides_mode', '"apply"');
SELECT pg_temp.flag('learning_overrides_mode_by_pattern', '{"pm.o.E": "shadow"}');
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) -> 'controls', controls, 'shadow for the pattern listed') FROM base;
SELECT pg_temp.flag('learning_overrides_mode_by_pattern', '{"pm.o.Other": "shadow"}');
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) ->> 'mode', 'apply', 'apply for the others') FROM base;
SELECT throws_ok($$SELECT pg_temp.flag('learning_overrides_mode', '"maybe"')$$, '22023', NULL, 'mode is apply or shadow');
SELECT throws_like($$SELECT pg_temp.flag('learning_overrides_mode_by_pattern', '{"not a key": "shadow"}')$$,
    '%learning_overrides_mode_by_pattern%', 'per-pattern modes need pattern keys; the error names the field');
-- out-of-sample scoring tells shadow decisions apart: one shadow decision, one applied (the last call), then score
SELECT pg_temp.flag('learning_overrides_mode_by_pattern', '{}');
SELECT is(score_overrides((SELECT generation FROM override_current), '2026-06-01', '2026-06-08'), 1, 'score_overrides scores the generation');
SELECT is((SELECT shadow_decisions::text || '/' || applied_decisions FROM override_score), '2/1',
    'with the decisions its telemetry recorded (2 shadow, 1 applied)');
SELECT is((SELECT mode FROM v_override_effectiveness WHERE level = 'override'), 'mixed', 'v_override_effectiveness: mixed');
SELECT materialize_overrides('2026-06-01');
SELECT pg_temp.flag('learning_overrides_mode', '"shadow"');
SELECT resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) FROM base;
SELECT score_overrides((SELECT generation FROM override_current), '2026-06-01', '2026-06-08');
SELECT is((SELECT array_agg(level || ':' || mode ORDER BY level, mode) FROM v_override_effectiveness WHERE level <> 'total'),
    ARRAY['mode:mixed', 'mode:shadow', 'override:mixed', 'override:shadow'], 'a shadow-only generation is scored as shadow');
SELECT pg_temp.flag('learning_overrides_mode', '"apply"');
-- full rows on request; a read-only transaction writes nothing
SELECT pg_temp.flag('learning_overrides_telemetry_full', 'true');
SELECT resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) FROM base;
SELECT is((SELECT count(*)::int FROM override_application WHERE source = 'primary')::text || '/' || (SELECT count(*) FROM override_decision_buffer),
    '1/0', 'telemetry_full: the before/after row instead of the compact one');
SELECT pg_temp.flag('learning_overrides_telemetry_full', 'false');
SAVEPOINT ro;
SET LOCAL transaction_read_only = on;
SELECT is(resolve_overrides('pm.o.E', 'entry', :'seed_scope', levers, controls) ->> 'telemetry', 'read_only', 'read-only: answered, nothing written') FROM base;
ROLLBACK TO SAVEPOINT ro;
-- bad arguments: the shared decision-time check (explain_override checks the pattern key too now)
SELECT throws_ok($$SELECT explain_override('bad', 'entry', '{}')$$, '22023', NULL, 'explain_override: malformed pattern key -> 22023');
SELECT throws_like($$SELECT record_override_application('pm.a', 'hold', '{}', '{}')$$, '%action_category%',
    'record_override_application names the bad category');

-- latent factors: lessons of one factor with the same scope share one evidence-weighted lever set
DELETE FROM learning_lessons;
SELECT pg_temp.lesson('pm.o.T1', '{}', 1.2, 1.0, '2026-06-01', '{}', 720, 'lf_1', 300);
SELECT pg_temp.lesson('pm.o.T2', '{}', 1.0, 1.0, '2026-06-01', '{}', 720, 'lf_1', 100);
SELECT materialize_overrides('2026-06-01');
SELECT ok(bool_and(abs(size_mult - (300 * 1.2 + 100 * 1.0) / 400) < 1e-12), 'both members get the n*strength-weighted lever')
FROM runtime_override WHERE generation = (SELECT generation FROM override_current);

-- bad input: 22023 naming the field
SELECT throws_ok(format('SELECT resolve_overrides(%L, %L, %L, %L, %L)', k, c, s, b, p), '22023', NULL, d)
FROM (VALUES ('bad', 'entry', '{}', '{"A_value": 1, "E_value": 1, "position_size_frac": 1}', '{}', 'malformed pattern key'),
             ('pm.a', 'hold', '{}', '{"A_value": 1, "E_value": 1, "position_size_frac": 1}', '{}', 'unknown category'),
             ('pm.a', 'entry', '[]', '{"A_value": 1, "E_value": 1, "position_size_frac": 1}', '{}', 'scope not an object'),
             ('pm.a', 'entry', '{}', '{"A_value": 1, "E_value": "x", "position_size_frac": 1}', '{}', 'non-numeric base lever'),
             ('pm.a', 'entry', '{}', '{"A_value": 1, "E_value": 1}', '{}', 'missing base lever'),
             ('pm.a', 'entry', '{}', '{"A_value": 1, "E_value": 1, "position_size_frac": 1}', '{"phase1_frac": "big"}', 'non-numeric control'))
     AS t (k, c, s, b, p, d);
SELECT throws_like($$SELECT resolve_overrides('pm.a', 'entry', '{}', '{"A_value": 1, "position_size_frac": 1}', '{}')$$,
    'base_levers.E_value must be a number', 'the message names the field');

-- run_job bookkeeping
SELECT is(run_job('aggregate_pattern_scope_stats', 'infinity') ->> 'status', 'failed', 'a failing job is recorded, not raised');
SELECT is((SELECT status || ':' || left(error, 5) FROM job_runs ORDER BY id DESC LIMIT 1), 'failed:22023', 'job_runs keeps the error');
SELECT throws_ok($$SELECT run_job('nope')$$, '22023', NULL, 'unknown job');
SELECT is(run_learning_cycle('2026-06-02') ->> 'ok', 'true', 'a cycle on little data runs all jobs ok');
SELECT is((SELECT array_agg(job ORDER BY id) FROM job_runs WHERE status = 'ok'),
    ARRAY['aggregate_pattern_scope_stats', 'learn_regime_weights', 'cluster_latent_factors', 'build_lessons',
          'estimate_half_lives', 'materialize_overrides', 'evaluate_alerts', 'fold_in_closes'], 'in dependency order');

SELECT * FROM finish();
ROLLBACK;
