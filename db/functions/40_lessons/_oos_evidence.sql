/*
 * learning._oos_evidence(as_of timestamptz) -> TABLE (lesson_id, windows, n, excess, p)
 *
 * The out-of-sample evidence on each lesson with a size lever, written once (docs/levers.md, "Out-of-sample
 * guard"): over the scored windows that ended by as_of (learning.override_score, written by score_overrides), each
 * matched trade i gives x_i = sign(size_mult - 1) * (rr_i - the pattern's mean rr in that window), so x > 0 when the
 * lever moved the right way. windows = scored windows, n = matched trades, excess = mean x, p = the one-sided
 * p-value of "mean x < 0" (Student t, learning.t_pvalue_lower; a zero-variance sample gives 0 or 1; NULL below 2
 * trades). Read by build_lessons' out-of-sample guard (rolls a lesson back at n >= oos_min_trades, p < oos_p) and
 * evaluate_alerts' override_oos_negative alert (its own thresholds, alert_oos_*).
 */
CREATE OR REPLACE FUNCTION learning._oos_evidence(as_of timestamptz)
RETURNS TABLE (lesson_id bigint, windows bigint, n bigint, excess double precision, p double precision)
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT a.lesson_id, a.windows, a.n, a.sx / a.n,
           CASE WHEN a.n < 2 THEN NULL
                WHEN (a.sxx - a.sx ^ 2 / a.n) <= 1e-12 * greatest(a.sxx, 1) THEN CASE WHEN a.sx < 0 THEN 0.0 ELSE 1.0 END
                ELSE learning.t_pvalue_lower((a.sx / a.n) / sqrt((a.sxx - a.sx ^ 2 / a.n) / (a.n - 1) / a.n), a.n - 1) END
    FROM (
        SELECT sc.lesson_id, count(*) AS windows, sum(sc.n)::bigint AS n, sum(sc.dir * (sc.s1 - sc.n * sc.pm)) AS sx,
               sum(sc.s2 - 2 * sc.pm * sc.s1 + sc.n * sc.pm ^ 2) AS sxx
        FROM (  -- one row per scored window
            SELECT s.lesson_id, sign(s.size_mult - 1) AS dir, s.trades_matched AS n, s.matched_sum_rr AS s1,
                   s.matched_sum_rr2 AS s2, s.pattern_sum_rr / s.pattern_trades AS pm
            FROM learning.override_score AS s
            WHERE s.window_to <= _oos_evidence.as_of AND s.trades_matched > 0 AND s.size_mult <> 1
        ) AS sc
        GROUP BY sc.lesson_id
    ) AS a
$$;
COMMENT ON FUNCTION learning._oos_evidence(timestamptz) IS
'Private: per lesson with a size lever, its out-of-sample evidence (scored windows, matched trades, mean signed excess R, one-sided p of a loss), written once; read by build_lessons'' guard and evaluate_alerts.';
REVOKE ALL ON FUNCTION learning._oos_evidence(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._oos_evidence(timestamptz) TO pglearn_admin;
