/*
 * learning._cube_truncate() -> void
 *
 * Private: empties the cube learning.pattern_scope_stats with TRUNCATE, the rebuild's swap (learning._cube_write):
 * the table gets fresh storage, the new cube is bulk-written into it, and readers switch from the old cube to the new
 * one at commit (they wait on the lock meanwhile, for the write stage only). SECURITY DEFINER because TRUNCATE is the
 * owner's privilege; it gives its caller (pglearn_admin, who may already DELETE every derived row) no new power.
 */
CREATE OR REPLACE FUNCTION learning._cube_truncate()
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    TRUNCATE learning.pattern_scope_stats
$$;
COMMENT ON FUNCTION learning._cube_truncate() IS
'Private: TRUNCATE of the cube for the rebuild''s bulk write and swap (docs/stats.md); SECURITY DEFINER (the owner''s privilege).';
REVOKE ALL ON FUNCTION learning._cube_truncate() FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_truncate() TO pglearn_admin;
