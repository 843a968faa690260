-- depends: 0009.job_registry
-- 0013.scaleout (issue 16, docs/operations.md "Scaling out"): the category baselines a shard of a sharded deployment
-- reads. A shard holds only its own patterns, but the baseline of a category is the trade-weighted median of the
-- pattern means of ALL patterns: the router computes it over all shards (learning.category_baselines on the router,
-- which holds every fact) and hands it to every shard with the learned rows (scaleout.run_learning_cycle,
-- scaleout.shard_receive). learning.category_baselines returns the pinned rows when there are any. Empty on one
-- node and on the router.
DO $guard$
BEGIN
    IF to_regclass('learning.job_registry') IS NULL THEN
        RAISE EXCEPTION 'learning.job_registry is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0009.job_registry must be applied first.';
    END IF;
END
$guard$;

CREATE TABLE learning.pinned_baseline (
    action_category learning.action_category PRIMARY KEY,
    baseline double precision NOT NULL CHECK (baseline NOT IN ('NaN', 'Infinity', '-Infinity')),
    n bigint NOT NULL CHECK (n >= 0),
    pinned_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning.pinned_baseline IS
'Issue 16: on a shard, the category baselines the router computed over all shards (learning.category_baselines returns them when any is pinned); empty on one node and on the router.';
REVOKE ALL ON learning.pinned_baseline FROM public;
GRANT SELECT ON learning.pinned_baseline TO pglearn_reader;
GRANT INSERT, UPDATE, DELETE ON learning.pinned_baseline TO pglearn_admin;
