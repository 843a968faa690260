-- pm_config is complete (migration 0009.job_registry): every tunable and feature flag is required, so the functions
-- that read them carry no fallback defaults (docs/operations.md "pm_config", docs/api.md "Config validation").
\ir ../fixtures.psql
SELECT plan(6);

-- drop one key at a time: every one of them is refused with 22023 naming it
CREATE FUNCTION pg_temp.accepted_without(p_group text) RETURNS text [] LANGUAGE plpgsql AS $$
DECLARE
    k text;
    v_state text;
    v_message text;
    bad text [] := '{}';
BEGIN
    FOR k IN SELECT jsonb_object_keys(learning.pm_config() -> p_group) ORDER BY 1 LOOP
        BEGIN
            UPDATE learning.learning_configs SET config = config #- ARRAY[p_group, k] WHERE config_key = 'pm_config';
            bad := bad || (k || ': accepted');
            RAISE EXCEPTION USING ERRCODE = 'P0001';  -- undo the update
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
            IF v_state <> 'P0001' AND (v_state <> '22023' OR position(format('pm_config.%s.%s', p_group, k) IN v_message) = 0) THEN
                bad := bad || (k || ': ' || v_state || ' ' || v_message);
            END IF;
        END;
    END LOOP;
    RETURN bad;
END
$$;
SELECT is(pg_temp.accepted_without('tunables'), '{}'::text [], 'no tunable may be left out (22023 names it)');
SELECT is(pg_temp.accepted_without('feature_flags'), '{}'::text [], 'no feature flag may be left out (22023 names it)');
SELECT set_eq($$SELECT jsonb_object_keys(pm_config() -> 'tunables')$$,
    ARRAY['n_min', 'learning_rate', 'edge_scale', 'max_step', 'edge_min', 'ref_hold_hours', 'rr_baseline', 'rr_abs_max',
          'lever_bounds', 'cf_min_n', 'override_generations_kept', 'regime_min_rows', 'regime_support_k',
          'half_life_default_hours', 'half_life_min_hours', 'half_life_max_hours', 'edge_history_full_days',
          'latent_cut_distance', 'fdr_q', 'stale_after_epochs', 'retire_after_epochs', 'edge_window_days', 'oos_min_trades',
          'oos_p', 'max_subset_size',
          'alert_oos_p', 'alert_oos_min_trades', 'alert_job_late_intervals', 'alert_application_window_hours'],  -- issue 15
    'the shipped tunables (docs/operations.md)');

-- rr_baseline: present, null or a number
SELECT lives_ok($$UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,rr_baseline}', '0.3')
                  WHERE config_key = 'pm_config'$$, 'rr_baseline may be a number');
SELECT throws_ok($$UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,half_life_min_hours}', '1000')
                   WHERE config_key = 'pm_config'$$, '22023', NULL, 'half_life_min_hours <= half_life_default_hours');

-- no function of the schema falls back to a default of its own for a tunable: coalesce((... 'tunable' ...), default)
SELECT is(ARRAY(SELECT DISTINCT p.proname::text || ' (' || k || ')'
                FROM pg_proc AS p
                CROSS JOIN LATERAL jsonb_object_keys(pm_config() -> 'tunables') AS k
                WHERE p.pronamespace = 'learning'::regnamespace AND p.proname <> 'learning_configs_validate'
                  AND p.prosrc ~ ('coalesce\(\s*\(?[^;]{0,120}[''{,]' || k || '[''}]')
                ORDER BY 1),
    '{}'::text [], 'no coalesce fallback for a tunable in any function');

SELECT * FROM finish();
ROLLBACK;
