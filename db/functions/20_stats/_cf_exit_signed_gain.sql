/*
 * learning._cf_exit_signed_gain(details jsonb) -> double precision
 *
 * Private: a closed trade's signed counterfactual exit gain (docs/stats.md, `cf_exit_signed_*`):
 * +cf_exit_gain_rr when the better exit lay later, -cf_exit_gain_rr when earlier, NULL without both. The one
 * definition the aggregation and build_lessons' exit tests read. An inlinable SQL function.
 */
CREATE OR REPLACE FUNCTION learning._cf_exit_signed_gain(p_details jsonb)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (p_details ->> 'cf_exit_gain_rr')::float
        * CASE p_details ->> 'cf_exit_direction' WHEN 'later' THEN 1 WHEN 'earlier' THEN -1 END
$$;
COMMENT ON FUNCTION learning._cf_exit_signed_gain(jsonb) IS
'Private: +cf_exit_gain_rr when the better exit was later, - when earlier, NULL otherwise (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cf_exit_signed_gain(jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning._cf_exit_signed_gain(jsonb) TO pglearn_admin;
