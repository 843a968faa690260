-- depends: 0001.schema
-- 0003.replay: what the main job (make demo) and a PM team's own back-tests record.
--  * synthetic_run: each generated market, its size, seed and planted effects (the report's ground truth).
--  * replay_run / replay_step: a walk-forward replay and its steps (as_of, generation, timings).
--  * lesson_snapshot: every lesson's levers at every replay step (lever trajectories).
--  * override_score: out-of-sample scoring of an override generation on the trades that closed after it.
--  * latent_factor_linkage: the v5.3 clustering tree of the latest run (the report's dendrogram).
DO $guard$
BEGIN
    IF to_regclass('learning.runtime_override') IS NULL THEN
        RAISE EXCEPTION 'learning.runtime_override is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0001.schema must be applied first.';
    END IF;
END
$guard$;

CREATE TABLE learning.synthetic_run (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seed integer NOT NULL,
    trades integer NOT NULL CHECK (trades > 0),
    weeks integer NOT NULL CHECK (weeks > 0),
    patterns integer NOT NULL CHECK (patterns > 0),
    history_from timestamptz NOT NULL,
    history_to timestamptz NOT NULL CHECK (history_to > history_from),
    planted jsonb NOT NULL CHECK (jsonb_typeof(planted) = 'array'),
    seconds double precision NOT NULL CHECK (seconds >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.synthetic_run IS
'One row per synthetic market generated (pglearn generate): size, seed, span and the planted effects with the lever direction each should produce.';

CREATE TABLE learning.replay_run (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    replay_from timestamptz NOT NULL,
    replay_to timestamptz NOT NULL CHECK (replay_to >= replay_from),
    step interval NOT NULL CHECK (step > interval '0'),
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    error text
);
COMMENT ON TABLE learning.replay_run IS 'A walk-forward replay (pglearn replay): the learning cycle run as of each step between replay_from and replay_to.';

CREATE TABLE learning.replay_step (
    run_id bigint NOT NULL REFERENCES learning.replay_run (run_id) ON DELETE CASCADE,
    step_no integer NOT NULL CHECK (step_no >= 1),
    as_of timestamptz NOT NULL,
    generation bigint,
    cycle jsonb NOT NULL,
    seconds double precision NOT NULL CHECK (seconds >= 0),
    PRIMARY KEY (run_id, step_no)
);
COMMENT ON TABLE learning.replay_step IS
'One learning cycle of a replay: as_of, the override generation it published, the run_learning_cycle summary and its wall time.';

CREATE TABLE learning.lesson_snapshot (
    run_id bigint NOT NULL,
    step_no integer NOT NULL,
    lesson_id bigint NOT NULL,
    pattern_key text NOT NULL,
    action_category text NOT NULL,
    scope_values jsonb NOT NULL,
    status text NOT NULL,
    effect jsonb NOT NULL CHECK (learning.effect_within_bounds(effect)),
    lesson_strength double precision NOT NULL CHECK (lesson_strength BETWEEN 0 AND 1),
    edge_raw double precision,
    decay_halflife_hours double precision,
    latent_factor_id text,
    PRIMARY KEY (run_id, step_no, lesson_id),
    FOREIGN KEY (run_id, step_no) REFERENCES learning.replay_step (run_id, step_no) ON DELETE CASCADE
);
COMMENT ON TABLE learning.lesson_snapshot IS 'Every lesson as it stood after each replay step: the lever trajectories of the report.';

CREATE TABLE learning.override_score (
    generation bigint NOT NULL,
    pattern_key text NOT NULL,
    action_category text NOT NULL,
    scope_mask smallint NOT NULL,
    scope_values_hash text NOT NULL,
    scope_values jsonb NOT NULL,
    lesson_id bigint NOT NULL,
    size_mult double precision NOT NULL,
    window_from timestamptz NOT NULL,
    window_to timestamptz NOT NULL CHECK (window_to > window_from),
    trades_matched integer NOT NULL CHECK (trades_matched >= 0),
    matched_sum_rr double precision NOT NULL,
    matched_sum_size_rr double precision NOT NULL,
    pattern_trades integer NOT NULL CHECK (pattern_trades >= trades_matched),
    pattern_sum_rr double precision NOT NULL,
    scored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (generation, pattern_key, action_category, scope_mask, scope_values_hash)
);
COMMENT ON TABLE learning.override_score IS
'Out-of-sample scoring (roadmap open question 4): each override of a generation on the trades closed in (window_from, window_to], '
'the window after the generation was published. Kept after the generation itself is pruned.';

CREATE TABLE learning.latent_factor_linkage (
    singleton boolean PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    as_of timestamptz NOT NULL,
    pattern_keys text[] NOT NULL,
    linkage jsonb NOT NULL CHECK (jsonb_typeof(linkage) = 'array'),
    cut_distance double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.latent_factor_linkage IS
'The v5.3 average-linkage tree of the latest cluster_latent_factors run (scipy linkage rows [i, j, distance, size] over pattern_keys).';
