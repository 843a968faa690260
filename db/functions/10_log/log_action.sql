/*
 * learning.log_action(position_id, pattern_key, action_type, scope, controls, ts) -> bigint
 *
 * The PM/DM write path: validates and stores one action (roadmap 1.1) and returns its id.
 * The category comes from learning.action_category_map. Validation lives in the
 * action_log_validate trigger so that COPY backfills obey the same rules.
 * Errors: 22023 invalid value (a field outside its domain: docs/api.md, "Domains"), LR001 unknown/missing
 * scope dimension, LR002 unknown action_type, 23505 position already closed.
 */
CREATE OR REPLACE FUNCTION learning.log_action(
    position_id text,
    pattern_key text,
    action_type text,
    scope jsonb,
    controls jsonb,
    ts timestamptz DEFAULT now()
)
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    INSERT INTO learning.action_log (position_id, ts, pattern_key, action_type, scope, controls)
    VALUES (log_action.position_id, log_action.ts, log_action.pattern_key, log_action.action_type,
            log_action.scope, log_action.controls)
    RETURNING id
$$;
COMMENT ON FUNCTION learning.log_action(text, text, text, jsonb, jsonb, timestamptz) IS
'Logs one PM/DM action with its pattern key, scope and controls; returns the action id. Errors: 22023, LR001, LR002, 23505 (docs/api.md).';
REVOKE ALL ON FUNCTION learning.log_action(text, text, text, jsonb, jsonb, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.log_action(text, text, text, jsonb, jsonb, timestamptz) TO pglearn_pm;
