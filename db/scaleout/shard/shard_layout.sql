/*
 * scaleout.shard_layout(p_shard integer, p_shards integer) -> integer   [shard]
 *
 * Issue 16: makes this database shard p_shard of p_shards (pglearn.scaleout.deploy calls it). The layout lives in
 * the action log's identity: shard i numbers its actions i + 1, i + 1 + shards, i + 1 + 2 * shards, ... so action ids
 * are unique across shards (log_action on the router returns one id space) and an export reads each shard from its
 * own high-water mark (scaleout.shard_actions). The cube's stats ids are numbered
 * p_shard + 1 modulo p_shards as well (unique across shards, not one node's). Returns p_shard.
 * Errors: 22023 when p_shard is not in [0, p_shards) or p_shards is not a power of two; 55000 when the shard
 * already holds actions numbered under another layout (re-sharding: docs/operations.md, "Scaling out").
 */
CREATE OR REPLACE FUNCTION scaleout.shard_layout(p_shard integer, p_shards integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_start bigint;
    v_step bigint;
BEGIN
    IF p_shards IS NULL OR p_shards < 1 OR p_shards & (p_shards - 1) <> 0 OR p_shard IS NULL OR p_shard < 0 OR p_shard >= p_shards THEN
        RAISE EXCEPTION 'shard % of % is not a shard layout', p_shard, p_shards
            USING ERRCODE = '22023', HINT = 'p_shards is a power of two and p_shard is in [0, p_shards).';
    END IF;
    -- the cube's stats ids too (the router collects the shards' tests by stats id): the next id = shard + 1
    -- modulo shards, above every id the shard holds
    EXECUTE format('ALTER SEQUENCE %s INCREMENT BY %s RESTART WITH %s',
                   pg_catalog.pg_get_serial_sequence('learning.pattern_scope_stats', 'id'), p_shards,
                   (SELECT (coalesce(max(s.id), 0) / p_shards + 1) * p_shards + p_shard + 1 FROM learning.pattern_scope_stats AS s));
    SELECT s.seqstart, s.seqincrement INTO v_start, v_step
    FROM pg_catalog.pg_sequence AS s
    WHERE s.seqrelid = pg_catalog.pg_get_serial_sequence('learning.action_log', 'id')::regclass;
    IF (v_start, v_step) = (p_shard + 1, p_shards) THEN
        RETURN p_shard;
    END IF;
    IF EXISTS (SELECT 1 FROM learning.action_log) THEN
        RAISE EXCEPTION 'this shard holds actions numbered as shard % of % (ids %, %, ...), not as shard % of %',
            v_start - 1, v_step, v_start, v_start + v_step, p_shard, p_shards
            USING ERRCODE = '55000', HINT = 'Re-sharding moves the actions into new shards: docs/operations.md, "Scaling out".';
    END IF;
    EXECUTE format('ALTER TABLE learning.action_log ALTER COLUMN id SET INCREMENT BY %s SET START WITH %s RESTART',
                   p_shards, p_shard + 1);
    RETURN p_shard;
END;
$$;
COMMENT ON FUNCTION scaleout.shard_layout(integer, integer) IS
'Issue 16 (shard side): numbers this shard''s actions p_shard + 1 + k * p_shards (ids unique across shards); 55000 if it already holds others.';
REVOKE ALL ON FUNCTION scaleout.shard_layout(integer, integer) FROM public;
