-- depends: 0003.replay
-- 0004.lessons: false-discovery control over the scope search (issue 10, docs/levers.md).
--  * lesson_epoch: one row per build_lessons run: the tests of the epoch per subset size, the layered
--    Benjamini-Yekutieli critical values, discoveries and lessons.
--  * lesson_candidate: every test of the latest epoch (R/R and counterfactual, per stats cell) with its p, q,
--    self-sufficiency, productivity, shrinkage and the reason it is or is not a lesson.
--  * learning_lessons: statuses stale / retired / rolled_back, the epoch of the last confirmation, the test that
--    chose it and the out-of-sample guard's figures.
--  * learning_edge_history.window_days: trailing-window edge points (NULL = cumulative), read by the half-life fit.
--  * override_score.matched_sum_rr2: the second moment the out-of-sample guard's t-test needs.
--  * new tunables; min_t_stat and incremental_edge_min are gone (replaced by the FDR step and self-sufficiency).
DO $guard$
BEGIN
    IF to_regclass('learning.override_score') IS NULL THEN
        RAISE EXCEPTION 'learning.override_score is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0001.schema and 0003.replay must be applied first.';
    END IF;
END
$guard$;

CREATE TABLE learning.lesson_epoch (
    epoch_no integer PRIMARY KEY CHECK (epoch_no >= 1),
    as_of timestamptz NOT NULL UNIQUE,
    fdr_q double precision NOT NULL CHECK (fdr_q > 0 AND fdr_q <= 0.5),
    layers integer NOT NULL CHECK (layers >= 0),
    tests integer NOT NULL CHECK (tests >= 0),
    discoveries integer NOT NULL CHECK (discoveries >= 0),
    chosen integer NOT NULL CHECK (chosen >= 0),
    per_layer jsonb NOT NULL CHECK (jsonb_typeof(per_layer) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.lesson_epoch IS
'One row per learning epoch (build_lessons): tests per subset size (layer), the layered Benjamini-Yekutieli critical p per layer, discoveries and cells chosen as lessons.';

CREATE TABLE learning.lesson_candidate (
    epoch_no integer NOT NULL REFERENCES learning.lesson_epoch (epoch_no) ON DELETE CASCADE,
    stats_id bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('rr', 'cf')),
    pattern_key text NOT NULL,
    action_category text NOT NULL CHECK (action_category IN ('entry', 'add', 'trim', 'exit')),
    scope_mask smallint NOT NULL,
    scope_values jsonb NOT NULL,
    scope_values_hash text NOT NULL,
    k smallint NOT NULL CHECK (k >= 0),
    n integer NOT NULL CHECK (n >= 2),
    mean double precision NOT NULL,
    variance double precision NOT NULL CHECK (variance >= 0),
    null_mean double precision NOT NULL,
    p_value double precision CHECK (p_value BETWEEN 0 AND 1),
    q_value double precision CHECK (q_value BETWEEN 0 AND 1),
    significant boolean NOT NULL,
    parent_p double precision CHECK (parent_p BETWEEN 0 AND 1),
    weakest_parent jsonb,
    self_sufficient boolean,
    remainder_n integer,
    remainder_p double precision CHECK (remainder_p BETWEEN 0 AND 1),
    productive boolean,
    shrink_weight double precision CHECK (shrink_weight BETWEEN 0 AND 1),
    shrunk_mean double precision,
    edge_raw double precision,
    edge_shrunk double precision,
    chosen boolean NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (epoch_no, stats_id, kind)
);
COMMENT ON TABLE learning.lesson_candidate IS
'Every test of the latest learning epoch: a stats cell''s R/R mean against the baseline (kind rr) or its counterfactual gain against 0 (kind cf), '
'with p, layered BY q, self-sufficiency over its parents, independent productivity, empirical-Bayes shrinkage and why it is or is not a lesson.';
CREATE INDEX lesson_candidate_scope_idx ON learning.lesson_candidate (pattern_key, action_category, scope_mask, scope_values_hash);

ALTER TABLE learning.learning_lessons DROP CONSTRAINT learning_lessons_status_check;
ALTER TABLE learning.learning_lessons
ADD CONSTRAINT learning_lessons_status_check CHECK (status IN ('active', 'stale', 'retired', 'rolled_back')),
ADD COLUMN confirmed_epoch integer CHECK (confirmed_epoch >= 1),
ADD COLUMN basis text CHECK (basis IN ('rr', 'cf', 'rr+cf')),
ADD COLUMN p_value double precision CHECK (p_value BETWEEN 0 AND 1),
ADD COLUMN q_value double precision CHECK (q_value BETWEEN 0 AND 1),
ADD COLUMN shrink_weight double precision CHECK (shrink_weight BETWEEN 0 AND 1),
ADD COLUMN status_reason text,
ADD COLUMN status_changed_at timestamptz,
ADD COLUMN oos_trades integer CHECK (oos_trades >= 0),
ADD COLUMN oos_excess_rr double precision,
ADD COLUMN oos_p double precision CHECK (oos_p BETWEEN 0 AND 1);
COMMENT ON COLUMN learning.learning_lessons.status IS
'active (in force), stale (not re-confirmed for stale_after_epochs: no override), retired (not re-confirmed for retire_after_epochs), rolled_back (failed the out-of-sample guard).';
COMMENT ON COLUMN learning.learning_lessons.confirmed_epoch IS 'lesson_epoch.epoch_no of the last epoch that chose this scope.';
COMMENT ON COLUMN learning.learning_lessons.basis IS 'Which test chose the lesson at its last confirmation: rr (R/R edge), cf (counterfactual gain) or both.';
COMMENT ON COLUMN learning.learning_lessons.edge_raw IS 'The edge behind the levers: edge_raw of the stats cell with its mean shrunk toward its parent''s (empirical Bayes).';
COMMENT ON COLUMN learning.learning_lessons.incremental_edge IS 'The smallest difference in mean R/R between the cell and any immediate parent without the cell''s samples.';

ALTER TABLE learning.learning_edge_history ADD COLUMN window_days integer CHECK (window_days BETWEEN 1 AND 365);
COMMENT ON COLUMN learning.learning_edge_history.window_days IS
'NULL: the cumulative edge of the stats row; else the lesson scope''s edge over the trailing window (as_of - window_days, as_of] (half-life fits read these).';

ALTER TABLE learning.override_score ADD COLUMN matched_sum_rr2 double precision NOT NULL DEFAULT 0 CHECK (matched_sum_rr2 >= 0);
COMMENT ON COLUMN learning.override_score.matched_sum_rr2 IS 'Sum of rr^2 over the matched trades (the out-of-sample guard''s variance).';

-- the validator of the moment may be an older or newer version than this migration's config: bypass it for this one update
ALTER TABLE learning.learning_configs DISABLE TRIGGER USER;
UPDATE learning.learning_configs
SET config = jsonb_set(config, '{tunables}', (config -> 'tunables') - 'min_t_stat' - 'incremental_edge_min' - 'strength_n_full' || '{
    "fdr_q": 0.05, "stale_after_epochs": 2, "retire_after_epochs": 8, "edge_window_days": 28,
    "oos_min_trades": 30, "oos_p": 0.05, "max_subset_size": 4, "edge_min": 0.2}'::jsonb)
WHERE config_key = 'pm_config';
ALTER TABLE learning.learning_configs ENABLE TRIGGER USER;
