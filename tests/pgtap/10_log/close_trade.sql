-- Closing trades: learning.close_trade and the completed_trades_validate trigger.
\ir ../fixtures.psql
SELECT plan(29);

SELECT log_action('p1', 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls', '2026-03-01 00:00+00');
SELECT log_action('p1', 'pm.uptrend.S1.buy_flag', 'add', :'seed_scope', :'seed_controls', '2026-03-01 06:00+00');
SELECT log_action('p2', 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls', '2026-03-02 00:00+00');

SELECT lives_ok($$SELECT close_trade('p1', 2.5, '2026-03-02 12:00+00', '{"cf_entry_delay_bars": 2, "cf_exit_direction": "later", "cf_exit_gain_rr": 0.3, "note": "x"}')$$,
    'close_trade records an outcome with counterfactuals');
SELECT is((SELECT first_action_at FROM completed_trades WHERE position_id = 'p1'), '2026-03-01 00:00+00'::timestamptz,
    'first_action_at is the first logged action');
SELECT is((SELECT hold_hours FROM completed_trades WHERE position_id = 'p1'), 36.0::float, 'hold_hours = closed_at - first action, in hours');
SELECT is((SELECT details ->> 'cf_exit_direction' FROM completed_trades WHERE position_id = 'p1'), 'later', 'details are stored');

CREATE TEMP TABLE before_count AS SELECT count(*) AS n FROM completed_trades;
SELECT throws_ok(format('SELECT close_trade(%L, %L)', 'p2', v), '22023', NULL, 'rr ' || v || ' -> 22023')
FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity']) AS v;
SELECT throws_ok($$SELECT close_trade('p2', 'NaN')$$, '22023', NULL, 'rr NaN -> 22023');
SELECT throws_like($$SELECT close_trade('p2', 'Infinity')$$, 'rr = Infinity is not a finite number within +/- %', 'the message names rr');
SELECT throws_ok($$SELECT close_trade('p2', NULL)$$, '22023', NULL, 'rr NULL -> 22023');
SELECT throws_ok($$SELECT close_trade('nope', 1.0)$$, 'LR003', NULL, 'closing an unknown position -> LR003');
SELECT throws_ok($$SELECT close_trade('p1', 1.0, '2026-03-03')$$, '23505', NULL, 'closing a position twice -> 23505');
SELECT throws_like($$SELECT close_trade('p1', 1.0, '2026-03-03')$$, 'position_id ''p1'' is already closed', 'the message names the position');
SELECT throws_ok($$SELECT close_trade('p2', 1.0, '2026-03-01 23:00+00')$$, '22023', NULL, 'closed_at before the first action -> 22023');
SELECT throws_ok(format('SELECT close_trade(%L, 1.0, %L, %L)', 'p2', '2026-03-03', d), '22023', NULL, 'bad details ' || d || ' -> 22023')
FROM unnest(ARRAY['[]', '{"cf_entry_delay_bars": 6}', '{"cf_entry_delay_bars": 1.5}', '{"cf_entry_delay_bars": "2"}',
                  '{"cf_exit_direction": "sideways"}', '{"cf_entry_gain_rr": "big"}', '{"cf_entry_delay": 1}']) AS d;
SELECT throws_ok($$SELECT close_trade('p2', 1.0, '2026-03-03', NULL)$$, '22023', NULL, 'details NULL -> 22023');
SELECT is((SELECT count(*) FROM completed_trades), (SELECT n FROM before_count), 'failed closes wrote nothing');

-- an outcome can be corrected (UPDATE goes through the same validation)
SELECT lives_ok($$UPDATE completed_trades SET rr = 2.0 WHERE position_id = 'p1'$$, 'an outcome can be corrected');
SELECT throws_ok($$UPDATE completed_trades SET rr = 'NaN' WHERE position_id = 'p1'$$, '22023', NULL, 'a correction is validated too');

-- COPY backfill: validated, first_action_at derived, a bad line loads nothing of the batch
SELECT lives_ok($$COPY completed_trades (position_id, closed_at, rr, details) FROM PROGRAM 'printf "p2\t2026-03-04 00:00+00\t-1.0\t{}\n"'$$,
    'COPY of a valid trade loads');
SELECT is((SELECT hold_hours FROM completed_trades WHERE position_id = 'p2'), 48.0::float, 'COPY derives hold_hours');
SELECT log_action('p3', 'pm.uptrend.S1.buy_flag', 'E1', :'seed_scope', :'seed_controls', '2026-03-02 00:00+00');
SELECT throws_ok($$COPY completed_trades (position_id, closed_at, rr, details) FROM PROGRAM 'printf "p3\t2026-03-04\t1.0\t{}\nzz\t2026-03-04\t1.0\t{}\n"'$$,
    'LR003', NULL, 'COPY with an unknown position on line 2 -> LR003');
SELECT is((SELECT count(*) FROM completed_trades WHERE position_id = 'p3'), 0::bigint, 'nothing of the failed batch is loaded');

SELECT * FROM finish();
ROLLBACK;
