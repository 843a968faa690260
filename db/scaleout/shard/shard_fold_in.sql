/*
 * scaleout.shard_fold_in(p_as_of timestamptz) -> integer   [shard]
 *
 * Issue 16: the last step of the router's scaleout.run_learning_cycle (the rounds: shard_summary.sql): folds the
 * closes after as_of into this shard's cube (learning.fold_in_closes), as one node's last job does.
 */
CREATE OR REPLACE FUNCTION scaleout.shard_fold_in(p_as_of timestamptz)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT learning.fold_in_closes(p_as_of)
$$;
COMMENT ON FUNCTION scaleout.shard_fold_in(timestamptz) IS
'Issue 16 (shard side), last step of the cycle: folds the closes after as_of into the shard''s cube (learning.fold_in_closes).';
REVOKE ALL ON FUNCTION scaleout.shard_fold_in(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.shard_fold_in(timestamptz) TO pglearn_admin;
