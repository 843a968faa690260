/*
 * learning._cube_fact_context() -> text
 *
 * Private: the SQL of the per-fact context x that learning._cube_measures' per_fact expressions read, one definition
 * for the rebuild's base and the fold-in: a LATERAL over the fact f with parameters $1 = week0 (date),
 * $2 = ref_hold_hours, $3 = the week-bitmap width; x.b (the coherence baseline) is read from the frame fr.
 *   wk  = ISO-week index of the close since week0;
 *   seg = consistency segment: the 4-week calendar block since week0, modulo 5 (docs/stats.md);
 *   t   = weeks since week0 (the time moments).
 */
CREATE OR REPLACE FUNCTION learning._cube_fact_context()
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT $q$CROSS JOIN LATERAL (SELECT (f.closed_at::date - $1::date) / 7 AS wk) AS w
        CROSS JOIN LATERAL (SELECT $2::float8 AS h, fr.coherence_baseline AS b, w.wk, $3::int AS nw, (w.wk / 4) % 5 AS seg,
                                   extract(EPOCH FROM f.closed_at - $1::date::timestamptz) / 604800.0 AS t) AS x$q$
$$;
COMMENT ON FUNCTION learning._cube_fact_context() IS
'Private: the per-fact context (week index, consistency segment, time in weeks, coherence baseline) of the cube''s sums (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_fact_context() FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_fact_context() TO pglearn_admin;
