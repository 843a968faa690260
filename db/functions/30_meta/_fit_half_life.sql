/*
 * learning._fit_half_life(hours float8[], edges float8[], default_h, min_h, max_h) -> float8
 *
 * v5.2 curve fit (PL/Python, Debian's numpy/scipy): edge(t) = edge_0 * exp(-lambda * t), t in hours since
 * the first point, by scipy.optimize.curve_fit. Fewer than 5 points or a failed fit -> default_h;
 * a non-decaying edge (lambda <= 0) -> max_h; otherwise ln 2 / lambda clamped to [min_h, max_h].
 */
CREATE OR REPLACE FUNCTION learning._fit_half_life(
    p_hours double precision[],
    p_edges double precision[],
    p_default_h double precision,
    p_min_h double precision,
    p_max_h double precision
)
RETURNS double precision
LANGUAGE plpython3u
IMMUTABLE PARALLEL SAFE
AS $$
try:
    import numpy as np
    from scipy.optimize import curve_fit
except ImportError as exc:
    plpy.error("numpy/scipy are not importable by PL/Python: %s" % exc, sqlstate="0A000",
               hint="apt-get install python3-numpy python3-scipy (PL/Python embeds Debian's /usr/bin/python3)")
import math, warnings
if p_hours is None or p_edges is None or len(p_hours) < 5 or len(p_hours) != len(p_edges):
    return p_default_h
t = np.asarray(p_hours, dtype=float)
y = np.asarray(p_edges, dtype=float)
t = t - t.min()
span = float(t.max())
if span <= 0 or not np.all(np.isfinite(y)):
    return p_default_h
if np.allclose(y, y[0], rtol=1e-9, atol=1e-12):
    return p_max_h                      # flat: no decay
lam0 = 1.0 / span
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (e0, lam), _ = curve_fit(lambda x, a, b: a * np.exp(-b * x), t, y, p0=(float(y[0]) or 1e-6, lam0),
                                 maxfev=2000)
except Exception:
    return p_default_h
if not (math.isfinite(lam) and math.isfinite(e0)):
    return p_default_h
if lam <= 0:
    return p_max_h                      # growing or flat: the edge does not decay
return float(min(p_max_h, max(p_min_h, math.log(2.0) / lam)))
$$;
COMMENT ON FUNCTION learning._fit_half_life(double precision[], double precision[], double precision, double precision, double precision) IS
'Private v5.2 fit: half-life in hours of edge(t) = edge_0 * exp(-lambda t) by scipy curve_fit; default / bounds when unfit.';
REVOKE ALL ON FUNCTION learning._fit_half_life(
    double precision[], double precision[], double precision, double precision, double precision
) FROM public;
GRANT EXECUTE ON FUNCTION learning._fit_half_life(
    double precision[], double precision[], double precision, double precision, double precision
) TO pglearn_admin;
