/*
 * learning.v_override_effectiveness: out-of-sample effectiveness of overrides (learning.score_overrides), one row
 * per override (pattern, category, scope) and mode over all its scored windows, one 'mode' row per mode and one
 * 'total' row.
 *  - mode: what the telemetry says the override did in the scored generation: 'shadow' (only shadow decisions:
 *    recorded, never applied, so these rows score what learning would have done, out of sample and untouched by
 *    it), 'apply' (only applied), 'mixed' (both), 'unobserved' (no decision recorded, e.g. a replay); NULL on the
 *    'total' row;
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
        s.shadow_decisions,
        s.applied_decisions,
        CASE
            WHEN s.shadow_decisions > 0 AND s.applied_decisions = 0 THEN 'shadow'
            WHEN s.applied_decisions > 0 AND s.shadow_decisions = 0 THEN 'apply'
            WHEN s.applied_decisions > 0 THEN 'mixed'
            ELSE 'unobserved'
        END AS mode,
        s.matched_sum_rr - s.trades_matched * s.pattern_sum_rr / nullif(s.pattern_trades, 0) AS excess_rr
    FROM learning.override_score AS s
)

SELECT
    scored.pattern_key,
    scored.action_category,
    scored.scope_values,
    scored.mode,
    CASE WHEN grouping(scored.mode) = 1 THEN 'total' WHEN grouping(scored.pattern_key) = 1 THEN 'mode' ELSE 'override' END AS level,
    max(scored.lesson_id) AS lesson_id,
    count(*) AS windows_scored,
    sum(scored.trades_matched) AS trades_matched,
    sum(scored.matched_sum_rr) / nullif(sum(scored.trades_matched), 0) AS matched_avg_rr,
    (sum(scored.matched_sum_rr) - sum(scored.excess_rr)) / nullif(sum(scored.trades_matched), 0) AS pattern_avg_rr,
    sum(scored.excess_rr) / nullif(sum(scored.trades_matched), 0) AS excess_rr_per_trade,
    sum(scored.matched_sum_rr) AS sum_rr,
    sum(scored.matched_sum_size_rr) AS sum_size_rr,
    sum(scored.matched_sum_size_rr) - sum(scored.matched_sum_rr) AS capital_uplift_rr,
    sum(scored.shadow_decisions) AS shadow_decisions,
    sum(scored.applied_decisions) AS applied_decisions
FROM scored
GROUP BY GROUPING SETS (
    (scored.pattern_key, scored.action_category, scored.scope_mask, scored.scope_values_hash, scored.scope_values, scored.mode),
    (scored.mode),
    ()
);
COMMENT ON VIEW learning.v_override_effectiveness IS
'Out-of-sample override effectiveness per override and mode (shadow / apply / mixed / unobserved), per mode and in total: trades matched, mean rr vs the pattern''s, size-lever uplift (docs/api.md, "Shadow mode").';
GRANT SELECT ON learning.v_override_effectiveness TO pglearn_reader;
