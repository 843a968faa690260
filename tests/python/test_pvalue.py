"""The p-value primitives (learning.t_pvalue, t_pvalue_lower, mean_test_p, welch_test_p, by_harmonic) against scipy.

The references are computed by Debian's /usr/bin/python3 (python3-scipy, the one PL/Python embeds) in a subprocess.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest

REL_TOL = 1e-9          # relative, where the reference p >= 1e-300
ABS_TOL = 1e-300        # absolute, below
T_GRID = [0.0, 1e-8, 0.1, 0.5, 1.0, 1.96, 2.5, 3.0, 4.0, 6.0, 10.0, 30.0, 100.0]
DF_GRID = [1, 2, 3, 4, 5, 7, 10, 24, 30, 99, 100, 1000, 10000, 1e6, 0.5, 2.5, 17.3, 151.7]

# Runs under an interpreter with scipy: reads the cases as JSON on stdin, writes the reference p-values.
SCIPY_SCRIPT = r"""
import json, sys
import numpy as np
from scipy import stats
q = json.load(sys.stdin)
out = {
    "two": [float(2.0 * stats.t.sf(abs(t), df)) for t, df in q["t"]],
    "lower": [float(stats.t.cdf(t, df)) for t, df in q["t"]],
    "one": [], "welch": [],
}
for seed in range(q["samples"]):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    x = rng.normal(rng.normal(0, 1), rng.uniform(0.1, 3), n)
    mu0 = float(rng.normal(0, 1))
    out["one"].append([n, float(x.mean()), float(x.var(ddof=1)), mu0, float(stats.ttest_1samp(x, mu0).pvalue)])
    n2 = int(rng.integers(2, 60))
    y = rng.normal(rng.normal(0, 1), rng.uniform(0.1, 3), n2)
    m1, v1, m2, v2 = float(x.mean()), float(x.var(ddof=1)), float(y.mean()), float(y.var(ddof=1))
    p = stats.ttest_ind_from_stats(m1, v1 ** 0.5, n, m2, v2 ** 0.5, n2, equal_var=False).pvalue
    out["welch"].append([n, m1, v1, n2, m2, v2, float(p)])
for n1, m1, v1, n2, m2, v2 in q["welch_cases"]:
    p = stats.ttest_ind_from_stats(m1, v1 ** 0.5, n1, m2, v2 ** 0.5, n2, equal_var=False).pvalue
    out["welch"].append([n1, m1, v1, n2, m2, v2, float(p)])
json.dump(out, sys.stdout)
"""


def grid_cases() -> list[tuple[float, float]]:
    cases = [(s * t, float(df)) for t in T_GRID for s in (1.0, -1.0) for df in DF_GRID]
    rng = random.Random(20260528)
    for _ in range(300):  # and random (t, df), df from 0.05 to 1e7
        cases.append((rng.choice((1, -1)) * 10 ** rng.uniform(-3, 2.2), 10 ** rng.uniform(-1.3, 7)))
    return cases


WELCH_CASES = [  # exactly one zero variance, very unequal variances and sizes
    [10, 1.0, 0.0, 12, 2.0, 1.0],
    [10, 1.0, 2.5, 12, 2.0, 0.0],
    [2, 0.3, 1.0, 500, 0.1, 0.01],
    [1000, 0.05, 1.0, 30, 0.4, 4.0],
    [3, -1.0, 1e-6, 3, 1.0, 1e-6],
]


@pytest.fixture(scope="module")
def reference() -> dict:
    query = {"t": grid_cases(), "samples": 40, "welch_cases": WELCH_CASES}
    # Debian's scipy first: the one the docs name (make deps installs python3-scipy). The .venv's newer scipy (a
    # dashboard dependency) is less exact near t = 0 (scipy 1.17: stdtr(1, 1e-8) off by 3e-9), so it is only the
    # fallback on a machine without Debian's.
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    cmd = [python, "-c", SCIPY_SCRIPT]
    res = subprocess.run(cmd, input=json.dumps(query), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"no scipy for the references ({python}; make deps installs python3-scipy): {res.stderr[-500:]}"
    return {"query": query, **json.loads(res.stdout)}


@pytest.fixture(scope="module")
def db(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        yield c


def close(got: float | None, want: float) -> bool:
    if got is None:
        return False
    if want >= 1e-300:
        return abs(got - want) <= REL_TOL * want
    return abs(got - want) <= ABS_TOL


def rel_err(got: float, want: float) -> float:
    return abs(got - want) / want if want >= 1e-300 else 0.0


def column(db, sql: str, *arrays) -> list:
    """sql over unnest(arrays) WITH ORDINALITY, in input order."""
    return [r[0] for r in db.execute(sql, arrays).fetchall()]


def test_t_pvalue_matches_scipy(db, reference):
    cases = reference["query"]["t"]
    got = column(db, "SELECT learning.t_pvalue(t, df) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(t, df, i) "
                 "ORDER BY i", [t for t, _ in cases], [df for _, df in cases])
    bad = [(t, df, g, w) for (t, df), g, w in zip(cases, got, reference["two"]) if not close(g, w)]
    assert not bad, f"{len(bad)} of {len(cases)} off: {bad[:5]}"
    worst = max(rel_err(g, w) for g, w in zip(got, reference["two"]))
    assert worst < 1e-11, worst  # measured: 1.6e-13 (scipy 1.10's own error is ~1e-13)


def test_t_pvalue_lower_matches_scipy(db, reference):
    cases = reference["query"]["t"]
    got = column(db, "SELECT learning.t_pvalue_lower(t, df) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY "
                 "AS u(t, df, i) ORDER BY i", [t for t, _ in cases], [df for _, df in cases])
    bad = [(t, df, g, w) for (t, df), g, w in zip(cases, got, reference["lower"]) if not close(g, w)]
    assert not bad, f"{len(bad)} of {len(cases)} off: {bad[:5]}"


def test_t_pvalue_closed_forms(db):
    """df = 1 (Cauchy): p = 1 - 2/pi atan|t|; df = 2: p = 1 - |t| / sqrt(2 + t^2); df = 4 (A&S 26.7.4)."""
    for t in (0.01, 0.3, 1.0, 2.0, 7.5, 40.0):
        p1, p2, p4 = db.execute("SELECT learning.t_pvalue(%s, 1), learning.t_pvalue(%s, 2), learning.t_pvalue(%s, 4)",
                                (t, t, t)).fetchone()
        assert math.isclose(p1, 2 / math.pi * math.atan(1 / t), rel_tol=1e-13)
        assert math.isclose(p2, 1 - t / math.sqrt(2 + t * t), rel_tol=1e-12)
        th = math.atan(t / 2)
        assert math.isclose(p4, 1 - math.sin(th) * (1 + 0.5 * math.cos(th) ** 2), rel_tol=1e-9)


def test_t_pvalue_large_df_is_normal(db):
    """df = 1e9 and beyond: the normal tail erfc(|t| / sqrt 2) (1e9: up to the O(t^4 / (4 df)) correction)."""
    for t in (0.5, 1.96, 5.0, 10.0):
        normal = math.erfc(t / math.sqrt(2))
        p9, p30, pinf = db.execute("SELECT learning.t_pvalue(%s, 1e9), learning.t_pvalue(%s, 1e30), "
                                   "learning.t_pvalue(%s, 'Infinity')", (t, t, t)).fetchone()
        assert math.isclose(p9, normal, rel_tol=1e-5)
        assert math.isclose(p30, normal, rel_tol=1e-13) and math.isclose(pinf, normal, rel_tol=1e-13)


def test_mean_test_p_matches_scipy(db, reference):
    rows = reference["one"]
    got = column(db, "SELECT learning.mean_test_p(n, m, v, mu) FROM unnest(%s::bigint[], %s::float8[], %s::float8[], "
                 "%s::float8[]) WITH ORDINALITY AS u(n, m, v, mu, i) ORDER BY i",
                 *[[r[k] for r in rows] for k in range(4)])
    bad = [(r, g) for r, g in zip(rows, got) if not close(g, r[4])]
    assert not bad, bad[:5]


def test_welch_test_p_matches_scipy(db, reference):
    rows = reference["welch"]
    got = column(db, "SELECT learning.welch_test_p(n1, m1, v1, n2, m2, v2) FROM unnest(%s::bigint[], %s::float8[], "
                 "%s::float8[], %s::bigint[], %s::float8[], %s::float8[]) WITH ORDINALITY AS u(n1, m1, v1, n2, m2, v2, i) "
                 "ORDER BY i", *[[r[k] for r in rows] for k in range(6)])
    bad = [(r, g) for r, g in zip(rows, got) if not close(g, r[6])]
    assert not bad, bad[:5]


def test_welch_one_zero_variance_uses_other_df(db):
    """v2 = 0: df = n1 - 1, i.e. the one-sample test of mean1 against mean2."""
    welch, one = db.execute("SELECT learning.welch_test_p(10, 1.0, 2.5, 12, 2.0, 0), learning.mean_test_p(10, 1.0, 2.5, 2.0)"
                            ).fetchone()
    assert math.isclose(welch, one, rel_tol=1e-14)


@pytest.mark.parametrize("sql, want", [
    ("learning.mean_test_p(1, 1.0, 1.0, 0.0)", None),
    ("learning.mean_test_p(0, 1.0, 1.0, 0.0)", None),
    ("learning.mean_test_p(NULL, 1.0, 1.0, 0.0)", None),
    ("learning.mean_test_p(5, NULL, 1.0, 0.0)", None),
    ("learning.mean_test_p(5, 1.0, 1.0, NULL)", None),
    ("learning.mean_test_p(5, 0.5, 0.0, 0.5)", 1.0),
    ("learning.mean_test_p(5, 0.5, -1e-18, 0.5)", 1.0),
    ("learning.mean_test_p(5, 0.6, 0.0, 0.5)", 0.0),
    ("learning.welch_test_p(1, 1.0, 1.0, 5, 0.0, 1.0)", None),
    ("learning.welch_test_p(5, 1.0, 1.0, 1, 0.0, 1.0)", None),
    ("learning.welch_test_p(5, 1.0, NULL, 5, 0.0, 1.0)", None),
    ("learning.welch_test_p(5, 1.0, 0.0, 7, 1.0, 0.0)", 1.0),
    ("learning.welch_test_p(5, 1.0, 0.0, 7, 2.0, -1e-17)", 0.0),
    ("learning.t_pvalue(0, 3)", 1.0),
    ("learning.t_pvalue('Infinity', 3)", 0.0),
    ("learning.t_pvalue('-Infinity', 0.5)", 0.0),
    ("learning.t_pvalue('NaN', 3)", None),
    ("learning.t_pvalue(1, 0)", None),
    ("learning.t_pvalue(1, -2)", None),
    ("learning.t_pvalue(1, 'NaN')", None),
    ("learning.t_pvalue(NULL, 3)", None),
    ("learning.t_pvalue_lower(0, 3)", 0.5),
    ("learning.t_pvalue_lower('-Infinity', 3)", 0.0),
    ("learning.t_pvalue_lower('Infinity', 3)", 1.0),
    ("learning.t_pvalue_lower(1, 0)", None),
    ("learning.by_harmonic(0)", None),
    ("learning.by_harmonic(-3)", None),
    ("learning.by_harmonic(NULL)", None),
])
def test_edge_cases(db, sql, want):
    assert db.execute(f"SELECT {sql}").fetchone()[0] == want


def test_extreme_inputs_never_raise(db):
    """Every combination of extreme finite t and df returns a p in [0, 1] (no overflow/underflow error)."""
    ts = [0.0, 5e-324, 1e-300, 1e-17, 1e-8, 0.64, 1.7, 26.6, 38.0, 1e8, 1e100, 1e154, 1e200, 1.7976931348623157e308]
    dfs = [5e-324, 1e-300, 1e-250, 1e-100, 1e-10, 0.01, 1.0, 16.0, 16.5, 30.0, 1e6, 1e15, 1e22, 1.1e22, 1e300,
           1.7976931348623157e308]
    lo, hi, n = db.execute("SELECT min(learning.t_pvalue(s * t, df)), max(learning.t_pvalue(s * t, df)), "
                           "count(learning.t_pvalue_lower(s * t, df)) FROM unnest(%s::float8[]) t, unnest(%s::float8[]) df, "
                           "unnest('{1,-1}'::float8[]) s", (ts, dfs)).fetchone()
    assert 0.0 <= lo and hi <= 1.0 and n == 2 * len(ts) * len(dfs)


def test_by_harmonic_exact_sum(db):
    for m in (1, 2, 20, 21, 100, 30000):
        exact = float(sum(Fraction(1, i) for i in range(1, m + 1)))
        got = db.execute("SELECT learning.by_harmonic(%s)", (m,)).fetchone()[0]
        assert math.isclose(got, exact, rel_tol=1e-9 if m > 20 else 0.0), (m, got, exact)
