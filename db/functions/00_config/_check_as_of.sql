/*
 * learning._check_as_of(as_of) -> void
 *
 * Every learning job takes as_of and sees only what closed by then: it must be a finite timestamp (22023).
 */
CREATE OR REPLACE FUNCTION learning._check_as_of(p_as_of timestamptz)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    IF p_as_of IS NULL OR NOT isfinite(p_as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite timestamp, got %', coalesce(p_as_of::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Omit as_of for now(); replays pass the step''s time.';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning._check_as_of(timestamptz) IS 'Private: a learning job''s as_of must be a finite timestamp (22023).';
REVOKE ALL ON FUNCTION learning._check_as_of(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._check_as_of(timestamptz) TO pglearn_admin;
