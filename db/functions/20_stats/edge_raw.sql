/*
 * learning.edge_raw(avg_rr, variance, n, rr_baseline, time_efficiency, field_coherence, recurrence_score, weights)
 *
 * The seed's compute_edge_with_regime_weights (roadmap 2.1), exactly:
 *   delta_rr   = avg_rr - rr_baseline
 *   coherence  = 1 / (1 + variance)
 *   support    = ln(1 + n)
 *   tw, fw, rw = weight * factor for time_efficiency, field_coherence, recurrence
 *   var_pen    = weights.variance * 1 / (1 + variance)
 *   edge_raw   = delta_rr * coherence * support * (0.5 + 0.5 * (tw + fw + rw) / 3) * var_pen
 * A weight missing from the weights JSON (or NULL weights) is the neutral 1.0.
 */
CREATE OR REPLACE FUNCTION learning.edge_raw(
    p_avg_rr double precision,
    p_variance double precision,
    p_n bigint,
    p_rr_baseline double precision,
    p_time_efficiency double precision,
    p_field_coherence double precision,
    p_recurrence_score double precision,
    p_weights jsonb DEFAULT NULL
)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (p_avg_rr - p_rr_baseline)
        * (1.0 / (1.0 + p_variance))
        * ln(1.0 + p_n)
        * (0.5 + 0.5 * (
            coalesce((p_weights ->> 'time_efficiency')::float, 1.0) * p_time_efficiency
            + coalesce((p_weights ->> 'field_coherence')::float, 1.0) * p_field_coherence
            + coalesce((p_weights ->> 'recurrence')::float, 1.0) * p_recurrence_score
        ) / 3.0)
        * (coalesce((p_weights ->> 'variance')::float, 1.0) * (1.0 / (1.0 + p_variance)))
$$;
COMMENT ON FUNCTION learning.edge_raw(double precision, double precision, bigint, double precision, double precision, double precision, double precision, jsonb) IS
'The seed''s compute_edge_with_regime_weights: delta_rr * coherence * ln(1+n) * (0.5 + 0.5*mean(weighted factors)) * var_penalty (docs/stats.md).';
REVOKE ALL ON FUNCTION learning.edge_raw(
    double precision, double precision, bigint, double precision, double precision, double precision, double precision, jsonb
) FROM public;
GRANT EXECUTE ON FUNCTION learning.edge_raw(
    double precision, double precision, bigint, double precision, double precision, double precision, double precision, jsonb
) TO pglearn_reader;
