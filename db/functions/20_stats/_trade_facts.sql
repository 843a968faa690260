/*
 * learning._trade_facts(closed_after timestamptz, closed_until timestamptz) -> SETOF facts
 *
 * Private: the unit of outcome (docs/stats.md). One row per (pattern_key, action_category, closed trade)
 * for the trades closed in (closed_after, closed_until]: a trade counts once per group even if the pattern
 * fired several times in it, with the scope of the pattern's first action of that category in the trade.
 * Read by aggregate_pattern_scope_stats (everything closed by as_of) and score_overrides (one window).
 * Defence in depth: rows outside their domain (written before a rule existed, or with the validation
 * triggers disabled) are skipped, so they cannot stop a job: a trade whose rr or counterfactuals are out of
 * domain (learning._trade_domain_error) gives no fact, an action whose scope_vec or text is out of domain
 * (learning._action_domain_error) is not one of the trade's actions. learning.v_quarantine lists them, with why.
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
    LEFT JOIN (
        SELECT d.namespace, count(*) AS n_dims,
               coalesce(array_agg(d.bit + 1) FILTER (WHERE d.json_type = 'integer'), '{}') AS int_pos
        FROM learning.scope_dimension AS d
        GROUP BY d.namespace
    ) AS ns ON ns.namespace = split_part(a.pattern_key, '.', 1)
    CROSS JOIN (
        SELECT (
            SELECT (c.config #>> '{tunables,rr_abs_max}')::float
            FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config') AS rr_abs_max
        OFFSET 0  -- a column, not a sub-select, in the inlined domain checks
    ) AS cfg
    WHERE t.closed_at > p_closed_after AND t.closed_at <= p_closed_until
      -- "CASE WHEN ok THEN true END IS NOT UNKNOWN" is "ok", written so that the planner estimates it as
      -- keeping nearly every row (a plain "reason IS NULL" is estimated at 0.5 % and turns the hash join
      -- of the facts into a nested loop)
      AND CASE WHEN learning._trade_domain_error(t.rr, t.details, cfg.rr_abs_max) IS NULL THEN true END IS NOT UNKNOWN
      AND CASE WHEN learning._action_domain_error(a.position_id, a.pattern_key, a.scope_vec, ns.n_dims,
                                                  ARRAY(SELECT a.scope_vec[p] FROM unnest(ns.int_pos) AS p)) IS NULL
          THEN true END IS NOT UNKNOWN
    ORDER BY a.pattern_key, a.action_category, a.position_id, a.ts, a.id
$$;
COMMENT ON FUNCTION learning._trade_facts(timestamptz, timestamptz) IS
'Private: one fact per (pattern, category, trade closed in the window), with the scope of the pattern''s first action in it; rows outside their domain are skipped (learning.v_quarantine).';
REVOKE ALL ON FUNCTION learning._trade_facts(timestamptz, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._trade_facts(timestamptz, timestamptz) TO pglearn_admin;
