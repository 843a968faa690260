-- depends: 0001.schema
-- 0002.plpython: PL/Python for the v5.2/v5.3 meta-learning fits (numpy/scipy from Debian's python3-numpy,
-- python3-scipy). Precondition guard: a clear error when the server package is missing.
DO $guard$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plpython3u') THEN
        RAISE EXCEPTION 'plpython3u is not installed on this server'
            USING ERRCODE = '0A000', HINT = 'apt-get install postgresql-plpython3-15 python3-numpy python3-scipy (make db does).';
    END IF;
END
$guard$;
CREATE EXTENSION IF NOT EXISTS plpython3u;
