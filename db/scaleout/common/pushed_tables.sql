/*
 * scaleout.pushed_tables() -> TABLE (ord, table_name, by_pattern, router_source)
 *
 * Issue 16, applied to the router and to every shard (docs/operations.md, "Scaling out"). The tables of schema
 * learning a shard serves resolve_overrides and explain_override from, which the router's cycle hands to every
 * shard after it has learned (scaleout.run_learning_cycle), in insertion order (a referenced table before the tables
 * that reference it; a shard deletes in reverse order). by_pattern: a shard receives only the rows of the patterns it
 * owns (hashtext(pattern_key) & (shards - 1)); otherwise every shard receives every row (the generations and the latent
 * factors: they span patterns). The cube, its frame, the regime weights and the epoch's candidates are the shard's own
 * (it computes them, rounds 2 to 4 of the cycle), the category baselines are pinned in round 2 and the epoch's row
 * written in round 4. router_source: where the router reads the
 * rows, a FROM item taking the cycle's as_of as $3 (NULL: the router's table of the same name). The one list of what
 * crosses from the router to the shards.
 */
CREATE SCHEMA IF NOT EXISTS scaleout;
COMMENT ON SCHEMA scaleout IS 'Issue 16: the sharded deployment (PL/Proxy router and shards), docs/operations.md "Scaling out".';

CREATE OR REPLACE FUNCTION scaleout.pushed_tables()
RETURNS TABLE (ord integer, table_name text, by_pattern boolean, router_source text)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT t.ord::integer, t.table_name, t.by_pattern, t.router_source
    FROM (VALUES
        (1, 'override_generation', false, NULL),
        (2, 'override_current', false, NULL),
        (3, 'runtime_override', true, NULL),
        (4, 'learning_latent_factors', false, NULL),
        (5, 'learning_lessons', true, NULL)
    ) AS t (ord, table_name, by_pattern, router_source)
$$;
COMMENT ON FUNCTION scaleout.pushed_tables() IS
'Issue 16: the learned tables the router hands to the shards, in insertion order; by_pattern: only the shard''s own patterns.';
REVOKE ALL ON FUNCTION scaleout.pushed_tables() FROM public;
GRANT USAGE ON SCHEMA scaleout TO pglearn_pm, pglearn_admin, pglearn_reader;
GRANT EXECUTE ON FUNCTION scaleout.pushed_tables() TO pglearn_admin, pglearn_reader;
