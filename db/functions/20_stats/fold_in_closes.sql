/*
 * learning.fold_in_closes(as_of timestamptz DEFAULT now()) -> integer
 *
 * The fold-in (summary-delta maintenance, Mumick, Quass & Mumick, SIGMOD 1997; docs/stats.md, "Fold-in"): the closes
 * queued in learning.scope_fold_queue with closed_at <= as_of are taken out of the queue and added to the cube in the
 * same transaction, so a crash or a rerun folds nothing twice. Job fold_in_closes (pg_cron, every minute, and each
 * learning cycle). Steps:
 *  1. the facts of the queued trades (learning._trade_facts);
 *  2. their sums (learning._cube_measures, against the frame of the last rebuild, learning.scope_cube_frame) per full
 *     scope, merged into the base (learning.scope_cube_base): n = n + delta.n, ...;
 *  3. the delta per cell: every scope subset of each fact up to the frame's depth, grouped; the cells already in the
 *     cube are merged the same way;
 *  4. a cell not in the cube can only cross N_min(k) if every parent (one dimension fewer) is in the cube with
 *     n >= N_min(k) (Apriori):
 *     level by level, those candidates are summed from the base (the base rows of the pattern whose scope_key,
 *     projected onto the mask, is the cell's key: integer keys through the rebuild's dictionary), and the ones with
 *     n >= N_min(k) are inserted with their full sums.
 * It holds the cube lock (see aggregate_pattern_scope_stats); while a rebuild holds it, it folds nothing and returns
 * 0 (the queue waits for the next minute, or the rebuild takes the closes). When the cube cannot take the delta as it
 * is (never built, depth changed, a category or a week outside the frame, a scope value the dictionary lacks), it
 * rebuilds instead.
 * Returns the number of queued closes taken. Errors: 22023 (as_of not finite).
 */
CREATE OR REPLACE FUNCTION learning.fold_in_closes(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
-- set-based joins on computed keys the planner cannot estimate: keep them hashed
SET enable_mergejoin = off
SET enable_nestloop = off
SET work_mem = '256MB'
AS $$
DECLARE
    v_depth constant integer := (learning.pm_config() #>> '{tunables,max_subset_size}')::int;
    v_h constant float8 := (learning.pm_config() #>> '{tunables,ref_hold_hours}')::float8;
    v_week0 date;
    v_bits integer;
    v_taken integer;
    v_k integer;
    v_nmin integer;
    v_sums text;
    v_merge text;
    v_upd text;
    v_cols text;
BEGIN
    PERFORM learning._check_as_of(fold_in_closes.as_of);
    IF NOT pg_try_advisory_xact_lock(hashtext('pglearn'), hashtext('cube')) THEN
        RETURN 0;  -- a rebuild runs: it takes the closes it sees, the next fold-in the rest
    END IF;
    DROP TABLE IF EXISTS _fold_pos, _fold_fact, _fold_base, _fold_mask, _fold_delta, _fold_cand;
    CREATE TEMP TABLE _fold_pos ON COMMIT DROP AS
    WITH taken AS (
        DELETE FROM learning.scope_fold_queue AS q WHERE q.closed_at <= fold_in_closes.as_of RETURNING q.position_id
    )
    SELECT t.position_id FROM taken AS t;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    IF v_taken = 0 THEN
        RETURN 0;
    END IF;

    -- 1. the facts of the taken closes, each with its typed full scope ---------------------------------------------
    CREATE TEMP TABLE _fold_fact ON COMMIT DROP AS
    SELECT f.pattern_key::text AS pattern_key, f.action_category::text AS action_category, f.rr, f.hold_hours, f.closed_at,
           f.details, split_part(f.pattern_key, '.', 1) AS namespace,
           (SELECT jsonb_object_agg(d.dim_name, CASE d.json_type WHEN 'integer' THEN to_jsonb(f.scope_vec[d.bit + 1]::bigint)
                                                                 ELSE to_jsonb(f.scope_vec[d.bit + 1]) END)
            FROM learning.scope_dimension AS d WHERE d.namespace = split_part(f.pattern_key, '.', 1)) AS scope,
           -- the key through the rebuild's dictionary; coded = dims with a code (all of them, or the fold-in rebuilds)
           k.key, k.coded, (SELECT count(*) FROM learning.scope_dimension AS d WHERE d.namespace = split_part(f.pattern_key, '.', 1)) AS dims
    FROM learning._trade_facts('-infinity', fold_in_closes.as_of) AS f
    CROSS JOIN LATERAL (
        SELECT sum(c.code << c.bit_offset)::bigint AS key, count(*) AS coded
        FROM learning.scope_cube_code AS c
        WHERE c.namespace = split_part(f.pattern_key, '.', 1) AND c.value = f.scope_vec[c.bit + 1]
    ) AS k
    WHERE f.position_id = ANY (ARRAY(SELECT p.position_id FROM _fold_pos AS p));
    SELECT min(fr.week0), min(fr.week_bits) INTO v_week0, v_bits FROM learning.scope_cube_frame AS fr;
    IF v_week0 IS NULL
       OR EXISTS (SELECT 1 FROM learning.scope_cube_frame AS fr WHERE fr.max_subset_size <> v_depth)
       OR EXISTS (SELECT 1 FROM _fold_fact AS f
                  LEFT JOIN learning.scope_cube_frame AS fr ON fr.action_category = f.action_category
                  WHERE fr.action_category IS NULL OR f.closed_at::date < v_week0 OR (f.closed_at::date - v_week0) / 7 >= v_bits
                     OR f.coded <> f.dims) THEN
        PERFORM learning.aggregate_pattern_scope_stats(fold_in_closes.as_of);
        RETURN v_taken;
    END IF;

    SELECT string_agg(format('%s(%s)::%s AS %I', m.merge, m.per_fact, m.sql_type, m.col), ', ' ORDER BY m.ord),
           string_agg(format('%s(c.%I)::%s AS %I', m.merge, m.col, m.sql_type, m.col), ', ' ORDER BY m.ord),
           string_agg(format('%1$I = t.%1$I %2$s d.%1$I', m.col, CASE m.merge WHEN 'sum' THEN '+' ELSE '|' END), ', ' ORDER BY m.ord),
           string_agg(format('%I', m.col), ', ' ORDER BY m.ord)
    INTO v_sums, v_merge, v_upd, v_cols
    FROM learning._cube_measures() AS m;

    -- 2. the base, per full scope: each fact's sums taken once, then merged ------------------------------------------
    EXECUTE format($q$
        CREATE TEMP TABLE _fold_base ON COMMIT DROP AS
        SELECT f.pattern_key, f.action_category, f.namespace, f.scope, f.key, %1$s
        FROM _fold_fact AS f
        JOIN learning.scope_cube_frame AS fr ON fr.action_category = f.action_category
        %2$s
        GROUP BY f.pattern_key, f.action_category, f.namespace, f.scope, f.key
    $q$, v_sums, learning._cube_fact_context())
    USING v_week0, v_h, v_bits;
    EXECUTE format($q$
        INSERT INTO learning.scope_cube_base AS t (pattern_key, action_category, scope_hash, scope, scope_key, %1$s)
        SELECT c.pattern_key, c.action_category, md5(c.scope::text), c.scope, c.key, %2$s FROM _fold_base AS c
        ON CONFLICT (pattern_key, action_category, scope_hash) DO UPDATE SET %3$s
    $q$, v_cols, (SELECT string_agg(format('c.%I', m.col), ', ' ORDER BY m.ord) FROM learning._cube_measures() AS m),
        replace(v_upd, 'd.', 'excluded.'));

    -- 3. the delta per cell, merged into the cells already in the cube ---------------------------------------------
    CREATE TEMP TABLE _fold_mask ON COMMIT DROP AS
    SELECT ns.namespace, m.mask, bit_count(m.mask::bit(16))::int AS k,
           coalesce(ARRAY(SELECT d.dim_name FROM learning.scope_dimension AS d
                          WHERE d.namespace = ns.namespace AND m.mask & (1 << d.bit) = 0), '{}') AS excluded,
           (SELECT coalesce(sum(((1::bigint << f.bit_width) - 1) << f.bit_offset), 0)::bigint
            FROM (SELECT DISTINCT c.bit, c.bit_offset, c.bit_width FROM learning.scope_cube_code AS c
                  WHERE c.namespace = ns.namespace) AS f
            WHERE m.mask & (1 << f.bit) <> 0) AS keymask
    FROM (SELECT d.namespace, count(*)::int AS d FROM learning.scope_dimension AS d GROUP BY d.namespace) AS ns
    CROSS JOIN LATERAL generate_series(0, (1 << ns.d) - 1) AS m (mask)
    WHERE bit_count(m.mask::bit(16)) <= v_depth
      AND ns.namespace IN (SELECT f.namespace FROM _fold_fact AS f);
    EXECUTE format($q$
        CREATE TEMP TABLE _fold_delta ON COMMIT DROP AS
        SELECT x.*, md5(x.sv::text) AS hash, NULL::integer AS n_after
        FROM (SELECT c.pattern_key, c.action_category, c.namespace, m.mask::smallint AS mask, m.k, c.scope - m.excluded AS sv,
                     c.key & m.keymask AS ckey, %1$s
              FROM _fold_base AS c
              JOIN _fold_mask AS m ON m.namespace = c.namespace
              GROUP BY c.pattern_key, c.action_category, c.namespace, m.mask, m.k, c.scope - m.excluded, c.key & m.keymask) AS x
    $q$, v_merge);
    CREATE INDEX ON _fold_delta (pattern_key, action_category, mask, hash);
    ANALYZE _fold_delta;
    EXECUTE format($q$
        WITH merged AS (
            UPDATE learning.pattern_scope_stats AS t
            SET %1$s, updated_at = $1
            FROM _fold_delta AS d
            WHERE t.pattern_key = d.pattern_key AND t.action_category = d.action_category AND t.scope_mask = d.mask
              AND t.scope_values_hash = d.hash
            RETURNING t.pattern_key, t.action_category, t.scope_mask, t.scope_values_hash, t.n
        )
        UPDATE _fold_delta AS d SET n_after = m.n
        FROM merged AS m
        WHERE m.pattern_key = d.pattern_key AND m.action_category = d.action_category AND m.scope_mask = d.mask
          AND m.scope_values_hash = d.hash
    $q$, v_upd) USING fold_in_closes.as_of;

    -- 4. cells crossing N_min: candidates whose parents are all in the cube with n >= N_min(k), summed from the base -
    FOR v_k IN 0 .. v_depth LOOP
        v_nmin := learning.n_min(v_k);
        DROP TABLE IF EXISTS _fold_cand;
        CREATE TEMP TABLE _fold_cand ON COMMIT DROP AS
        SELECT d.pattern_key, d.action_category, d.mask, d.sv, d.hash, d.ckey
        FROM (SELECT d.pattern_key, d.action_category, d.mask, d.sv, d.hash, d.ckey,
                     (d.mask & ~(1 << j.bit))::smallint AS parent_mask, md5((d.sv - j.dim_name)::text) AS parent_hash
              FROM _fold_delta AS d
              LEFT JOIN learning.scope_dimension AS j ON j.namespace = d.namespace AND d.mask & (1 << j.bit) <> 0
              WHERE d.k = v_k AND d.n_after IS NULL) AS d
        LEFT JOIN _fold_delta AS p
          ON p.pattern_key = d.pattern_key AND p.action_category = d.action_category AND p.mask = d.parent_mask
         AND p.hash = d.parent_hash AND p.n_after >= v_nmin
        GROUP BY d.pattern_key, d.action_category, d.mask, d.sv, d.hash, d.ckey
        HAVING count(p.hash) = v_k;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM _fold_cand);
        ANALYZE _fold_cand;
        EXECUTE format($q$
            WITH added AS (
                INSERT INTO learning.pattern_scope_stats (pattern_key, action_category, scope_mask, scope_values,
                                                          scope_values_hash, k, updated_at, created_at, %1$s)
                SELECT x.pattern_key, x.action_category, x.mask, x.sv, x.hash, $2, $1, $1, %3$s
                FROM (SELECT cand.pattern_key, cand.action_category, cand.mask, cand.sv, cand.hash, %2$s
                      -- per (pattern, mask) with candidates: its base rows' keys projected onto the mask, hash-joined
                      FROM (SELECT DISTINCT pm.pattern_key, pm.action_category, pm.mask FROM _fold_cand AS pm) AS pm
                      JOIN _fold_mask AS m ON m.namespace = split_part(pm.pattern_key, '.', 1) AND m.mask = pm.mask
                      JOIN learning.scope_cube_base AS c
                        ON c.pattern_key = pm.pattern_key AND c.action_category = pm.action_category
                      JOIN _fold_cand AS cand
                        ON cand.pattern_key = pm.pattern_key AND cand.action_category = pm.action_category
                       AND cand.mask = pm.mask AND cand.ckey = (c.scope_key & m.keymask)
                      GROUP BY cand.pattern_key, cand.action_category, cand.mask, cand.sv, cand.hash
                      HAVING sum(c.n) >= $3) AS x
                RETURNING pattern_key, action_category, scope_mask, scope_values_hash, n
            )
            UPDATE _fold_delta AS d SET n_after = a.n
            FROM added AS a
            WHERE a.pattern_key = d.pattern_key AND a.action_category = d.action_category AND a.scope_mask = d.mask
              AND a.scope_values_hash = d.hash
        $q$, v_cols, v_merge, (SELECT string_agg(format('x.%I', m.col), ', ' ORDER BY m.ord) FROM learning._cube_measures() AS m))
        USING fold_in_closes.as_of, v_k, v_nmin;
    END LOOP;
    RETURN v_taken;
END;
$$;
COMMENT ON FUNCTION learning.fold_in_closes(timestamptz) IS
'Folds the queued closes (closed by as_of) into the cube: base and existing cells merged, cells crossing N_min added with their full sums; idempotent, skips while a rebuild runs; returns the closes taken (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.fold_in_closes(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.fold_in_closes(timestamptz) TO pglearn_admin;
