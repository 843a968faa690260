-- Rollback of 0007.job_runs (functions and views are re-applied by migrate).
DROP VIEW IF EXISTS learning.v_job_history;
DROP FUNCTION IF EXISTS learning._job_run_begin(text, timestamptz);
-- dblink goes only when this migration installed it (in learning_dblink)
DROP SCHEMA IF EXISTS learning_dblink CASCADE;
UPDATE learning.job_runs SET status = 'failed'
WHERE status = 'interrupted';
ALTER TABLE learning.job_runs DROP CONSTRAINT job_runs_status_check;
ALTER TABLE learning.job_runs ADD CONSTRAINT job_runs_status_check
CHECK (status IN ('running', 'ok', 'failed', 'skipped'));
DROP INDEX IF EXISTS learning.job_runs_running_idx;
ALTER TABLE learning.job_runs
DROP COLUMN sqlstate,
DROP COLUMN detail,
DROP COLUMN hint,
DROP COLUMN context,
DROP COLUMN pid,
DROP COLUMN backend_start,
DROP COLUMN xid;
COMMENT ON TABLE learning.job_runs IS 'Every learning job run: status running/ok/failed/skipped, rows written, error text.';
