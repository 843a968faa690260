-- depends: 0003.replay
-- 0006.roles: roles by job (issue 11, docs/api.md, docs/operations.md "Roles").
--  * pglearn_pm     the PM/DM runtime: the write path and decision-time functions listed in docs/api.md; reads only the
--                   tables its invoker-rights functions read (configs, phase state, cap buckets, the scope registry).
--  * pglearn_reader DBAs: SELECT on every table and view, the read-only functions (validate() and the lever-bound
--                   checks it calls included).
--  * pglearn_admin  operators and schedulers (new, NOLOGIN): everything the reader may, plus running the jobs, the
--                   cycle, rollback_overrides and replays; writes the tables the jobs write; may UPDATE learning_configs
--                   (never INSERT or DELETE them) and never writes the PM's facts (action_log, completed_trades,
--                   override_application), market state, the scope registry or the category map.
-- Function EXECUTE grants live in the function files (db/functions/, re-applied by every migrate); table grants here.
DO $guard$
BEGIN
    IF to_regclass('learning.override_score') IS NULL THEN
        RAISE EXCEPTION 'learning.override_score is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0001.schema and 0003.replay must be applied first.';
    END IF;
END
$guard$;

-- Roles are cluster-wide, so created only when missing (and kept by the rollback: other databases may use them).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pglearn_admin') THEN
        CREATE ROLE pglearn_admin NOLOGIN;
    END IF;
END
$roles$;
COMMENT ON ROLE pglearn_admin IS
'pglearn operators and schedulers: run jobs, cycles, replays and rollbacks; edit learning_configs; read everything.';
COMMENT ON ROLE pglearn_pm IS 'pglearn PM/DM runtime: log_action, close_trade, build_scope, regime_context, pm_config, '
'resolve_overrides, record_override_application, explain_override.';
COMMENT ON ROLE pglearn_reader IS 'pglearn DBAs and dashboards: SELECT on every table and view, the read-only functions.';

GRANT USAGE ON SCHEMA learning TO pglearn_admin;
-- an admin reads what a DBA reads
GRANT pglearn_reader TO pglearn_admin;

-- The reader: validate() (and so v_health) calls the lever-bound checks of 0001.schema.
GRANT EXECUTE ON FUNCTION learning.effect_within_bounds(jsonb) TO pglearn_reader;
GRANT EXECUTE ON FUNCTION learning.json_number_between(jsonb, float, float) TO pglearn_reader;

-- The PM: pm_config(), regime_context() and build_scope() run with the caller's rights and read these tables.
GRANT SELECT ON learning.learning_configs, learning.phase_state, learning.phase_state_bucket, learning.token_cap_bucket,
learning.scope_dimension TO pglearn_pm;

-- The admin: writes every table the jobs, replays and rollbacks write. Not the PM's facts and telemetry, the market
-- state feeds (phase_state, phase_state_bucket, token_cap_bucket: their trackers, or the owner, load them), the
-- synthetic markets (pglearn generate), the scope registry or the category map; learning_configs only UPDATE
-- (materialize_overrides rewrites the pattern_strength_overrides document, an operator edits pm_config).
DO $admin$
DECLARE
    t record;
    s record;
BEGIN
    FOR t IN SELECT c.oid::regclass AS name
             FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind IN ('r', 'p')
               AND c.relname NOT IN ('action_log', 'completed_trades', 'override_application', 'synthetic_run',
                                     'phase_state', 'phase_state_bucket', 'token_cap_bucket', 'scope_dimension',
                                     'action_category_map', 'learning_configs') LOOP
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %s TO pglearn_admin', t.name);
        -- serial (not identity) id columns: nextval needs USAGE on the table's own sequence
        FOR s IN SELECT d.objid::regclass AS name
                 FROM pg_catalog.pg_depend AS d JOIN pg_catalog.pg_class AS q ON q.oid = d.objid AND q.relkind = 'S'
                 WHERE d.refobjid = t.name AND d.deptype = 'a' LOOP
            EXECUTE format('GRANT USAGE ON SEQUENCE %s TO pglearn_admin', s.name);
        END LOOP;
    END LOOP;
END
$admin$;
GRANT UPDATE ON learning.learning_configs TO pglearn_admin;
