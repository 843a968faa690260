/*
 * The router's PL/Proxy calls of the shard side of db/scaleout/shard/ (issue 16), cluster pglearn_shards:
 *   scaleout.shard_actions(p_after)  RUN ON ALL: every shard's actions above p_after[shard + 1] (re-sharding export)
 *   scaleout.shard_trades()   RUN ON ALL: every shard's closed trades (re-sharding export)
 *   scaleout.shard_close_trade(position_id, rr, closed_at, details)  RUN ON ALL: each shard closes the position if
 *       it holds one of its actions (1) or does nothing (0)
 *   scaleout.shard_receive(p_shard, p_tables)  RUN ON p_shard: the hand-off of the learned tables to one shard
 *   scaleout.shard_summary / shard_tests / shard_choose / shard_record / shard_fold_in  RUN ON ALL: the rounds of
 *       the shard-local learning cycle (scaleout.run_learning_cycle)
 * A call RUN ON ALL runs on the shards in parallel, each in its own transaction on its shard (PL/Proxy has no
 * cross-shard transaction): a shard's error is raised on the router with its SQLSTATE.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_actions(p_after bigint[])
RETURNS TABLE (
    id bigint, position_id text, ts timestamptz, pattern_key text, action_type text, scope jsonb, controls jsonb
)
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_actions(bigint[]) IS
'Router (issue 16): the actions of all shards above the router''s high-water mark for each (p_after[shard + 1]).';
REVOKE ALL ON FUNCTION scaleout.shard_actions(bigint[]) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_actions(bigint[]) TO pglearn_admin;

CREATE OR REPLACE FUNCTION scaleout.shard_trades()
RETURNS TABLE (position_id text, closed_at timestamptz, rr double precision, details jsonb)
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_trades() IS 'Router (issue 16): the closed trades of all shards (a trade spanning shards once per shard).';
REVOKE ALL ON FUNCTION scaleout.shard_trades() FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_trades() TO pglearn_admin;

CREATE OR REPLACE FUNCTION scaleout.shard_close_trade(position_id text, rr double precision, closed_at timestamptz, details jsonb)
RETURNS SETOF integer
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_close_trade(text, double precision, timestamptz, jsonb) IS
'Router (issue 16): closes a position on every shard holding one of its actions; one 1 (closed) or 0 per shard.';
REVOKE ALL ON FUNCTION scaleout.shard_close_trade(text, double precision, timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_close_trade(text, double precision, timestamptz, jsonb) TO pglearn_pm;

CREATE OR REPLACE FUNCTION scaleout.shard_receive(p_shard integer, p_tables jsonb)
RETURNS integer
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON p_shard;
    SELECT scaleout.shard_receive(p_tables);
$$;
COMMENT ON FUNCTION scaleout.shard_receive(integer, jsonb) IS 'Router (issue 16): hands the learned tables to shard p_shard.';
REVOKE ALL ON FUNCTION scaleout.shard_receive(integer, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_receive(integer, jsonb) TO pglearn_admin;

-- the shard-local learning cycle (issue 16): the rounds of scaleout.run_learning_cycle (db/scaleout/shard/shard_summary.sql and the files it names)
CREATE OR REPLACE FUNCTION scaleout.shard_summary(p_as_of timestamptz)
RETURNS SETOF jsonb
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_summary(timestamptz) IS 'Router (issue 16): round 1 of the cycle on every shard, its summaries.';
REVOKE ALL ON FUNCTION scaleout.shard_summary(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_summary(timestamptz) TO pglearn_admin;

CREATE OR REPLACE FUNCTION scaleout.shard_tests(p_as_of timestamptz, p_pins jsonb)
RETURNS SETOF jsonb
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_tests(timestamptz, jsonb) IS 'Router (issue 16): round 2 of the cycle on every shard (pins, cube, regime weights, tests).';
REVOKE ALL ON FUNCTION scaleout.shard_tests(timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_tests(timestamptz, jsonb) TO pglearn_admin;

CREATE OR REPLACE FUNCTION scaleout.shard_choose(p_as_of timestamptz, p_doc jsonb)
RETURNS SETOF jsonb
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_choose(timestamptz, jsonb) IS 'Router (issue 16): round 3 of the cycle on every shard (the per-pattern choice with the router''s q-values).';
REVOKE ALL ON FUNCTION scaleout.shard_choose(timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_choose(timestamptz, jsonb) TO pglearn_admin;

CREATE OR REPLACE FUNCTION scaleout.shard_record(p_as_of timestamptz, p_doc jsonb)
RETURNS SETOF jsonb
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_record(timestamptz, jsonb) IS 'Router (issue 16): round 4 of the cycle on every shard (its candidates, its lessons'' window edges).';
REVOKE ALL ON FUNCTION scaleout.shard_record(timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_record(timestamptz, jsonb) TO pglearn_admin;

CREATE OR REPLACE FUNCTION scaleout.shard_fold_in(p_as_of timestamptz)
RETURNS SETOF integer
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION scaleout.shard_fold_in(timestamptz) IS 'Router (issue 16): the last step of the cycle on every shard (fold-in of the closes after as_of).';
REVOKE ALL ON FUNCTION scaleout.shard_fold_in(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_fold_in(timestamptz) TO pglearn_admin;
