/*
 * learning._trade_facts(closed_after timestamptz, closed_until timestamptz) -> SETOF facts
 *
 * Private: the unit of outcome (docs/stats.md). One row per (pattern_key, action_category, closed trade)
 * for the trades closed in (closed_after, closed_until]: a trade counts once per group even if the pattern
 * fired several times in it, with the scope of the pattern's first action of that category in the trade.
 * Read by aggregate_pattern_scope_stats (everything closed by as_of) and score_overrides (one window).
 * An inlinable SQL function: the caller's plan uses the closed_at index and the position join directly.
 */
CREATE OR REPLACE FUNCTION learning._trade_facts(p_closed_after timestamptz, p_closed_until timestamptz)
RETURNS TABLE (
    pattern_key text, action_category text, position_id text, scope jsonb, scope_vec text[],
    rr double precision, hold_hours double precision, closed_at timestamptz, details jsonb
)
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT DISTINCT ON (a.pattern_key, a.action_category, a.position_id)
        a.pattern_key, a.action_category, a.position_id, a.scope, a.scope_vec, t.rr, t.hold_hours, t.closed_at, t.details
    FROM learning.action_log AS a
    JOIN learning.completed_trades AS t ON t.position_id = a.position_id
    WHERE t.closed_at > p_closed_after AND t.closed_at <= p_closed_until
    ORDER BY a.pattern_key, a.action_category, a.position_id, a.ts, a.id
$$;
COMMENT ON FUNCTION learning._trade_facts(timestamptz, timestamptz) IS
'Private: one fact per (pattern, category, trade closed in the window), with the scope of the pattern''s first action in it.';
REVOKE ALL ON FUNCTION learning._trade_facts(timestamptz, timestamptz) FROM public;
