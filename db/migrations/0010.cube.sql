-- depends: 0009.job_registry
-- 0010.cube: the cube at scale (issue 13, docs/stats.md "Aggregation", docs/operations.md "Scaling").
--  * learning.pattern_scope_stats keeps its cells, its key and its indexes but stores mergeable sums only, in typed
--    columns (n, sum rr, sum rr^2, time-efficiency sum, ISO-week bitmap, per-segment sums, counterfactual sums and
--    counts, time moments): what depends on the baseline, the regime weights or the tests (avg_rr, variance,
--    edge_raw, field_coherence, segments_positive, ...) is finished when it is read (learning.scope_stats,
--    learning.v_pattern_scope_stats shows the roadmap's stats JSON). The stats column goes; the rows are derived
--    data and are rebuilt by the next aggregation.
--  * learning.scope_cube_base: the same sums per (pattern, category, full scope), the finest cuboid; the rebuild
--    rolls up from it and a fold-in completes from it the cells that cross N_min.
--  * learning.scope_cube_code: the rebuild's dictionary (scope value -> code, bit field), for the fold-ins' integer keys.
--  * learning.scope_cube_frame: what a rebuild froze for the fold-ins until the next one (the first week of the
--    history, the coherence baseline per category).
--  * learning.scope_fold_queue: closed trades not yet in the cube; filled by a trigger on completed_trades,
--    emptied by fold_in_closes (every minute) and by the rebuild.
--  * job fold_in_closes in learning.job_registry (stage 8, after the stages of a learning cycle; every minute).
DO $guard$
BEGIN
    IF to_regclass('learning.job_registry') IS NULL THEN
        RAISE EXCEPTION 'learning.job_registry is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0009.job_registry must be applied first.';
    END IF;
END
$guard$;

-- v_top_edges reads the finished cells now (learning.scope_stats, other column types): migrate re-creates it
DROP VIEW IF EXISTS learning.v_top_edges;
TRUNCATE learning.pattern_scope_stats;
ALTER TABLE learning.pattern_scope_stats
DROP COLUMN stats,
ADD COLUMN k smallint NOT NULL CHECK (k BETWEEN 0 AND 15),
ADD COLUMN s_rr float8 NOT NULL,
ADD COLUMN s_rr2 float8 NOT NULL,
ADD COLUMN s_te float8 NOT NULL,
ADD COLUMN n_above integer NOT NULL,
ADD COLUMN weeks varbit NOT NULL,
ADD COLUMN sn0 integer NOT NULL, ADD COLUMN sn1 integer NOT NULL, ADD COLUMN sn2 integer NOT NULL,
ADD COLUMN sn3 integer NOT NULL, ADD COLUMN sn4 integer NOT NULL,
ADD COLUMN ss0 float8 NOT NULL, ADD COLUMN ss1 float8 NOT NULL, ADD COLUMN ss2 float8 NOT NULL,
ADD COLUMN ss3 float8 NOT NULL, ADD COLUMN ss4 float8 NOT NULL,
ADD COLUMN cfd_n integer NOT NULL, ADD COLUMN cfd_s float8 NOT NULL,
ADD COLUMN cfe_n integer NOT NULL, ADD COLUMN cfe_s float8 NOT NULL, ADD COLUMN cfe_s2 float8 NOT NULL,
ADD COLUMN cfx_n integer NOT NULL, ADD COLUMN cfx_s float8 NOT NULL,
ADD COLUMN cfx_later integer NOT NULL, ADD COLUMN cfx_earlier integer NOT NULL,
ADD COLUMN cfx_dn integer NOT NULL, ADD COLUMN cfx_ds float8 NOT NULL, ADD COLUMN cfx_ds2 float8 NOT NULL,
ADD COLUMN s_t float8 NOT NULL, ADD COLUMN s_t2 float8 NOT NULL, ADD COLUMN s_trr float8 NOT NULL;
ALTER TABLE learning.pattern_scope_stats ADD CONSTRAINT pattern_scope_stats_n_check CHECK (n > 0);
COMMENT ON TABLE learning.pattern_scope_stats IS
'The cube: mergeable sums per (pattern_key, action_category, scope subset) with n >= N_min(k); scope_mask bit i = registry dim i, 0 = pattern-wide row. Written by aggregate_pattern_scope_stats (rebuild) and fold_in_closes; finished by scope_stats (docs/stats.md).';
COMMENT ON COLUMN learning.pattern_scope_stats.n_above IS
'Samples with rr >= the coherence baseline frozen at the last rebuild (learning.scope_cube_frame).';
COMMENT ON COLUMN learning.pattern_scope_stats.weeks IS
'Bit i (from the left) = a sample closed in week i after scope_cube_frame.week0; trailing bits may be missing.';
COMMENT ON COLUMN learning.pattern_scope_stats.sn0 IS
'Samples in consistency segment 0 (segment = 4-week calendar block since week0, modulo 5); sn1..sn4 likewise, ss0..ss4 their sum of rr.';

CREATE TABLE learning.scope_cube_base (
    pattern_key learning.pattern_key NOT NULL,
    action_category learning.action_category NOT NULL,
    scope_hash text NOT NULL,
    scope jsonb NOT NULL,
    scope_key bigint NOT NULL,
    n integer NOT NULL CHECK (n > 0),
    s_rr float8 NOT NULL, s_rr2 float8 NOT NULL, s_te float8 NOT NULL, n_above integer NOT NULL, weeks varbit NOT NULL,
    sn0 integer NOT NULL, sn1 integer NOT NULL, sn2 integer NOT NULL, sn3 integer NOT NULL, sn4 integer NOT NULL,
    ss0 float8 NOT NULL, ss1 float8 NOT NULL, ss2 float8 NOT NULL, ss3 float8 NOT NULL, ss4 float8 NOT NULL,
    cfd_n integer NOT NULL, cfd_s float8 NOT NULL, cfe_n integer NOT NULL, cfe_s float8 NOT NULL, cfe_s2 float8 NOT NULL,
    cfx_n integer NOT NULL, cfx_s float8 NOT NULL, cfx_later integer NOT NULL, cfx_earlier integer NOT NULL,
    cfx_dn integer NOT NULL, cfx_ds float8 NOT NULL, cfx_ds2 float8 NOT NULL,
    s_t float8 NOT NULL, s_t2 float8 NOT NULL, s_trr float8 NOT NULL,
    PRIMARY KEY (pattern_key, action_category, scope_hash)
);
COMMENT ON COLUMN learning.scope_cube_base.scope_key IS
'The full scope coded through learning.scope_cube_code (a bit field per dimension): a cell of mask m holds the rows whose scope_key & keymask(m) equals its own.';
COMMENT ON TABLE learning.scope_cube_base IS
'The finest cuboid: the cube''s sums per (pattern, category, full scope) over every fact, no N_min; the rebuild rolls up from it, a fold-in completes from it the cells that cross N_min.';
REVOKE ALL ON learning.scope_cube_base FROM public;
GRANT SELECT ON learning.scope_cube_base TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.scope_cube_base TO pglearn_admin;

CREATE TABLE learning.scope_cube_frame (
    action_category learning.action_category PRIMARY KEY,
    week0 date NOT NULL,
    week_bits integer NOT NULL CHECK (week_bits > 0),
    coherence_baseline float8 NOT NULL,
    built_as_of timestamptz NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now(),
    max_subset_size smallint NOT NULL CHECK (max_subset_size BETWEEN 1 AND 10)
);
COMMENT ON TABLE learning.scope_cube_frame IS
'What the last rebuild froze for the fold-ins, per category: the first week of the history (week bits, time moments, segments), the width of the week bitmaps, the coherence baseline (n_above); its as_of and depth.';
REVOKE ALL ON learning.scope_cube_frame FROM public;
GRANT SELECT ON learning.scope_cube_frame TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.scope_cube_frame TO pglearn_admin;

CREATE TABLE learning.scope_cube_code (
    namespace text NOT NULL,
    bit smallint NOT NULL,
    value text NOT NULL,
    code bigint NOT NULL CHECK (code > 0),
    bit_offset smallint NOT NULL CHECK (bit_offset >= 0),
    bit_width smallint NOT NULL CHECK (bit_width > 0 AND bit_offset + bit_width <= 62),
    PRIMARY KEY (namespace, bit, value)
);
COMMENT ON TABLE learning.scope_cube_code IS
'The dictionary of the last rebuild: each scope value''s code and its dimension''s bit field in scope_cube_base.scope_key; a fold-in of a value it lacks (or whose code would not fit) rebuilds.';
REVOKE ALL ON learning.scope_cube_code FROM public;
GRANT SELECT ON learning.scope_cube_code TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.scope_cube_code TO pglearn_admin;

CREATE TABLE learning.scope_fold_queue (
    position_id text PRIMARY KEY,
    closed_at timestamptz NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.scope_fold_queue IS
'Closed trades not yet in the cube (a trigger on completed_trades queues each new close); fold_in_closes and the rebuild take them out in the transaction that adds them.';
CREATE INDEX idx_scope_fold_queue_closed ON learning.scope_fold_queue (closed_at);
REVOKE ALL ON learning.scope_fold_queue FROM public;
GRANT SELECT ON learning.scope_fold_queue TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.scope_fold_queue TO pglearn_admin;

INSERT INTO learning.job_registry (job, stage, function_name, cron_name, cron_schedule, meta_learning, requires, description)
VALUES (
    'fold_in_closes', 8, 'fold_in_closes', 'pglearn_fold_in', '* * * * *', FALSE, '{}',
    'Folds the queued closes into the cube (summary-delta; docs/stats.md "Fold-in").'
);
UPDATE learning.job_registry SET description = 'Rebuilds the cube pattern_scope_stats by roll-up (docs/stats.md).'
WHERE job = 'aggregate_pattern_scope_stats';
