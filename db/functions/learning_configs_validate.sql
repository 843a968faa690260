/*
 * learning.learning_configs_validate() trigger on learning.learning_configs
 *
 * pm_config must keep its documented shape (docs/operations.md): boolean/array feature flags,
 * non-decreasing positive N_min per subset size (the iceberg cube prunes on it), rates in (0, 0.1],
 * and lever bounds that stay inside the hard bounds of roadmap 5.1 (config may only tighten them).
 * The override documents are JSON arrays. Errors: 22023 naming the field.
 */
CREATE OR REPLACE FUNCTION learning.learning_configs_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, learning
AS $$
DECLARE
    c jsonb := NEW.config;
    t jsonb := NEW.config -> 'tunables';
    v_bad text;
    v_hard constant jsonb := '{
        "size_mult": [0.7, 1.3], "entry_aggression_mult": [0.8, 1.2], "exit_aggression_mult": [0.8, 1.2],
        "entry_delay_bars": [0, 5], "phase1_frac_mult": [0.5, 1.5], "trim_delay_mult": [0.5, 2.0],
        "trail_mult": [0.5, 2.0], "panic_trigger_mult": [0.8, 1.2], "signal_threshold": [0.0, 1.0]}';
BEGIN
    IF NEW.config_key <> 'pm_config' THEN
        IF jsonb_typeof(c) <> 'array' THEN
            RAISE EXCEPTION 'learning_configs.% must be a JSON array', NEW.config_key
                USING ERRCODE = '22023', HINT = 'Override documents are written by learning.materialize_overrides.';
        END IF;
        RETURN NEW;
    END IF;

    SELECT f INTO v_bad
    FROM unnest(ARRAY['learning_overrides_enabled', 'v5_meta_learning_enabled']) AS f
    WHERE coalesce(jsonb_typeof(c #> ARRAY['feature_flags', f]), '') <> 'boolean' LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.feature_flags.% must be a boolean', v_bad
            USING ERRCODE = '22023', HINT = 'Feature flags are true or false.';
    END IF;
    SELECT f INTO v_bad
    FROM unnest(ARRAY['learning_overrides_enabled_regimes', 'learning_overrides_enabled_buckets']) AS f
    WHERE coalesce(jsonb_typeof(c #> ARRAY['feature_flags', f]), '') <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(c #> ARRAY['feature_flags', f]) AS e WHERE jsonb_typeof(e) <> 'string')
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.feature_flags.% must be an array of strings', v_bad
            USING ERRCODE = '22023', HINT = 'An empty array means: no restriction.';
    END IF;

    SELECT f INTO v_bad
    FROM unnest(ARRAY['k1_2', 'k3_4', 'k5_6', 'k7_plus']) AS f
    WHERE coalesce(jsonb_typeof(t #> ARRAY['n_min', f]), '') <> 'number' OR (t #>> ARRAY['n_min', f])::numeric < 1
       OR (t #>> ARRAY['n_min', f])::numeric <> trunc((t #>> ARRAY['n_min', f])::numeric)
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.n_min.% must be a positive integer', v_bad
            USING ERRCODE = '22023', HINT = 'N_min is the minimum sample count per subset size.';
    END IF;
    IF NOT ((t #>> '{n_min,k1_2}')::int <= (t #>> '{n_min,k3_4}')::int
        AND (t #>> '{n_min,k3_4}')::int <= (t #>> '{n_min,k5_6}')::int
        AND (t #>> '{n_min,k5_6}')::int <= (t #>> '{n_min,k7_plus}')::int) THEN
        RAISE EXCEPTION 'pm_config.tunables.n_min must not decrease with subset size'
            USING ERRCODE = '22023', HINT = 'k1_2 <= k3_4 <= k5_6 <= k7_plus (the aggregation prunes on it).';
    END IF;

    SELECT f INTO v_bad
    FROM unnest(ARRAY['learning_rate', 'max_step']) AS f
    WHERE coalesce(jsonb_typeof(t -> f), '') <> 'number' OR (t ->> f)::float NOT BETWEEN 1e-9 AND 0.1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.% must be a number in (0, 0.1]', v_bad
            USING ERRCODE = '22023', HINT = 'Safety comes from small steps: the roadmap default is 0.02.';
    END IF;
    SELECT f INTO v_bad
    FROM unnest(ARRAY['edge_scale', 'ref_hold_hours']) AS f
    WHERE coalesce(jsonb_typeof(t -> f), '') <> 'number' OR (t ->> f)::float <= 0 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.% must be a positive number', v_bad
            USING ERRCODE = '22023', HINT = 'Defaults: edge_scale 20, ref_hold_hours 24.';
    END IF;
    SELECT f INTO v_bad
    FROM unnest(ARRAY['edge_min', 'incremental_edge_min', 'min_t_stat']) AS f
    WHERE coalesce(jsonb_typeof(t -> f), '') <> 'number' OR (t ->> f)::float < 0 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.% must be a non-negative number', v_bad
            USING ERRCODE = '22023', HINT = 'Edge thresholds are absolute edge_raw values.';
    END IF;
    IF coalesce(jsonb_typeof(t -> 'rr_baseline'), 'null') NOT IN ('null', 'number') THEN
        RAISE EXCEPTION 'pm_config.tunables.rr_baseline must be null or a number'
            USING ERRCODE = '22023', HINT = 'null: the baseline is the mean rr of the category''s closed trades.';
    END IF;

    SELECT h.key INTO v_bad
    FROM jsonb_each(v_hard) AS h
    WHERE coalesce(jsonb_typeof(t #> ARRAY['lever_bounds', h.key]), '') <> 'array'
       OR jsonb_array_length(t #> ARRAY['lever_bounds', h.key]) <> 2
       OR NOT learning.json_number_between(t #> ARRAY['lever_bounds', h.key, '0'], (h.value ->> 0)::float, (h.value ->> 1)::float)
       OR NOT learning.json_number_between(t #> ARRAY['lever_bounds', h.key, '1'], (h.value ->> 0)::float, (h.value ->> 1)::float)
       OR (t #>> ARRAY['lever_bounds', h.key, '0'])::float > (t #>> ARRAY['lever_bounds', h.key, '1'])::float
    ORDER BY h.key
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.lever_bounds.% must be [lo, hi] within %', v_bad, v_hard -> v_bad
            USING ERRCODE = '22023', HINT = 'Config may tighten the hard lever bounds of roadmap 5.1, never widen them.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION learning.learning_configs_validate() IS
'Trigger: keeps pm_config in its documented shape and the lever bounds inside the hard bounds; 22023 names the field.';
REVOKE ALL ON FUNCTION learning.learning_configs_validate() FROM public;

CREATE OR REPLACE TRIGGER learning_configs_validate
BEFORE INSERT OR UPDATE ON learning.learning_configs
FOR EACH ROW EXECUTE FUNCTION learning.learning_configs_validate();
