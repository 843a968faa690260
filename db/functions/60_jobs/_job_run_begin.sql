/*
 * learning._job_run_begin(job text, as_of timestamptz) -> bigint
 *
 * Opens the job_runs row of a run of `job` in this backend (status 'running', pid, backend_start, top-level xid) and
 * returns its id. First marks 'interrupted' every 'running' row whose transaction is no longer in progress or whose
 * backend is gone (killed, server restarted, or the caller rolled back).
 * The row is committed at once through a dblink loopback connection (the server's Unix socket, peer authentication,
 * see docs/operations.md), so a run killed mid-way stays on record; when that is not possible (no dblink, no loopback
 * authentication, an isolation level above READ COMMITTED, or this transaction holds a lock on job_runs that would block
 * the loopback insert, e.g. after TRUNCATE) the row is written in the caller's transaction and a killed run leaves none.
 * SECURITY DEFINER: dblink's loopback connection needs its owner (a superuser). Called by run_job and run_learning_cycle.
 */
CREATE OR REPLACE FUNCTION learning._job_run_begin(job text, as_of timestamptz)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_id bigint;
    v_xid xid8 := pg_catalog.pg_current_xact_id();
    v_start timestamptz;
    v_schema name;
    v_sock text := pg_catalog.btrim(pg_catalog.split_part(pg_catalog.current_setting('unix_socket_directories'), ',', 1));
    v_conn text;
BEGIN
    UPDATE learning.job_runs AS j
    SET status = 'interrupted', finished_at = greatest(pg_catalog.clock_timestamp(), j.started_at),
        error = 'interrupted: the backend ended or the transaction was rolled back before the run finished'
    WHERE j.status = 'running'
      AND j.xid IS DISTINCT FROM v_xid
      AND (pg_catalog.pg_xact_status(j.xid) IS DISTINCT FROM 'in progress'
           OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity AS a
                          WHERE a.pid = j.pid AND a.backend_start = j.backend_start));
    SELECT a.backend_start INTO v_start FROM pg_catalog.pg_stat_activity AS a WHERE a.pid = pg_catalog.pg_backend_pid();
    SELECT e.extnamespace::regnamespace::name INTO v_schema FROM pg_catalog.pg_extension AS e WHERE e.extname = 'dblink';
    IF v_schema IS NOT NULL AND v_sock <> ''
        AND pg_catalog.current_setting('transaction_isolation') = 'read committed'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks AS l
                        WHERE l.pid = pg_catalog.pg_backend_pid() AND l.relation = 'learning.job_runs'::regclass
                          AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')) THEN
        v_conn := pg_catalog.format(
            'host=%s port=%s dbname=%s user=%s application_name=pglearn_job_runs connect_timeout=5 '
            || 'options=''-c lock_timeout=2000 -c statement_timeout=10000''',
            pg_catalog.quote_literal(v_sock), pg_catalog.current_setting('port'),
            pg_catalog.quote_literal(pg_catalog.current_database()), pg_catalog.quote_literal(current_user));
        BEGIN
            EXECUTE pg_catalog.format('SELECT t.id FROM %I.dblink($1, $2) AS t (id bigint)', v_schema) INTO v_id
            USING v_conn, pg_catalog.format(
                'INSERT INTO learning.job_runs (job, as_of, pid, backend_start, xid) VALUES (%L, %L, %s, %L, %L) RETURNING id',
                _job_run_begin.job, _job_run_begin.as_of, pg_catalog.pg_backend_pid(), v_start, v_xid);
        EXCEPTION WHEN OTHERS THEN
            v_id := NULL;  -- no loopback: the row goes into the caller's transaction below
        END;
    END IF;
    IF v_id IS NULL THEN
        INSERT INTO learning.job_runs (job, as_of, pid, backend_start, xid)
        VALUES (_job_run_begin.job, _job_run_begin.as_of, pg_catalog.pg_backend_pid(), v_start, v_xid)
        RETURNING id INTO v_id;
    END IF;
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION learning._job_run_begin(text, timestamptz) IS
'Opens a job_runs row (committed at once through a dblink loopback when possible) after marking dead running rows interrupted.';
REVOKE ALL ON FUNCTION learning._job_run_begin(text, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._job_run_begin(text, timestamptz) TO pglearn_admin;
