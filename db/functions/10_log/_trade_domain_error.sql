/*
 * learning._trade_domain_error(rr, details, rr_abs_max) -> text
 *
 * Private: why a completed_trades row is outside its domain, or NULL when it is inside (docs/api.md,
 * "Domains"): rr finite and within +/- rr_abs_max; details a JSON object whose counterfactuals are typed
 * and bounded (cf_entry_delay_bars an integer 0-5, cf_entry_gain_rr / cf_exit_gain_rr numbers within
 * +/- rr_abs_max). The same rules as the completed_trades_validate trigger, for rows that got in without it
 * (written before a rule existed, or with triggers disabled): learning._trade_facts skips such a trade and
 * learning.v_quarantine lists it. An inlinable SQL expression (STABLE: format and array_to_string are): CASE
 * guards every cast, so it never raises.
 */
CREATE OR REPLACE FUNCTION learning._trade_domain_error(p_rr double precision, p_details jsonb, p_rr_abs_max double precision)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_rr IS NULL OR p_rr = 'NaN'::float8 OR abs(p_rr) > p_rr_abs_max
            THEN format('rr = %s is not a finite number within +/- %s', p_rr, p_rr_abs_max)
        WHEN jsonb_typeof(p_details) IS DISTINCT FROM 'object' THEN 'details is not a JSON object'
        WHEN p_details ? 'cf_entry_delay_bars' AND CASE WHEN jsonb_typeof(p_details -> 'cf_entry_delay_bars') = 'number'
                THEN (p_details ->> 'cf_entry_delay_bars')::numeric NOT IN (0, 1, 2, 3, 4, 5) ELSE true END
            THEN 'details.cf_entry_delay_bars is not an integer from 0 to 5'
        WHEN p_details ? 'cf_entry_gain_rr' AND CASE WHEN jsonb_typeof(p_details -> 'cf_entry_gain_rr') = 'number'
                THEN abs((p_details ->> 'cf_entry_gain_rr')::numeric) > p_rr_abs_max::numeric ELSE true END
            THEN format('details.cf_entry_gain_rr is not a number within +/- %s', p_rr_abs_max)
        WHEN p_details ? 'cf_exit_gain_rr' AND CASE WHEN jsonb_typeof(p_details -> 'cf_exit_gain_rr') = 'number'
                THEN abs((p_details ->> 'cf_exit_gain_rr')::numeric) > p_rr_abs_max::numeric ELSE true END
            THEN format('details.cf_exit_gain_rr is not a number within +/- %s', p_rr_abs_max)
    END
$$;
COMMENT ON FUNCTION learning._trade_domain_error(double precision, jsonb, double precision) IS
'Private: why a completed_trades row is outside its domain (rr, counterfactuals), or NULL; read by _trade_facts and v_quarantine.';
REVOKE ALL ON FUNCTION learning._trade_domain_error(double precision, jsonb, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._trade_domain_error(double precision, jsonb, double precision) TO pglearn_admin, pglearn_reader;
