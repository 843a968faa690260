-- Rollback of 0005.domains: rr_abs_max leaves pm_config (its readers default to 100 without it).
-- Normalised integer scope values stay integers: they were valid before and are valid after.
UPDATE learning.learning_configs
SET config = config #- '{tunables,rr_abs_max}'
WHERE config_key = 'pm_config' AND config -> 'tunables' ? 'rr_abs_max';
