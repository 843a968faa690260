/*
 * scaleout.shard_close_trade(position_id, rr, closed_at, details) -> integer   [shard]
 *
 * Issue 16: closes a position on this shard (learning.close_trade, same validation and errors) when the shard holds
 * one of its actions; returns 1 if it closed it, 0 if the shard holds none of its actions. The router's
 * learning.close_trade calls it on each shard that holds an action of the position.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_close_trade(position_id text, rr double precision, closed_at timestamptz, details jsonb)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM learning.action_log AS a WHERE a.position_id = shard_close_trade.position_id) THEN
        RETURN 0;
    END IF;
    PERFORM learning.close_trade(shard_close_trade.position_id, shard_close_trade.rr, shard_close_trade.closed_at,
                                 shard_close_trade.details);
    RETURN 1;
END;
$$;
COMMENT ON FUNCTION scaleout.shard_close_trade(text, double precision, timestamptz, jsonb) IS
'Issue 16 (shard side): learning.close_trade on this shard if it holds an action of the position; 1 if closed, 0 if not.';
REVOKE ALL ON FUNCTION scaleout.shard_close_trade(text, double precision, timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_close_trade(text, double precision, timestamptz, jsonb) TO pglearn_pm;
