/*
 * learning._cube_base(p_as_of timestamptz) -> date
 *
 * Private, stage 2 of the rebuild (docs/stats.md, "Aggregation"): the finest cuboid. From the facts of
 * learning._cube_facts, the mergeable sums of learning._cube_measures per (pattern, category, full scope key) into
 * the work table _cube_base (nsid, pc, key, sums) and into learning.scope_cube_base (the same rows with their full
 * scope and key, kept for the fold-ins), rewritten whole, with the dictionary of the keys (learning.scope_cube_code). week0 (the first ISO week of the history) anchors the week bits,
 * the segments and the time moments (on a shard of a sharded deployment, issue 16, counted with the first and last close over
 * all shards, learning.pinned_cube_frame); n_above counts rr >= the coherence baseline, which is
 * learning.category_baselines(p_as_of) of this very base (so the base is written, the baseline read, then n_above
 * filled in). The frame of this rebuild (week0, coherence baseline, depth) goes to learning.scope_cube_frame.
 * Returns week0.
 */
CREATE OR REPLACE FUNCTION learning._cube_base(p_as_of timestamptz)
RETURNS date
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_h constant float8 := (learning.pm_config() #>> '{tunables,ref_hold_hours}')::float8;
    v_week0 date;
    v_nw integer;
    v_sums text;
    v_cols text;
BEGIN
    SELECT date_trunc('week', min(f.closed_at))::date,
           -- a year of headroom for the fold-ins (one later than that makes the next fold-in a rebuild)
           ((date_trunc('week', max(f.closed_at))::date - date_trunc('week', min(f.closed_at))::date) / 7) + 1 + 52
    INTO v_week0, v_nw
    -- issue 16: on a shard, with the first and last close over all shards the router pinned (learning.pinned_cube_frame)
    FROM (SELECT x.closed_at FROM _cube_fact AS x
          UNION ALL SELECT p.first_close FROM learning.pinned_cube_frame AS p
          UNION ALL SELECT p.last_close FROM learning.pinned_cube_frame AS p) AS f;
    SELECT string_agg(format('%s(%s)::%s AS %I', m.merge, CASE WHEN m.col = 'n_above' THEN '0' ELSE m.per_fact END,
                             m.sql_type, m.col), ', ' ORDER BY m.ord),
           string_agg(format('%I', m.col), ', ' ORDER BY m.ord)
    INTO v_sums, v_cols
    FROM learning._cube_measures() AS m;

    DROP TABLE IF EXISTS _cube_base, _cube_above;
    EXECUTE format($q$
        CREATE TEMP TABLE _cube_base ON COMMIT DROP AS
        SELECT pc.nsid, pc.pc, t.key, %1$s
        FROM _cube_fact AS f
        JOIN _cube_pc AS pc ON pc.pattern_key = f.pattern_key AND pc.action_category = f.action_category
        JOIN _cube_tuple AS t ON t.nsid = f.nsid AND t.scope_vec = f.scope_vec
        LEFT JOIN (SELECT NULL::float8 AS coherence_baseline) AS fr ON false
        %2$s
        GROUP BY pc.nsid, pc.pc, t.key
    $q$, v_sums, learning._cube_fact_context()) USING v_week0, v_h, v_nw;
    ANALYZE _cube_base;

    -- the base as it stands gives the baselines; n_above is then counted against them. DELETE, not TRUNCATE: readers
    -- of the baselines keep the old base (MVCC) until this rebuild commits
    DELETE FROM learning.scope_cube_base;
    EXECUTE format($q$
        INSERT INTO learning.scope_cube_base (pattern_key, action_category, scope_hash, scope, scope_key, %1$s)
        SELECT pc.pattern_key, pc.action_category, t.scope_hash, t.scope, t.key, %2$s
        FROM _cube_base AS c
        JOIN _cube_pc AS pc ON pc.pc = c.pc
        JOIN _cube_tuple AS t ON t.nsid = c.nsid AND t.key = c.key
    $q$, v_cols, (SELECT string_agg(format('c.%I', m.col), ', ' ORDER BY m.ord) FROM learning._cube_measures() AS m));

    -- the dictionary of the keys, for the fold-ins
    DELETE FROM learning.scope_cube_code;
    INSERT INTO learning.scope_cube_code (namespace, bit, value, code, bit_offset, bit_width)
    SELECT ns.namespace, d.bit, d.v, d.code, f.off, f.width
    FROM _cube_dict AS d
    JOIN _cube_field AS f ON f.nsid = d.nsid AND f.bit = d.bit
    JOIN _cube_ns AS ns ON ns.nsid = d.nsid
    WHERE d.v IS NOT NULL;

    DELETE FROM learning.scope_cube_frame;
    INSERT INTO learning.scope_cube_frame (action_category, week0, week_bits, coherence_baseline, built_as_of, max_subset_size)
    SELECT b.action_category, v_week0, v_nw, b.baseline, p_as_of, (learning.pm_config() #>> '{tunables,max_subset_size}')::int
    FROM learning.category_baselines(p_as_of) AS b;

    CREATE TEMP TABLE _cube_above ON COMMIT DROP AS
    SELECT pc.pc, t.key, pc.pattern_key, pc.action_category, t.scope_hash,
           (count(*) FILTER (WHERE f.rr >= fr.coherence_baseline))::int AS n_above
    FROM _cube_fact AS f
    JOIN _cube_pc AS pc ON pc.pattern_key = f.pattern_key AND pc.action_category = f.action_category
    JOIN _cube_tuple AS t ON t.nsid = f.nsid AND t.scope_vec = f.scope_vec
    JOIN learning.scope_cube_frame AS fr ON fr.action_category = f.action_category
    GROUP BY pc.pc, t.key, pc.pattern_key, pc.action_category, t.scope_hash
    HAVING count(*) FILTER (WHERE f.rr >= fr.coherence_baseline) > 0;
    ANALYZE _cube_above;
    UPDATE _cube_base AS c
    SET n_above = a.n_above
    FROM _cube_above AS a
    WHERE a.pc = c.pc AND a.key = c.key;
    UPDATE learning.scope_cube_base AS b
    SET n_above = a.n_above
    FROM _cube_above AS a
    WHERE b.pattern_key = a.pattern_key AND b.action_category = a.action_category AND b.scope_hash = a.scope_hash;
    CREATE INDEX ON _cube_base (nsid, pc);
    ANALYZE _cube_base;
    RETURN v_week0;
END;
$$;
COMMENT ON FUNCTION learning._cube_base(timestamptz) IS
'Private, rebuild stage 2: the mergeable sums per (pattern, category, full scope), work table and learning.scope_cube_base, and the frame of the rebuild (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_base(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_base(timestamptz) TO pglearn_admin;
