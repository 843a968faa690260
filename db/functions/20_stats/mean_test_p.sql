/*
 * learning.mean_test_p(n bigint, mean double precision, variance double precision, mu0 double precision)
 *   -> double precision
 *
 * Two-sided one-sample t-test of H0: mean = mu0 from summary statistics (n samples, their mean and sample
 * variance with the n - 1 denominator):
 *   t = (mean - mu0) / se,   se = sqrt(variance / n),   p = learning.t_pvalue(t, n - 1)
 * Edge cases (MADlib-like): NULL when any argument is NULL or n <= 1; a negative variance (rounding)
 * is 0; se = 0: p = 1 when mean = mu0 (0/0 is read as t = 0), else p = 0. An infinite variance gives p = 1.
 * LANGUAGE sql without SET, so that it is inlined into the caller.
 */
CREATE OR REPLACE FUNCTION learning.mean_test_p(
    n bigint, mean double precision, variance double precision, mu0 double precision
)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN n IS NULL OR n <= 1 OR mean IS NULL OR variance IS NULL OR mu0 IS NULL THEN NULL
        WHEN variance <= 0 THEN CASE WHEN mean = mu0 THEN 1.0 ELSE 0.0 END
        ELSE learning.t_pvalue((mean - mu0) * sqrt(n::double precision) / sqrt(variance), n - 1)
    END
$$;
COMMENT ON FUNCTION learning.mean_test_p(bigint, double precision, double precision, double precision) IS
'Two-sided one-sample t-test p of mean = mu0 (n - 1 df, se = sqrt(variance / n)); NULL for n <= 1; se = 0: 1 if mean = mu0 else 0.';
REVOKE ALL ON FUNCTION learning.mean_test_p(bigint, double precision, double precision, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning.mean_test_p(bigint, double precision, double precision, double precision) TO pglearn_reader;
