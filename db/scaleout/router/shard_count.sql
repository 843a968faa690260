/*
 * scaleout.shard_count() -> integer   [router]
 *
 * Issue 16: the number of shards of the PL/Proxy cluster pglearn_shards (its partition_<i> options); 0 before
 * scaleout.set_shards.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_count()
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*)::integer
    FROM pg_catalog.pg_foreign_server AS s, unnest(s.srvoptions) AS o (opt)
    WHERE s.srvname = 'pglearn_shards' AND o.opt LIKE 'partition\_%'
$$;
COMMENT ON FUNCTION scaleout.shard_count() IS 'Issue 16 (router): the number of shards of the PL/Proxy cluster pglearn_shards.';
REVOKE ALL ON FUNCTION scaleout.shard_count() FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_count() TO pglearn_pm, pglearn_admin, pglearn_reader;
