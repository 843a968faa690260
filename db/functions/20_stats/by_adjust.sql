/*
 * learning.by_adjust(p double precision[]) -> double precision[]
 *
 * Benjamini-Yekutieli adjusted p-values of one family, element for element, exactly as R's
 * p.adjust(p, method = "BY"): with the m non-NULL p-values ranked i = 1..m in ascending order by ROW_NUMBER
 * (ties take consecutive ranks, as R's order() does, so tied p-values end with the same adjusted value),
 *   q_(i) = min(1, min over j >= i of c(m) * m / j * p_(j)),   c(m) = sum_{i=1..m} 1/i (learning.by_harmonic).
 * A NULL p stays NULL and does not count in m. Rejecting every q <= alpha is the BY step-up procedure at level
 * alpha, which controls the false discovery rate at alpha under any dependence between the tests
 * (Benjamini & Yekutieli 2001). build_lessons applies it per subset size (docs/levers.md, "False discoveries").
 */
CREATE OR REPLACE FUNCTION learning.by_adjust(p double precision[])
RETURNS double precision[]
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    WITH x AS (
        SELECT u.p, u.ord
        FROM unnest(p) WITH ORDINALITY AS u (p, ord)
    ),
    ranked AS (
        SELECT
            x.ord,
            x.p,
            row_number() OVER (ORDER BY x.p, x.ord) AS i,
            count(*) OVER () AS m
        FROM x
        WHERE x.p IS NOT NULL
    ),
    adjusted AS (
        SELECT
            r.ord,
            least(1.0, min(learning.by_harmonic(r.m) * r.m / r.i * r.p) OVER (ORDER BY r.i DESC ROWS UNBOUNDED PRECEDING)) AS q
        FROM ranked AS r
    )
    SELECT array_agg(a.q ORDER BY x.ord)
    FROM x
    LEFT JOIN adjusted AS a ON x.ord = a.ord
$$;
COMMENT ON FUNCTION learning.by_adjust(double precision[]) IS
'Benjamini-Yekutieli adjusted p-values of one family (R p.adjust method "BY"; ranks by ROW_NUMBER; NULL stays NULL).';
REVOKE ALL ON FUNCTION learning.by_adjust(double precision[]) FROM public;
GRANT EXECUTE ON FUNCTION learning.by_adjust(double precision[]) TO pglearn_reader;
