-- depends: 0009.job_registry
-- 0011.hot_path: the PM's hot path (issue 14, docs/api.md "Decision time", "Telemetry", "OverrideCache", "Shadow mode").
--  * learning.override_decision_buffer (UNLOGGED): one compact row (~60 bytes) per resolve_overrides decision on the
--    SQL path (time, generation, lesson, kind bits). Unlogged, so a call's transaction writes no WAL and its commit
--    waits for no flush; rolled up into override_decision_counts by learning.flush_override_decisions() (pg_cron every
--    minute, and before scoring). A server crash empties it: up to one roll-up interval of SQL-path counts is lost.
--  * learning.override_decision_counts: the durable telemetry, one counter row per (hour, generation, lesson, mode,
--    source): decisions, and how many of them also applied execution levers. OverrideCache ships its counts here in
--    batches; the buffer rolls up here. Readable on a hot standby (the buffer is not).
--  * runtime_override_rank_idx: each (generation, pattern, category)'s candidates pre-sorted by specificity (most dims,
--    strength, lesson id), so the best match is the first contained one of one index range scan, without a sort.
--  * runtime_override.strength_doc / execution_doc: the "applied" documents of each override (learning._override_docs),
--    written once by materialize_overrides instead of built on every call; NULL in rows written before this migration
--    (resolve_overrides and OverrideCache then build them with the same function).
--  * override_score.shadow_decisions / applied_decisions / mode: what the telemetry says the override did in its
--    generation, so v_override_effectiveness scores shadow decisions apart from applied ones.
--  * pm_config.feature_flags: learning_overrides_mode ('apply' | 'shadow'), learning_overrides_mode_by_pattern
--    ({pattern_key: 'apply' | 'shadow'}), learning_overrides_telemetry_full (false: the before/after rows of
--    override_application only on request).
DO $guard$
BEGIN
    IF to_regclass('learning.job_registry') IS NULL OR to_regclass('learning.override_score') IS NULL THEN
        RAISE EXCEPTION 'learning.job_registry or learning.override_score is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0003.replay and 0009.job_registry must be applied first.';
    END IF;
END
$guard$;

CREATE UNLOGGED TABLE learning.override_decision_buffer (
    decided_at timestamptz NOT NULL DEFAULT now(),
    generation bigint NOT NULL,
    lesson_id bigint NOT NULL,
    kind smallint NOT NULL CHECK (kind BETWEEN 0 AND 3)
);
COMMENT ON TABLE learning.override_decision_buffer IS
'UNLOGGED: one compact row per resolve_overrides decision (kind bit 1: execution levers applied too, bit 2: shadow mode), '
'rolled up into override_decision_counts by flush_override_decisions(); emptied by a server crash.';
REVOKE ALL ON learning.override_decision_buffer FROM public;
GRANT SELECT ON learning.override_decision_buffer TO pglearn_reader;
-- the roll-up (flush_override_decisions, run by pg_cron or an admin) moves it
GRANT SELECT, INSERT, UPDATE, DELETE ON learning.override_decision_buffer TO pglearn_admin;

CREATE TABLE learning.override_decision_counts (
    hour timestamptz NOT NULL CHECK (hour = date_trunc('hour', hour)),
    generation bigint NOT NULL,
    lesson_id bigint NOT NULL,
    mode text NOT NULL CHECK (mode IN ('apply', 'shadow')),
    source text NOT NULL CHECK (source IN ('sql', 'cache')),
    decisions bigint NOT NULL CHECK (decisions > 0),
    execution_decisions bigint NOT NULL DEFAULT 0 CHECK (execution_decisions BETWEEN 0 AND decisions),
    PRIMARY KEY (hour, generation, lesson_id, mode, source)
);
COMMENT ON TABLE learning.override_decision_counts IS
'Override telemetry, one counter per (hour, generation, lesson, mode, source): decisions (a match applied, or in shadow '
'mode recorded without applying) and those that also applied execution levers. source sql: resolve_overrides (via '
'the buffer); cache: pglearn.OverrideCache batches.';
CREATE INDEX override_decision_counts_generation_idx ON learning.override_decision_counts (generation, lesson_id);
REVOKE ALL ON learning.override_decision_counts FROM public;
GRANT SELECT ON learning.override_decision_counts TO pglearn_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON learning.override_decision_counts TO pglearn_admin;

CREATE INDEX runtime_override_rank_idx ON learning.runtime_override
(generation, pattern_key, action_category, scope_dim_count DESC, lesson_strength DESC, lesson_id);

ALTER TABLE learning.runtime_override
ADD COLUMN strength_doc jsonb CHECK (jsonb_typeof(strength_doc) = 'object'),
ADD COLUMN execution_doc jsonb CHECK (jsonb_typeof(execution_doc) = 'object');
COMMENT ON COLUMN learning.runtime_override.strength_doc IS
'resolve_overrides'' "applied.strength" document of this override (learning._override_docs); NULL: built at call time.';
COMMENT ON COLUMN learning.runtime_override.execution_doc IS
'resolve_overrides'' "applied.execution" document (NULL when the override moves no execution lever, or when strength_doc is NULL).';

ALTER TABLE learning.override_score
ADD COLUMN shadow_decisions bigint NOT NULL DEFAULT 0 CHECK (shadow_decisions >= 0),
ADD COLUMN applied_decisions bigint NOT NULL DEFAULT 0 CHECK (applied_decisions >= 0);
COMMENT ON COLUMN learning.override_score.shadow_decisions IS
'Decisions the override made in shadow mode during its generation (override_decision_counts): it was recorded, not applied.';
COMMENT ON COLUMN learning.override_score.applied_decisions IS
'Decisions in which the override was applied during its generation (override_decision_counts).';

-- the mode flags, their shipped values where missing; the validator of the moment may be older or newer than this
-- migration: bypass it for this one update
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET config = jsonb_set(config, '{feature_flags}', '{
    "learning_overrides_mode": "apply", "learning_overrides_mode_by_pattern": {},
    "learning_overrides_telemetry_full": false}'::jsonb || (config -> 'feature_flags'))
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;

COMMENT ON TABLE learning.override_application IS
'Telemetry detail: a result forwarded by record_override_application, or every resolve_overrides application with '
'before/after levers and controls while feature_flags.learning_overrides_telemetry_full is true. The counters of every '
'decision are in override_decision_counts.';
