-- Rollback of 0012.alerts (functions and views are re-applied by migrate): the alert job, its tunables, the table.
DELETE FROM learning.job_registry
WHERE job = 'evaluate_alerts';
DO $unschedule$
BEGIN
    IF to_regclass('cron.job') IS NOT NULL THEN
        PERFORM cron.unschedule(c.jobid) FROM cron.job AS c
        WHERE c.database = current_database() AND c.jobname = 'pglearn_alerts';
    END IF;
END
$unschedule$;
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET
    config
    = jsonb_set(
        config,
        '{tunables}',
        (config -> 'tunables') - ARRAY['alert_oos_p', 'alert_oos_min_trades', 'alert_job_late_intervals', 'alert_application_window_hours']
    )
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;
DROP VIEW IF EXISTS learning.v_alerts;
DROP FUNCTION IF EXISTS learning.evaluate_alerts(timestamptz);
DROP TABLE IF EXISTS learning.alerts;
