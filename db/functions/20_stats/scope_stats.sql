/*
 * learning.scope_stats(p_as_of timestamptz) -> SETOF finished cells
 *
 * The cube's cells (learning.pattern_scope_stats) finished into the statistics every reader uses (docs/stats.md,
 * "Finished statistics"): what depends on the baseline b (learning.category_baselines(p_as_of)), on the regime
 * weights or on the pattern-wide row is computed here, when it is read, not stored:
 *   avg_rr = s_rr / n; variance = (s_rr2 - s_rr^2 / n) / (n - 1) (0 when n < 2);
 *   time_efficiency = s_te / n; field_coherence = share of samples on avg_rr's side of the coherence baseline
 *   frozen at the last rebuild (n_above counts rr >= it; b itself for a cell no rebuild made; a mean within 1e-9 of
 *   it counts as on its upper side: learning._vs_baseline); recurrence_score = weeks with a sample / those of the
 *   pattern-wide row; segments_tested = segments with >= 2 samples, segments_positive = those whose mean > b (beyond
 *   1e-9: learning._vs_baseline);
 *   edge_raw = learning.edge_raw(..., the regime weights of the cell's regime signature); the counterfactual
 *   means and variances from their sums and counts.
 * Read by build_lessons, learn_regime_weights, v_pattern_scope_stats (the roadmap's stats JSON) and v_top_edges.
 * An inlinable SQL function (no SET clause): a caller's filter on pattern_key reaches the cube's index.
 */
CREATE OR REPLACE FUNCTION learning.scope_stats(p_as_of timestamptz)
RETURNS TABLE (
    id bigint, pattern_key text, action_category text, scope_mask smallint, scope_values jsonb, scope_values_hash text,
    k integer, n integer, avg_rr float8, variance float8, rr_baseline float8, time_efficiency float8,
    field_coherence float8, recurrence_score float8, segments_tested integer, segments_positive integer,
    edge_raw float8, regime_signature text, sum_t float8, sum_t2 float8, sum_t_rr float8,
    cf_entry_delay_n integer, cf_entry_delay_bars_mean float8, cf_entry_gain_n integer, cf_entry_gain_rr_mean float8,
    cf_entry_gain_var float8, cf_exit_gain_n integer, cf_exit_gain_rr_mean float8, cf_exit_later_share float8,
    cf_exit_signed_n integer, cf_exit_signed_mean float8, cf_exit_signed_var float8, updated_at timestamptz
)
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT f.id, f.pattern_key, f.action_category, f.scope_mask, f.scope_values, f.scope_values_hash, f.k, f.n,
           f.avg_rr, f.variance, f.b, f.time_efficiency, f.field_coherence, f.recurrence_score, f.seg_tested, f.seg_positive,
           learning.edge_raw(f.avg_rr, f.variance, f.n, f.b, f.time_efficiency, f.field_coherence, f.recurrence_score,
                             w.weights),
           f.rs, f.s_t, f.s_t2, f.s_trr,
           f.cfd_n, f.cfd_s / nullif(f.cfd_n, 0), f.cfe_n, f.cfe_s / nullif(f.cfe_n, 0),
           CASE WHEN f.cfe_n >= 2 THEN greatest(0, (f.cfe_s2 - learning._square_over(f.cfe_s, f.cfe_n)) / (f.cfe_n - 1)) END,
           f.cfx_n, f.cfx_s / nullif(f.cfx_n, 0),
           (f.cfx_later - f.cfx_earlier)::float8 / nullif(f.cfx_later + f.cfx_earlier, 0),
           f.cfx_dn, f.cfx_ds / nullif(f.cfx_dn, 0),
           CASE WHEN f.cfx_dn >= 2 THEN greatest(0, (f.cfx_ds2 - learning._square_over(f.cfx_ds, f.cfx_dn)) / (f.cfx_dn - 1)) END,
           f.updated_at
    FROM (
        SELECT c.id, c.pattern_key::text AS pattern_key, c.action_category::text AS action_category, c.scope_mask,
               c.scope_values, c.scope_values_hash, c.k::int AS k, c.n, c.updated_at, c.s_t, c.s_t2, c.s_trr,
               c.cfd_n, c.cfd_s, c.cfe_n, c.cfe_s, c.cfe_s2, c.cfx_n, c.cfx_s, c.cfx_later, c.cfx_earlier,
               c.cfx_dn, c.cfx_ds, c.cfx_ds2, bl.baseline AS b, learning.regime_signature(c.scope_values) AS rs,
               c.s_rr / c.n AS avg_rr,
               CASE WHEN c.n < 2 THEN 0 ELSE greatest(0, (c.s_rr2 - learning._square_over(c.s_rr, c.n)) / (c.n - 1)) END AS variance,
               c.s_te / c.n AS time_efficiency,
               CASE WHEN learning._vs_baseline(c.s_rr / c.n, coalesce(fr.coherence_baseline, bl.baseline)) >= 0
                    THEN c.n_above ELSE c.n - c.n_above END::float8 / c.n
                   AS field_coherence,
               bit_count(c.weeks)::float8 / nullif(bit_count(r.weeks), 0) AS recurrence_score,
               (c.sn0 >= 2)::int + (c.sn1 >= 2)::int + (c.sn2 >= 2)::int + (c.sn3 >= 2)::int + (c.sn4 >= 2)::int AS seg_tested,
               (c.sn0 >= 2 AND learning._vs_baseline(c.ss0 / greatest(c.sn0, 1), bl.baseline) > 0)::int
               + (c.sn1 >= 2 AND learning._vs_baseline(c.ss1 / greatest(c.sn1, 1), bl.baseline) > 0)::int
               + (c.sn2 >= 2 AND learning._vs_baseline(c.ss2 / greatest(c.sn2, 1), bl.baseline) > 0)::int
               + (c.sn3 >= 2 AND learning._vs_baseline(c.ss3 / greatest(c.sn3, 1), bl.baseline) > 0)::int
               + (c.sn4 >= 2 AND learning._vs_baseline(c.ss4 / greatest(c.sn4, 1), bl.baseline) > 0)::int AS seg_positive
        FROM learning.pattern_scope_stats AS c
        JOIN learning.category_baselines(p_as_of) AS bl ON bl.action_category = c.action_category
        LEFT JOIN learning.scope_cube_frame AS fr ON fr.action_category = c.action_category
        LEFT JOIN learning.pattern_scope_stats AS r
            ON r.pattern_key = c.pattern_key AND r.action_category = c.action_category AND r.scope_mask = 0
    ) AS f
    LEFT JOIN learning.learning_regime_weights AS w
        ON w.pattern_key = f.pattern_key AND w.action_category = f.action_category AND w.regime_signature = f.rs
$$;
COMMENT ON FUNCTION learning.scope_stats(timestamptz) IS
'The cube''s cells with their finished statistics (mean, variance, coherence, recurrence, segments, edge_raw with the regime weights, counterfactual means) against the baselines of category_baselines(as_of) (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.scope_stats(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.scope_stats(timestamptz) TO pglearn_reader;
