/*
 * scaleout.shard_trades() -> TABLE (position_id, closed_at, rr, details)   [shard]
 *
 * Issue 16: the shard's closed trades (RUN ON ALL from the router), the export of a re-sharding (docs/operations.md
 * "Scaling out"). A trade whose actions live on several shards was closed on each of them with the same values
 * (learning.close_trade on the router): keep one row per position.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_trades()
RETURNS TABLE (position_id text, closed_at timestamptz, rr double precision, details jsonb)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT t.position_id, t.closed_at, t.rr, t.details FROM learning.completed_trades AS t
$$;
COMMENT ON FUNCTION scaleout.shard_trades() IS
'Issue 16 (shard side): the shard''s closed trades for the router''s learning cycle.';
REVOKE ALL ON FUNCTION scaleout.shard_trades() FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_trades() TO pglearn_admin;
