-- Rollback of 0011.hot_path (functions and views are re-applied by migrate).
-- The views over the dropped columns and tables go first; migrate re-creates the ones that still apply.
DROP VIEW IF EXISTS learning.v_override_effectiveness, learning.v_override_application_rates CASCADE;
DROP FUNCTION IF EXISTS learning.flush_override_decisions();
DROP FUNCTION IF EXISTS learning._override_docs(learning.runtime_override);
DROP FUNCTION IF EXISTS learning.record_override_decisions(timestamptz[], bigint[], bigint[], boolean[], bigint[], bigint[]);
DROP TABLE IF EXISTS learning.override_decision_buffer, learning.override_decision_counts;
DROP INDEX IF EXISTS learning.runtime_override_rank_idx;
ALTER TABLE learning.runtime_override DROP COLUMN IF EXISTS strength_doc, DROP COLUMN IF EXISTS execution_doc;
ALTER TABLE learning.override_score DROP COLUMN IF EXISTS shadow_decisions, DROP COLUMN IF EXISTS applied_decisions;
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET
    config = jsonb_set(
        config, '{feature_flags}',
        (config -> 'feature_flags') - 'learning_overrides_mode' - 'learning_overrides_mode_by_pattern'
        - 'learning_overrides_telemetry_full'
    )
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;
COMMENT ON TABLE learning.override_application IS
'Telemetry: one row per applied override (a resolve_overrides call that matched one, or a result forwarded by record_override_application), with before/after levers and controls; a call that matches nothing writes no row.';
