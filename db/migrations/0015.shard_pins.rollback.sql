-- rollback of 0015.shard_pins (issue 16)
DROP TABLE IF EXISTS learning.pinned_first_action;
DROP TABLE IF EXISTS learning.pinned_cube_frame;
