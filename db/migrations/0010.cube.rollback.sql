-- Rollback of 0010.cube (functions and views are re-applied by migrate). The cube's rows are derived data: the
-- stats column comes back empty and the next aggregation of the older code fills it.
DELETE FROM learning.job_registry
WHERE job = 'fold_in_closes';
UPDATE learning.job_registry SET description = 'Rebuilds pattern_scope_stats, the iceberg cube of scope subsets (docs/stats.md).'
WHERE job = 'aggregate_pattern_scope_stats';
DROP TRIGGER IF EXISTS completed_trades_queue ON learning.completed_trades;
DROP FUNCTION IF EXISTS learning._queue_closed_trades();
DROP VIEW IF EXISTS learning.v_pattern_scope_stats;
DROP VIEW IF EXISTS learning.v_top_edges;
DROP FUNCTION IF EXISTS learning.scope_stats(timestamptz);
DROP FUNCTION IF EXISTS learning.category_baselines(timestamptz);
DROP FUNCTION IF EXISTS learning.fold_in_closes(timestamptz);
DROP TABLE IF EXISTS learning.scope_fold_queue, learning.scope_cube_frame, learning.scope_cube_code, learning.scope_cube_base;
TRUNCATE learning.pattern_scope_stats;
ALTER TABLE learning.pattern_scope_stats
DROP CONSTRAINT pattern_scope_stats_n_check,
DROP COLUMN k, DROP COLUMN s_rr, DROP COLUMN s_rr2, DROP COLUMN s_te, DROP COLUMN n_above, DROP COLUMN weeks,
DROP COLUMN sn0, DROP COLUMN sn1, DROP COLUMN sn2, DROP COLUMN sn3, DROP COLUMN sn4,
DROP COLUMN ss0, DROP COLUMN ss1, DROP COLUMN ss2, DROP COLUMN ss3, DROP COLUMN ss4,
DROP COLUMN cfd_n, DROP COLUMN cfd_s, DROP COLUMN cfe_n, DROP COLUMN cfe_s, DROP COLUMN cfe_s2,
DROP COLUMN cfx_n, DROP COLUMN cfx_s, DROP COLUMN cfx_later, DROP COLUMN cfx_earlier,
DROP COLUMN cfx_dn, DROP COLUMN cfx_ds, DROP COLUMN cfx_ds2, DROP COLUMN s_t, DROP COLUMN s_t2, DROP COLUMN s_trr,
ADD COLUMN stats jsonb NOT NULL;
COMMENT ON TABLE learning.pattern_scope_stats IS
'Edge stats per (pattern_key, action_category, scope subset); scope_mask bit i = registry dim i, 0 = pattern-wide row. Written by aggregate_pattern_scope_stats.';
