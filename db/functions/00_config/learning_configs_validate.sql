/*
 * learning.learning_configs_validate() trigger on learning.learning_configs
 *
 * A config the trigger accepts cannot make a job fail: every tunable is checked for its JSON type and its
 * range (docs/api.md, "Config"; docs/operations.md), so no reader's cast or arithmetic can raise.
 *  - config_key is one of pm_config, pattern_strength_overrides, pattern_overrides (checked here, before the
 *    table's CHECK, so that the error says which keys exist).
 *  - pattern_strength_overrides / pattern_overrides: JSON arrays (written by materialize_overrides).
 *  - pm_config: an object with objects feature_flags and tunables; boolean / array-of-strings feature flags;
 *    learning_overrides_mode ("apply" | "shadow"), learning_overrides_mode_by_pattern ({pattern_key: mode}) and
 *    learning_overrides_telemetry_full (boolean), required once 0011.hot_path is applied (issue 14);
 *    n_min.k1_2 .. k7_plus integers in [1, 1e6], non-decreasing with subset size (the iceberg cube prunes on it);
 *    each tunable of the table below present, of its type and within its range; rr_baseline present, null or
 *    within +/- rr_abs_max; half_life_min_hours <= half_life_default_hours <= half_life_max_hours;
 *    retire_after_epochs >= stale_after_epochs; one [lo, hi] per lever of learning.lever_catalogue(), inside
 *    its hard bounds (roadmap 5.1: config may only tighten them).
 *  - Complete: every tunable is required once migration 0009.job_registry is applied (learning.job_registry exists:
 *    it filled in any missing one with its shipped value), so the readers carry no fallback defaults. In a database
 *    rolled back before it, the rules of the migrations still applied hold: learning_rate, max_step, edge_scale,
 *    ref_hold_hours, edge_min, n_min and lever_bounds always; those of 0004.lessons (fdr_q ... max_subset_size) once
 *    it is applied (learning.lesson_epoch exists); the others only when present. min_t_stat, incremental_edge_min
 *    and strength_n_full, which 0004 removes, are read by nothing any more.
 * Errors: 22023 naming the field, with a HINT giving its domain. Unknown tunable keys are kept untouched.
 */
CREATE OR REPLACE FUNCTION learning.learning_configs_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    c jsonb := NEW.config;
    t jsonb := NEW.config -> 'tunables';
    v_bad text;
    v_spec record;
    v_lessons_schema constant boolean := to_regclass('learning.lesson_epoch') IS NOT NULL;
    v_complete constant boolean := to_regclass('learning.job_registry') IS NOT NULL;
    v_rr_max numeric;
    v_hard jsonb;
BEGIN
    IF NEW.config_key IS NULL OR NEW.config_key NOT IN ('pm_config', 'pattern_strength_overrides', 'pattern_overrides') THEN
        RAISE EXCEPTION 'learning_configs.config_key % is unknown', coalesce(quote_literal(left(NEW.config_key, 60)), 'NULL')
            USING ERRCODE = '22023', HINT = 'The config keys are pm_config, pattern_strength_overrides and pattern_overrides.';
    END IF;
    IF NEW.config_key <> 'pm_config' THEN
        IF coalesce(jsonb_typeof(c), '') <> 'array' THEN
            RAISE EXCEPTION 'learning_configs.% must be a JSON array', NEW.config_key
                USING ERRCODE = '22023', HINT = 'Override documents are written by learning.materialize_overrides.';
        END IF;
        RETURN NEW;
    END IF;

    SELECT f INTO v_bad
    FROM (VALUES (1, '', c), (2, 'feature_flags', c -> 'feature_flags'), (3, 'tunables', t), (4, 'tunables.n_min', t -> 'n_min'),
                 (5, 'tunables.lever_bounds', t -> 'lever_bounds')) AS o (i, f, v)
    WHERE coalesce(jsonb_typeof(o.v), '') <> 'object'
    ORDER BY o.i
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config% must be a JSON object', CASE WHEN v_bad = '' THEN '' ELSE '.' || v_bad END
            USING ERRCODE = '22023', HINT = 'pm_config is {"feature_flags": {...}, "tunables": {"n_min": {...}, "lever_bounds": {...}, ...}} (docs/operations.md).';
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
    -- issue 14 (0011.hot_path): the override mode, per pattern, and full telemetry rows; required once 0011 is applied
    SELECT f INTO v_bad
    FROM (VALUES
        (1, 'learning_overrides_mode', c #> '{feature_flags,learning_overrides_mode}',
         coalesce(c #>> '{feature_flags,learning_overrides_mode}' IN ('apply', 'shadow'), false)),
        (2, 'learning_overrides_mode_by_pattern', c #> '{feature_flags,learning_overrides_mode_by_pattern}',
         jsonb_typeof(c #> '{feature_flags,learning_overrides_mode_by_pattern}') = 'object'),
        (3, 'learning_overrides_telemetry_full', c #> '{feature_flags,learning_overrides_telemetry_full}',
         jsonb_typeof(c #> '{feature_flags,learning_overrides_telemetry_full}') = 'boolean')
    ) AS m (i, f, v, ok)
    WHERE CASE WHEN m.v IS NULL THEN to_regclass('learning.override_decision_counts') IS NOT NULL ELSE NOT coalesce(m.ok, false) END
    ORDER BY m.i
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.feature_flags.% is missing or of the wrong type', v_bad
            USING ERRCODE = '22023',
                  HINT = 'learning_overrides_mode is "apply" or "shadow"; learning_overrides_mode_by_pattern is {pattern_key: "apply" | "shadow"}; learning_overrides_telemetry_full is a boolean.';
    END IF;
    SELECT e.key INTO v_bad
    FROM jsonb_each(CASE WHEN jsonb_typeof(c #> '{feature_flags,learning_overrides_mode_by_pattern}') = 'object'
                         THEN c #> '{feature_flags,learning_overrides_mode_by_pattern}' ELSE '{}' END) AS e
    WHERE NOT coalesce(learning._pattern_key_ok(e.key), false) OR coalesce(e.value #>> '{}' NOT IN ('apply', 'shadow'), true)
       OR jsonb_typeof(e.value) <> 'string'
    ORDER BY e.key
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.feature_flags.learning_overrides_mode_by_pattern.% must be "apply" or "shadow" under a pattern key', left(v_bad, 60)
            USING ERRCODE = '22023', HINT = 'Keys are pattern keys (pm.uptrend.S1.buy_flag), values "apply" or "shadow".';
    END IF;

    SELECT f INTO v_bad
    FROM unnest(ARRAY['k1_2', 'k3_4', 'k5_6', 'k7_plus']) AS f
    WHERE coalesce(jsonb_typeof(t #> ARRAY['n_min', f]), '') <> 'number'
       OR (t #>> ARRAY['n_min', f])::numeric NOT BETWEEN 1 AND 1000000
       OR (t #>> ARRAY['n_min', f])::numeric <> trunc((t #>> ARRAY['n_min', f])::numeric)
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.n_min.% must be a positive integer (at most 1000000)', v_bad
            USING ERRCODE = '22023', HINT = 'N_min is the minimum sample count per subset size.';
    END IF;
    IF NOT ((t #>> '{n_min,k1_2}')::numeric <= (t #>> '{n_min,k3_4}')::numeric
        AND (t #>> '{n_min,k3_4}')::numeric <= (t #>> '{n_min,k5_6}')::numeric
        AND (t #>> '{n_min,k5_6}')::numeric <= (t #>> '{n_min,k7_plus}')::numeric) THEN
        RAISE EXCEPTION 'pm_config.tunables.n_min must not decrease with subset size'
            USING ERRCODE = '22023', HINT = 'k1_2 <= k3_4 <= k5_6 <= k7_plus (the aggregation prunes on it).';
    END IF;

    -- every scalar tunable: type, range (lo exclusive when lo_open), presence; the first offender is named
    SELECT s.key, s.kind, s.lo, s.lo_open, s.hi, s.hint INTO v_spec
    FROM (VALUES
        (1, 'learning_rate', 'number', 0, true, 0.1, true, 'Safety comes from small steps (roadmap 5.1).'),
        (2, 'max_step', 'number', 0, true, 0.1, true, 'The largest lever step per epoch.'),
        (3, 'edge_scale', 'number', 0.001, false, 1000000, true, 'edge_raw is divided by it.'),
        (4, 'ref_hold_hours', 'number', 0.001, false, 1000000, true, 'The reference hold time of time efficiency.'),
        (5, 'edge_min', 'number', 0, false, 1000000, true, 'The effect-size floor of an R/R lesson, an absolute edge_raw.'),
        (8, 'rr_abs_max', 'number', 0, true, 1000000, v_complete, 'The bound of every R/R value (rr, counterfactual gains).'),
        (10, 'cf_min_n', 'integer', 1, false, 1000000, v_complete, 'Minimum counterfactual sample for an execution lever.'),
        (11, 'override_generations_kept', 'integer', 1, false, 1000, v_complete, 'Generations kept for rollback_overrides().'),
        (12, 'regime_min_rows', 'integer', 1, false, 1000000, v_complete, 'Minimum rows per regime for v5.1 weights.'),
        (13, 'regime_support_k', 'number', 0, false, 1000000, v_complete, 'Support shrinkage constant of the v5.1 weights.'),
        (14, 'half_life_default_hours', 'number', 1, false, 1000000, v_complete, 'Half-life when no fit is possible.'),
        (15, 'half_life_min_hours', 'number', 1, false, 1000000, v_complete, 'Lower clamp of fitted half-lives.'),
        (16, 'half_life_max_hours', 'number', 1, false, 1000000, v_complete, 'Upper clamp of fitted half-lives.'),
        (17, 'edge_history_full_days', 'integer', 1, false, 36500, v_complete, 'Days of edge history kept at full resolution.'),
        (18, 'latent_cut_distance', 'number', 0, true, 2, v_complete, 'The correlation-distance cut of the v5.3 clustering, in (0, 2].'),
        (19, 'fdr_q', 'number', 0, true, 0.5, v_lessons_schema, 'The false-discovery rate of the lesson search, in (0, 0.5].'),
        (20, 'stale_after_epochs', 'integer', 1, false, 1000000, v_lessons_schema, 'Epochs without confirmation before a lesson is stale.'),
        (21, 'retire_after_epochs', 'integer', 1, false, 1000000, v_lessons_schema, 'Epochs without confirmation before a lesson is retired (>= stale_after_epochs).'),
        (22, 'edge_window_days', 'integer', 1, false, 365, v_lessons_schema, 'Trailing window of the edge history, 1 to 365 days.'),
        (23, 'oos_min_trades', 'integer', 2, false, 1000000, v_lessons_schema, 'Out-of-sample trades before the guard judges a lesson, >= 2.'),
        (24, 'oos_p', 'number', 0, true, 0.5, v_lessons_schema, 'The out-of-sample guard''s p threshold, in (0, 0.5].'),
        (25, 'max_subset_size', 'integer', 1, false, 10, v_lessons_schema, 'Largest scope subset searched for lessons, 1 to 10.'),
        -- issue 15: the alert thresholds (0012.alerts)
        (50, 'alert_oos_p', 'number', 0, true, 0.5, to_regclass('learning.alerts') IS NOT NULL,
            'One-sided p below which an override''s negative out-of-sample excess raises an alert, in (0, 0.5].'),
        (52, 'alert_oos_min_trades', 'integer', 2, false, 1000000, to_regclass('learning.alerts') IS NOT NULL,
            'Matched out-of-sample trades before an override''s excess is judged, >= 2.'),
        (53, 'alert_job_late_intervals', 'integer', 1, false, 1000, to_regclass('learning.alerts') IS NOT NULL,
            'A scheduled job is late when it has not run for this many of its intervals, 1 to 1000.'),
        (54, 'alert_application_window_hours', 'number', 1, false, 8760, to_regclass('learning.alerts') IS NOT NULL,
            'Hours without an override application (overrides in force) before an alert, 1 to 8760.')
    ) AS s (i, key, kind, lo, lo_open, hi, required, hint)
    WHERE CASE
        WHEN NOT t ? s.key THEN s.required
        WHEN jsonb_typeof(t -> s.key) <> 'number' THEN true
        ELSE (t ->> s.key)::numeric < s.lo OR (s.lo_open AND (t ->> s.key)::numeric = s.lo) OR (t ->> s.key)::numeric > s.hi
            OR (s.kind = 'integer' AND (t ->> s.key)::numeric <> trunc((t ->> s.key)::numeric))
    END
    ORDER BY s.i
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'pm_config.tunables.% must be % in %, got %', v_spec.key,
            CASE v_spec.kind WHEN 'integer' THEN 'an integer' ELSE 'a number' END,
            format('%s%s, %s]', CASE WHEN v_spec.lo_open THEN '(' ELSE '[' END, v_spec.lo, v_spec.hi),
            coalesce(left((t -> v_spec.key)::text, 40), 'nothing')
            USING ERRCODE = '22023', HINT = v_spec.hint;
    END IF;

    -- below, a tunable still absent (only before 0009.job_registry) is NULL: its cross-checks do not apply
    v_rr_max := (t ->> 'rr_abs_max')::numeric;
    IF (v_complete AND NOT t ? 'rr_baseline')
        OR coalesce(jsonb_typeof(t -> 'rr_baseline'), 'null') NOT IN ('null', 'number')
        OR abs((t ->> 'rr_baseline')::numeric) > v_rr_max THEN
        RAISE EXCEPTION 'pm_config.tunables.rr_baseline must be null or a number within +/- rr_abs_max (%), got %',
            v_rr_max, coalesce(left((t -> 'rr_baseline')::text, 40), 'nothing')
            USING ERRCODE = '22023', HINT = 'null: the baseline is the trade-weighted median of the category''s pattern means (docs/stats.md).';
    END IF;
    IF NOT ((t ->> 'half_life_min_hours')::numeric <= (t ->> 'half_life_default_hours')::numeric
        AND (t ->> 'half_life_default_hours')::numeric <= (t ->> 'half_life_max_hours')::numeric) THEN
        RAISE EXCEPTION 'pm_config.tunables.half_life_min_hours <= half_life_default_hours <= half_life_max_hours does not hold'
            USING ERRCODE = '22023', HINT = 'A fitted half-life is clamped to [min, max]; the default lies between them.';
    END IF;
    IF (t ->> 'retire_after_epochs')::numeric < (t ->> 'stale_after_epochs')::numeric THEN
        RAISE EXCEPTION 'pm_config.tunables.retire_after_epochs must be >= stale_after_epochs'
            USING ERRCODE = '22023', HINT = 'A lesson is stale before it is retired.';
    END IF;

    -- one [lo, hi] per lever of the catalogue, inside its hard bounds
    IF to_regprocedure('learning.lever_catalogue()') IS NOT NULL THEN
        SELECT jsonb_object_agg(h.lever, jsonb_build_array(h.hard_lo, h.hard_hi)) INTO v_hard FROM learning.lever_catalogue() AS h;
    ELSE  -- a database rolled back before 0008.levers: the shape of each pair only (0001's CHECKs hold the hard bounds)
        SELECT jsonb_object_agg(b.key, '[-1000000, 1000000]'::jsonb) INTO v_hard FROM jsonb_each(t -> 'lever_bounds') AS b;
    END IF;
    SELECT h.key INTO v_bad
    FROM jsonb_each(v_hard) AS h
    WHERE coalesce(jsonb_typeof(t #> ARRAY['lever_bounds', h.key]), '') <> 'array'
       OR jsonb_array_length(t #> ARRAY['lever_bounds', h.key]) <> 2
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(t #> ARRAY['lever_bounds', h.key]) AS e
                  WHERE jsonb_typeof(e) <> 'number' OR (e #>> '{}')::numeric NOT BETWEEN (h.value ->> 0)::numeric AND (h.value ->> 1)::numeric)
       OR (t #>> ARRAY['lever_bounds', h.key, '0'])::numeric > (t #>> ARRAY['lever_bounds', h.key, '1'])::numeric
    ORDER BY h.key
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'pm_config.tunables.lever_bounds.% must be [lo, hi] within %', v_bad, v_hard -> v_bad
            USING ERRCODE = '22023', HINT = 'Config may tighten the hard lever bounds of roadmap 5.1 (learning.lever_catalogue()), never widen them.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION learning.learning_configs_validate() IS
'Trigger: rejects an unknown config_key and keeps pm_config complete and in its documented shape, every tunable present, of its type and within its range (docs/api.md, "Config"); 22023 names the field.';
REVOKE ALL ON FUNCTION learning.learning_configs_validate() FROM public;

CREATE OR REPLACE TRIGGER learning_configs_validate
BEFORE INSERT OR UPDATE ON learning.learning_configs
FOR EACH ROW EXECUTE FUNCTION learning.learning_configs_validate();
