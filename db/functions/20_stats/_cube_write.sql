/*
 * learning._cube_write(p_as_of timestamptz) -> integer
 *
 * Private, stage 4 of the rebuild (docs/stats.md, "Aggregation"): the new cube replaces the old one in one bulk
 * write. TRUNCATE gives learning.pattern_scope_stats fresh storage (a new relfilenode, swapped in atomically at
 * commit: readers see the old cube until then, then the new one; none sees a mix), and the cells of _cube_cell are
 * inserted in index order; no row-by-row upsert, no edge-history point per row (the edge history is kept where it is
 * used: build_lessons' trailing-window edges). Returns the number of cells written.
 */
CREATE OR REPLACE FUNCTION learning._cube_write(p_as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_cols text;
    v_rows integer;
BEGIN
    SELECT string_agg(format('%I', m.col), ', ' ORDER BY m.ord) INTO v_cols FROM learning._cube_measures() AS m;
    PERFORM learning._cube_truncate();
    EXECUTE format($q$
        INSERT INTO learning.pattern_scope_stats (pattern_key, action_category, scope_mask, scope_values, scope_values_hash, scope_key, k,
                                                  updated_at, created_at, %1$s)
        SELECT pc.pattern_key, pc.action_category, c.mask, c.scope_values, md5(c.scope_values::text), c.key, c.k, $1, $1, %2$s
        FROM _cube_cell AS c
        JOIN _cube_pc AS pc ON pc.pc = c.pc
        ORDER BY 1, 2, 3, 5
    $q$, v_cols, (SELECT string_agg(format('c.%I', m.col), ', ' ORDER BY m.ord) FROM learning._cube_measures() AS m))
    USING p_as_of;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning._cube_write(timestamptz) IS
'Private, rebuild stage 4: the new cube bulk-written into freshly truncated pattern_scope_stats, swapped in at commit (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_write(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_write(timestamptz) TO pglearn_admin;
