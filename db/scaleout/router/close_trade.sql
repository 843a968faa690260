/*
 * learning.close_trade(position_id, rr, closed_at, details) -> void   [router]
 *
 * Issue 16: a trade is attributed to all its actions, which may carry pattern keys owned by different shards. The
 * router closes it on every shard that holds one of its actions (scaleout.shard_close_trade, RUN ON ALL), with the
 * same validation and errors as on one node (raised by the shards with their SQLSTATE), and raises LR003 when no
 * shard holds an action of the position. Replaces the router's local function (re-applied after every migrate).
 * Not atomic across shards (PL/Proxy has no cross-shard transaction): the validation is deterministic, so a
 * bad call fails on every shard alike; docs/operations.md, "Scaling out", says what else differs from one node.
 */
CREATE OR REPLACE FUNCTION learning.close_trade(
    position_id text, rr double precision, closed_at timestamptz DEFAULT now(), details jsonb DEFAULT '{}'
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    IF (SELECT coalesce(sum(c.closed), 0)
        FROM scaleout.shard_close_trade(close_trade.position_id, close_trade.rr, close_trade.closed_at,
                                        close_trade.details) AS c (closed)) = 0 THEN
        RAISE EXCEPTION 'position_id % has no logged action', coalesce(quote_literal(close_trade.position_id), 'NULL')
            USING ERRCODE = 'LR003', HINT = 'Log the position''s actions with learning.log_action before closing it.';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning.close_trade(text, double precision, timestamptz, jsonb) IS
'Router (issue 16): closes the position on every shard holding one of its actions. Errors: 22023, 23505, LR003 (docs/api.md).';
REVOKE ALL ON FUNCTION learning.close_trade(text, double precision, timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.close_trade(text, double precision, timestamptz, jsonb) TO pglearn_pm;
