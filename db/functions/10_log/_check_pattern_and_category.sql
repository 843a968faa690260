/*
 * learning._check_pattern_and_category(pattern_key text, action_category text) -> void
 *
 * Private: the argument check every decision-time function makes (resolve_overrides,
 * record_override_application, explain_override): the pattern key has the canonical form and the category is
 * one of the four (the rules learning._pattern_key_ok and learning._action_category_ok, which the DOMAINs use).
 * Errors: 22023 naming the field, with a HINT.
 */
CREATE OR REPLACE FUNCTION learning._check_pattern_and_category(p_pattern_key text, p_action_category text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
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
END;
$$;
COMMENT ON FUNCTION learning._check_pattern_and_category(text, text) IS
'Private: 22023 unless the pattern key is canonical and the category one of entry, add, trim, exit (the decision-time argument check).';
REVOKE ALL ON FUNCTION learning._check_pattern_and_category(text, text) FROM public;
