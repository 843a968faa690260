/*
 * learning.welch_test_p(n1 bigint, mean1 double precision, var1 double precision,
 *                       n2 bigint, mean2 double precision, var2 double precision) -> double precision
 *
 * Two-sided Welch test of H0: mean1 = mean2 from summary statistics (sample variances, n - 1 denominator):
 *   v1 = var1 / n1,   v2 = var2 / n2,   t = (mean1 - mean2) / sqrt(v1 + v2)
 *   df = (v1 + v2)^2 / (v1^2 / (n1 - 1) + v2^2 / (n2 - 1))      (Welch-Satterthwaite, real)
 *   p  = learning.t_pvalue(t, df)
 * df is computed as 1 / (r1^2 / (n1 - 1) + r2^2 / (n2 - 1)) with r_i = v_i / (v1 + v2) in [0, 1] (scale-free, the
 * denominator is >= 1 / (4 max(n1 - 1, n2 - 1)) > 0); r_i below 1e-100 counts as 1e-100 so that its square
 * cannot underflow: when exactly one variance is 0, df = the other group's n - 1 (to 1e-190).
 * Edge cases: NULL when any argument is NULL, n1 <= 1 or n2 <= 1; a negative variance (rounding) is 0;
 * se = 0 (both variances 0): p = 1 when mean1 = mean2, else 0. Otherwise the same p as
 * scipy.stats.ttest_ind_from_stats(equal_var=False). LANGUAGE sql without SET, so that it is inlined into the caller.
 */
CREATE OR REPLACE FUNCTION learning.welch_test_p(
    n1 bigint, mean1 double precision, var1 double precision,
    n2 bigint, mean2 double precision, var2 double precision
)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN n1 IS NULL OR n2 IS NULL OR n1 <= 1 OR n2 <= 1
            OR mean1 IS NULL OR mean2 IS NULL OR var1 IS NULL OR var2 IS NULL THEN NULL
        WHEN var1 <= 0 AND var2 <= 0 THEN CASE WHEN mean1 = mean2 THEN 1.0 ELSE 0.0 END
        ELSE learning.t_pvalue(
            (mean1 - mean2) / sqrt(greatest(var1, 0.0) / n1 + greatest(var2, 0.0) / n2),
            1.0 / (
                greatest(greatest(var1, 0.0) / n1 / (greatest(var1, 0.0) / n1 + greatest(var2, 0.0) / n2), 1e-100) ^ 2
                / (n1 - 1)
                + greatest(greatest(var2, 0.0) / n2 / (greatest(var1, 0.0) / n1 + greatest(var2, 0.0) / n2), 1e-100) ^ 2
                / (n2 - 1)
            )
        )
    END
$$;
COMMENT ON FUNCTION learning.welch_test_p(bigint, double precision, double precision, bigint, double precision, double precision) IS
'Two-sided Welch test p of mean1 = mean2 (Welch-Satterthwaite df); NULL for n <= 1; se = 0: 1 if the means are equal else 0.';
REVOKE ALL ON FUNCTION learning.welch_test_p(
    bigint, double precision, double precision, bigint, double precision, double precision
) FROM public;
GRANT EXECUTE ON FUNCTION learning.welch_test_p(
    bigint, double precision, double precision, bigint, double precision, double precision
) TO pglearn_reader;
