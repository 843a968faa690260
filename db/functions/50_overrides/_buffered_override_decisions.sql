/*
 * learning._buffered_override_decisions() -> bigint
 *
 * Private: the decisions resolve_overrides has written into the UNLOGGED override_decision_buffer and
 * flush_override_decisions has not yet rolled up (normally at most a minute's worth). 0 on a hot standby, where
 * an unlogged table cannot be read: the statement that reads it is planned only when it runs. Read by
 * learning.validate (runtime_applying), so that a call is seen at once.
 */
CREATE OR REPLACE FUNCTION learning._buffered_override_decisions()
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN 0;
    END IF;
    RETURN (SELECT count(*) FROM learning.override_decision_buffer);
END;
$$;
COMMENT ON FUNCTION learning._buffered_override_decisions() IS
'Private: decisions waiting in the unlogged buffer for the roll-up; 0 on a hot standby.';
REVOKE ALL ON FUNCTION learning._buffered_override_decisions() FROM public;
GRANT EXECUTE ON FUNCTION learning._buffered_override_decisions() TO pglearn_reader;
