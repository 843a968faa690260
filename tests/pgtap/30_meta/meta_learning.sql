-- v5.2 half-lives (PL/Python curve_fit) with retention, and v5.3 latent factors (PL/Python clustering).
\ir ../fixtures.psql
SELECT plan(30);

-- _fit_half_life on planted series
SELECT ok(abs(_fit_half_life(ARRAY(SELECT i * 12.0 FROM generate_series(0, 11) AS i),
                             ARRAY(SELECT 1.7 * exp(-ln(2) / 200.0 * i * 12) FROM generate_series(0, 11) AS i), 720, 24, 8760) - 200) < 10,
    'a known lambda is recovered within 5 % (half-life 200 h)');
SELECT ok(abs(_fit_half_life(ARRAY(SELECT i * 24.0 FROM generate_series(0, 7) AS i),
                             ARRAY(SELECT -0.9 * exp(-ln(2) / 60.0 * i * 24) * (1 + 0.01 * (i % 2)) FROM generate_series(0, 7) AS i),
                             720, 24, 8760) - 60) < 3, 'a negative, slightly noisy edge decays too (60 h)');
SELECT is(_fit_half_life('{0, 24, 48, 72}', '{1, 0.5, 0.25, 0.125}', 720, 24, 8760), 720::float, 'fewer than 5 points -> default');
SELECT is(_fit_half_life('{0, 24, 48, 72, 96}', '{0.8, 0.8, 0.8, 0.8, 0.8}', 720, 24, 8760), 8760::float, 'a flat edge -> upper bound');
SELECT is(_fit_half_life('{0, 24, 48, 72, 96}', '{0.5, 0.6, 0.7, 0.8, 0.9}', 720, 24, 8760), 8760::float, 'a growing edge -> upper bound');
SELECT is(_fit_half_life(ARRAY(SELECT i * 1.0 FROM generate_series(0, 9) AS i),
                         ARRAY(SELECT exp(-i * 1.0) FROM generate_series(0, 9) AS i), 720, 24, 8760), 24::float,
    'a half-life below the floor is clamped to 24 h');

-- estimate_half_lives: lessons read their own series
INSERT INTO learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, effect,
                              lesson_strength, last_epoch, last_confirmed_at)
VALUES ('pm.m.fade', 'entry', 0, md5('{}'), '{}', '{}', '{"capital_levers": {}, "execution_levers": {}}', 0.5, now(), now()),
       ('pm.m.thin', 'entry', 0, md5('{}'), '{}', '{}', '{"capital_levers": {}, "execution_levers": {}}', 0.5, now(), now());
-- the fit reads the trailing-window series (window_days = edge_window_days); cumulative points of the same scope
-- that do not decay are ignored
INSERT INTO learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n, window_days)
SELECT 'pm.m.fade', 'entry', md5('{}'), 2 * exp(-ln(2) / 336.0 * i * 168), '2026-01-05'::timestamptz + i * interval '1 week', 100, 28
FROM generate_series(0, 7) AS i
UNION ALL
SELECT 'pm.m.fade', 'entry', md5('{}'), 2.0, '2026-01-05'::timestamptz + i * interval '1 week' + interval '1 hour', 100, NULL
FROM generate_series(0, 7) AS i
UNION ALL
SELECT 'pm.m.thin', 'entry', md5('{}'), 1.0 / (i + 1), '2026-01-05'::timestamptz + i * interval '1 week', 100, 28
FROM generate_series(0, 2) AS i;
SELECT is(estimate_half_lives('2026-03-01'), 1, 'one lesson gets a fitted half-life');
SELECT ok((SELECT abs(decay_halflife_hours - 336) <= 17 FROM learning_lessons WHERE pattern_key = 'pm.m.fade'),
    'the fading lesson: 336 h within 5 %');
SELECT is((SELECT decay_halflife_hours FROM learning_lessons WHERE pattern_key = 'pm.m.thin'), 720, 'three points: the default stays');

-- retention: older than edge_history_full_days (30) thinned to the last snapshot per series and day
INSERT INTO learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n)
SELECT 'pm.m.ret', 'entry', 'sig', i, '2025-10-01'::timestamptz + i * interval '6 hours', 10 FROM generate_series(0, 11) AS i
UNION ALL
SELECT 'pm.m.ret', 'entry', 'sig', i, '2026-02-20'::timestamptz + i * interval '6 hours', 10 FROM generate_series(0, 7) AS i;
SELECT estimate_half_lives('2026-03-01');
SELECT is((SELECT count(*)::int FROM learning_edge_history WHERE pattern_key = 'pm.m.ret' AND ts < '2026-01-01'), 3,
    'old snapshots: one per day (3 days) kept');
SELECT is((SELECT edge_raw FROM learning_edge_history WHERE pattern_key = 'pm.m.ret' AND ts < '2025-10-02'), 3::float,
    'the last snapshot of the day is the one kept');
SELECT is((SELECT count(*)::int FROM learning_edge_history WHERE pattern_key = 'pm.m.ret' AND ts >= '2026-02-01'), 8,
    'recent snapshots are all kept');

-- latent factors: A and B fire on the same trades, C and D independently, base on every trade
CREATE FUNCTION pg_temp.fire(p_i int, p_pattern text) RETURNS void LANGUAGE sql AS $$
    SELECT learning.log_action('t' || p_i, p_pattern, 'E1',
        '{"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro", "bucket_rank_position": 1,
          "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h", "A_mode": "normal", "E_mode": "aggressive"}',
        '{"signals": {}, "applied_knobs": {}}', '2026-02-01'::timestamptz + p_i * interval '1 hour')
$$;
SELECT pg_temp.fire(i, 'pm.c.base') FROM generate_series(0, 59) AS i;
SELECT pg_temp.fire(i, 'pm.c.A') FROM generate_series(0, 59) AS i WHERE i % 5 = 0;
SELECT pg_temp.fire(i, 'pm.c.B') FROM generate_series(0, 59) AS i WHERE i % 5 = 0;
SELECT pg_temp.fire(i, 'pm.c.C') FROM generate_series(0, 59) AS i WHERE i % 2 = 0;
SELECT pg_temp.fire(i, 'pm.c.D') FROM generate_series(0, 59) AS i WHERE i % 3 = 0;
SELECT close_trade('t' || i, 1.0, '2026-02-01'::timestamptz + i * interval '1 hour' + interval '30 minutes') FROM generate_series(0, 59) AS i;
INSERT INTO learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims, scope_values, effect,
                              lesson_strength, last_epoch, last_confirmed_at)
VALUES ('pm.c.A', 'entry', 0, md5('{}'), '{}', '{}', '{"capital_levers": {}, "execution_levers": {}}', 0.5, now(), now());

SELECT is(cluster_latent_factors('2026-03-01'), 4, 'A+B, C, D, base: four factors');
SELECT is((SELECT pattern_keys FROM learning_latent_factors WHERE 'pm.c.A' = ANY (pattern_keys)), ARRAY['pm.c.A', 'pm.c.B'],
    'patterns that always fire together share a factor');
SELECT is((SELECT count(*)::int FROM learning_latent_factors WHERE cardinality(pattern_keys) = 1), 3,
    'independent patterns (phi = 0) are their own factors');
SELECT is((SELECT (correlation_matrix -> 'pm.c.A' ->> 'pm.c.B')::float FROM learning_latent_factors WHERE 'pm.c.A' = ANY (pattern_keys)),
    1::float, 'the factor keeps its members'' pairwise phi');
SELECT is((SELECT latent_factor_id FROM learning_lessons WHERE pattern_key = 'pm.c.A'),
    (SELECT factor_id FROM learning_latent_factors WHERE 'pm.c.A' = ANY (pattern_keys)), 'lessons carry their factor id');
CREATE TEMP TABLE ids AS SELECT factor_id FROM learning_latent_factors;
SELECT cluster_latent_factors('2026-03-01');
SELECT set_eq('SELECT factor_id FROM learning_latent_factors', 'SELECT factor_id FROM ids', 'factor ids are stable on a re-run');

-- the clustering itself (_cluster_patterns) computes from the arrays it is given and writes nothing:
-- A and B fire on trades 0-2, C on 3-4 (of 6); the second input is the same incidence shuffled, one pair repeated
CREATE TEMP TABLE pure AS
SELECT (c).factors AS factors, (c).linkage AS linkage, (d).factors AS factors2, (d).linkage AS linkage2
FROM (SELECT _cluster_patterns('{pm.p.A,pm.p.B,pm.p.C}', '{1,1,1,2,2,2,3,3}', '{0,1,2,0,1,2,3,4}', 6, 0.3) AS c,
             _cluster_patterns('{pm.p.A,pm.p.B,pm.p.C}', '{3,2,1,3,2,1,1,2,1}', '{4,2,2,3,1,1,0,0,0}', 6, 0.3) AS d) AS x;
SELECT is((SELECT ARRAY(SELECT (f -> 'pattern_keys')::text FROM jsonb_array_elements(factors) AS f ORDER BY 1) FROM pure),
    ARRAY['["pm.p.A", "pm.p.B"]', '["pm.p.C"]'], '_cluster_patterns: patterns that fire together form one factor, the other its own');
SELECT is((SELECT jsonb_build_array(factors2, linkage2) FROM pure), (SELECT jsonb_build_array(factors, linkage) FROM pure),
    '_cluster_patterns: the same input (in any order, a pair repeated) gives the same factors and linkage');
CREATE TEMP TABLE before_pure AS
SELECT (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.factor_id) FROM learning_latent_factors AS f) AS factors,
       (SELECT to_jsonb(l) FROM latent_factor_linkage AS l) AS linkage,
       (SELECT jsonb_agg(jsonb_build_array(l.id, l.latent_factor_id) ORDER BY l.id) FROM learning_lessons AS l) AS lessons;
SELECT (_cluster_patterns('{pm.c.A,pm.c.C}', '{1,2}', '{0,0}', 2, 0.3)).factors IS NOT NULL AS called;
SELECT ok((SELECT p.provolatile = 'i' FROM pg_proc AS p
           WHERE p.oid = 'learning._cluster_patterns(text[], integer[], integer[], integer, double precision)'::regprocedure)
          AND (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.factor_id) FROM learning_latent_factors AS f) = (SELECT factors FROM before_pure)
          AND (SELECT to_jsonb(l) FROM latent_factor_linkage AS l) = (SELECT linkage FROM before_pure)
          AND (SELECT jsonb_agg(jsonb_build_array(l.id, l.latent_factor_id) ORDER BY l.id) FROM learning_lessons AS l)
              = (SELECT lessons FROM before_pure),
    '_cluster_patterns writes nothing: immutable (its SPI is read-only), factors, linkage and lessons unchanged');

SELECT throws_ok(format('SELECT learning.%I(%L)', j, 'infinity'), '22023', NULL, j || ': as_of must be finite')
FROM unnest(ARRAY['aggregate_pattern_scope_stats', 'learn_regime_weights', 'cluster_latent_factors', 'build_lessons',
                  'estimate_half_lives', 'materialize_overrides']) AS j;

-- a missing scipy gives a clear error naming the Debian packages, not a traceback (simulated in this session)
DO LANGUAGE plpython3u $$
import sys
sys.modules["scipy.optimize"] = None
$$;
SELECT throws_ok($$SELECT learning._fit_half_life('{0,1,2,3,4}', '{5,4,3,2,1}', 720, 24, 8760)$$, '0A000',
    NULL, 'missing scipy -> 0A000');
CREATE FUNCTION pg_temp.hint_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    RETURN v_hint;
END;
$$;
SELECT matches(pg_temp.hint_of($$SELECT learning._fit_half_life('{0,1,2,3,4}', '{5,4,3,2,1}', 720, 24, 8760)$$),
    'apt-get install python3-numpy python3-scipy', 'the hint names the Debian packages');
DO LANGUAGE plpython3u $$
import sys
del sys.modules["scipy.optimize"]
$$;
SELECT is(_fit_half_life('{0, 24, 48, 72, 96}', '{0.8, 0.8, 0.8, 0.8, 0.8}', 720, 24, 8760), 8760::float, 'and works again once importable');

SELECT * FROM finish();
ROLLBACK;
