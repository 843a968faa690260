/*
 * scaleout.shard_choose(p_as_of timestamptz, p_doc jsonb) -> jsonb   [shard]
 *
 * Issue 16: round 3 of the router's scaleout.run_learning_cycle (the rounds: shard_summary.sql). With the router's
 * q-values and layers (Benjamini-Yekutieli over all shards' tests) and the other shards' pattern-wide moments, the
 * per-pattern choice of learning._lessons_choose over this shard's tests of round 2; keeps the tests in
 * scaleout.epoch_tests for round 4 and returns the tests (both kinds) of the cells with a chosen test and their facts.
 * Errors: 22023 when p_doc lacks the arrays q, layers and k0.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_choose(p_as_of timestamptz, p_doc jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_carried boolean := false;
BEGIN
    IF coalesce(jsonb_typeof(p_doc -> 'q'), '') <> 'array' OR coalesce(jsonb_typeof(p_doc -> 'layers'), '') <> 'array'
       OR coalesce(jsonb_typeof(p_doc -> 'k0'), '') <> 'array' THEN
        RAISE EXCEPTION 'p_doc must hold the arrays q, layers and k0'
            USING ERRCODE = '22023', HINT = 'Only the router''s scaleout.run_learning_cycle calls this.';
    END IF;
    -- the moments and tests of round 2 (recomputed if they are not this cycle's)
    IF to_regclass('scaleout.epoch_work') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM scaleout.epoch_work AS w WHERE w.as_of = $1)' INTO v_carried USING p_as_of;
    END IF;
    IF v_carried THEN
        PERFORM learning._lessons_tests(p_as_of, false);
        INSERT INTO _lc_moment SELECT m.* FROM scaleout.epoch_moments AS m;
        INSERT INTO _lc_test SELECT x.* FROM scaleout.epoch_tests AS x;
        ANALYZE _lc_moment;
    ELSE
        PERFORM learning._lessons_tests(p_as_of);
    END IF;
    UPDATE _lc_test AS x SET q = a.q, sig = a.sig
    FROM jsonb_to_recordset(p_doc -> 'q') AS a (stats_id bigint, kind text, q float8, sig boolean)
    WHERE a.stats_id = x.stats_id AND a.kind = x.kind;
    ANALYZE _lc_test;
    DROP TABLE IF EXISTS _lc_layer;
    CREATE TEMP TABLE _lc_layer ON COMMIT DROP AS
    SELECT y.k, y.m, y.d, y.crit FROM jsonb_to_recordset(p_doc -> 'layers') AS y (k integer, m integer, d integer, crit float8);
    INSERT INTO _lc_moment
    SELECT m.* FROM jsonb_populate_recordset(NULL::_lc_moment, p_doc -> 'k0') AS m
    WHERE NOT EXISTS (SELECT 1 FROM _lc_moment AS o WHERE o.pattern_key = m.pattern_key);
    ANALYZE _lc_moment;
    PERFORM learning._lessons_choose(p_as_of);
    -- the epoch's tests wait here for the router's overlap rule (scaleout.shard_record)
    DROP TABLE IF EXISTS scaleout.epoch_work, scaleout.epoch_moments, scaleout.epoch_tests;
    CREATE UNLOGGED TABLE scaleout.epoch_tests AS SELECT * FROM _lc_test;
    REVOKE ALL ON scaleout.epoch_tests FROM public;
    RETURN jsonb_build_object(
        -- the tests (both kinds) of the cells with a chosen test, and their facts
        'tests', (SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]') FROM _lc_test AS x
                  WHERE x.stats_id IN (SELECT c.stats_id FROM _lc_test AS c WHERE c.chosen)),
        'facts', (SELECT coalesce(jsonb_agg(to_jsonb(f)), '[]') FROM _lc_fact AS f
                  WHERE EXISTS (SELECT 1 FROM _lc_test AS x
                                WHERE x.chosen AND x.pattern_key = f.pattern_key AND x.action_category = f.action_category
                                  AND f.scope @> x.scope_values)));
END;
$$;
COMMENT ON FUNCTION scaleout.shard_choose(timestamptz, jsonb) IS
'Issue 16 (shard side), round 3 of the cycle: with the router''s q-values, the per-pattern choice of cells; returns the chosen cells'' tests and facts.';
REVOKE ALL ON FUNCTION scaleout.shard_choose(timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_choose(timestamptz, jsonb) TO pglearn_admin;
