/*
 * learning._vs_baseline(p_mean double precision, p_baseline double precision) -> integer
 *
 * Private: the side of a baseline a mean lies on, for learning.scope_stats (field_coherence: which side of the
 * coherence baseline the cell's samples are counted on; segments_positive: segments whose mean is above b).
 * 1 above, -1 below, 0 at the baseline: within 1e-9 * max(1, |baseline|) of it. The tolerance makes a tie a tie: the
 * baseline is a median of pattern means (learning._baseline_median), so the median pattern's own pattern-wide cell,
 * and every cell with the same samples, has a mean equal to it, which floating-point sums in another order (a
 * fold-in, another node, a shard) put a few ulps above or below; without it field_coherence flipped to 1 - itself on
 * such rounding noise. 1e-9 R is far below any difference the tests can see. NULL when either side is NULL. An
 * inlinable SQL function.
 */
CREATE OR REPLACE FUNCTION learning._vs_baseline(p_mean double precision, p_baseline double precision)
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN abs(p_mean - p_baseline) <= 1e-9 * greatest(1, abs(p_baseline)) THEN 0
                WHEN p_mean > p_baseline THEN 1
                ELSE -1 END
$$;
COMMENT ON FUNCTION learning._vs_baseline(double precision, double precision) IS
'Private: 1 / 0 / -1 as a mean lies above / at (within 1e-9 relative) / below a baseline; the tie rule of field_coherence and segments_positive (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._vs_baseline(double precision, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._vs_baseline(double precision, double precision) TO pglearn_reader, pglearn_admin;
