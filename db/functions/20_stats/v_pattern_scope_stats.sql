/*
 * learning.v_pattern_scope_stats: the cube as the roadmap shows it, one row per cell with its stats JSON (n, avg_rr,
 * variance, rr_baseline, edge_raw, time_efficiency, field_coherence, recurrence_score, segments_tested,
 * segments_positive, regime_signature, k, the time moments and the counterfactual keys; docs/stats.md), finished by
 * learning.scope_stats against the baselines of now. For DBAs and explain_override; the learning jobs read
 * scope_stats(as_of) directly.
 */
CREATE OR REPLACE VIEW learning.v_pattern_scope_stats AS
SELECT
    s.id,
    s.pattern_key,
    s.action_category,
    s.scope_mask,
    s.scope_values,
    s.scope_values_hash,
    s.n,
    s.updated_at,
    jsonb_build_object(
        'n', s.n, 'avg_rr', s.avg_rr, 'variance', s.variance, 'rr_baseline', s.rr_baseline, 'edge_raw', s.edge_raw,
        'time_efficiency', s.time_efficiency, 'field_coherence', s.field_coherence,
        'recurrence_score', s.recurrence_score, 'segments_tested', s.segments_tested,
        'segments_positive', s.segments_positive, 'regime_signature', s.regime_signature, 'k', s.k,
        'sum_t', s.sum_t, 'sum_t2', s.sum_t2, 'sum_t_rr', s.sum_t_rr,
        'cf_entry_delay_n', s.cf_entry_delay_n, 'cf_entry_delay_bars_mean', s.cf_entry_delay_bars_mean,
        'cf_entry_gain_n', s.cf_entry_gain_n, 'cf_entry_gain_rr_mean', s.cf_entry_gain_rr_mean,
        'cf_exit_gain_n', s.cf_exit_gain_n, 'cf_exit_gain_rr_mean', s.cf_exit_gain_rr_mean,
        'cf_exit_later_share', s.cf_exit_later_share, 'cf_entry_gain_var', s.cf_entry_gain_var,
        'cf_exit_signed_n', s.cf_exit_signed_n, 'cf_exit_signed_mean', s.cf_exit_signed_mean,
        'cf_exit_signed_var', s.cf_exit_signed_var
    ) AS stats
FROM learning.scope_stats(now()) AS s;
COMMENT ON VIEW learning.v_pattern_scope_stats IS
'The cube''s cells with the roadmap''s stats JSON, finished from their sums against the current baselines (docs/stats.md).';
GRANT SELECT ON learning.v_pattern_scope_stats TO pglearn_reader;
