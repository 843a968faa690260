-- Rollback of 0016.cube_keys (functions are re-applied by migrate). The cube's rows are derived data: the frame is
-- emptied, so the next fold-in of the older code rebuilds.
DROP INDEX IF EXISTS learning.idx_scope_cube_base_key;
DROP INDEX IF EXISTS learning.idx_pattern_scope_stats_lookup;
CREATE INDEX idx_pattern_scope_stats_lookup ON learning.pattern_scope_stats (pattern_key, action_category, scope_mask);
ALTER TABLE learning.pattern_scope_stats RESET (fillfactor);
ALTER TABLE learning.pattern_scope_stats DROP COLUMN IF EXISTS scope_key;
CREATE INDEX IF NOT EXISTS idx_pattern_scope_stats_n ON learning.pattern_scope_stats (n DESC) WHERE n >= 10;
DELETE FROM learning.scope_cube_frame;
COMMENT ON TABLE learning.scope_cube_code IS
'The dictionary of the last rebuild: each scope value''s code and its dimension''s bit field in scope_cube_base.scope_key; a fold-in of a value it lacks (or whose code would not fit) rebuilds.';
