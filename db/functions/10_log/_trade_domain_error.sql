/*
 * learning._trade_domain_error(rr, details, rr_abs_max) -> text
 *
 * The domain of a closed trade's outcome, written once (docs/api.md, "Domains"): why (rr, details) is outside it,
 * naming the field, or NULL when it is inside:
 *   rr                   a finite number within +/- rr_abs_max (pm_config.tunables.rr_abs_max)
 *   details              a JSON object; its cf_* keys are the counterfactuals below, no other (a typo would
 *                        silently teach nothing); non-cf keys are kept as they are
 *   cf_entry_delay_bars  an integer from 0 to 5 (2.0 is the integer 2)
 *   cf_entry_gain_rr     a number within +/- rr_abs_max
 *   cf_exit_gain_rr      a number within +/- rr_abs_max
 *   cf_exit_direction    'earlier' or 'later'
 * Read by the completed_trades_validate trigger (which raises 22023 with this text) and, for rows that got in
 * without it (written before a rule existed, or with triggers disabled), by learning._trade_facts (which skips
 * them) and learning.v_quarantine (which lists them). JSON numbers compare as numeric, so 1e400 is out of range,
 * never a float overflow. An inlinable SQL expression (STABLE: format is): CASE guards every cast, so it never
 * raises.
 */
CREATE OR REPLACE FUNCTION learning._trade_domain_error(p_rr double precision, p_details jsonb, p_rr_abs_max double precision)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_rr IS NULL OR p_rr = 'NaN'::float8 OR abs(p_rr) > p_rr_abs_max
            THEN format('rr = %s is not a finite number within +/- %s', coalesce(p_rr::text, 'NULL'), p_rr_abs_max)
        WHEN jsonb_typeof(p_details) IS DISTINCT FROM 'object'
            THEN format('details is not a JSON object (got %s)', coalesce(jsonb_typeof(p_details), 'NULL'))
        WHEN NOT p_details::text LIKE '%"cf\_%' THEN NULL  -- no counterfactual: nothing more to check
        WHEN EXISTS (SELECT 1 FROM jsonb_object_keys(p_details) AS k
                     WHERE k LIKE 'cf\_%' AND k NOT IN ('cf_entry_delay_bars', 'cf_entry_gain_rr', 'cf_exit_gain_rr', 'cf_exit_direction'))
            THEN 'details holds an unknown counterfactual key (the cf_* keys are cf_entry_delay_bars, cf_entry_gain_rr, cf_exit_gain_rr, cf_exit_direction)'
        WHEN p_details ? 'cf_entry_delay_bars' AND CASE WHEN jsonb_typeof(p_details -> 'cf_entry_delay_bars') = 'number'
                THEN (p_details ->> 'cf_entry_delay_bars')::numeric NOT IN (0, 1, 2, 3, 4, 5) ELSE true END
            THEN 'details.cf_entry_delay_bars is not an integer from 0 to 5'
        WHEN p_details ? 'cf_entry_gain_rr' AND CASE WHEN jsonb_typeof(p_details -> 'cf_entry_gain_rr') = 'number'
                THEN abs((p_details ->> 'cf_entry_gain_rr')::numeric) > p_rr_abs_max::numeric ELSE true END
            THEN format('details.cf_entry_gain_rr is not a number within +/- %s', p_rr_abs_max)
        WHEN p_details ? 'cf_exit_gain_rr' AND CASE WHEN jsonb_typeof(p_details -> 'cf_exit_gain_rr') = 'number'
                THEN abs((p_details ->> 'cf_exit_gain_rr')::numeric) > p_rr_abs_max::numeric ELSE true END
            THEN format('details.cf_exit_gain_rr is not a number within +/- %s', p_rr_abs_max)
        WHEN p_details ? 'cf_exit_direction' AND coalesce(p_details ->> 'cf_exit_direction', '') NOT IN ('earlier', 'later')
            THEN 'details.cf_exit_direction is not ''earlier'' or ''later'''
    END
$$;
COMMENT ON FUNCTION learning._trade_domain_error(double precision, jsonb, double precision) IS
'Private: the domain of a trade''s rr and details, written once: why a row is outside it (naming the field), or NULL; read by the completed_trades trigger, _trade_facts and v_quarantine.';
REVOKE ALL ON FUNCTION learning._trade_domain_error(double precision, jsonb, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._trade_domain_error(double precision, jsonb, double precision) TO pglearn_admin, pglearn_reader;
