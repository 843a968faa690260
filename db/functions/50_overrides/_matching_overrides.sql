/*
 * learning._matching_overrides(generation bigint, pattern_key text, action_category text, scope jsonb)
 *   -> SETOF learning.runtime_override
 *
 * Private: the one matching rule of resolve_overrides, explain_override and score_overrides. The overrides
 * of a generation for that pattern and category whose scope is contained in the given (normalised) scope,
 * best first: most dims, then higher lesson_strength, then lower lesson id. An inlinable SQL function whose
 * order is the one of index runtime_override_rank_idx (migration 0011.hot_path): a caller's LIMIT 1 reads the
 * candidates of (generation, pattern, category) pre-sorted and stops at the first contained one, without a sort.
 */
CREATE OR REPLACE FUNCTION learning._matching_overrides(p_generation bigint, p_pattern_key text, p_action_category text, p_scope jsonb)
RETURNS SETOF learning.runtime_override
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT o.*
    FROM learning.runtime_override AS o
    WHERE o.generation = p_generation AND o.pattern_key = p_pattern_key
      AND o.action_category = p_action_category AND p_scope @> o.scope_values
    ORDER BY o.scope_dim_count DESC, o.lesson_strength DESC, o.lesson_id
$$;
COMMENT ON FUNCTION learning._matching_overrides(bigint, text, text, jsonb) IS
'Private: overrides of a generation matching a pattern, category and scope, best first (most dims, strength, lesson id), in index order.';
REVOKE ALL ON FUNCTION learning._matching_overrides(bigint, text, text, jsonb) FROM public;
