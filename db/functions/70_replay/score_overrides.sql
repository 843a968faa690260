/*
 * learning.score_overrides(generation bigint, window_from timestamptz, window_to timestamptz) -> integer
 *
 * Out-of-sample scoring of one override generation (roadmap open question 4): the trades closed in
 * (window_from, window_to], i.e. after the generation's as_of, none of which it learned from.
 *  - facts as in aggregation (learning._trade_facts): one per (pattern, category, trade), the scope of the
 *    pattern's first action;
 *  - each fact is matched the way resolve_overrides matches (scope containment, most specific, then higher
 *    strength, then lower lesson id); feature flags are not applied: this scores what the override selects;
 *  - per override: trades matched, their sum of rr and of size_mult * rr (the capital-lever uplift), and the
 *    pattern's trades and sum of rr in the same window (its out-of-sample baseline);
 *  - and what the telemetry says it did in its generation (learning.override_decision_counts, after
 *    learning.flush_override_decisions): shadow_decisions (shadow mode: recorded, not applied, so the matched
 *    trades' outcomes are untouched by it and its excess and uplift are what learning would have done) and
 *    applied_decisions (plus its full override_application rows). v_override_effectiveness splits the scores by
 *    that mode.
 * Every override of the generation gets a row (0 trades when nothing matched); re-scoring replaces it.
 * Returns the number of overrides scored. Errors: 22023 (unknown generation, empty window).
 */
CREATE OR REPLACE FUNCTION learning.score_overrides(generation bigint, window_from timestamptz, window_to timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_rows integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM override_generation AS g WHERE g.generation = score_overrides.generation) THEN
        RAISE EXCEPTION 'generation % does not exist', coalesce(score_overrides.generation::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass a generation listed in learning.override_generation (the newest few are kept).';
    END IF;
    IF window_from IS NULL OR window_to IS NULL OR NOT window_to > window_from THEN
        RAISE EXCEPTION 'window_to must be later than window_from' USING ERRCODE = '22023',
            DETAIL = format('window_from = %s, window_to = %s', window_from, window_to),
            HINT = 'The window is the step after the generation''s as_of, e.g. (as_of, as_of + 1 week].';
    END IF;

    PERFORM flush_override_decisions();
    WITH fact AS (
        SELECT f.pattern_key, f.action_category, f.position_id, f.scope, f.rr
        FROM _trade_facts(score_overrides.window_from, score_overrides.window_to) AS f
    ),
    pattern AS (
        SELECT f.pattern_key, f.action_category, count(*)::int AS trades, sum(f.rr) AS sum_rr
        FROM fact AS f GROUP BY f.pattern_key, f.action_category
    ),
    matched AS (
        SELECT f.pattern_key, f.action_category, o.scope_mask, o.scope_values_hash, f.rr, o.size_mult
        FROM fact AS f
        CROSS JOIN LATERAL (
            SELECT m.scope_mask, m.scope_values_hash, m.size_mult
            FROM _matching_overrides(score_overrides.generation, f.pattern_key, f.action_category, f.scope) AS m
            LIMIT 1
        ) AS o
    ),
    per_override AS (
        SELECT m.pattern_key, m.action_category, m.scope_mask, m.scope_values_hash,
               count(*)::int AS trades, sum(m.rr) AS sum_rr, sum(m.rr * m.rr) AS sum_rr2, sum(m.size_mult * m.rr) AS sum_size_rr
        FROM matched AS m
        GROUP BY m.pattern_key, m.action_category, m.scope_mask, m.scope_values_hash
    ),
    decided AS (
        SELECT d.lesson_id, coalesce(sum(d.decisions) FILTER (WHERE d.mode = 'shadow'), 0) AS shadow_decisions,
               coalesce(sum(d.decisions) FILTER (WHERE d.mode = 'apply'), 0) AS applied_decisions
        FROM (SELECT c.lesson_id, c.mode, c.decisions FROM override_decision_counts AS c
              WHERE c.generation = score_overrides.generation
              UNION ALL  -- the decisions recorded as full rows (telemetry_full, forwarded results) are applications
              SELECT a.strength_lesson_id, 'apply', 1 FROM override_application AS a
              WHERE a.generation = score_overrides.generation AND a.strength_lesson_id IS NOT NULL) AS d
        GROUP BY d.lesson_id
    )
    INSERT INTO override_score AS s (
        generation, pattern_key, action_category, scope_mask, scope_values_hash, scope_values, lesson_id, size_mult,
        window_from, window_to, trades_matched, matched_sum_rr, matched_sum_size_rr, pattern_trades, pattern_sum_rr, matched_sum_rr2,
        shadow_decisions, applied_decisions
    )
    SELECT o.generation, o.pattern_key, o.action_category, o.scope_mask, o.scope_values_hash, o.scope_values, o.lesson_id,
           o.size_mult, score_overrides.window_from, score_overrides.window_to,
           coalesce(m.trades, 0), coalesce(m.sum_rr, 0), coalesce(m.sum_size_rr, 0), coalesce(p.trades, 0), coalesce(p.sum_rr, 0),
           coalesce(m.sum_rr2, 0), coalesce(dc.shadow_decisions, 0), coalesce(dc.applied_decisions, 0)
    FROM runtime_override AS o
    LEFT JOIN per_override AS m
        ON m.pattern_key = o.pattern_key AND m.action_category = o.action_category
       AND m.scope_mask = o.scope_mask AND m.scope_values_hash = o.scope_values_hash
    LEFT JOIN pattern AS p ON p.pattern_key = o.pattern_key AND p.action_category = o.action_category
    LEFT JOIN decided AS dc ON dc.lesson_id = o.lesson_id
    WHERE o.generation = score_overrides.generation
    ON CONFLICT ON CONSTRAINT override_score_pkey DO UPDATE
    SET lesson_id = excluded.lesson_id, size_mult = excluded.size_mult, window_from = excluded.window_from,
        window_to = excluded.window_to, trades_matched = excluded.trades_matched, matched_sum_rr = excluded.matched_sum_rr,
        matched_sum_size_rr = excluded.matched_sum_size_rr, pattern_trades = excluded.pattern_trades,
        pattern_sum_rr = excluded.pattern_sum_rr, matched_sum_rr2 = excluded.matched_sum_rr2,
        shadow_decisions = excluded.shadow_decisions, applied_decisions = excluded.applied_decisions, scored_at = now();
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.score_overrides(bigint, timestamptz, timestamptz) IS
'Scores each override of a generation on the trades closed in (window_from, window_to]: matches, mean rr vs the pattern, size-lever uplift.';
REVOKE ALL ON FUNCTION learning.score_overrides(bigint, timestamptz, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.score_overrides(bigint, timestamptz, timestamptz) TO pglearn_admin;
