-- Rollback of 0009.job_registry (functions and views are re-applied by migrate).
-- The tunables it filled in stay in pm_config: every earlier validator accepts them (they are optional there), and the
-- rollbacks of 0004 and 0005 remove their own.
DROP TABLE IF EXISTS learning.job_registry;
COMMENT ON TABLE learning.override_application IS
'Telemetry: one row per resolve_overrides call (matched or not), with before/after levers and controls.';
