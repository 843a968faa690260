-- Rollback of 0003.replay: the view and functions over these tables go with them (migrate re-applies them).
DROP VIEW IF EXISTS learning.v_override_effectiveness;
DROP FUNCTION IF EXISTS learning.score_overrides(bigint, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS learning.start_replay(timestamptz, timestamptz, interval);
DROP FUNCTION IF EXISTS learning.run_replay_step(bigint, timestamptz);
DROP FUNCTION IF EXISTS learning.finish_replay(bigint, text);
DROP TABLE IF EXISTS learning.latent_factor_linkage, learning.override_score, learning.lesson_snapshot, learning.replay_step,
learning.replay_run, learning.synthetic_run;
