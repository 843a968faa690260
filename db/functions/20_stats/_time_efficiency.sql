/*
 * learning._time_efficiency(rr double precision, hold_hours double precision, ref_hold_hours double precision)
 *   -> double precision
 *
 * Private: one sample's time efficiency (docs/stats.md, `time_efficiency`): H / (H + hold_hours) for a winner
 * (rr > 0), 0 otherwise, H = tunables.ref_hold_hours. The one definition the aggregation (stats rows) and
 * build_lessons (trailing-window edges) average. An inlinable SQL function.
 */
CREATE OR REPLACE FUNCTION learning._time_efficiency(
    p_rr double precision, p_hold_hours double precision, p_ref_hold_hours double precision
)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_rr > 0 THEN p_ref_hold_hours / (p_ref_hold_hours + p_hold_hours) ELSE 0 END
$$;
COMMENT ON FUNCTION learning._time_efficiency(double precision, double precision, double precision) IS
'Private: a sample''s time efficiency, H / (H + hold_hours) for rr > 0, else 0 (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._time_efficiency(double precision, double precision, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._time_efficiency(double precision, double precision, double precision) TO pglearn_admin;
