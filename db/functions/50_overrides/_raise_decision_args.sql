/*
 * learning._raise_decision_args(pattern_key text, action_category text, scope jsonb) -> void
 *
 * Private: the error path of learning._decision_args_ok, called only when it is false. Raises 22023 naming the
 * first bad field (pattern_key, then action_category, then scope) with a HINT; returns quietly when all are good.
 */
CREATE OR REPLACE FUNCTION learning._raise_decision_args(p_pattern_key text, p_action_category text, p_scope jsonb)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF NOT coalesce(learning._pattern_key_ok(p_pattern_key), false) THEN
        RAISE EXCEPTION 'pattern_key % is malformed', coalesce(quote_literal(left(p_pattern_key, 60)), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters, e.g. pm.uptrend.S1.buy_flag.';
    END IF;
    IF NOT coalesce(learning._action_category_ok(p_action_category), false) THEN
        RAISE EXCEPTION 'action_category % is invalid', coalesce(quote_literal(left(p_action_category, 60)), 'NULL')
            USING ERRCODE = '22023', HINT = 'action_category is entry, add, trim or exit.';
    END IF;
    IF coalesce(jsonb_typeof(p_scope), '') <> 'object' THEN
        RAISE EXCEPTION 'scope must be a JSON object, got %', coalesce(jsonb_typeof(p_scope), 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass the action''s scope, as logged.';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning._raise_decision_args(text, text, jsonb) IS
'Private: raises 22023 naming the first malformed decision-time argument (pattern_key, action_category, scope).';
REVOKE ALL ON FUNCTION learning._raise_decision_args(text, text, jsonb) FROM public;
