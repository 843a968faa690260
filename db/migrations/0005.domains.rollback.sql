-- Rollback of 0005.domains: rr_abs_max leaves pm_config (0009.job_registry, which requires it, is rolled back first).
-- Normalised integer scope values stay integers: they were valid before and are valid after.
-- the validator of the moment may be an older or newer version than this migration's config (it may read objects of
-- later migrations already rolled back, e.g. 0008's lever catalogue): bypass it for this one update, as 0004 does
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET config = config #- '{tunables,rr_abs_max}'
WHERE config_key = 'pm_config' AND config -> 'tunables' ? 'rr_abs_max';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;
