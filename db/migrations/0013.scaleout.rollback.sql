-- 0013.scaleout rollback: the pinned baselines of a shard go; learning.category_baselines then computes them from the
-- shard's own facts again (re-applied from db/functions by the next pglearn migrate).
DROP TABLE IF EXISTS learning.pinned_baseline;
