/*
 * learning._validate_trade_details(p_details) -> void
 *
 * completed_trades.details is a JSON object. The counterfactual keys are typed and bounded:
 *   cf_entry_delay_bars  integer 0..5 (best entry delay in hindsight; 2.0 is the integer 2)
 *   cf_entry_gain_rr     number within +/- tunables.rr_abs_max (R/R gained by the better entry)
 *   cf_exit_gain_rr      number within +/- tunables.rr_abs_max (R/R gained by the better exit)
 *   cf_exit_direction    'earlier' | 'later'
 * Other cf_* keys are refused (typos would silently teach nothing); non-cf keys are kept as-is.
 * JSON numbers are compared as numeric, so 1e400 is out of range (22023), never a float overflow.
 * STABLE: the bound is read from pm_config (tunables.rr_abs_max).
 */
CREATE OR REPLACE FUNCTION learning._validate_trade_details(p_details jsonb)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_bad text;
    v_max numeric;
BEGIN
    IF p_details IS NULL OR jsonb_typeof(p_details) <> 'object' THEN
        RAISE EXCEPTION 'details must be a JSON object, got %', coalesce(jsonb_typeof(p_details), 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass ''{}'' when there are no counterfactuals.';
    END IF;
    IF NOT p_details::text LIKE '%"cf\_%' THEN
        RETURN;  -- no counterfactual: nothing more to check
    END IF;
    SELECT k INTO v_bad
    FROM jsonb_object_keys(p_details) AS k
    WHERE k LIKE 'cf\_%' AND k NOT IN ('cf_entry_delay_bars', 'cf_entry_gain_rr', 'cf_exit_gain_rr', 'cf_exit_direction')
    ORDER BY k
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'details.% is not a known counterfactual', left(v_bad, 200)
            USING ERRCODE = '22023',
                  HINT = 'Counterfactuals are cf_entry_delay_bars, cf_entry_gain_rr, cf_exit_gain_rr, cf_exit_direction.';
    END IF;
    IF p_details ? 'cf_entry_delay_bars' AND NOT (
        jsonb_typeof(p_details -> 'cf_entry_delay_bars') = 'number'
        AND (p_details ->> 'cf_entry_delay_bars')::numeric IN (0, 1, 2, 3, 4, 5)
    ) THEN
        RAISE EXCEPTION 'details.cf_entry_delay_bars = % is invalid', left(p_details ->> 'cf_entry_delay_bars', 100)
            USING ERRCODE = '22023', HINT = 'cf_entry_delay_bars is an integer from 0 to 5.';
    END IF;
    SELECT k INTO v_bad
    FROM unnest(ARRAY['cf_entry_gain_rr', 'cf_exit_gain_rr']) AS k
    WHERE p_details ? k AND jsonb_typeof(p_details -> k) <> 'number'
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'details.% must be a number', v_bad
            USING ERRCODE = '22023', HINT = 'Counterfactual gains are R/R numbers.';
    END IF;
    IF p_details ?| ARRAY['cf_entry_gain_rr', 'cf_exit_gain_rr'] THEN
        SELECT (c.config #>> '{tunables,rr_abs_max}')::numeric INTO v_max
        FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config';
        SELECT k INTO v_bad
        FROM unnest(ARRAY['cf_entry_gain_rr', 'cf_exit_gain_rr']) AS k
        WHERE abs((p_details ->> k)::numeric) > v_max
        LIMIT 1;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'details.% = % is out of range', v_bad, left(p_details ->> v_bad, 100)
                USING ERRCODE = '22023',
                      HINT = format('Counterfactual gains are R/R numbers within +/- %s (pm_config.tunables.rr_abs_max).', v_max);
        END IF;
    END IF;
    IF p_details ? 'cf_exit_direction' AND coalesce(p_details ->> 'cf_exit_direction', '') NOT IN ('earlier', 'later') THEN
        RAISE EXCEPTION 'details.cf_exit_direction = % is invalid', left((p_details -> 'cf_exit_direction')::text, 100)
            USING ERRCODE = '22023', HINT = 'cf_exit_direction is ''earlier'' or ''later''.';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning._validate_trade_details(jsonb) IS
'Private: checks completed_trades.details counterfactual keys, types and bounds (gains within +/- rr_abs_max); 22023 names the bad field.';
REVOKE ALL ON FUNCTION learning._validate_trade_details(jsonb) FROM public;
