/*
 * learning.t_pvalue_lower(t double precision, df double precision) -> double precision
 *
 * One-sided (lower-tail) p-value of Student's t with real df > 0: P(T_df <= t), from the two-sided
 * p2 = learning.t_pvalue(t, df): p2 / 2 when t < 0, 1 - p2 / 2 otherwise (a small lower tail is never formed as
 * 1 - something). The upper tail P(T_df >= t) is learning.t_pvalue_lower(-t, df).
 * Same NULL rules as learning.t_pvalue: NULL when t or df is NULL or NaN, or df <= 0; t = -Infinity gives 0,
 * t = +Infinity gives 1, t = 0 gives 1/2. LANGUAGE sql without SET, so that it is inlined into the caller.
 */
CREATE OR REPLACE FUNCTION learning.t_pvalue_lower(t double precision, df double precision)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN t < 0 THEN learning.t_pvalue(t, df) / 2.0 ELSE 1.0 - learning.t_pvalue(t, df) / 2.0 END
$$;
COMMENT ON FUNCTION learning.t_pvalue_lower(double precision, double precision) IS
'One-sided Student t p-value P(T_df <= t) (lower tail), real df > 0; NULL for NULL/NaN input or df <= 0.';
REVOKE ALL ON FUNCTION learning.t_pvalue_lower(double precision, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning.t_pvalue_lower(double precision, double precision) TO pglearn_reader;
