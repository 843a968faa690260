/*
 * scaleout.shard_receive(p_tables jsonb) -> integer   [shard]
 *
 * Issue 16: the hand-off of a learning cycle from the router to this shard. p_tables maps each table of
 * scaleout.pushed_tables() to the JSON array of its rows for this shard (as the router's learning schema holds
 * them: the same ids, generations and lesson ids). In one transaction the shard's copies are replaced (deleted in
 * reverse order, inserted in order, identities kept: OVERRIDING SYSTEM VALUE), so resolve_overrides on the shard
 * switches from one generation to the next atomically, as on one node. Returns the number of rows inserted.
 * Errors: 22023 when p_tables is not an object holding an array for every table of scaleout.pushed_tables().
 */
CREATE OR REPLACE FUNCTION scaleout.shard_receive(p_tables jsonb)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    t record;
    v_cols text;
    v_rows integer;
    v_total integer := 0;
BEGIN
    IF coalesce(jsonb_typeof(p_tables), '') <> 'object' OR EXISTS (
        SELECT 1 FROM scaleout.pushed_tables() AS p WHERE coalesce(jsonb_typeof(p_tables -> p.table_name), '') <> 'array') THEN
        RAISE EXCEPTION 'p_tables must be an object with an array of rows for each table of scaleout.pushed_tables()'
            USING ERRCODE = '22023', HINT = 'Only the router''s scaleout.run_learning_cycle calls this.';
    END IF;
    FOR t IN SELECT p.table_name FROM scaleout.pushed_tables() AS p ORDER BY p.ord DESC LOOP
        EXECUTE format('DELETE FROM learning.%I', t.table_name);
    END LOOP;
    FOR t IN SELECT p.table_name FROM scaleout.pushed_tables() AS p ORDER BY p.ord LOOP
        SELECT string_agg(quote_ident(c.attname), ', ' ORDER BY c.attnum) INTO v_cols
        FROM pg_catalog.pg_attribute AS c
        WHERE c.attrelid = format('learning.%I', t.table_name)::regclass AND c.attnum > 0 AND NOT c.attisdropped
          AND c.attgenerated = '';
        EXECUTE format('INSERT INTO learning.%1$I (%2$s) OVERRIDING SYSTEM VALUE SELECT %2$s FROM jsonb_populate_recordset(NULL::learning.%1$I, $1)',
                       t.table_name, v_cols)
        USING p_tables -> t.table_name;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_total := v_total + v_rows;
    END LOOP;
    RETURN v_total;
END;
$$;
COMMENT ON FUNCTION scaleout.shard_receive(jsonb) IS
'Issue 16 (shard side): replaces the shard''s learned tables (scaleout.pushed_tables) with the router''s rows for it, in one transaction.';
REVOKE ALL ON FUNCTION scaleout.shard_receive(jsonb) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_receive(jsonb) TO pglearn_admin;
