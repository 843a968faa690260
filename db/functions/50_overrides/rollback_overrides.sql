/*
 * learning.rollback_overrides() -> bigint
 *
 * Puts the previous kept generation back in force (documents and runtime table together) and returns it.
 * Errors: P0002 when there is no older generation to roll back to.
 */
CREATE OR REPLACE FUNCTION learning.rollback_overrides()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_prev bigint;
BEGIN
    SELECT max(g.generation) INTO v_prev
    FROM override_generation AS g
    WHERE g.generation < (SELECT c.generation FROM override_current AS c);
    IF v_prev IS NULL THEN
        RAISE EXCEPTION 'no override generation older than the current one is kept'
            USING ERRCODE = 'P0002', HINT = 'tunables.override_generations_kept sets how many generations are kept.';
    END IF;
    PERFORM _publish_override_generation(v_prev);
    RETURN v_prev;
END;
$$;
COMMENT ON FUNCTION learning.rollback_overrides() IS 'Puts the previous override generation back in force atomically; returns its number.';
REVOKE ALL ON FUNCTION learning.rollback_overrides() FROM public;
GRANT EXECUTE ON FUNCTION learning.rollback_overrides() TO pglearn_admin;
