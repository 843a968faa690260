-- learning.v_job_history: every job run in one place, for DBAs (pglearn_reader) and pglearn health.
-- learning.job_runs (run_job, run_learning_cycle, replays) plus, where pg_cron is installed in this database,
-- cron.job_run_details (the scheduler's own record, including runs whose backend died before job_runs could say so).
-- In db/jobs/ because schedule.sql creates the pg_cron extension first; without the cron schema the view shows
-- job_runs only (the columns are the same). The view runs with its owner's rights, so readers need no access to cron.
DO $view$
DECLARE
    v_cron text := '';
BEGIN
    IF to_regclass('cron.job_run_details') IS NOT NULL AND to_regclass('cron.job') IS NOT NULL THEN
        v_cron := $cron$
UNION ALL
SELECT
    'pg_cron'::text AS source,
    d.runid AS id,
    coalesce(j.jobname, d.command) AS job,
    NULL::timestamptz AS as_of,
    d.start_time AS started_at,
    d.end_time AS finished_at,
    CASE d.status WHEN 'succeeded' THEN 'ok' WHEN 'failed' THEN 'failed' ELSE 'running' END AS status,
    NULL::integer AS rows,
    NULL::text AS sqlstate,
    CASE WHEN d.status = 'failed' THEN d.return_message END AS error,
    NULL::text AS detail,
    NULL::text AS hint,
    d.job_pid AS pid
FROM cron.job_run_details AS d
LEFT JOIN cron.job AS j ON j.jobid = d.jobid
WHERE d.database = current_database()$cron$;
    END IF;
    EXECUTE $sql$
CREATE OR REPLACE VIEW learning.v_job_history AS
SELECT
    'pglearn'::text AS source,
    r.id,
    r.job,
    r.as_of,
    r.started_at,
    r.finished_at,
    r.status,
    r.rows,
    r.sqlstate,
    r.error,
    r.detail,
    r.hint,
    r.pid
FROM learning.job_runs AS r$sql$ || v_cron;
    COMMENT ON VIEW learning.v_job_history IS
    'Every job run: learning.job_runs (source pglearn) and, when pg_cron is installed here, cron.job_run_details (source pg_cron; status succeeded -> ok).';
    GRANT SELECT ON learning.v_job_history TO pglearn_reader;
END
$view$;
