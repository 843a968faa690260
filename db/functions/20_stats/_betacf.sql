/*
 * learning._betacf(a double precision, b double precision, x double precision) -> double precision
 *
 * Private: the continued fraction of the regularized incomplete beta function (Numerical Recipes betacf, modified
 * Lentz), I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * _betacf(a, b, x), for x < (a + 1) / (a + b + 2), where it
 * converges in a few tens of steps (stops at a relative step below 1e-15, or after 300). learning.t_pvalue calls it
 * twice: I_x(a, 1/2) directly, and I_y(1/2, a) for the symmetric side. No tiny-value guard on the divisors is
 * needed in that domain (t_pvalue's callers keep a >= 1e-250 and 0 < x < 1).
 */
CREATE OR REPLACE FUNCTION learning._betacf(a double precision, b double precision, x double precision)
RETURNS double precision
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    c double precision := 1.0;
    d double precision := 1.0 / (1.0 - (a + b) * x / (a + 1.0));
    h double precision := d;
    m double precision := 0.0;
    aa double precision;
    del double precision;
BEGIN
    LOOP
        m := m + 1.0;
        aa := m * (b - m) * x / ((a - 1.0 + 2.0 * m) * (a + 2.0 * m));
        d := 1.0 / (1.0 + aa * d);
        c := 1.0 + aa / c;
        h := h * d * c;
        aa := -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 1.0 + 2.0 * m));
        d := 1.0 / (1.0 + aa * d);
        c := 1.0 + aa / c;
        del := d * c;
        h := h * del;
        EXIT WHEN abs(del - 1.0) < 1e-15 OR m >= 300.0;
    END LOOP;
    RETURN h;
END;
$$;
COMMENT ON FUNCTION learning._betacf(double precision, double precision, double precision) IS
'Private: the continued fraction of the regularized incomplete beta I_x(a, b) (modified Lentz); read by t_pvalue.';
REVOKE ALL ON FUNCTION learning._betacf(double precision, double precision, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._betacf(double precision, double precision, double precision) TO pglearn_reader, pglearn_admin;
