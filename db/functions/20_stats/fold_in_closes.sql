/*
 * learning.fold_in_closes(as_of timestamptz DEFAULT now()) -> integer
 *
 * The fold-in (summary-delta maintenance, Mumick, Quass & Mumick, SIGMOD 1997; docs/stats.md, "Fold-in"): the closes
 * queued in learning.scope_fold_queue with closed_at <= as_of are taken out of the queue and added to the cube in the
 * same transaction, so a crash or a rerun folds nothing twice. Job fold_in_closes (pg_cron, every minute, and each
 * learning cycle). Everything runs on integer keys: a fact's full scope is coded through the rebuild's dictionary
 * (learning.scope_cube_code) into one bigint, a cell of mask m is key & keymask(m), as in the rebuild. Steps:
 *  1. the facts of the queued trades (learning._trade_facts), coded; a value the dictionary lacks gets the next free
 *     code of its dimension when its bit field holds one (the rebuild leaves room for twice the codes where the key
 *     allows it, at least one spare code per dimension);
 *  2. their sums (learning._cube_measures, against the frame of the last rebuild, learning.scope_cube_frame) per full
 *     scope, merged into the base (learning.scope_cube_base): n = n + delta.n, ...;
 *  3. the delta per cell: each pattern's summed facts projected onto every mask up to the frame's depth
 *     (key & keymask), grouped; merged into the cells already in the cube in one UPDATE by index lookups on
 *     (pattern_key, action_category, scope_mask, scope_key);
 *  4. a delta cell not in the cube can only reach N_min(k) if every parent (one dimension fewer, itself a delta cell)
 *     is in the cube with n >= N_min(k) (Apriori). Level by level from k = 0, those candidates are matched against
 *     their pattern's base keys (learning._cube_match_keys, set-based), and the ones with n >= N_min(k) are summed from
 *     the matching base rows and inserted with their full sums (their scope_values decoded through the dictionary).
 * It holds the cube lock (see aggregate_pattern_scope_stats); while a rebuild holds it, it folds nothing and returns
 * 0 (the queue waits for the next minute, or the rebuild takes the closes). When the cube cannot take the delta as it
 * is (never built, or not since migration 0016, which empties the frame; depth changed; a category or a week outside
 * the frame; a namespace the dictionary lacks; a new value whose dimension has no free code), it rebuilds instead.
 * Returns the number of queued closes taken. Errors: 22023 (as_of not finite).
 */
CREATE OR REPLACE FUNCTION learning.fold_in_closes(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
SET enable_mergejoin = off
-- switched off (transaction-locally, restored at exit) for the merges: index lookups per delta cell, not a hash of the cube
SET enable_hashjoin = on
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
    v_src text;
    v_out text;
BEGIN
    PERFORM learning._check_as_of(fold_in_closes.as_of);
    IF NOT pg_try_advisory_xact_lock(hashtext('pglearn'), hashtext('cube')) THEN
        RETURN 0;  -- a rebuild runs: it takes the closes it sees, the next fold-in the rest
    END IF;
    DROP TABLE IF EXISTS _fold_pos, _fold_fact, _fold_pc, _fold_base, _fold_mask, _fold_parent, _fold_delta, _fold_bkeys,
        _fold_in, _fold_cand, _fold_hit;
    CREATE TEMP TABLE _fold_pos ON COMMIT DROP AS
    WITH taken AS (
        DELETE FROM learning.scope_fold_queue AS q WHERE q.closed_at <= fold_in_closes.as_of RETURNING q.position_id
    )
    SELECT t.position_id FROM taken AS t;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    IF v_taken = 0 THEN
        RETURN 0;
    END IF;

    -- 1. the facts of the taken closes; values new to the dictionary get the next free code of their dimension -----
    CREATE TEMP TABLE _fold_fact ON COMMIT DROP AS
    SELECT f.pattern_key::text AS pattern_key, f.action_category::text AS action_category, f.rr, f.hold_hours, f.closed_at,
           f.details, f.scope_vec, split_part(f.pattern_key, '.', 1) AS namespace
    FROM learning._trade_facts('-infinity', fold_in_closes.as_of) AS f
    WHERE f.position_id = ANY (ARRAY(SELECT p.position_id FROM _fold_pos AS p));
    INSERT INTO learning.scope_cube_code (namespace, bit, value, code, bit_offset, bit_width)
    SELECT n.namespace, n.bit, n.v, c.max_code + row_number() OVER (PARTITION BY n.namespace, n.bit ORDER BY n.v),
           c.bit_offset, c.bit_width
    FROM (SELECT DISTINCT f.namespace, (u.i - 1)::smallint AS bit, u.v
          FROM _fold_fact AS f CROSS JOIN LATERAL unnest(f.scope_vec) WITH ORDINALITY AS u (v, i)) AS n
    JOIN (SELECT c.namespace, c.bit, max(c.code) AS max_code, min(c.bit_offset) AS bit_offset, min(c.bit_width) AS bit_width
          FROM learning.scope_cube_code AS c GROUP BY c.namespace, c.bit) AS c
      ON c.namespace = n.namespace AND c.bit = n.bit
    WHERE n.v IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM learning.scope_cube_code AS d WHERE d.namespace = n.namespace AND d.bit = n.bit AND d.value = n.v);
    SELECT min(fr.week0), min(fr.week_bits) INTO v_week0, v_bits FROM learning.scope_cube_frame AS fr;
    IF v_week0 IS NULL
       OR EXISTS (SELECT 1 FROM learning.scope_cube_frame AS fr WHERE fr.max_subset_size <> v_depth)
       OR EXISTS (SELECT 1 FROM learning.scope_cube_code AS c WHERE c.code >= (1::bigint << c.bit_width))
       OR EXISTS (SELECT 1 FROM _fold_fact AS f
                  LEFT JOIN learning.scope_cube_frame AS fr ON fr.action_category = f.action_category
                  WHERE fr.action_category IS NULL OR f.closed_at::date < v_week0 OR (f.closed_at::date - v_week0) / 7 >= v_bits
                     OR (SELECT count(*) FROM learning.scope_cube_code AS c
                         WHERE c.namespace = f.namespace AND c.value = f.scope_vec[c.bit + 1])
                        <> (SELECT count(*) FROM learning.scope_dimension AS d WHERE d.namespace = f.namespace)) THEN
        PERFORM learning.aggregate_pattern_scope_stats(fold_in_closes.as_of);
        RETURN v_taken;
    END IF;

    SELECT string_agg(format('%s(%s)::%s AS %I', m.merge, m.per_fact, m.sql_type, m.col), ', ' ORDER BY m.ord),
           string_agg(format('%s(c.%I)::%s AS %I', m.merge, m.col, m.sql_type, m.col), ', ' ORDER BY m.ord),
           string_agg(format('%1$I = t.%1$I %2$s d.%1$I', m.col, CASE m.merge WHEN 'sum' THEN '+' ELSE '|' END), ', ' ORDER BY m.ord),
           string_agg(format('%I', m.col), ', ' ORDER BY m.ord),
           string_agg(format('c.%I', m.col), ', ' ORDER BY m.ord),
           string_agg(format('s.%I', m.col), ', ' ORDER BY m.ord)
    INTO v_sums, v_merge, v_upd, v_cols, v_src, v_out
    FROM learning._cube_measures() AS m;

    -- 2. the base, per full scope: each fact's sums taken once, then merged ------------------------------------------
    CREATE TEMP TABLE _fold_pc ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY x.pattern_key, x.action_category))::int AS pc, x.pattern_key, x.action_category,
           x.namespace
    FROM (SELECT DISTINCT f.pattern_key, f.action_category, f.namespace FROM _fold_fact AS f) AS x;
    EXECUTE format($q$
        CREATE TEMP TABLE _fold_base ON COMMIT DROP AS
        SELECT pc.pc, f.scope_vec, k.key, %1$s
        FROM _fold_fact AS f
        JOIN _fold_pc AS pc ON pc.pattern_key = f.pattern_key AND pc.action_category = f.action_category
        JOIN learning.scope_cube_frame AS fr ON fr.action_category = f.action_category
        CROSS JOIN LATERAL (
            SELECT sum(c.code << c.bit_offset)::bigint AS key
            FROM learning.scope_cube_code AS c
            WHERE c.namespace = f.namespace AND c.value = f.scope_vec[c.bit + 1]
        ) AS k
        %2$s
        GROUP BY pc.pc, f.scope_vec, k.key
    $q$, v_sums, learning._cube_fact_context())
    USING v_week0, v_h, v_bits;
    EXECUTE format($q$
        INSERT INTO learning.scope_cube_base AS t (pattern_key, action_category, scope_hash, scope, scope_key, %1$s)
        SELECT pc.pattern_key, pc.action_category, md5(s.scope::text), s.scope, c.key, %2$s
        FROM _fold_base AS c
        JOIN _fold_pc AS pc ON pc.pc = c.pc
        CROSS JOIN LATERAL (
            SELECT jsonb_object_agg(d.dim_name, CASE d.json_type WHEN 'integer' THEN to_jsonb(c.scope_vec[d.bit + 1]::bigint)
                                                                 ELSE to_jsonb(c.scope_vec[d.bit + 1]) END) AS scope
            FROM learning.scope_dimension AS d WHERE d.namespace = pc.namespace
        ) AS s
        ON CONFLICT (pattern_key, action_category, scope_hash) DO UPDATE SET %3$s
    $q$, v_cols, v_src, replace(v_upd, 'd.', 'excluded.'));

    -- 3. the delta per cell on integer keys, merged into the cells already in the cube -------------------------------
    CREATE TEMP TABLE _fold_mask ON COMMIT DROP AS
    SELECT ns.namespace, m.mask::smallint AS mask, bit_count(m.mask::bit(16))::int AS k,
           coalesce((SELECT sum(((1::bigint << f.bit_width) - 1) << f.bit_offset)
                     FROM (SELECT DISTINCT c.bit, c.bit_offset, c.bit_width FROM learning.scope_cube_code AS c
                           WHERE c.namespace = ns.namespace) AS f
                     WHERE m.mask & (1 << f.bit) <> 0), 0)::bigint AS keymask
    FROM (SELECT DISTINCT pc.namespace, (SELECT count(*) FROM learning.scope_dimension AS d WHERE d.namespace = pc.namespace)::int AS d
          FROM _fold_pc AS pc) AS ns
    CROSS JOIN LATERAL generate_series(0, (1 << ns.d) - 1) AS m (mask)
    WHERE bit_count(m.mask::bit(16)) <= v_depth;
    -- each mask's parents: the mask without one of its bits, and the key mask that projects a cell onto it
    CREATE TEMP TABLE _fold_parent ON COMMIT DROP AS
    SELECT m.namespace, m.mask, p.mask AS parent_mask, p.keymask AS parent_keymask
    FROM _fold_mask AS m
    JOIN _fold_mask AS p ON p.namespace = m.namespace AND p.k = m.k - 1 AND p.mask & m.mask = p.mask;
    EXECUTE format($q$
        CREATE TEMP TABLE _fold_delta ON COMMIT DROP AS
        SELECT pc.pattern_key, pc.action_category, x.*
        FROM (SELECT c.pc, m.mask, m.k, c.key & m.keymask AS ckey, %1$s
              FROM _fold_base AS c
              JOIN _fold_pc AS pc ON pc.pc = c.pc
              JOIN _fold_mask AS m ON m.namespace = pc.namespace
              GROUP BY c.pc, m.mask, m.k, c.key & m.keymask) AS x
        JOIN _fold_pc AS pc ON pc.pc = x.pc
    $q$, v_merge);
    ANALYZE _fold_pc;
    ANALYZE _fold_mask;
    ANALYZE _fold_parent;
    ANALYZE _fold_delta;
    -- the touched patterns' base keys and counts, once (step 4 matches its candidates against them)
    CREATE TEMP TABLE _fold_bkeys ON COMMIT DROP AS
    SELECT pc.pc, b.keys, b.ns
    FROM _fold_pc AS pc
    CROSS JOIN LATERAL (
        SELECT array_agg(b.scope_key) AS keys, array_agg(b.n) AS ns FROM learning.scope_cube_base AS b
        WHERE b.pattern_key = pc.pattern_key AND b.action_category = pc.action_category
    ) AS b;
    CREATE TEMP TABLE _fold_in (pc integer, mask smallint, ckey bigint, n integer) ON COMMIT DROP;
    PERFORM set_config('enable_hashjoin', 'off', true);
    EXECUTE format($q$
        WITH merged AS (
            UPDATE learning.pattern_scope_stats AS t
            SET %1$s, updated_at = $1
            FROM _fold_delta AS d
            WHERE t.pattern_key = d.pattern_key AND t.action_category = d.action_category AND t.scope_mask = d.mask
              AND t.scope_key = d.ckey
            RETURNING d.pc, d.mask, d.ckey, t.n
        )
        INSERT INTO _fold_in SELECT * FROM merged
    $q$, v_upd) USING fold_in_closes.as_of;
    PERFORM set_config('enable_hashjoin', 'on', true);

    -- 4. cells crossing N_min: candidates whose parents are all in the cube with n >= N_min(k), matched in the base -
    FOR v_k IN 0 .. v_depth LOOP
        v_nmin := learning.n_min(v_k);
        ANALYZE _fold_in;
        DROP TABLE IF EXISTS _fold_cand, _fold_hit;
        CREATE TEMP TABLE _fold_cand ON COMMIT DROP AS
        SELECT d.pc, d.mask, d.ckey, m.keymask
        FROM _fold_delta AS d
        JOIN _fold_pc AS pc ON pc.pc = d.pc
        JOIN _fold_mask AS m ON m.namespace = pc.namespace AND m.mask = d.mask
        LEFT JOIN _fold_parent AS par ON par.namespace = pc.namespace AND par.mask = d.mask
        LEFT JOIN _fold_in AS p ON p.pc = d.pc AND p.mask = par.parent_mask AND p.ckey = d.ckey & par.parent_keymask
                               AND p.n >= v_nmin
        WHERE d.k = v_k
          AND NOT EXISTS (SELECT 1 FROM _fold_in AS i WHERE i.pc = d.pc AND i.mask = d.mask AND i.ckey = d.ckey)
        GROUP BY d.pc, d.mask, d.ckey, m.keymask
        HAVING count(p.pc) = v_k;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM _fold_cand);
        -- per pattern, its base keys against its candidates: the keys of the candidates whose samples reach N_min
        CREATE TEMP TABLE _fold_hit ON COMMIT DROP AS
        SELECT g.pc, pc.pattern_key, pc.action_category, g.masks[h.cell] AS mask, g.ckeys[h.cell] AS ckey, h.key
        FROM (SELECT c.pc, array_agg(c.mask ORDER BY c.mask, c.ckey) AS masks,
                     array_agg(c.keymask ORDER BY c.mask, c.ckey) AS keymasks,
                     array_agg(c.ckey ORDER BY c.mask, c.ckey) AS ckeys
              FROM _fold_cand AS c GROUP BY c.pc) AS g
        JOIN _fold_bkeys AS b ON b.pc = g.pc
        JOIN _fold_pc AS pc ON pc.pc = g.pc
        CROSS JOIN LATERAL learning._cube_match_keys(
            b.keys, b.ns, g.keymasks, g.ckeys, v_nmin) AS h;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM _fold_hit);
        ANALYZE _fold_hit;
        PERFORM set_config('enable_hashjoin', 'off', true);
        EXECUTE format($q$
            WITH added AS (
                INSERT INTO learning.pattern_scope_stats (pattern_key, action_category, scope_mask, scope_values,
                                                          scope_values_hash, scope_key, k, updated_at, created_at, %1$s)
                SELECT pc.pattern_key, pc.action_category, s.mask, sv.v, md5(sv.v::text), s.ckey, $2, $1, $1, %3$s
                FROM (SELECT h.pc, h.mask, h.ckey, %2$s
                      FROM _fold_hit AS h
                      JOIN learning.scope_cube_base AS c
                        ON c.pattern_key = h.pattern_key AND c.action_category = h.action_category AND c.scope_key = h.key
                      GROUP BY h.pc, h.mask, h.ckey) AS s
                JOIN _fold_pc AS pc ON pc.pc = s.pc
                -- the cell's scope_values, decoded from its key through the dictionary (integers as JSON numbers)
                CROSS JOIN LATERAL (
                    SELECT coalesce(jsonb_object_agg(d.dim_name, CASE d.json_type WHEN 'integer' THEN to_jsonb(c.value::bigint)
                                                                                  ELSE to_jsonb(c.value) END), '{}') AS v
                    FROM learning.scope_dimension AS d
                    JOIN learning.scope_cube_code AS c
                      ON c.namespace = d.namespace AND c.bit = d.bit
                     AND c.code = (s.ckey >> c.bit_offset) & ((1::bigint << c.bit_width) - 1)
                    WHERE d.namespace = pc.namespace AND s.mask & (1 << d.bit) <> 0
                ) AS sv
                RETURNING pattern_key, action_category, scope_mask, scope_key, n
            )
            INSERT INTO _fold_in
            SELECT pc.pc, a.scope_mask, a.scope_key, a.n
            FROM added AS a JOIN _fold_pc AS pc ON pc.pattern_key = a.pattern_key AND pc.action_category = a.action_category
        $q$, v_cols, v_merge, v_out)
        USING fold_in_closes.as_of, v_k;
        PERFORM set_config('enable_hashjoin', 'on', true);
    END LOOP;
    RETURN v_taken;
END;
$$;
COMMENT ON FUNCTION learning.fold_in_closes(timestamptz) IS
'Folds the queued closes (closed by as_of) into the cube on integer keys: base and existing cells merged, cells crossing N_min added with their full sums; idempotent, skips while a rebuild runs; returns the closes taken (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.fold_in_closes(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.fold_in_closes(timestamptz) TO pglearn_admin;
