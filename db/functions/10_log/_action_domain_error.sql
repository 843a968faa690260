/*
 * learning._action_domain_error(position_id, pattern_key, scope_vec, n_dims, int_values) -> text
 *
 * Private: why an action_log row is outside the domain the learning jobs read, or NULL when it is inside
 * (docs/api.md, "Domains"): position_id and pattern_key at most 200 characters, a namespace with registered
 * dimensions (n_dims, NULL = unknown namespace), scope_vec holding exactly one non-NULL value per dimension,
 * and every integer dimension's value (int_values, the scope_vec entries of the namespace's integer
 * dimensions, gathered by the caller) a canonical integer of at most 7 digits, which the aggregation decodes
 * as bigint. The same rules as the action_log_validate trigger, for rows that got in without it (written
 * before a rule existed, or with triggers disabled): learning._trade_facts skips such an action and
 * learning.v_quarantine lists it. An inlinable SQL expression that never raises.
 */
CREATE OR REPLACE FUNCTION learning._action_domain_error(
    p_position_id text, p_pattern_key text, p_scope_vec text[], p_n_dims bigint, p_int_values text[]
)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN length(p_position_id) > 200 THEN 'position_id is longer than 200 characters'
        WHEN length(p_pattern_key) > 200 THEN 'pattern_key is longer than 200 characters'
        WHEN p_n_dims IS NULL THEN 'pattern_key has no registered namespace'
        WHEN cardinality(p_scope_vec) IS DISTINCT FROM p_n_dims OR array_position(p_scope_vec, NULL) IS NOT NULL
            THEN format('scope_vec does not hold one value for each of the %s dimensions', p_n_dims)
        -- p_int_values appears once (a sub-select argument used twice would stop the inlining)
        WHEN coalesce(array_to_string(p_int_values, ',', '?') !~ '^(-?[0-9]{1,7}(,-?[0-9]{1,7})*)?$', true)
            THEN 'an integer scope dimension does not hold an integer of at most 7 digits'
    END
$$;
COMMENT ON FUNCTION learning._action_domain_error(text, text, text[], bigint, text[]) IS
'Private: why an action_log row is outside the domain the jobs read (lengths, scope_vec shape, integer dimensions), or NULL; read by _trade_facts and v_quarantine.';
REVOKE ALL ON FUNCTION learning._action_domain_error(text, text, text[], bigint, text[]) FROM public;
GRANT EXECUTE ON FUNCTION learning._action_domain_error(text, text, text[], bigint, text[]) TO pglearn_admin, pglearn_reader;
