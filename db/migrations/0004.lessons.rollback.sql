-- Rollback of 0004.lessons (functions and views are re-applied by migrate).
DROP VIEW IF EXISTS learning.v_lesson_candidates;
UPDATE learning.learning_lessons SET status = 'retired'
WHERE status = 'rolled_back';
ALTER TABLE learning.learning_lessons DROP CONSTRAINT learning_lessons_status_check;
ALTER TABLE learning.learning_lessons
ADD CONSTRAINT learning_lessons_status_check CHECK (status IN ('active', 'stale', 'retired')),
DROP COLUMN confirmed_epoch, DROP COLUMN basis, DROP COLUMN p_value, DROP COLUMN q_value, DROP COLUMN shrink_weight,
DROP COLUMN status_reason, DROP COLUMN status_changed_at, DROP COLUMN oos_trades, DROP COLUMN oos_excess_rr, DROP COLUMN oos_p;
ALTER TABLE learning.learning_edge_history DROP COLUMN window_days;
ALTER TABLE learning.override_score DROP COLUMN matched_sum_rr2;
DROP TABLE IF EXISTS learning.lesson_candidate, learning.lesson_epoch;
-- the validator of the moment may be an older or newer version than this migration's config: bypass it for this one update
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET
    config = jsonb_set(
        config, '{tunables}', (config -> 'tunables')
        - 'fdr_q' - 'stale_after_epochs' - 'retire_after_epochs' - 'edge_window_days' - 'oos_min_trades' - 'oos_p' - 'max_subset_size'
        || '{"min_t_stat": 3.0, "incremental_edge_min": 0.5, "edge_min": 0.5, "strength_n_full": 500}'::jsonb
    )
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;
