/*
 * learning._cube_cuboids(p_depth integer) -> integer
 *
 * Private, stage 3 of the rebuild (docs/stats.md, "Aggregation"): every cuboid (namespace, scope mask) of at most
 * p_depth dimensions, from the base of learning._cube_base, into the work table _cube_cell (the cells with
 * n >= N_min(k), their scope_values decoded). Two regimes, one statement per cuboid (each hash table holds one
 * cuboid's cells):
 *  - roll-up, k <= least(p_depth, 2): the level-2 cuboids are aggregated from the base, every coarser cuboid from its
 *    smallest already-computed parent (one dimension more) ("aggregates from aggregates", PipeHash); these unpruned
 *    cuboids (work table _cube_roll) are small, and N_min is a filter when their cells are kept;
 *  - iceberg, k > 2: the deeper cuboids grow towards the size of the base and are mostly below N_min, so they are aggregated
 *    from the base only for the (pattern, mask) pairs all of whose parent masks hold a cell with n >= N_min(k)
 *    (Apriori: N_min never decreases with k); a sparse cuboid (by the parents' bound less than half of the candidate
 *    patterns' facts can fall in qualifying cells) counts first and sums only the qualifying cells.
 * Returns the number of cells kept.
 */
CREATE OR REPLACE FUNCTION learning._cube_cuboids(p_depth integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
-- the passes join on computed keys the planner cannot estimate: keep them hashed, in memory
SET enable_mergejoin = off
SET enable_sort = off
SET work_mem = '256MB'
SET client_min_messages = warning
AS $$
DECLARE
    v_roll constant integer := least(p_depth, 2);
    v_max_d integer;
    v_k integer;
    v_nsid smallint;
    v_mask integer;
    v_parent integer;
    v_keymask bigint;
    v_decode text;
    v_dict jsonb[];
    v_pcs integer[];
    v_dense boolean;
    v_rows integer;
    v_nmin integer;
    v_merge text;
    v_cols text;
    v_ddl text;
BEGIN
    SELECT string_agg(format('%s(c.%I)::%s AS %I', m.merge, m.col, m.sql_type, m.col), ', ' ORDER BY m.ord),
           string_agg(format('c.%I', m.col), ', ' ORDER BY m.ord)
    INTO v_merge, v_cols
    FROM learning._cube_measures() AS m;
    DROP TABLE IF EXISTS _cube_roll, _cube_size, _cube_cell, _cube_cand;
    SELECT string_agg(format('%I %s', m.col, m.sql_type), ', ' ORDER BY m.ord) INTO v_ddl FROM learning._cube_measures() AS m;
    EXECUTE format('CREATE TEMP TABLE _cube_roll (nsid smallint, pc integer, mask integer, key bigint, %s) ON COMMIT DROP', v_ddl);
    CREATE INDEX ON _cube_roll (nsid, mask);
    EXECUTE format('CREATE TEMP TABLE _cube_cell (nsid smallint, pc integer, key bigint, %s, mask integer, k integer, scope_values jsonb) ON COMMIT DROP',
                   v_ddl);
    CREATE TEMP TABLE _cube_size (nsid smallint, mask integer, k integer, rows bigint) ON COMMIT DROP;

    -- roll-up: level v_roll from the base, each coarser cuboid from its smallest computed parent --------------
    FOR v_k IN REVERSE v_roll .. 0 LOOP
        FOR v_nsid, v_mask, v_keymask, v_decode, v_dict, v_parent IN
            SELECT km.nsid, km.mask, km.keymask, km.decode, da.vals,
                   (SELECT s.mask FROM _cube_size AS s
                    WHERE s.nsid = km.nsid AND s.k = v_k + 1 AND s.mask & km.mask = km.mask
                    ORDER BY s.rows, s.mask LIMIT 1)
            FROM _cube_keymask AS km
            JOIN _cube_dictarr AS da ON da.nsid = km.nsid
            JOIN _cube_ns AS ns ON ns.nsid = km.nsid
            WHERE km.k = v_k
            ORDER BY km.nsid, km.mask
        LOOP
            IF v_parent IS NULL THEN
                EXECUTE format($q$
                    INSERT INTO _cube_roll SELECT $1, c.pc, $2, c.key & $3, %s FROM _cube_base AS c
                    WHERE c.nsid = $1 GROUP BY c.pc, c.key & $3$q$, v_merge)
                USING v_nsid, v_mask, v_keymask;
            ELSE
                EXECUTE format($q$
                    INSERT INTO _cube_roll SELECT $1, c.pc, $2, c.key & $3, %s FROM _cube_roll AS c
                    WHERE c.nsid = $1 AND c.mask = $4 GROUP BY c.pc, c.key & $3$q$, v_merge)
                USING v_nsid, v_mask, v_keymask, v_parent;
            END IF;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            INSERT INTO _cube_size VALUES (v_nsid, v_mask, v_k, v_rows);
            -- N_min is a filter on the unpruned cuboid
            EXECUTE format($q$
                INSERT INTO _cube_cell
                SELECT c.nsid, c.pc, c.key, %1$s, $2, $5, %2$s FROM _cube_roll AS c
                WHERE c.nsid = $3 AND c.mask = $2 AND c.n >= $4$q$, v_cols, v_decode)
            USING v_dict, v_mask, v_nsid, learning.n_min(v_k), v_k;
        END LOOP;
    END LOOP;

    -- iceberg: the deeper levels from the base, Apriori-pruned --------------------------------------------------
    SELECT least(max(ns.d), p_depth) INTO v_max_d FROM _cube_ns AS ns;
    -- share: an upper bound on the share of the pattern's facts that can fall in qualifying cells of the mask
    CREATE TEMP TABLE _cube_cand (pc integer, nsid smallint, mask integer, share float8) ON COMMIT DROP;
    FOR v_k IN v_roll + 1 .. v_max_d LOOP
        v_nmin := learning.n_min(v_k);
        ANALYZE _cube_cell;
        TRUNCATE _cube_cand;
        INSERT INTO _cube_cand (pc, nsid, mask, share)
        SELECT q.pc, q.nsid, q.mask | (1 << j.bit), min(q.share)
        FROM (SELECT o.pc, o.nsid, o.mask, sum(o.n)::float8 / max(r.n) AS share
              FROM _cube_cell AS o
              JOIN _cube_cell AS r ON r.pc = o.pc AND r.mask = 0
              WHERE o.k = v_k - 1 AND o.n >= v_nmin
              GROUP BY o.pc, o.nsid, o.mask) AS q
        JOIN _cube_ns AS ns ON ns.nsid = q.nsid
        CROSS JOIN LATERAL generate_series(0, ns.d - 1) AS j (bit)
        WHERE q.mask & (1 << j.bit) = 0
        GROUP BY q.pc, q.nsid, q.mask | (1 << j.bit)
        HAVING count(*) = v_k;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM _cube_cand);
        ANALYZE _cube_cand;
        FOR v_nsid, v_mask, v_keymask, v_decode, v_dict, v_pcs, v_dense IN
            SELECT cand.nsid, cand.mask, km.keymask, km.decode, da.vals, array_agg(cand.pc ORDER BY cand.pc),
                   sum(cand.share * r.n) >= 0.5 * sum(r.n)
            FROM _cube_cand AS cand
            JOIN _cube_cell AS r ON r.pc = cand.pc AND r.mask = 0
            JOIN _cube_keymask AS km ON km.nsid = cand.nsid AND km.mask = cand.mask
            JOIN _cube_dictarr AS da ON da.nsid = cand.nsid
            GROUP BY cand.nsid, cand.mask, km.keymask, km.decode, da.vals
        LOOP
            EXECUTE format($q$
                INSERT INTO _cube_cell
                SELECT $6, c.pc, c.key, %1$s, $2, $5, %2$s
                FROM (%3$s) AS c$q$,
                v_cols, v_decode,
                format(CASE WHEN v_dense THEN $s$
                    SELECT c.pc, c.key & $7 AS key, %1$s FROM _cube_base AS c
                    WHERE c.nsid = $6 AND c.pc = ANY($3) GROUP BY c.pc, c.key & $7 HAVING sum(c.n) >= $4$s$
                ELSE $s$
                    SELECT c.pc, c.key & $7 AS key, %1$s FROM _cube_base AS c
                    JOIN (SELECT b.pc, b.key & $7 AS key FROM _cube_base AS b
                          WHERE b.nsid = $6 AND b.pc = ANY($3) GROUP BY b.pc, b.key & $7 HAVING sum(b.n) >= $4) AS q
                      ON q.pc = c.pc AND q.key = c.key & $7
                    WHERE c.nsid = $6 AND c.pc = ANY($3) GROUP BY c.pc, c.key & $7$s$ END, v_merge))
            USING v_dict, v_mask, v_pcs, v_nmin, v_k, v_nsid, v_keymask;
        END LOOP;
    END LOOP;
    SELECT count(*) INTO v_rows FROM _cube_cell;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning._cube_cuboids(integer) IS
'Private, rebuild stage 3: the cuboids up to p_depth dims, rolled up from the smallest computed parent up to 2 dims, Apriori-pruned from the base above; the cells with n >= N_min(k) (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_cuboids(integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_cuboids(integer) TO pglearn_admin;
