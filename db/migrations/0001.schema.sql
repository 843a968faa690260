-- 0001.schema: the full v5 learning schema (roadmap sections 1.2-1.5, 3).
-- Versioned schema only: functions, views and triggers live in db/functions/ and are
-- re-applied after every migrate.

CREATE SCHEMA learning;
COMMENT ON SCHEMA learning IS 'pglearn: the PM/DM v5 learning stack (pattern scope stats, lessons, overrides, meta-learning).';

-- Roles (cluster-wide, so created only when missing): the PM runtime and read-only DBAs.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pglearn_pm') THEN
        CREATE ROLE pglearn_pm NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pglearn_reader') THEN
        CREATE ROLE pglearn_reader NOLOGIN;
    END IF;
END
$roles$;
GRANT USAGE ON SCHEMA learning TO pglearn_pm, pglearn_reader;
-- Nothing is executable by PUBLIC: every function file REVOKEs from PUBLIC and GRANTs explicitly.
ALTER DEFAULT PRIVILEGES IN SCHEMA learning GRANT SELECT ON TABLES TO pglearn_reader;
-- The PM calls resolve_overrides(...) unqualified: the schema is on this database's search_path.
DO $path$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path = "$user", public, learning', current_database());
END
$path$;

-- ---------------------------------------------------------------------------
-- Registries
-- ---------------------------------------------------------------------------
CREATE TABLE learning.scope_dimension (
    namespace text NOT NULL CHECK (namespace IN ('pm', 'dm')),
    dim_name text NOT NULL CHECK (dim_name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
    bit smallint NOT NULL CHECK (bit BETWEEN 0 AND 14),
    json_type text NOT NULL CHECK (json_type IN ('string', 'integer')),
    allowed_values jsonb CHECK (allowed_values IS NULL OR jsonb_typeof(allowed_values) = 'array'),
    min_value integer,
    description text NOT NULL DEFAULT '',
    PRIMARY KEY (namespace, dim_name),
    UNIQUE (namespace, bit),
    CHECK (min_value IS NULL OR json_type = 'integer')
);
COMMENT ON TABLE learning.scope_dimension IS
'Scope dimension registry. bit = position in scope_mask; json_type and allowed_values (NULL = any) validate logged scopes. DBAs may extend allowed_values.';

INSERT INTO learning.scope_dimension (namespace, dim_name, bit, json_type, allowed_values, min_value, description) VALUES
('pm', 'macro_phase', 0, 'string', '["Dip", "Double-Dip", "Oh-Shit", "Recover", "Good", "Euphoria"]', NULL, 'market macro phase'),
('pm', 'meso_phase', 1, 'string', '["Dip", "Double-Dip", "Oh-Shit", "Recover", "Good", "Euphoria"]', NULL, 'market meso phase'),
('pm', 'micro_phase', 2, 'string', '["Dip", "Double-Dip", "Oh-Shit", "Recover", "Good", "Euphoria"]', NULL, 'market micro phase'),
('pm', 'bucket_leader', 3, 'string', '["nano", "micro", "mid", "big"]', NULL, 'cap bucket ranked first (bucket_rank[0])'),
('pm', 'bucket_rank_position', 4, 'integer', NULL, 1, '1-based rank of the token''s bucket in the bucket ranking'),
('pm', 'market_family', 5, 'string', '["lowcaps", "midcaps", "majors"]', NULL, 'market family'),
('pm', 'bucket', 6, 'string', '["nano", "micro", "mid", "big"]', NULL, 'the token''s cap bucket'),
('pm', 'timeframe', 7, 'string', '["1m", "5m", "15m", "1h", "4h", "1d"]', NULL, 'decision timeframe'),
('pm', 'A_mode', 8, 'string', '["patient", "normal", "aggressive"]', NULL, 'entry aggression mode'),
('pm', 'E_mode', 9, 'string', '["patient", "normal", "aggressive"]', NULL, 'exit aggression mode'),
('dm', 'curator_tier', 0, 'string', '["S", "A", "B", "C"]', NULL, 'tier of the curator behind the signal'),
('dm', 'intent', 1, 'string', '["buy", "accumulate", "sell", "watch"]', NULL, 'intent of the curator signal'),
('dm', 'chain', 2, 'string', '["solana", "ethereum", "base", "bsc"]', NULL, 'chain the token trades on'),
('dm', 'bucket', 3, 'string', '["nano", "micro", "mid", "big"]', NULL, 'the token''s cap bucket'),
('dm', 'macro_phase', 4, 'string', '["Dip", "Double-Dip", "Oh-Shit", "Recover", "Good", "Euphoria"]', NULL, 'market macro phase');

CREATE TABLE learning.action_category_map (
    action_type text PRIMARY KEY CHECK (action_type ~ '^[A-Za-z][A-Za-z0-9_]*$'),
    action_category text NOT NULL CHECK (action_category IN ('entry', 'add', 'trim', 'exit'))
);
COMMENT ON TABLE learning.action_category_map IS 'Action type -> action category (roadmap 1.1). Categories are exactly entry, add, trim, exit.';

INSERT INTO learning.action_category_map (action_type, action_category) VALUES
('entry_immediate', 'entry'), ('E1', 'entry'), ('E2', 'entry'),
('add', 'add'), ('scale_up', 'add'),
('trim', 'trim'), ('partial_exit', 'trim'),
('cut', 'exit'), ('emergency_exit', 'exit'), ('panic_exit', 'exit');

-- ---------------------------------------------------------------------------
-- The write path: actions and closed trades
-- ---------------------------------------------------------------------------
CREATE TABLE learning.action_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position_id text NOT NULL CHECK (position_id <> ''),
    ts timestamptz NOT NULL,
    pattern_key text NOT NULL CHECK (pattern_key ~ '^(pm|dm)(\.[A-Za-z0-9_-]+)+$'),
    action_type text NOT NULL REFERENCES learning.action_category_map (action_type),
    action_category text NOT NULL CHECK (action_category IN ('entry', 'add', 'trim', 'exit')),
    scope jsonb NOT NULL CHECK (jsonb_typeof(scope) = 'object'),
    controls jsonb NOT NULL CHECK (jsonb_typeof(controls) = 'object'),
    scope_vec text[] NOT NULL,
    logged_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.action_log IS
'One row per PM/DM action (roadmap 1.1). Validated by trigger action_log_validate (also for COPY); scope_vec holds the scope values as text in registry bit order.';
CREATE INDEX action_log_position_idx ON learning.action_log (position_id, ts);
CREATE INDEX action_log_pattern_idx ON learning.action_log (pattern_key, action_category);

CREATE TABLE learning.completed_trades (
    position_id text PRIMARY KEY,
    closed_at timestamptz NOT NULL,
    rr double precision NOT NULL CHECK (rr NOT IN ('NaN', 'Infinity', '-Infinity')),
    details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    first_action_at timestamptz NOT NULL,
    hold_hours double precision GENERATED ALWAYS AS (extract(EPOCH FROM closed_at - first_action_at) / 3600.0) STORED,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK (closed_at >= first_action_at)
);
COMMENT ON TABLE learning.completed_trades IS
'Closed trades: realized R/R of the whole trade, optional counterfactuals in details; hold time from the first action. Validated by trigger completed_trades_validate.';
CREATE INDEX completed_trades_closed_at_idx ON learning.completed_trades (closed_at);

-- ---------------------------------------------------------------------------
-- CAP bucket regime inputs (roadmap 3)
-- ---------------------------------------------------------------------------
CREATE TABLE learning.phase_state (
    ts timestamptz PRIMARY KEY,
    macro_phase text NOT NULL,
    meso_phase text NOT NULL,
    micro_phase text NOT NULL
);
COMMENT ON TABLE learning.phase_state IS 'Market macro/meso/micro phase over time; the row with the latest ts <= as_of is in force.';

CREATE TABLE learning.phase_state_bucket (
    ts timestamptz NOT NULL,
    bucket text NOT NULL,
    phase text NOT NULL,
    rank_position integer NOT NULL CHECK (rank_position >= 1),
    population integer NOT NULL DEFAULT 0 CHECK (population >= 0),
    PRIMARY KEY (ts, bucket),
    UNIQUE (ts, rank_position)
);
COMMENT ON TABLE learning.phase_state_bucket IS 'Phase, rank (1 = leader) and population per cap bucket over time; the snapshot with the latest ts <= as_of is in force.';

CREATE TABLE learning.token_cap_bucket (
    token text NOT NULL,
    valid_from timestamptz NOT NULL,
    bucket text NOT NULL,
    PRIMARY KEY (token, valid_from)
);
COMMENT ON TABLE learning.token_cap_bucket IS 'A token''s cap bucket over time; the row with the latest valid_from <= as_of is in force.';

-- ---------------------------------------------------------------------------
-- Stats and meta-learning (roadmap 1.2, 1.4: the seed's DDL)
-- ---------------------------------------------------------------------------
CREATE TABLE learning.pattern_scope_stats (
    id bigserial PRIMARY KEY,
    pattern_key text NOT NULL,
    action_category text NOT NULL CHECK (action_category IN ('entry', 'add', 'trim', 'exit')),
    scope_mask smallint NOT NULL,
    scope_values jsonb NOT NULL,
    scope_values_hash text NOT NULL,
    n int NOT NULL,
    stats jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pattern_key, action_category, scope_mask, scope_values_hash)
);
COMMENT ON TABLE learning.pattern_scope_stats IS
'Edge stats per (pattern_key, action_category, scope subset); scope_mask bit i = registry dim i, 0 = pattern-wide row. Written by aggregate_pattern_scope_stats.';
CREATE INDEX idx_pattern_scope_stats_lookup ON learning.pattern_scope_stats (pattern_key, action_category, scope_mask);
CREATE INDEX idx_pattern_scope_stats_n ON learning.pattern_scope_stats (n DESC) WHERE n >= 10;

CREATE TABLE learning.learning_regime_weights (
    id bigserial PRIMARY KEY,
    pattern_key text NOT NULL,
    action_category text NOT NULL,
    regime_signature text NOT NULL,
    weights jsonb NOT NULL,
    n_samples int NOT NULL,
    confidence float,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pattern_key, action_category, regime_signature)
);
COMMENT ON TABLE learning.learning_regime_weights IS 'v5.1 regime-specific edge weights per (pattern, category, regime signature); neutral 1.0 until learned.';

CREATE TABLE learning.learning_edge_history (
    id bigserial PRIMARY KEY,
    pattern_key text NOT NULL,
    action_category text NOT NULL,
    scope_signature text NOT NULL,
    edge_raw float NOT NULL,
    ts timestamptz NOT NULL DEFAULT now(),
    n int NOT NULL
);
COMMENT ON TABLE learning.learning_edge_history IS 'v5.2 edge_raw snapshots per (pattern, category, scope signature); read by half-life fitting.';
CREATE INDEX idx_edge_history_pattern ON learning.learning_edge_history (pattern_key, action_category, scope_signature, ts DESC);

CREATE TABLE learning.learning_latent_factors (
    id bigserial PRIMARY KEY,
    factor_id text NOT NULL UNIQUE,
    pattern_keys text[] NOT NULL,
    representative_pattern text,
    correlation_matrix jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.learning_latent_factors IS 'v5.3 latent factors: clusters of patterns that fire on the same trades.';

-- ---------------------------------------------------------------------------
-- Hard lever bounds (roadmap 5.1). Schema, not a re-applied function: CHECK constraints depend on it.
-- ---------------------------------------------------------------------------
CREATE FUNCTION learning.json_number_between(p_value jsonb, p_lo float, p_hi float)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_value IS NULL OR p_value = 'null'::jsonb
        OR (jsonb_typeof(p_value) = 'number' AND (p_value #>> '{}')::float BETWEEN p_lo AND p_hi)
$$;
COMMENT ON FUNCTION learning.json_number_between(jsonb, float, float) IS
'True when a JSON value is absent/null, or a number within [p_lo, p_hi]. Building block of the lever CHECKs.';
REVOKE ALL ON FUNCTION learning.json_number_between(jsonb, float, float) FROM public;

CREATE FUNCTION learning.effect_within_bounds(p_effect jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT learning.json_number_between(p_effect #> '{capital_levers,size_mult}', 0.7, 1.3)
        AND learning.json_number_between(p_effect #> '{capital_levers,entry_aggression_mult}', 0.8, 1.2)
        AND learning.json_number_between(p_effect #> '{capital_levers,exit_aggression_mult}', 0.8, 1.2)
        AND learning.json_number_between(p_effect #> '{execution_levers,entry_delay_bars}', 0, 5)
        AND learning.json_number_between(p_effect #> '{execution_levers,phase1_frac_mult}', 0.5, 1.5)
        AND learning.json_number_between(p_effect #> '{execution_levers,trim_delay_mult}', 0.5, 2.0)
        AND learning.json_number_between(p_effect #> '{execution_levers,trail_mult}', 0.5, 2.0)
        AND learning.json_number_between(p_effect #> '{execution_levers,panic_trigger_mult}', 0.8, 1.2)
        AND coalesce(jsonb_typeof(p_effect #> '{execution_levers,signal_thresholds}'), 'object') = 'object'
        AND NOT EXISTS (
            SELECT 1
            FROM jsonb_each(coalesce(p_effect #> '{execution_levers,signal_thresholds}', '{}')) AS t (k, v)
            WHERE NOT learning.json_number_between(t.v, 0, 1)
        )
$$;
COMMENT ON FUNCTION learning.effect_within_bounds(jsonb) IS
'True when every lever of a lesson effect payload lies within the hard bounds of roadmap 5.1 (signal thresholds within [0, 1]).';
REVOKE ALL ON FUNCTION learning.effect_within_bounds(jsonb) FROM public;

-- ---------------------------------------------------------------------------
-- Lessons (roadmap 1.3)
-- ---------------------------------------------------------------------------
CREATE TABLE learning.learning_lessons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pattern_key text NOT NULL,
    action_category text NOT NULL CHECK (action_category IN ('entry', 'add', 'trim', 'exit')),
    scope_mask smallint NOT NULL CHECK (scope_mask >= 0),
    scope_values_hash text NOT NULL,
    scope_dims text[] NOT NULL,
    scope_values jsonb NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stale', 'retired')),
    enabled boolean NOT NULL DEFAULT TRUE,
    effect jsonb NOT NULL CHECK (
        coalesce(jsonb_typeof(effect -> 'capital_levers'), '') = 'object'
        AND coalesce(jsonb_typeof(effect -> 'execution_levers'), '') = 'object'
        AND learning.effect_within_bounds(effect)
    ),
    edge_raw float,
    incremental_edge float,
    n int,
    lesson_strength float NOT NULL DEFAULT 0 CHECK (lesson_strength BETWEEN 0 AND 1),
    decay_halflife_hours int NOT NULL DEFAULT 720 CHECK (decay_halflife_hours > 0),
    latent_factor_id text,
    last_epoch timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_confirmed_at timestamptz,
    UNIQUE (pattern_key, action_category, scope_mask, scope_values_hash)
);
COMMENT ON TABLE learning.learning_lessons IS
'Lessons: simplest scope subsets with real edge, with capital/execution lever payloads (effect). Levers are CHECKed against the hard bounds of roadmap 5.1.';

-- ---------------------------------------------------------------------------
-- Configuration documents (roadmap 1.5, 5.3)
-- ---------------------------------------------------------------------------
CREATE TABLE learning.learning_configs (
    config_key text PRIMARY KEY CHECK (config_key IN ('pm_config', 'pattern_strength_overrides', 'pattern_overrides')),
    config jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.learning_configs IS
'Configuration documents: pm_config (feature_flags + tunables, validated by trigger) and the materialized override documents in the roadmap 1.5 shape.';

INSERT INTO learning.learning_configs (config_key, config) VALUES
('pm_config', '{
  "feature_flags": {
    "learning_overrides_enabled": true,
    "learning_overrides_enabled_regimes": [],
    "learning_overrides_enabled_buckets": [],
    "v5_meta_learning_enabled": true
  },
  "tunables": {
    "n_min": {"k1_2": 10, "k3_4": 20, "k5_6": 30, "k7_plus": 50},
    "learning_rate": 0.02,
    "edge_scale": 20,
    "max_step": 0.02,
    "edge_min": 0.5,
    "incremental_edge_min": 0.5,
    "min_t_stat": 3.0,
    "ref_hold_hours": 24,
    "rr_baseline": null,
    "strength_n_full": 500,
    "cf_min_n": 5,
    "override_generations_kept": 5,
    "regime_min_rows": 10,
    "regime_support_k": 20,
    "half_life_default_hours": 720,
    "half_life_min_hours": 24,
    "half_life_max_hours": 8760,
    "edge_history_full_days": 30,
    "latent_cut_distance": 0.3,
    "lever_bounds": {
      "size_mult": [0.7, 1.3],
      "entry_aggression_mult": [0.8, 1.2],
      "exit_aggression_mult": [0.8, 1.2],
      "entry_delay_bars": [0, 5],
      "phase1_frac_mult": [0.5, 1.5],
      "trim_delay_mult": [0.5, 2.0],
      "trail_mult": [0.5, 2.0],
      "panic_trigger_mult": [0.8, 1.2],
      "signal_threshold": [0.0, 1.0]
    }
  }
}'),
('pattern_strength_overrides', '[]'),
('pattern_overrides', '[]');

-- ---------------------------------------------------------------------------
-- Runtime overrides: generations swapped in atomically, previous ones kept for rollback
-- ---------------------------------------------------------------------------
CREATE TABLE learning.override_generation (
    generation bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    n_overrides integer NOT NULL DEFAULT 0 CHECK (n_overrides >= 0),
    note text
);
COMMENT ON TABLE learning.override_generation IS 'One row per materialization; override_current points at the generation the runtime reads.';

CREATE TABLE learning.override_current (
    singleton boolean PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    generation bigint NOT NULL REFERENCES learning.override_generation (generation),
    swapped_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.override_current IS 'Single row: the override generation in force. Swapping it is the atomic publish step.';

CREATE TABLE learning.runtime_override (
    generation bigint NOT NULL REFERENCES learning.override_generation (generation) ON DELETE CASCADE,
    pattern_key text NOT NULL,
    action_category text NOT NULL CHECK (action_category IN ('entry', 'add', 'trim', 'exit')),
    scope_mask smallint NOT NULL CHECK (scope_mask >= 0),
    scope_values jsonb NOT NULL CHECK (jsonb_typeof(scope_values) = 'object'),
    scope_values_hash text NOT NULL,
    scope_dim_count smallint NOT NULL CHECK (scope_dim_count BETWEEN 0 AND 15),
    lesson_id bigint NOT NULL,
    lesson_strength float NOT NULL CHECK (lesson_strength BETWEEN 0 AND 1),
    decay_factor float NOT NULL CHECK (decay_factor BETWEEN 0 AND 1),
    latent_factor_id text,
    size_mult float NOT NULL DEFAULT 1 CHECK (size_mult BETWEEN 0.7 AND 1.3),
    entry_aggression_mult float NOT NULL DEFAULT 1 CHECK (entry_aggression_mult BETWEEN 0.8 AND 1.2),
    exit_aggression_mult float NOT NULL DEFAULT 1 CHECK (exit_aggression_mult BETWEEN 0.8 AND 1.2),
    entry_delay_bars smallint CHECK (entry_delay_bars BETWEEN 0 AND 5),
    phase1_frac_mult float CHECK (phase1_frac_mult BETWEEN 0.5 AND 1.5),
    trim_delay_mult float CHECK (trim_delay_mult BETWEEN 0.5 AND 2.0),
    trail_mult float CHECK (trail_mult BETWEEN 0.5 AND 2.0),
    panic_trigger_mult float CHECK (panic_trigger_mult BETWEEN 0.8 AND 1.2),
    signal_thresholds jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(signal_thresholds) = 'object'),
    PRIMARY KEY (generation, pattern_key, action_category, scope_mask, scope_values_hash)
);
COMMENT ON TABLE learning.runtime_override IS
'Materialized, decayed overrides per generation, indexed for resolve_overrides; typed lever columns CHECKed against the roadmap 5.1 bounds.';

CREATE TABLE learning.override_application (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    pattern_key text NOT NULL,
    action_category text NOT NULL,
    generation bigint,
    strength_lesson_id bigint,
    execution_lesson_id bigint,
    scope jsonb NOT NULL,
    before jsonb NOT NULL,
    after jsonb NOT NULL,
    source text NOT NULL DEFAULT 'primary' CHECK (source IN ('primary', 'client'))
);
COMMENT ON TABLE learning.override_application IS 'Telemetry: one row per resolve_overrides call (matched or not), with before/after levers and controls.';
CREATE INDEX override_application_time_idx ON learning.override_application (applied_at);

-- ---------------------------------------------------------------------------
-- Job bookkeeping
-- ---------------------------------------------------------------------------
CREATE TABLE learning.job_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job text NOT NULL,
    as_of timestamptz NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
    rows integer,
    error text,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
COMMENT ON TABLE learning.job_runs IS 'Every learning job run: status running/ok/failed/skipped, rows written, error text.';
CREATE INDEX job_runs_job_idx ON learning.job_runs (job, started_at DESC);
