/*
 * learning.aggregate_pattern_scope_stats(as_of timestamptz DEFAULT now()) -> integer
 *
 * Rebuilds learning.pattern_scope_stats from the trades closed at or before as_of (roadmap 2.1) and
 * returns the number of rows inserted or changed. Algorithm (docs/stats.md, "Aggregation"):
 *
 *  1. facts (learning._trade_facts): one row per (pattern_key, action_category, closed trade); its scope is the
 *     pattern's first action of that category in the trade, so a trade counts once per group.
 *  2. every scope value is dictionary-coded; a full scope becomes one bigint key with a bit field per
 *     dimension (code 0 = dimension absent), so "drop dimension j" is key & mask.
 *  3. base: mergeable sums per distinct (pattern, category, full key): n, sum rr, sum rr^2,
 *     time-efficiency sum, count rr >= baseline, ISO-week bitmap, per-segment n and sum, counterfactual sums.
 *  4. iceberg cube level by level from mask 0 (Apriori pruning): level k is computed only for the
 *     (pattern, mask) pairs all of whose parent masks hold a cell with n >= N_min(k); each cuboid
 *     (namespace, mask) is one aggregate over its candidate patterns' base rows, keeping cells with n >= N_min(k).
 *  5. qualifying cells become stats rows; edge_raw uses the v5.1 regime weights.
 *  6. rows are upserted only where their stats changed, rows that no longer qualify are deleted, and
 *     every row written (inserted or changed) has its edge appended to learning_edge_history (ts = as_of).
 */
CREATE OR REPLACE FUNCTION learning.aggregate_pattern_scope_stats(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning
-- the level passes join on computed keys the planner cannot estimate: keep them hashed, in memory
SET enable_mergejoin = off
SET enable_sort = off
SET work_mem = '256MB'
SET client_min_messages = warning
AS $$
DECLARE
    v_cfg constant jsonb := pm_config() -> 'tunables';
    v_h constant float := (v_cfg ->> 'ref_hold_hours')::float;
    v_fixed_b constant float := (v_cfg ->> 'rr_baseline')::float;
    v_week0 date;
    v_weeks integer;
    v_max_d integer;
    v_nmin integer;
    v_k integer;
    v_rows integer;
    v_nsid smallint;
    v_mask integer;
    v_keymask bigint;
    v_pcs integer[];
    v_sums constant text := 'sum(c.n)::int AS n, sum(c.s_rr) AS s_rr, sum(c.s_rr2) AS s_rr2, sum(c.s_te) AS s_te,
        sum(c.n_above)::int AS n_above, bit_or(c.weeks) AS weeks,
        sum(c.sn0)::int AS sn0, sum(c.sn1)::int AS sn1, sum(c.sn2)::int AS sn2, sum(c.sn3)::int AS sn3, sum(c.sn4)::int AS sn4,
        sum(c.ss0) AS ss0, sum(c.ss1) AS ss1, sum(c.ss2) AS ss2, sum(c.ss3) AS ss3, sum(c.ss4) AS ss4,
        sum(c.cfd_n)::int AS cfd_n, sum(c.cfd_s) AS cfd_s, sum(c.cfe_n)::int AS cfe_n, sum(c.cfe_s) AS cfe_s,
        sum(c.cfx_n)::int AS cfx_n, sum(c.cfx_s) AS cfx_s, sum(c.cfx_later)::int AS cfx_later, sum(c.cfx_earlier)::int AS cfx_earlier';
BEGIN
    PERFORM _check_as_of(aggregate_pattern_scope_stats.as_of);

    RAISE DEBUG 'aggregate step 1 at %', clock_timestamp();
    -- work tables of an earlier run in the same transaction (walk-forward replays) go first
    DROP TABLE IF EXISTS _agg_fact, _agg_ns, _agg_pc, _agg_tuple, _agg_dict, _agg_field, _agg_base, _agg_keymask,
        _agg_cell, _agg_cand, _agg_sv, _agg_out;
    -- 1. facts -----------------------------------------------------------------------------------
    CREATE TEMP TABLE _agg_fact ON COMMIT DROP AS
    SELECT f.pattern_key, f.action_category, f.position_id, f.scope_vec, f.rr, f.hold_hours, f.closed_at, f.details
    FROM _trade_facts('-infinity', aggregate_pattern_scope_stats.as_of) AS f;

    SELECT date_trunc('week', min(closed_at))::date,
           ((date_trunc('week', max(closed_at))::date - date_trunc('week', min(closed_at))::date) / 7) + 1
    INTO v_week0, v_weeks
    FROM _agg_fact;
    IF v_weeks IS NULL THEN  -- no closed trade yet: nothing qualifies
        DELETE FROM pattern_scope_stats;
        RETURN 0;
    END IF;

    RAISE DEBUG 'aggregate step 2 at %', clock_timestamp();
    -- 2. pattern/category ids, baselines, spans; namespaces; dictionary and key layout -------------
    CREATE TEMP TABLE _agg_ns ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY namespace))::smallint AS nsid, namespace, count(*)::int AS d
    FROM scope_dimension GROUP BY namespace;

    CREATE TEMP TABLE _agg_pc ON COMMIT DROP AS
    WITH baseline AS (
        SELECT x.action_category, coalesce(v_fixed_b, avg(x.rr)) AS b
        FROM (SELECT DISTINCT action_category, position_id, rr FROM _agg_fact) AS x
        GROUP BY x.action_category
    )
    SELECT (row_number() OVER (ORDER BY f.pattern_key, f.action_category))::int AS pc,
           f.pattern_key, f.action_category, ns.nsid, bl.b, min(f.closed_at) AS lo, max(f.closed_at) AS hi
    FROM _agg_fact AS f
    JOIN baseline AS bl ON bl.action_category = f.action_category
    JOIN _agg_ns AS ns ON ns.namespace = split_part(f.pattern_key, '.', 1)
    GROUP BY f.pattern_key, f.action_category, ns.nsid, bl.b;

    CREATE TEMP TABLE _agg_tuple ON COMMIT DROP AS
    SELECT DISTINCT ns.nsid, f.scope_vec
    FROM _agg_fact AS f JOIN _agg_ns AS ns ON ns.namespace = split_part(f.pattern_key, '.', 1);

    CREATE TEMP TABLE _agg_dict ON COMMIT DROP AS
    SELECT x.nsid, x.bit, x.v, (dense_rank() OVER (PARTITION BY x.nsid, x.bit ORDER BY x.v))::bigint AS code
    FROM (SELECT DISTINCT t.nsid, (u.i - 1)::int AS bit, u.v
          FROM _agg_tuple AS t, unnest(t.scope_vec) WITH ORDINALITY AS u (v, i)) AS x;

    CREATE TEMP TABLE _agg_field ON COMMIT DROP AS
    SELECT w.nsid, w.bit, w.width, w.off, (((1::bigint << w.width) - 1) << w.off) AS fieldmask, sd.dim_name, sd.json_type
    FROM (
        SELECT y.nsid, y.bit, y.width, (sum(y.width) OVER (PARTITION BY y.nsid ORDER BY y.bit) - y.width)::int AS off
        FROM (SELECT nsid, bit, ceil(log(2, max(code) + 1))::int AS width FROM _agg_dict GROUP BY nsid, bit) AS y
    ) AS w
    JOIN _agg_ns AS ns ON ns.nsid = w.nsid
    JOIN scope_dimension AS sd ON sd.namespace = ns.namespace AND sd.bit = w.bit;

    IF EXISTS (SELECT 1 FROM _agg_field WHERE off + width > 62) THEN
        RAISE EXCEPTION 'scope values need more than 62 key bits'
            USING ERRCODE = '54000', HINT = 'Too many distinct values per dimension; tighten allowed_values in learning.scope_dimension.';
    END IF;

    ALTER TABLE _agg_tuple ADD COLUMN key bigint;
    UPDATE _agg_tuple AS t
    SET key = (SELECT sum(d.code << f.off)::bigint
               FROM unnest(t.scope_vec) WITH ORDINALITY AS u (v, i)
               JOIN _agg_dict AS d ON d.nsid = t.nsid AND d.bit = u.i - 1 AND d.v = u.v
               JOIN _agg_field AS f ON f.nsid = t.nsid AND f.bit = u.i - 1);

    RAISE DEBUG 'aggregate step 3 at %', clock_timestamp();
    -- 3. base: mergeable sums per distinct (pattern, category, full scope key) ---------------------------
    ANALYZE _agg_fact;
    ANALYZE _agg_pc;
    ANALYZE _agg_tuple;
    ANALYZE _agg_dict;
    ANALYZE _agg_field;
    EXECUTE format($q$
        CREATE TEMP TABLE _agg_base ON COMMIT DROP AS
        SELECT pc.nsid, pc.pc, t.key,
               count(*)::int AS n, sum(f.rr) AS s_rr, sum(f.rr * f.rr) AS s_rr2,
               sum(CASE WHEN f.rr > 0 THEN %1$s / (%1$s + f.hold_hours) ELSE 0 END) AS s_te,
               (count(*) FILTER (WHERE f.rr >= pc.b))::int AS n_above,
               bit_or(1::bit(%2$s) << (%2$s - 1 - (date_trunc('week', f.closed_at)::date - %3$L::date) / 7)) AS weeks,
               %4$s
        FROM _agg_fact AS f
        JOIN _agg_pc AS pc ON pc.pattern_key = f.pattern_key AND pc.action_category = f.action_category
        JOIN _agg_tuple AS t ON t.nsid = pc.nsid AND t.scope_vec = f.scope_vec
        CROSS JOIN LATERAL (SELECT CASE WHEN pc.hi = pc.lo THEN 0
            ELSE least(4, floor(5 * extract(EPOCH FROM f.closed_at - pc.lo) / extract(EPOCH FROM pc.hi - pc.lo)))::int END AS seg) AS s
        GROUP BY pc.nsid, pc.pc, t.key
    $q$, v_h, v_weeks, v_week0,
        (SELECT string_agg(format('count(*) FILTER (WHERE s.seg = %1$s)::int AS sn%1$s', i), ', ') FROM generate_series(0, 4) AS i)
        || ', ' || (SELECT string_agg(format('coalesce(sum(f.rr) FILTER (WHERE s.seg = %1$s), 0) AS ss%1$s', i), ', ') FROM generate_series(0, 4) AS i)
        || $c$, count(f.details -> 'cf_entry_delay_bars')::int AS cfd_n, coalesce(sum((f.details ->> 'cf_entry_delay_bars')::float), 0) AS cfd_s,
            count(f.details -> 'cf_entry_gain_rr')::int AS cfe_n, coalesce(sum((f.details ->> 'cf_entry_gain_rr')::float), 0) AS cfe_s,
            count(f.details -> 'cf_exit_gain_rr')::int AS cfx_n, coalesce(sum((f.details ->> 'cf_exit_gain_rr')::float), 0) AS cfx_s,
            count(*) FILTER (WHERE f.details ->> 'cf_exit_direction' = 'later')::int AS cfx_later,
            count(*) FILTER (WHERE f.details ->> 'cf_exit_direction' = 'earlier')::int AS cfx_earlier$c$);
    CREATE INDEX ON _agg_base (pc);
    ANALYZE _agg_base;

    -- key mask of every (namespace, scope mask)
    CREATE TEMP TABLE _agg_keymask ON COMMIT DROP AS
    SELECT ns.nsid, m.mask, length(replace(m.mask::bit(16)::text, '0', '')) AS k,
           (SELECT coalesce(sum(f.fieldmask), 0)::bigint FROM _agg_field AS f WHERE f.nsid = ns.nsid AND m.mask & (1 << f.bit) <> 0) AS keymask
    FROM _agg_ns AS ns CROSS JOIN LATERAL generate_series(0, (1 << ns.d) - 1) AS m (mask);
    ANALYZE _agg_keymask;

    -- 4. iceberg cube, level by level (Apriori/BUC pruning): level k is computed only for the
    --    (pattern, mask) pairs all of whose parent masks hold a cell with n >= N_min(k); cells with
    --    n < N_min(k) are dropped at once (no child of theirs can reach N_min(k + 1) >= N_min(k)).
    CREATE TEMP TABLE _agg_cell ON COMMIT DROP AS
    SELECT 0 AS k, c.* FROM _agg_base AS c WITH NO DATA;
    ALTER TABLE _agg_cell ADD COLUMN mask integer;
    CREATE TEMP TABLE _agg_cand ON COMMIT DROP AS SELECT pc.pc, pc.nsid, 0 AS mask FROM _agg_pc AS pc;
    SELECT max(d) INTO v_max_d FROM _agg_ns;
    FOR v_k IN 0 .. v_max_d LOOP
        RAISE DEBUG 'aggregate level % at %', v_k, clock_timestamp();
        v_nmin := (v_cfg -> 'n_min' ->> CASE WHEN v_k <= 2 THEN 'k1_2' WHEN v_k <= 4 THEN 'k3_4' WHEN v_k <= 6 THEN 'k5_6' ELSE 'k7_plus' END)::int;
        IF v_k > 0 THEN
            TRUNCATE _agg_cand;
            INSERT INTO _agg_cand (pc, nsid, mask)
            SELECT q.pc, q.nsid, q.mask | (1 << j.bit)
            FROM (SELECT DISTINCT c.pc, c.nsid, c.mask FROM _agg_cell AS c WHERE c.k = v_k - 1 AND c.n >= v_nmin) AS q
            JOIN _agg_ns AS ns ON ns.nsid = q.nsid
            CROSS JOIN LATERAL generate_series(0, ns.d - 1) AS j (bit)
            WHERE q.mask & (1 << j.bit) = 0
            GROUP BY q.pc, q.nsid, q.mask | (1 << j.bit)
            HAVING count(*) = v_k;
        END IF;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM _agg_cand);
        -- one aggregate per cuboid (namespace, mask), over the base rows of its candidate patterns only:
        -- each hash table holds one cuboid's cells and stays in cache. Measured on 290k base rows, level 3:
        -- 15 s for the full sums this way against 36 s for the count pass alone of one statement per level.
        FOR v_nsid, v_mask, v_keymask, v_pcs IN
            SELECT cand.nsid, cand.mask, km.keymask, array_agg(cand.pc ORDER BY cand.pc)
            FROM _agg_cand AS cand
            JOIN _agg_keymask AS km ON km.nsid = cand.nsid AND km.mask = cand.mask
            GROUP BY cand.nsid, cand.mask, km.keymask
        LOOP
            EXECUTE format($q$
                INSERT INTO _agg_cell
                SELECT %1$s AS k, c.nsid, c.pc, c.key & $1, %2$s, $2
                FROM _agg_base AS c
                WHERE c.pc = ANY($3)
                GROUP BY c.nsid, c.pc, c.key & $1
                HAVING sum(c.n) >= $4
            $q$, v_k, v_sums)
            USING v_keymask, v_mask, v_pcs, v_nmin;
        END LOOP;
    END LOOP;
    ANALYZE _agg_cell;

    RAISE DEBUG 'aggregate step 5 at %', clock_timestamp();
    -- 5. qualifying cells -> stats rows ----------------------------------------------------------------
    -- decode the keys of the qualifying cells back into scope_values JSON (typed as the registry says)
    CREATE TEMP TABLE _agg_sv ON COMMIT DROP AS
    SELECT c.pc, c.mask, c.key,
           jsonb_object_agg(f.dim_name, CASE f.json_type WHEN 'integer' THEN to_jsonb(d.v::bigint) ELSE to_jsonb(d.v) END) AS scope_values
    FROM _agg_cell AS c
    JOIN _agg_field AS f ON f.nsid = c.nsid AND c.mask & (1 << f.bit) <> 0
    JOIN _agg_dict AS d ON d.nsid = f.nsid AND d.bit = f.bit AND d.code = (c.key & f.fieldmask) >> f.off
    GROUP BY c.pc, c.mask, c.key;
    ANALYZE _agg_sv;

    CREATE TEMP TABLE _agg_out ON COMMIT DROP AS
    WITH root AS (SELECT pc, bit_count(bit_or(weeks)) AS weeks FROM _agg_base GROUP BY pc),
    cell AS (
        SELECT c.*, pc.pattern_key, pc.action_category, pc.b,
               c.s_rr / c.n AS avg_rr,
               CASE WHEN c.n < 2 THEN 0 ELSE greatest(0, (c.s_rr2 - c.s_rr * c.s_rr / c.n) / (c.n - 1)) END AS variance,
               c.s_te / c.n AS time_efficiency,
               bit_count(c.weeks)::float / nullif(r.weeks, 0) AS recurrence_score,
               sv.scope_values
        FROM _agg_cell AS c
        JOIN _agg_pc AS pc ON pc.pc = c.pc
        JOIN root AS r ON r.pc = c.pc
        LEFT JOIN _agg_sv AS sv ON sv.pc = c.pc AND sv.mask = c.mask AND sv.key = c.key
    ),
    scored AS (
        SELECT cell.*,
               coalesce(cell.scope_values, '{}') AS sv,
               CASE WHEN cell.avg_rr >= cell.b THEN cell.n_above ELSE cell.n - cell.n_above END::float / cell.n AS field_coherence,
               (cell.sn0 >= 2)::int + (cell.sn1 >= 2)::int + (cell.sn2 >= 2)::int + (cell.sn3 >= 2)::int + (cell.sn4 >= 2)::int AS seg_tested,
               (cell.sn0 >= 2 AND cell.ss0 / greatest(cell.sn0, 1) > cell.b)::int + (cell.sn1 >= 2 AND cell.ss1 / greatest(cell.sn1, 1) > cell.b)::int
               + (cell.sn2 >= 2 AND cell.ss2 / greatest(cell.sn2, 1) > cell.b)::int + (cell.sn3 >= 2 AND cell.ss3 / greatest(cell.sn3, 1) > cell.b)::int
               + (cell.sn4 >= 2 AND cell.ss4 / greatest(cell.sn4, 1) > cell.b)::int AS seg_positive
        FROM cell
    )
    SELECT s.pattern_key, s.action_category, s.mask::smallint AS scope_mask, s.sv AS scope_values,
           md5(s.sv::text) AS scope_values_hash, s.n::int AS n,
           jsonb_build_object(
               'n', s.n, 'avg_rr', s.avg_rr, 'variance', s.variance, 'rr_baseline', s.b,
               'edge_raw', edge_raw(s.avg_rr, s.variance, s.n, s.b, s.time_efficiency, s.field_coherence, s.recurrence_score, w.weights),
               'time_efficiency', s.time_efficiency, 'field_coherence', s.field_coherence,
               'recurrence_score', s.recurrence_score, 'segments_tested', s.seg_tested, 'segments_positive', s.seg_positive,
               'regime_signature', regime_signature(s.sv), 'k', s.k,
               'cf_entry_delay_n', s.cfd_n, 'cf_entry_delay_bars_mean', s.cfd_s / nullif(s.cfd_n, 0),
               'cf_entry_gain_n', s.cfe_n, 'cf_entry_gain_rr_mean', s.cfe_s / nullif(s.cfe_n, 0),
               'cf_exit_gain_n', s.cfx_n, 'cf_exit_gain_rr_mean', s.cfx_s / nullif(s.cfx_n, 0),
               'cf_exit_later_share', (s.cfx_later - s.cfx_earlier)::float / nullif(s.cfx_later + s.cfx_earlier, 0)
           ) AS stats
    FROM scored AS s
    LEFT JOIN learning_regime_weights AS w
        ON w.pattern_key = s.pattern_key AND w.action_category = s.action_category AND w.regime_signature = regime_signature(s.sv);

    RAISE DEBUG 'aggregate step 6 at %', clock_timestamp();
    ANALYZE _agg_out;
    -- 6. write ----------------------------------------------------------------------------------------
    DELETE FROM pattern_scope_stats AS p
    WHERE NOT EXISTS (
        SELECT 1 FROM _agg_out AS o
        WHERE o.pattern_key = p.pattern_key AND o.action_category = p.action_category
          AND o.scope_mask = p.scope_mask AND o.scope_values_hash = p.scope_values_hash
    );
    WITH written AS (
        INSERT INTO pattern_scope_stats AS p (pattern_key, action_category, scope_mask, scope_values, scope_values_hash, n, stats, updated_at)
        SELECT o.pattern_key, o.action_category, o.scope_mask, o.scope_values, o.scope_values_hash, o.n, o.stats,
               aggregate_pattern_scope_stats.as_of
        FROM _agg_out AS o
        ON CONFLICT (pattern_key, action_category, scope_mask, scope_values_hash) DO UPDATE
        SET n = excluded.n, stats = excluded.stats, updated_at = excluded.updated_at
        WHERE p.stats IS DISTINCT FROM excluded.stats
        RETURNING p.pattern_key, p.action_category, p.scope_values_hash, (p.stats ->> 'edge_raw')::float AS edge_raw, p.n
    ),
    history AS (
        INSERT INTO learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n)
        SELECT w.pattern_key, w.action_category, w.scope_values_hash, w.edge_raw, aggregate_pattern_scope_stats.as_of, w.n
        FROM written AS w
        RETURNING 1
    )
    SELECT count(*) INTO v_rows FROM history;

    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.aggregate_pattern_scope_stats(timestamptz) IS
'Rebuilds pattern_scope_stats (all 1,023 scope subsets + the pattern-wide row, N_min per subset size) from trades closed at or before as_of; returns rows inserted or changed.';
REVOKE ALL ON FUNCTION learning.aggregate_pattern_scope_stats(timestamptz) FROM public;
