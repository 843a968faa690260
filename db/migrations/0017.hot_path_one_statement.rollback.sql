-- Rollback of 0017.hot_path_one_statement (functions are re-applied by migrate): the kind bits come back.
ALTER TABLE learning.override_decision_buffer
ADD COLUMN kind smallint NOT NULL DEFAULT 0 CHECK (kind BETWEEN 0 AND 3);
UPDATE learning.override_decision_buffer
SET kind = CASE WHEN execution THEN 1 ELSE 0 END + CASE WHEN shadow THEN 2 ELSE 0 END
WHERE execution OR shadow;
ALTER TABLE learning.override_decision_buffer DROP COLUMN execution, DROP COLUMN shadow;
ALTER TABLE learning.override_decision_buffer ALTER COLUMN kind DROP DEFAULT;
COMMENT ON TABLE learning.override_decision_buffer IS
'UNLOGGED: one compact row per resolve_overrides decision (kind bit 1: execution levers applied too, bit 2: shadow mode), '
'rolled up into override_decision_counts by flush_override_decisions(); emptied by a server crash.';
