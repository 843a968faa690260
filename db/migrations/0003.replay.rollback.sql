-- Rollback of 0003.replay.
DROP TABLE IF EXISTS learning.latent_factor_linkage, learning.override_score, learning.lesson_snapshot, learning.replay_step,
learning.replay_run, learning.synthetic_run;
