/*
 * learning.aggregate_pattern_scope_stats(as_of timestamptz DEFAULT now()) -> integer
 *
 * Rebuilds the cube learning.pattern_scope_stats from every trade closed at or before as_of (roadmap 2.1) and
 * returns the number of cells written. Stages (docs/stats.md, "Aggregation"):
 *  1. learning._cube_facts: one fact per (pattern, category, closed trade), its scope coded into one bigint key;
 *  2. learning._cube_base: the mergeable sums per (pattern, category, full scope) (learning.scope_cube_base) and the
 *     frame the fold-ins use until the next rebuild (learning.scope_cube_frame);
 *  3. learning._cube_cuboids: the cuboids of up to tunables.max_subset_size dimensions (roll-up, then Apriori), the
 *     cells with n >= N_min(k);
 *  4. learning._cube_write: bulk write into the freshly truncated table, swapped in at commit.
 * The closes it included leave learning.scope_fold_queue in the same transaction, the closes after as_of are (back)
 * in it (a rebuild as of an earlier time, as in a replay, leaves the queue = the closes not in the cube). It holds the cube lock
 * (advisory, transaction-level (hashtext('pglearn'), hashtext('cube'))): a fold-in that finds it taken waits for
 * the next minute. Timing of each stage: SET log_min_messages = debug1 (as a superuser).
 * Errors: 22023 (as_of not finite), 54000 (scope values need more than 62 key bits).
 */
CREATE OR REPLACE FUNCTION learning.aggregate_pattern_scope_stats(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_rows integer;
BEGIN
    PERFORM learning._check_as_of(aggregate_pattern_scope_stats.as_of);
    PERFORM pg_advisory_xact_lock(hashtext('pglearn'), hashtext('cube'));
    RAISE DEBUG 'cube rebuild: facts at %', clock_timestamp();
    IF learning._cube_facts(aggregate_pattern_scope_stats.as_of) = 0 THEN  -- no closed trade yet: nothing qualifies
        PERFORM learning._cube_truncate();
        DELETE FROM learning.scope_cube_base;
        DELETE FROM learning.scope_cube_frame;
        v_rows := 0;
    ELSE
        RAISE DEBUG 'cube rebuild: base at %', clock_timestamp();
        PERFORM learning._cube_base(aggregate_pattern_scope_stats.as_of);
        RAISE DEBUG 'cube rebuild: cuboids at %', clock_timestamp();
        PERFORM learning._cube_cuboids((learning.pm_config() #>> '{tunables,max_subset_size}')::int);
        RAISE DEBUG 'cube rebuild: write at %', clock_timestamp();
        v_rows := learning._cube_write(aggregate_pattern_scope_stats.as_of);
    END IF;
    -- the queue holds exactly the closes the cube does not: those of the rebuild leave it, those after as_of (back) in
    DELETE FROM learning.scope_fold_queue AS q
    WHERE q.position_id IN (SELECT f.position_id FROM _cube_fact AS f);
    INSERT INTO learning.scope_fold_queue (position_id, closed_at)
    SELECT t.position_id, t.closed_at FROM learning.completed_trades AS t WHERE t.closed_at > aggregate_pattern_scope_stats.as_of
    ON CONFLICT (position_id) DO NOTHING;
    RAISE DEBUG 'cube rebuild: done at %', clock_timestamp();
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.aggregate_pattern_scope_stats(timestamptz) IS
'Rebuilds the cube pattern_scope_stats (mergeable sums of every scope subset up to tunables.max_subset_size dims + the pattern-wide row, N_min per subset size) from the trades closed by as_of; returns the cells written.';
REVOKE ALL ON FUNCTION learning.aggregate_pattern_scope_stats(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.aggregate_pattern_scope_stats(timestamptz) TO pglearn_admin;
