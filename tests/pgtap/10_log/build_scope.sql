-- CAP bucket regime inputs: regime_context and build_scope (roadmap 3.2) on fixtures.
\ir ../fixtures.psql
SELECT plan(17);

INSERT INTO phase_state (ts, macro_phase, meso_phase, micro_phase) VALUES
('2026-04-01', 'Dip', 'Dip', 'Dip'),
('2026-04-10', 'Recover', 'Dip', 'Good');
INSERT INTO phase_state_bucket (ts, bucket, phase, rank_position, population) VALUES
('2026-04-01', 'nano', 'Dip', 1, 40), ('2026-04-01', 'micro', 'Dip', 2, 30), ('2026-04-01', 'mid', 'Dip', 3, 20), ('2026-04-01', 'big', 'Dip', 4, 10),
('2026-04-10', 'micro', 'Good', 1, 35), ('2026-04-10', 'mid', 'Recover', 2, 22), ('2026-04-10', 'nano', 'Dip', 3, 38), ('2026-04-10', 'big', 'Dip', 4, 9);
INSERT INTO token_cap_bucket (token, valid_from, bucket) VALUES
('TOK', '2026-04-01', 'nano'), ('TOK', '2026-04-09', 'micro'), ('LATE', '2026-05-01', 'mid');

SELECT is(regime_context('2026-04-05') ->> 'macro_phase', 'Dip', 'regime_context takes the latest phase at or before as_of');
SELECT is(regime_context('2026-04-12') -> 'bucket_rank', '["micro", "mid", "nano", "big"]'::jsonb, 'bucket_rank is ordered by rank');
SELECT is(regime_context('2026-04-12') -> 'bucket_phases' ->> 'mid', 'Recover', 'bucket_phases per bucket');
SELECT is((regime_context('2026-04-12') -> 'bucket_population' ->> 'nano')::int, 38, 'bucket_population per bucket');

SELECT is(build_scope('TOK', '1h', 'lowcaps', 'normal', 'aggressive', '2026-04-12'), :'seed_scope'::jsonb,
    'build_scope reproduces the seed scope (leader micro, token in micro at rank 1)');
SELECT is(build_scope('TOK', '4h', 'lowcaps', 'patient', 'normal', '2026-04-05'),
    '{"macro_phase": "Dip", "meso_phase": "Dip", "micro_phase": "Dip", "bucket_leader": "nano", "bucket_rank_position": 1,
      "market_family": "lowcaps", "bucket": "nano", "timeframe": "4h", "A_mode": "patient", "E_mode": "normal"}'::jsonb,
    'build_scope as of an earlier time uses the state then');
SELECT is(build_scope('TOK', '1h', 'lowcaps', 'normal', 'normal', '2026-04-09 12:00') ->> 'bucket_rank_position', '2',
    'bucket_rank_position is the 1-based index of the token''s bucket');
SELECT lives_ok(format('SELECT log_action(%L, %L, %L, %L, %L)', 'p1', 'pm.a', 'E1',
    build_scope('TOK', '1h', 'lowcaps', 'normal', 'aggressive', '2026-04-12'), :'seed_controls'), 'a built scope is loggable');

SELECT throws_ok($$SELECT regime_context('2026-03-01')$$, 'LR004', NULL, 'no phase state before as_of -> LR004');
SELECT throws_ok($$SELECT build_scope('NOPE', '1h', 'lowcaps', 'normal', 'normal', '2026-04-12')$$, 'LR004', NULL, 'unknown token -> LR004');
SELECT throws_ok($$SELECT build_scope('LATE', '1h', 'lowcaps', 'normal', 'normal', '2026-04-12')$$, 'LR004', NULL, 'token without a bucket yet -> LR004');
SELECT throws_ok($$SELECT build_scope('TOK', '2h', 'lowcaps', 'normal', 'normal', '2026-04-12')$$, '22023', NULL, 'timeframe outside the registry -> 22023');
SELECT throws_ok($$SELECT build_scope('TOK', '1h', 'lowcaps', 'reckless', 'normal', '2026-04-12')$$, '22023', NULL, 'A_mode outside the registry -> 22023');
SELECT throws_ok($$SELECT build_scope('TOK', '1h', 'lowcaps', 'normal', 'normal', '2026-03-01')$$, 'LR004',
    'no phase_state at or before 2026-03-01 00:00:00+00', 'no phase state -> LR004 naming it');
DELETE FROM phase_state_bucket WHERE ts = '2026-04-10' AND bucket = 'micro';
SELECT throws_ok($$SELECT build_scope('TOK', '1h', 'lowcaps', 'normal', 'normal', '2026-04-12')$$, 'LR004',
    'the bucket of token TOK is not in the bucket ranking at 2026-04-12 00:00:00+00', 'a bucket missing from the ranking -> LR004');

-- learning._scopes: the same rule set-based (the generator's bulk path), row for row, and what is missing
SELECT is(ARRAY(SELECT s.scope FROM learning._scopes(ARRAY['TOK', 'TOK', 'TOK'], ARRAY['4h', '1h', '1h'],
                    ARRAY['lowcaps', 'lowcaps', 'majors'], ARRAY['patient', 'normal', 'normal'], ARRAY['normal', 'normal', 'aggressive'],
                    ARRAY['2026-04-05', '2026-04-09 12:00', '2026-04-02']::timestamptz []) AS s ORDER BY s.ord),
    ARRAY[build_scope('TOK', '4h', 'lowcaps', 'patient', 'normal', '2026-04-05'),
          build_scope('TOK', '1h', 'lowcaps', 'normal', 'normal', '2026-04-09 12:00'),
          build_scope('TOK', '1h', 'majors', 'normal', 'aggressive', '2026-04-02')],
    '_scopes gives build_scope''s scope for each row, in order');
SELECT is(ARRAY(SELECT coalesce(s.missing, 'none') FROM learning._scopes(ARRAY['TOK', 'NOPE', 'TOK', 'TOK'], ARRAY['1h', '1h', '1h', '1h'],
                    ARRAY['lowcaps', 'lowcaps', 'lowcaps', 'lowcaps'], ARRAY['normal', 'normal', 'normal', 'normal'],
                    ARRAY['normal', 'normal', 'normal', 'normal'],
                    ARRAY['2026-04-05', '2026-04-05', '2026-03-01', '2026-04-12']::timestamptz []) AS s ORDER BY s.ord),
    ARRAY['none', 'token', 'phase_state', 'bucket_rank'], '_scopes names the missing input per row (scope NULL)');

SELECT * FROM finish();
ROLLBACK;
