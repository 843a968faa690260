-- depends: 0006.roles
-- 0007.job_runs: what a job run leaves behind (issue 11, docs/operations.md "Jobs").
--  * the error's SQLSTATE, DETAIL, HINT and CONTEXT next to the message (GET STACKED DIAGNOSTICS in run_job);
--  * the backend (pid, backend_start) and top-level transaction (xid) of the run, so a run whose backend was killed or
--    whose transaction was rolled back is marked 'interrupted' by the next run;
--  * status 'interrupted'.
--  * dblink, in its own schema learning_dblink (no USAGE for anyone but the owner): run_job commits the 'running' row
--    through a loopback connection before the job starts, so a run killed mid-way is still on record. Optional:
--    without dblink (or without a superuser to install it) the row is written in the run's own transaction as before.
DO $guard$
BEGIN
    IF to_regclass('learning.job_runs') IS NULL THEN
        RAISE EXCEPTION 'learning.job_runs is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0001.schema must be applied first.';
    END IF;
END
$guard$;

ALTER TABLE learning.job_runs
ADD COLUMN sqlstate text CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
ADD COLUMN detail text,
ADD COLUMN hint text,
ADD COLUMN context text,
ADD COLUMN pid integer,
ADD COLUMN backend_start timestamptz,
ADD COLUMN xid xid8;
ALTER TABLE learning.job_runs DROP CONSTRAINT job_runs_status_check;
ALTER TABLE learning.job_runs ADD CONSTRAINT job_runs_status_check
CHECK (status IN ('running', 'ok', 'failed', 'skipped', 'interrupted'));
COMMENT ON TABLE learning.job_runs IS
'Every learning job run: status running/ok/failed/skipped/interrupted, rows written, error with SQLSTATE, DETAIL, HINT.';
COMMENT ON COLUMN learning.job_runs.error IS 'Failed: ''SQLSTATE: message''; skipped or interrupted: why.';
COMMENT ON COLUMN learning.job_runs.sqlstate IS 'SQLSTATE of the error of a failed run.';
COMMENT ON COLUMN learning.job_runs.detail IS 'DETAIL of the error of a failed run.';
COMMENT ON COLUMN learning.job_runs.hint IS 'HINT of the error of a failed run.';
COMMENT ON COLUMN learning.job_runs.context IS 'CONTEXT (call stack) of the error of a failed run.';
COMMENT ON COLUMN learning.job_runs.pid IS 'Backend pid of the run (pg_stat_activity.pid).';
COMMENT ON COLUMN learning.job_runs.backend_start IS 'Start of the backend of the run (pg_stat_activity.backend_start).';
COMMENT ON COLUMN learning.job_runs.xid IS
'Top-level transaction of the run: a running row whose transaction is no longer in progress was interrupted.';
CREATE INDEX job_runs_running_idx ON learning.job_runs (id) WHERE status = 'running';

DO $dblink$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'dblink') THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'dblink')
        OR NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        RAISE NOTICE 'pglearn: dblink not installed: a job run killed mid-way leaves no job_runs row';
        RETURN;
    END IF;
    CREATE SCHEMA learning_dblink;
    REVOKE ALL ON SCHEMA learning_dblink FROM public;
    COMMENT ON SCHEMA learning_dblink IS 'dblink, for run_job''s autonomous job_runs bookkeeping only (owner use).';
    CREATE EXTENSION dblink SCHEMA learning_dblink;
END
$dblink$;
