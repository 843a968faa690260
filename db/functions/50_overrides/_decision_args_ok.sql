/*
 * learning._decision_args_ok(pattern_key text, action_category text, scope jsonb) -> boolean
 *
 * Private: the decision-time argument rule of resolve_overrides, record_override_application and explain_override:
 * a well-formed pattern key (learning._pattern_key_ok), a known action category (learning._action_category_ok) and a
 * JSON object scope. An inlinable SQL expression (not STRICT), so the good path costs no function call; a caller
 * that gets false calls learning._raise_decision_args, which names the field.
 */
CREATE OR REPLACE FUNCTION learning._decision_args_ok(p_pattern_key text, p_action_category text, p_scope jsonb)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(learning._pattern_key_ok(p_pattern_key) AND learning._action_category_ok(p_action_category)
                    AND jsonb_typeof(p_scope) = 'object', false)
$$;
COMMENT ON FUNCTION learning._decision_args_ok(text, text, jsonb) IS
'Private: true when the decision-time arguments (pattern key, category, scope object) are well formed; inlined into its callers.';
REVOKE ALL ON FUNCTION learning._decision_args_ok(text, text, jsonb) FROM public;
