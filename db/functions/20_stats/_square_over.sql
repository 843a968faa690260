/*
 * learning._square_over(s double precision, n integer) -> double precision
 *
 * Private: s^2 / n, the correction term of a variance from sums ((sum x^2 - (sum x)^2 / n) / (n - 1)), for
 * learning.scope_stats. 0 when |s| < 1e-150: s^2 would underflow (float8 multiplication raises instead of giving 0),
 * and a term below 1e-300 is far below the rounding of sum x^2 >= s^2 / n. An inlinable SQL function.
 */
CREATE OR REPLACE FUNCTION learning._square_over(s double precision, n integer)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN abs(s) < 1e-150 THEN 0 ELSE s * s / n END
$$;
COMMENT ON FUNCTION learning._square_over(double precision, integer) IS
'Private: s^2 / n for a variance from sums, 0 where s^2 would underflow (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._square_over(double precision, integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._square_over(double precision, integer) TO pglearn_reader;
