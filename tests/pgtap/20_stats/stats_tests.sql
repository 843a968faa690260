-- The statistical test primitives: t_pvalue, t_pvalue_lower, mean_test_p, welch_test_p, by_harmonic.
\ir ../fixtures.psql
SELECT plan(40);

-- closed forms (A&S 26.7.3-4): df = 1 is Cauchy, df = 2 has p = 1 - |t| / sqrt(2 + t^2)
SELECT ok(bool_and(abs(learning.t_pvalue(t, 1) - (1 - 2 / pi() * atan(abs(t)))) <= 1e-10 * (1 - 2 / pi() * atan(abs(t)))),
    'df = 1 (Cauchy): p = 1 - 2/pi atan|t|')
FROM unnest('{-100, -3, -1, -0.1, 0.01, 0.5, 1, 1.96, 10, 100}'::float8[]) AS t;
SELECT ok(bool_and(abs(learning.t_pvalue(t, 2) - (1 - abs(t) / sqrt(2 + t * t))) <= 1e-10 * (1 - abs(t) / sqrt(2 + t * t))),
    'df = 2: p = 1 - |t| / sqrt(2 + t^2)')
FROM unnest('{-100, -3, -1, -0.1, 0.01, 0.5, 1, 1.96, 10, 100}'::float8[]) AS t;
SELECT ok(abs(learning.t_pvalue(1, 1) - 0.5) < 1e-15, 'the median of |Cauchy| is 1');
SELECT ok(abs(learning.t_pvalue(3, 10) - 0.013343655022569578) < 1e-12 * 0.013343655022569578, 'df = 10, t = 3 (scipy)');
SELECT ok(abs(learning.t_pvalue(2.2, 17.3) - 0.04166959552927388) < 1e-12 * 0.04166959552927388,
    'non-integer df (Welch-Satterthwaite): df = 17.3, t = 2.2 (scipy)');
SELECT ok(abs(learning.t_pvalue(1.96, 1e9) - 0.049995790573729715) < 1e-12 * 0.05, 'df = 1e9 (scipy)');
SELECT ok(abs(learning.t_pvalue(1.96, 'Infinity') - 0.04999579029644087) < 1e-14, 'df = Infinity: the normal 2 (1 - Phi(1.96))');
SELECT ok(learning.t_pvalue(40, 10) BETWEEN 2.2808577430e-12 AND 2.2808577431e-12,
    'a small p is computed directly (no 1 - x cancellation)');

-- edge cases
SELECT is(learning.t_pvalue(0, 5), 1::float8, 't = 0 gives p = 1');
SELECT ok(learning.t_pvalue('Infinity', 5) = 0 AND learning.t_pvalue('-Infinity', 0.5) = 0, 't = +-Infinity gives p = 0');
SELECT ok(learning.t_pvalue(2, 0) IS NULL AND learning.t_pvalue(2, -3) IS NULL, 'df <= 0 gives NULL');
SELECT ok(learning.t_pvalue(NULL, 5) IS NULL AND learning.t_pvalue(2, NULL) IS NULL AND learning.t_pvalue('NaN', 5) IS NULL
    AND learning.t_pvalue(2, 'NaN') IS NULL, 'NULL or NaN t or df gives NULL');
SELECT ok(learning.t_pvalue(1e10, 3) = learning.t_pvalue(-1e10, 3) AND learning.t_pvalue(1e10, 3) > 0, 'a huge t keeps a tiny p');
SELECT ok(learning.t_pvalue(300, 1000) = 0, 'p below ~1e-308 is 0, not an underflow error');

-- symmetry, range, monotonicity (across the continued-fraction / asymptotic-expansion switch at df = 16, t^2/df = 0.408)
SELECT ok(bool_and(learning.t_pvalue(t, df) = learning.t_pvalue(-t, df)), 'p is symmetric in t')
FROM generate_series(0, 40) AS i, unnest('{0.5, 1, 3, 16.5, 30, 1e4}'::float8[]) AS df, LATERAL (SELECT i * 0.37 AS t) AS x;
SELECT ok(bool_and(p >= 0 AND p <= 1), 'p is in [0, 1]')
FROM (SELECT learning.t_pvalue(i * 0.5, df) AS p
      FROM generate_series(-200, 200) AS i, unnest('{0.01, 0.5, 1, 2, 7, 16, 17, 100, 1e6, 1e12}'::float8[]) AS df) AS s;
SELECT ok(bool_and(p <= prev), 'p decreases as |t| grows')
FROM (SELECT learning.t_pvalue(i * 0.05, df) AS p, lag(learning.t_pvalue(i * 0.05, df), 1, 1.0) OVER (PARTITION BY df ORDER BY i) AS prev
      FROM generate_series(0, 800) AS i, unnest('{0.5, 1, 3, 15.9, 16.1, 17.3, 31, 100, 1e4, 1e7}'::float8[]) AS df) AS s;
SELECT ok(bool_and(p <= prev), 'p decreases as df grows (t fixed)')
FROM (SELECT learning.t_pvalue(t, df) AS p, lag(learning.t_pvalue(t, df), 1, 1.0) OVER (PARTITION BY t ORDER BY df) AS prev
      FROM unnest('{0.5, 1, 2, 3, 5, 10}'::float8[]) AS t, generate_series(1, 400) AS j, LATERAL (SELECT j * 0.1 AS df) AS x) AS s;

-- one-sided lower tail
SELECT is(learning.t_pvalue_lower(0, 5), 0.5::float8, 'P(T <= 0) = 1/2');
SELECT ok(bool_and(abs(learning.t_pvalue_lower(-t, df) + learning.t_pvalue_lower(t, df) - 1) < 1e-15), 'lower(-t) + lower(t) = 1')
FROM unnest('{0.3, 1, 2.5, 7}'::float8[]) AS t, unnest('{1, 4.5, 30, 500}'::float8[]) AS df;
SELECT ok(learning.t_pvalue_lower(-3, 7) = learning.t_pvalue(3, 7) / 2 AND learning.t_pvalue_lower(-40, 10) > 0,
    'the lower tail of a negative t is p2 / 2, small values kept');
SELECT ok(learning.t_pvalue_lower('-Infinity', 3) = 0 AND learning.t_pvalue_lower('Infinity', 3) = 1
    AND learning.t_pvalue_lower(1, 0) IS NULL, 'lower tail: +-Infinity and df <= 0');

-- one-sample test
SELECT ok(learning.mean_test_p(1, 2.0, 1.0, 0.0) IS NULL AND learning.mean_test_p(0, 2.0, 1.0, 0.0) IS NULL, 'n <= 1 gives NULL');
SELECT ok(learning.mean_test_p(NULL, 2.0, 1.0, 0.0) IS NULL AND learning.mean_test_p(5, NULL, 1.0, 0.0) IS NULL
    AND learning.mean_test_p(5, 2.0, NULL, 0.0) IS NULL AND learning.mean_test_p(5, 2.0, 1.0, NULL) IS NULL, 'a NULL gives NULL');
SELECT is(learning.mean_test_p(8, 1.5, 0.0, 1.5), 1::float8, 'se = 0 and mean = mu0: 0/0 reads as t = 0, p = 1');
SELECT is(learning.mean_test_p(8, 1.6, 0.0, 1.5), 0::float8, 'se = 0 and mean <> mu0: p = 0');
SELECT ok(learning.mean_test_p(8, 1.5, -1e-17, 1.5) = 1 AND learning.mean_test_p(8, 1.6, -1e-17, 1.5) = 0,
    'a negative variance (rounding) is 0');
SELECT ok(abs(learning.mean_test_p(10, 1.3, 0.5, 1.0) - learning.t_pvalue(0.3 / sqrt(0.05), 9)) < 1e-15
    AND abs(learning.mean_test_p(10, 1.3, 0.5, 1.0) - 0.21257989232273608) < 1e-12, 't = (mean - mu0) / sqrt(var / n), n - 1 df');

-- Welch
SELECT ok(learning.welch_test_p(1, 1.0, 1.0, 5, 0.0, 1.0) IS NULL AND learning.welch_test_p(5, 1.0, 1.0, 1, 0.0, 1.0) IS NULL
    AND learning.welch_test_p(5, 1.0, NULL, 5, 0.0, 1.0) IS NULL, 'Welch: n <= 1 or a NULL gives NULL');
SELECT ok(learning.welch_test_p(5, 1.0, 0.0, 7, 1.0, 0.0) = 1 AND learning.welch_test_p(5, 1.0, 0.0, 7, 2.0, -1e-17) = 0,
    'Welch: se = 0 gives 1 for equal means, else 0');
SELECT ok(abs(learning.welch_test_p(10, 1.0, 2.5, 12, 2.0, 0.0) - learning.mean_test_p(10, 1.0, 2.5, 2.0)) < 1e-15
    AND abs(learning.welch_test_p(10, 1.0, 0.0, 12, 2.0, 2.5) - learning.mean_test_p(12, 2.0, 2.5, 1.0)) < 1e-15,
    'Welch: one zero variance gives the other group''s n - 1 df');
SELECT ok(abs(learning.welch_test_p(10, 1.0, 1.0, 12, 1.5, 2.0) - 0.3447450824323879) < 1e-12,
    'Welch = scipy ttest_ind_from_stats(equal_var=False)');

-- Benjamini-Yekutieli c(m)
SELECT ok(learning.by_harmonic(1) = 1 AND learning.by_harmonic(2) = 1.5 AND learning.by_harmonic(20) = 3.597739657143682,
    'c(m) is the exact sum for m <= 20');
SELECT ok(abs(learning.by_harmonic(21) - 3.6453587047627294) < 1e-10 AND abs(learning.by_harmonic(30000) - 10.88618499211990) < 1e-12
    AND learning.by_harmonic(0) IS NULL AND learning.by_harmonic(-1) IS NULL, 'c(m) asymptotic above 20; NULL for m <= 0');

-- declared IMMUTABLE (provolatile = 'i'), parallel safe, no PL/Python
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'learning.t_pvalue(float8, float8)'::regprocedure), 'i'::"char",
    't_pvalue is IMMUTABLE');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'learning.t_pvalue_lower(float8, float8)'::regprocedure), 'i'::"char",
    't_pvalue_lower is IMMUTABLE');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'learning.mean_test_p(bigint, float8, float8, float8)'::regprocedure),
    'i'::"char", 'mean_test_p is IMMUTABLE');
SELECT is((SELECT provolatile FROM pg_proc
           WHERE oid = 'learning.welch_test_p(bigint, float8, float8, bigint, float8, float8)'::regprocedure),
    'i'::"char", 'welch_test_p is IMMUTABLE');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'learning.by_harmonic(bigint)'::regprocedure), 'i'::"char",
    'by_harmonic is IMMUTABLE');
SELECT is((SELECT count(*)::int FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
           WHERE p.pronamespace = 'learning'::regnamespace
             AND p.proname IN ('t_pvalue', 't_pvalue_lower', 'mean_test_p', 'welch_test_p', 'by_harmonic')
             AND p.proparallel = 's' AND l.lanname IN ('sql', 'plpgsql')), 5,
    'all five are PARALLEL SAFE and SQL or PL/pgSQL');

SELECT * FROM finish();
ROLLBACK;
