/*
 * scaleout.shard_actions(p_after bigint[]) -> TABLE (id, position_id, ts, pattern_key, action_type, scope, controls)
 *                                                                                                              [shard]
 * Issue 16: the shard's actions with an id above p_after[shard + 1] (PL/Proxy RUN ON ALL from the router): the
 * export of a re-sharding (docs/operations.md "Scaling out"; the learning cycle no longer gathers facts). The shard
 * reads its index from its action ids' layout (scaleout.shard_layout: ids shard + 1 + k * shards).
 */
CREATE OR REPLACE FUNCTION scaleout.shard_actions(p_after bigint[])
RETURNS TABLE (
    id bigint, position_id text, ts timestamptz, pattern_key text, action_type text, scope jsonb, controls jsonb
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT a.id, a.position_id, a.ts, a.pattern_key, a.action_type, a.scope, a.controls
    FROM learning.action_log AS a
    WHERE a.id > coalesce(p_after[(SELECT s.seqstart::integer
                                   FROM pg_catalog.pg_sequence AS s
                                   WHERE s.seqrelid = pg_catalog.pg_get_serial_sequence('learning.action_log', 'id')::regclass)], 0)
    ORDER BY a.id
$$;
COMMENT ON FUNCTION scaleout.shard_actions(bigint[]) IS
'Issue 16 (shard side): the shard''s actions above the router''s high-water mark for it, for the router''s learning cycle.';
REVOKE ALL ON FUNCTION scaleout.shard_actions(bigint[]) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_actions(bigint[]) TO pglearn_admin;
