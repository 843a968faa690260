/*
 * learning.v_override_effectiveness: out-of-sample effectiveness of overrides (learning.score_overrides), one row
 * per override (pattern, category, scope) over all its scored windows, plus one 'total' row.
 *  - matched_avg_rr: mean rr of the trades the override matched;
 *  - pattern_avg_rr: the pattern's out-of-sample mean rr (all its trades in each window), weighted by the trades
 *    the override matched in that window, so it is comparable with matched_avg_rr;
 *  - excess_rr_per_trade = matched_avg_rr - pattern_avg_rr, the override's selection edge (additive over
 *    overrides and windows, so the total row is exact);
 *  - capital_uplift_rr = sum(size_mult * rr) - sum(rr) over the matched trades: what the size lever added.
 */
CREATE OR REPLACE VIEW learning.v_override_effectiveness AS
WITH scored AS (
    SELECT
        s.pattern_key,
        s.action_category,
        s.scope_mask,
        s.scope_values_hash,
        s.scope_values,
        s.lesson_id,
        s.trades_matched,
        s.matched_sum_rr,
        s.matched_sum_size_rr,
        s.matched_sum_rr - s.trades_matched * s.pattern_sum_rr / nullif(s.pattern_trades, 0) AS excess_rr
    FROM learning.override_score AS s
)

SELECT
    scored.pattern_key,
    scored.action_category,
    scored.scope_values,
    CASE WHEN grouping(scored.pattern_key) = 1 THEN 'total' ELSE 'override' END AS level,
    max(scored.lesson_id) AS lesson_id,
    count(*) AS windows_scored,
    sum(scored.trades_matched) AS trades_matched,
    sum(scored.matched_sum_rr) / nullif(sum(scored.trades_matched), 0) AS matched_avg_rr,
    (sum(scored.matched_sum_rr) - sum(scored.excess_rr)) / nullif(sum(scored.trades_matched), 0) AS pattern_avg_rr,
    sum(scored.excess_rr) / nullif(sum(scored.trades_matched), 0) AS excess_rr_per_trade,
    sum(scored.matched_sum_rr) AS sum_rr,
    sum(scored.matched_sum_size_rr) AS sum_size_rr,
    sum(scored.matched_sum_size_rr) - sum(scored.matched_sum_rr) AS capital_uplift_rr
FROM scored
GROUP BY GROUPING SETS ((scored.pattern_key, scored.action_category, scored.scope_mask, scored.scope_values_hash, scored.scope_values), ());
COMMENT ON VIEW learning.v_override_effectiveness IS
'Out-of-sample override effectiveness per override and in total: trades matched, mean rr vs the pattern''s, size-lever uplift (docs/stats.md).';
GRANT SELECT ON learning.v_override_effectiveness TO pglearn_reader;
