-- depends: 0004.lessons 0005.domains 0007.job_runs
-- 0009.job_registry: one source for the job list, a complete pm_config (issue 12, docs/operations.md "Jobs", "pm_config").
--  * learning.job_registry: the six learning jobs, one row each: the stage (order in run_learning_cycle), the function
--    run_job calls, the pg_cron schedule and its name, whether feature_flags.v5_meta_learning_enabled gates it, the
--    stages whose latest finished run must be ok, a description. run_job, run_learning_cycle and db/jobs/schedule.sql
--    read it; nothing else lists the jobs. A table rather than an IMMUTABLE function: it is data that SQL joins and
--    loops over (the cycle's ORDER BY, the pg_cron loop, v_job_history, the tests), the reader sees it like any
--    registry, and its CHECKs and keys pin the shape.
--  * pm_config: every tunable the code reads is present: a tunable missing from an existing database (an optional one
--    an operator left out) gets its shipped value. From this migration on the config trigger requires every tunable
--    (it checks for this table), so no function carries a fallback default. Depends on 0004 and 0005, whose tunables it
--    requires: rolling either back rolls this back first.
--  * the comment of override_application: a resolve_overrides call that matches nothing writes no row.
DO $guard$
BEGIN
    IF to_regclass('learning.job_runs') IS NULL OR to_regclass('learning.lesson_epoch') IS NULL THEN
        RAISE EXCEPTION 'learning.job_runs or learning.lesson_epoch is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0004.lessons and 0007.job_runs must be applied first.';
    END IF;
END
$guard$;

CREATE TABLE learning.job_registry (
    job text PRIMARY KEY CHECK (job ~ '^[a-z][a-z0-9_]{0,62}$'),
    stage smallint NOT NULL UNIQUE CHECK (stage > 0),
    function_name text NOT NULL UNIQUE CHECK (function_name ~ '^[a-z][a-z0-9_]{0,62}$'),
    cron_name text NOT NULL UNIQUE CHECK (cron_name ~ '^pglearn_[a-z0-9_]+$' AND cron_name <> 'pglearn_housekeeping'),
    cron_schedule text NOT NULL CHECK (cron_schedule ~ '^[0-9*/,-]+( [0-9*/,-]+){4}$'),
    meta_learning boolean NOT NULL DEFAULT FALSE,
    requires text[] NOT NULL DEFAULT '{}',
    description text NOT NULL CHECK (description <> '')
);
COMMENT ON TABLE learning.job_registry IS
'The learning jobs, one row each: read by run_job (which jobs exist, what to call, gates), run_learning_cycle (order) and db/jobs/schedule.sql (pg_cron).';
COMMENT ON COLUMN learning.job_registry.job IS 'Job name, as passed to run_job and recorded in job_runs.job.';
COMMENT ON COLUMN learning.job_registry.stage IS 'Position in run_learning_cycle (ascending).';
COMMENT ON COLUMN learning.job_registry.function_name IS 'The function of schema learning run_job calls: f(as_of timestamptz) -> integer.';
COMMENT ON COLUMN learning.job_registry.cron_name IS 'pg_cron job name (cron.job.jobname) of its schedule.';
COMMENT ON COLUMN learning.job_registry.cron_schedule IS 'pg_cron schedule (GMT).';
COMMENT ON COLUMN learning.job_registry.meta_learning IS
'A v5 meta-learning job: skipped while pm_config.feature_flags.v5_meta_learning_enabled is false.';
COMMENT ON COLUMN learning.job_registry.requires IS
'Jobs whose latest finished run must be ok, else run_job skips this one (''an earlier stage failed'').';
COMMENT ON COLUMN learning.job_registry.description IS 'What the job does.';
REVOKE ALL ON learning.job_registry FROM public;
GRANT SELECT ON learning.job_registry TO pglearn_reader;

INSERT INTO learning.job_registry (job, stage, function_name, cron_name, cron_schedule, meta_learning, requires, description)
VALUES
(
    'aggregate_pattern_scope_stats', 1, 'aggregate_pattern_scope_stats', 'pglearn_aggregate', '0 */2 * * *', FALSE, '{}',
    'Rebuilds pattern_scope_stats, the iceberg cube of scope subsets (docs/stats.md).'
),
(
    'learn_regime_weights', 2, 'learn_regime_weights', 'pglearn_regime_weights', '0 1 * * *', TRUE, '{}',
    'v5.1: edge-factor weights per regime.'
),
(
    'cluster_latent_factors', 3, 'cluster_latent_factors', 'pglearn_latent_factors', '0 3 * * 1', TRUE, '{}',
    'v5.3: latent factors of correlated patterns.'
),
(
    'build_lessons', 4, 'build_lessons', 'pglearn_lessons', '20 */6 * * *', FALSE, '{aggregate_pattern_scope_stats}',
    'One learning epoch: FDR-controlled lesson selection, levers, lifecycle (docs/levers.md).'
),
(
    'estimate_half_lives', 5, 'estimate_half_lives', 'pglearn_half_lives', '0 2 * * 1', TRUE, '{}',
    'v5.2: half-life fits of the lessons'' edges, edge-history retention.'
),
(
    'materialize_overrides', 6, 'materialize_overrides', 'pglearn_materialize', '40 */2 * * *', FALSE,
    '{aggregate_pattern_scope_stats,build_lessons}',
    'Decayed, factor-merged overrides: a new generation, published atomically.'
);

-- every tunable present: the shipped value where one is missing (an existing value always wins). The validator of the
-- moment may be an older or newer version than this migration's config: bypass it for this one update.
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET config = jsonb_set(config, '{tunables}', '{
    "rr_baseline": null, "cf_min_n": 5, "override_generations_kept": 5, "regime_min_rows": 10, "regime_support_k": 20,
    "half_life_default_hours": 720, "half_life_min_hours": 24, "half_life_max_hours": 8760, "edge_history_full_days": 30,
    "latent_cut_distance": 0.3, "rr_abs_max": 100}'::jsonb || (config -> 'tunables'))
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;

COMMENT ON TABLE learning.override_application IS
'Telemetry: one row per applied override (a resolve_overrides call that matched one, or a result forwarded by record_override_application), with before/after levers and controls; a call that matches nothing writes no row.';
