/*
 * scaleout.shard_of(pattern_key text, shards integer) -> integer   [router]
 *
 * Issue 16: the shard that owns a pattern among `shards` (a power of two, scaleout.shard_count()), as PL/Proxy's
 * RUN ON hashtext(pattern_key) picks it: the hash's low bits, hashtext(pattern_key) & (shards - 1). The one place
 * the router's own code computes a pattern's shard; an inlinable expression, cheap per row.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_of(pattern_key text, shards integer)
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT hashtext(shard_of.pattern_key) & (shard_of.shards - 1)
$$;
COMMENT ON FUNCTION scaleout.shard_of(text, integer) IS
'Issue 16 (router): the shard owning a pattern among shards (a power of two), hashtext(pattern_key) & (shards - 1).';
REVOKE ALL ON FUNCTION scaleout.shard_of(text, integer) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_of(text, integer) TO pglearn_pm, pglearn_admin, pglearn_reader;
