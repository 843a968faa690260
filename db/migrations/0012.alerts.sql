-- depends: 0009.job_registry
-- 0012.alerts: alerts on override effectiveness and job health (issue 15, docs/operations.md "Alerts").
--  * learning.alerts: one row per alert episode (kind, subject, severity, detail, data, first_seen, last_seen,
--    resolved_at); at most one open row per (kind, subject). Written only by learning.evaluate_alerts (the job),
--    which opens, refreshes and resolves them and sends NOTIFY pglearn_alerts on each new and resolved one.
--  * learning.job_registry: the job evaluate_alerts (stage 7, after materialize_overrides; every 15 minutes).
--  * pm_config.tunables: the alert thresholds (alert_oos_p, alert_oos_min_trades, alert_job_late_intervals,
--    alert_application_window_hours), their shipped values where missing.
DO $guard$
BEGIN
    IF to_regclass('learning.job_registry') IS NULL OR to_regclass('learning.override_score') IS NULL THEN
        RAISE EXCEPTION 'learning.job_registry or learning.override_score is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0003.replay and 0009.job_registry must be applied first.';
    END IF;
END
$guard$;

CREATE TABLE learning.alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN (
        'override_oos_negative', 'job_failed', 'job_late', 'overrides_not_applied',
        'rows_quarantined', 'lever_at_bound'
    )),
    subject text NOT NULL CHECK (subject <> ''),
    severity text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    detail text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now() CHECK (last_seen >= first_seen),
    resolved_at timestamptz CHECK (resolved_at >= first_seen)
);
CREATE UNIQUE INDEX alerts_open_key ON learning.alerts (kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX alerts_recent_idx ON learning.alerts (coalesce(resolved_at, 'infinity'::timestamptz) DESC);
COMMENT ON TABLE learning.alerts IS
'Alerts written by learning.evaluate_alerts (job evaluate_alerts): one row per episode of a condition, open while resolved_at is NULL (docs/operations.md "Alerts").';
COMMENT ON COLUMN learning.alerts.kind IS
'override_oos_negative, job_failed, job_late, overrides_not_applied, rows_quarantined or lever_at_bound.';
COMMENT ON COLUMN learning.alerts.subject IS 'What the alert is about (an override, a job, a table, a lesson lever); one open alert per kind and subject.';
COMMENT ON COLUMN learning.alerts.severity IS 'critical, warning or info.';
COMMENT ON COLUMN learning.alerts.detail IS 'One line for a human, refreshed at each evaluation while open.';
COMMENT ON COLUMN learning.alerts.data IS 'The figures behind the alert (p, n, excess, last run ...), refreshed while open.';
COMMENT ON COLUMN learning.alerts.first_seen IS 'When the condition was first seen (the alert opened).';
COMMENT ON COLUMN learning.alerts.last_seen IS 'The last evaluation that saw the condition.';
COMMENT ON COLUMN learning.alerts.resolved_at IS 'The first evaluation that no longer saw the condition; NULL while open.';
REVOKE ALL ON learning.alerts FROM public;
GRANT SELECT ON learning.alerts TO pglearn_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON learning.alerts TO pglearn_admin;

INSERT INTO learning.job_registry (job, stage, function_name, cron_name, cron_schedule, meta_learning, requires, description)
VALUES (
    'evaluate_alerts', 7, 'evaluate_alerts', 'pglearn_alerts', '*/15 * * * *', FALSE, '{}',
    'Opens and resolves learning.alerts (NOTIFY pglearn_alerts): losing overrides, failed or late jobs, '
    'overrides not applied, quarantined rows, levers at a hard bound.'
);

-- the alert thresholds: shipped values where missing (an existing value wins); the validator of the moment may be
-- older than this migration: bypass it for this one update.
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET config = jsonb_set(config, '{tunables}', '{
    "alert_oos_p": 0.05, "alert_oos_min_trades": 20, "alert_job_late_intervals": 2,
    "alert_application_window_hours": 24}'::jsonb || (config -> 'tunables'))
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;
