-- depends: 0010.cube
-- 0016.cube_keys (issue 13, docs/stats.md "Fold-in"): the fold-in works on integer keys.
--  * learning.pattern_scope_stats.scope_key: the cell's values coded through the rebuild's dictionary
--    (learning.scope_cube_code), the same bit fields as scope_cube_base.scope_key with the dims outside the mask at 0;
--    the last column of idx_pattern_scope_stats_lookup (pattern_key, action_category, scope_mask, scope_key), so a
--    fold-in merges its delta by index lookups on integers (no jsonb projection and md5 per delta cell). NULL on the rows written before this migration: the frame
--    is emptied, so the next fold-in rebuilds (and fills it) before it merges anything.
--  * learning.scope_cube_base (pattern_key, action_category, scope_key): a fold-in sums the cells that cross N_min
--    from the base rows whose key it has matched.
--  * idx_pattern_scope_stats_n goes: nothing reads it (no query orders the cube by n alone), and an index on n made
--    every merge of a fold-in a non-HOT update that rewrites every index entry of the cell. fillfactor 85 leaves room
--    on each page for the new versions of the merged cells (HOT updates: no index is touched).
DO $guard$
BEGIN
    IF to_regclass('learning.scope_cube_base') IS NULL THEN
        RAISE EXCEPTION 'learning.scope_cube_base is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0010.cube must be applied first.';
    END IF;
END
$guard$;

ALTER TABLE learning.pattern_scope_stats ADD COLUMN scope_key bigint;
COMMENT ON COLUMN learning.pattern_scope_stats.scope_key IS
'The cell''s values coded through learning.scope_cube_code (scope_cube_base.scope_key with the dims outside scope_mask at 0); the fold-in''s merge key.';
-- the lookup index gains scope_key as its last column: it serves the same (pattern, category, mask) prefix and the
-- fold-in's merge, and the planner has one index to choose, not a prefix index and a filter on scope_key
DROP INDEX learning.idx_pattern_scope_stats_lookup;
CREATE INDEX idx_pattern_scope_stats_lookup ON learning.pattern_scope_stats (pattern_key, action_category, scope_mask, scope_key);
DROP INDEX IF EXISTS learning.idx_pattern_scope_stats_n;
ALTER TABLE learning.pattern_scope_stats SET (fillfactor = 85);
CREATE INDEX idx_scope_cube_base_key ON learning.scope_cube_base (pattern_key, action_category, scope_key);
-- the cells written before have no key: the next fold-in finds no frame and rebuilds
DELETE FROM learning.scope_cube_frame;
-- a fold-in now gives a value the dictionary lacks a spare code of its dimension (fold_in_closes) instead of rebuilding
COMMENT ON TABLE learning.scope_cube_code IS
'The dictionary of the cube''s keys: each scope value''s code and its dimension''s bit field in scope_cube_base.scope_key; written by a rebuild, which leaves spare codes; a fold-in gives a value it lacks the next spare code of its dimension and rebuilds only when none is left.';
