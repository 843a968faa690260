/*
 * learning.by_harmonic(m bigint) -> double precision
 *
 * The Benjamini-Yekutieli constant c(m) = sum_{i=1..m} 1/i (the m-th harmonic number) for m tests:
 *   m <= 20: the exact sum (correctly rounded constants H_1 .. H_20);
 *   m > 20:  ln(m) + 0.5772156649015329 + 1/(2m) - 1/(12 m^2) + 1/(120 m^4) (Euler-Maclaurin; relative error
 *            < 1.3e-11 at m = 21, decreasing as 1/m^6).
 * NULL when m is NULL or m <= 0. LANGUAGE sql without SET, so that it is inlined into the caller.
 */
CREATE OR REPLACE FUNCTION learning.by_harmonic(m bigint)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN m <= 0 THEN NULL
        WHEN m <= 20 THEN ('{1.0, 1.5, 1.8333333333333333, 2.0833333333333335, 2.283333333333333, 2.45, '
            '2.592857142857143, 2.717857142857143, 2.828968253968254, 2.9289682539682538, 3.019877344877345, '
            '3.103210678210678, 3.180133755133755, 3.2515623265623264, 3.3182289932289932, 3.3807289932289932, '
            '3.4395525226407577, 3.4951080781963135, 3.547739657143682, 3.597739657143682}'::double precision [])[m]
        ELSE ln(m::double precision) + 0.5772156649015329 + 1.0 / (2.0 * m::double precision)
            - 1.0 / (12.0 * m::double precision ^ 2) + 1.0 / (120.0 * m::double precision ^ 4)
    END
$$;
COMMENT ON FUNCTION learning.by_harmonic(bigint) IS
'Benjamini-Yekutieli c(m) = sum 1/i, i = 1..m (exact for m <= 20, Euler-Maclaurin above); NULL for m <= 0.';
REVOKE ALL ON FUNCTION learning.by_harmonic(bigint) FROM public;
GRANT EXECUTE ON FUNCTION learning.by_harmonic(bigint) TO pglearn_reader;
