/*
 * scaleout.set_shards(p_conninfos text[], p_user text, p_password text) -> integer   [router]
 *
 * Issue 16: the router's cluster configuration. (Re)creates the PL/Proxy cluster pglearn_shards (SQL/MED: a
 * foreign server of the plproxy wrapper, one partition_<i> option per shard, in shard order) and its user mapping
 * for PUBLIC (the role the router connects to every shard as: it must own, or hold pglearn_pm and pglearn_admin
 * on, the shard databases). Returns the number of shards. PL/Proxy routes a call to partition
 * hash & (shards - 1), so the number of shards is a power of two; adding shards re-hashes patterns
 * (docs/operations.md, "Scaling out").
 * Errors: 22023 when p_conninfos is empty, not a power of two long, or holds an empty entry; or p_user is empty.
 */
CREATE OR REPLACE FUNCTION scaleout.set_shards(p_conninfos text[], p_user text, p_password text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n integer := coalesce(cardinality(p_conninfos), 0);
BEGIN
    IF v_n = 0 OR v_n & (v_n - 1) <> 0 OR array_position(p_conninfos, NULL) IS NOT NULL OR '' = ANY(p_conninfos) THEN
        RAISE EXCEPTION 'p_conninfos must hold a power-of-two number of shard connection strings, got %', v_n
            USING ERRCODE = '22023', HINT = 'PL/Proxy routes by hash & (shards - 1): 1, 2, 4, 8 ... shards.';
    END IF;
    IF coalesce(p_user, '') = '' THEN
        RAISE EXCEPTION 'p_user must name the role the router connects to the shards as'
            USING ERRCODE = '22023', HINT = 'A role with pglearn_pm and pglearn_admin on every shard database.';
    END IF;
    DROP SERVER IF EXISTS pglearn_shards CASCADE;
    EXECUTE format('CREATE SERVER pglearn_shards FOREIGN DATA WRAPPER plproxy OPTIONS (connection_lifetime %L, %s)',
                   '1800', (SELECT string_agg(format('partition_%s %L', u.i - 1, u.c), ', ' ORDER BY u.i)
                            FROM unnest(p_conninfos) WITH ORDINALITY AS u (c, i)));
    EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER pglearn_shards OPTIONS (user %L, password %L)', p_user, p_password);
    GRANT USAGE ON FOREIGN SERVER pglearn_shards TO pglearn_pm, pglearn_admin;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION scaleout.set_shards(text[], text, text) IS
'Issue 16 (router): (re)creates the PL/Proxy cluster pglearn_shards, one partition per shard connection string (a power of two).';
REVOKE ALL ON FUNCTION scaleout.set_shards(text[], text, text) FROM public;
