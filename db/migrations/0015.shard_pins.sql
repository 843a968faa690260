-- depends: 0013.scaleout
-- 0015.shard_pins (issue 16, docs/operations.md "Scaling out"): what the router of a sharded deployment computes
-- over all shards and pins on each shard before the shard learns its own patterns (scaleout.run_learning_cycle).
-- Empty on one node and on the router.
--  * learning.pinned_cube_frame: the first and last close of the facts over all shards; the cube rebuild
--    (learning._cube_base) takes its week0 and week bits from them together with its own facts.
--  * learning.pinned_first_action: the first action of a position over all shards (a trade whose actions live
--    on several shards); the completed_trades trigger takes first_action_at (hold_hours) from it when earlier.
DO $guard$
BEGIN
    IF to_regclass('learning.pinned_baseline') IS NULL THEN
        RAISE EXCEPTION 'learning.pinned_baseline is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0013.scaleout must be applied first.';
    END IF;
END
$guard$;

CREATE TABLE learning.pinned_cube_frame (
    singleton boolean PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    first_close timestamptz NOT NULL CHECK (isfinite(first_close)),
    last_close timestamptz NOT NULL CHECK (isfinite(last_close)),
    pinned_at timestamptz NOT NULL DEFAULT now(),
    CHECK (last_close >= first_close)
);
COMMENT ON TABLE learning.pinned_cube_frame IS
'Issue 16: on a shard, the first and last close over all shards the router pinned (the cube''s week0 and week bits); empty on one node and on the router.';
REVOKE ALL ON learning.pinned_cube_frame FROM public;
GRANT SELECT ON learning.pinned_cube_frame TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.pinned_cube_frame TO pglearn_admin;

CREATE TABLE learning.pinned_first_action (
    position_id text PRIMARY KEY CHECK (position_id <> ''),
    first_action_at timestamptz NOT NULL CHECK (isfinite(first_action_at))
);
COMMENT ON TABLE learning.pinned_first_action IS
'Issue 16: on a shard, the first action over all shards of a position whose actions live on several shards (first_action_at of completed_trades); empty on one node and on the router.';
REVOKE ALL ON learning.pinned_first_action FROM public;
GRANT SELECT ON learning.pinned_first_action TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.pinned_first_action TO pglearn_admin;
