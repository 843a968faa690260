/* learning.v_top_edges: the five strongest |edge_raw| rows per (pattern, category), finished by learning.scope_stats. */
CREATE OR REPLACE VIEW learning.v_top_edges AS
SELECT
    ranked.pattern_key,
    ranked.action_category,
    ranked.rank_in_pattern,
    ranked.scope_values,
    ranked.n,
    ranked.avg_rr,
    ranked.rr_baseline,
    ranked.edge_raw,
    ranked.updated_at
FROM (
    SELECT
        s.pattern_key,
        s.action_category,
        s.scope_values,
        s.n,
        s.updated_at,
        s.avg_rr,
        s.rr_baseline,
        s.edge_raw,
        row_number() OVER (
            PARTITION BY s.pattern_key, s.action_category ORDER BY abs(s.edge_raw) DESC, s.id
        ) AS rank_in_pattern
    FROM learning.scope_stats(now()) AS s
) AS ranked
WHERE ranked.rank_in_pattern <= 5;
COMMENT ON VIEW learning.v_top_edges IS 'Top five |edge_raw| scope rows per (pattern_key, action_category), with n, avg_rr and baseline.';
GRANT SELECT ON learning.v_top_edges TO pglearn_reader;
