/*
 * learning.validate() -> TABLE (check_name text, ok boolean, detail text)
 *
 * One row per success criterion of roadmap section 7: the system is "live" when every row is ok.
 */
CREATE OR REPLACE FUNCTION learning.validate()
RETURNS TABLE (check_name text, ok boolean, detail text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    WITH counts AS (
        SELECT
            (SELECT count(*) FROM learning.action_log) AS actions,
            (SELECT count(*) FROM learning.completed_trades) AS trades,
            (SELECT count(*) FROM learning.pattern_scope_stats) AS stats,
            (SELECT count(*) FROM learning.learning_lessons WHERE status = 'active') AS lessons,
            (SELECT count(*) FROM learning.runtime_override AS r JOIN learning.override_current AS c USING (generation)) AS overrides,
            (SELECT count(*) FROM learning.override_application)  -- issue 14: plus the telemetry counters
                + (SELECT coalesce(sum(d.decisions), 0) FROM learning.override_decision_counts AS d)
                + learning._buffered_override_decisions() AS applications
    )
    SELECT 'tables_populated', actions > 0 AND trades > 0 AND stats > 0 AND lessons > 0 AND overrides > 0,
           format('actions %s, trades %s, stats %s, active lessons %s, current overrides %s', actions, trades, stats, lessons, overrides)
    FROM counts
    UNION ALL
    SELECT 'v5_fields_logged', count(*) > 0 AND count(*) FILTER (
               WHERE a.pattern_key IS NULL OR a.action_category IS NULL OR a.scope = '{}' OR NOT a.controls ? 'signals') = 0,
           format('%s actions, %s without pattern key / category / scope / controls', count(*), count(*) FILTER (
               WHERE a.pattern_key IS NULL OR a.action_category IS NULL OR a.scope = '{}' OR NOT a.controls ? 'signals'))
    FROM learning.action_log AS a
    UNION ALL
    SELECT 'stats_valid', count(*) > 0 AND count(*) FILTER (WHERE NOT s.stats ?& ARRAY['n', 'avg_rr', 'variance', 'edge_raw']) = 0,
           format('%s rows, %s missing n/avg_rr/variance/edge_raw', count(*),
                  count(*) FILTER (WHERE NOT s.stats ?& ARRAY['n', 'avg_rr', 'variance', 'edge_raw']))
    FROM learning.v_pattern_scope_stats AS s
    UNION ALL
    SELECT 'stats_subset_sizes', ARRAY[0, 1, 2, 3, 4] <@ array_agg(DISTINCT bit_count(s.scope_mask::int::bit(16))::int),
           'subset sizes present: ' || coalesce(array_to_string(array_agg(DISTINCT bit_count(s.scope_mask::int::bit(16))::int), ','), 'none')
    FROM learning.pattern_scope_stats AS s
    UNION ALL
    SELECT 'lessons_full_payload', count(*) > 0 AND count(*) FILTER (
               WHERE NOT (l.effect -> 'capital_levers') ?& ARRAY(SELECT c.lever FROM learning.lever_catalogue() AS c WHERE c.lever_group = 'capital')
                  OR NOT (l.effect -> 'execution_levers') ? 'signal_thresholds') = 0,
           format('%s active lessons, %s without a full lever payload', count(*), count(*) FILTER (
               WHERE NOT (l.effect -> 'capital_levers') ?& ARRAY(SELECT c.lever FROM learning.lever_catalogue() AS c WHERE c.lever_group = 'capital')
                  OR NOT (l.effect -> 'execution_levers') ? 'signal_thresholds'))
    FROM learning.learning_lessons AS l WHERE l.status = 'active'
    UNION ALL
    SELECT 'overrides_materialized', c.overrides > 0
               AND (SELECT jsonb_array_length(config) FROM learning.learning_configs WHERE config_key = 'pattern_strength_overrides') > 0,
           format('generation %s with %s overrides', (SELECT generation FROM learning.override_current), c.overrides)
    FROM counts AS c
    UNION ALL
    SELECT 'runtime_applying', c.applications > 0,
           format('%s override applications recorded, %s in the last 24 h', c.applications,
                  (SELECT count(*) FROM learning.override_application WHERE applied_at > now() - interval '24 hours')
                  + (SELECT coalesce(sum(d.decisions), 0) FROM learning.override_decision_counts AS d
                     WHERE d.hour > now() - interval '25 hours') + learning._buffered_override_decisions())
    FROM counts AS c
    UNION ALL
    SELECT 'no_failed_jobs', count(*) FILTER (WHERE j.status IN ('failed', 'interrupted')) = 0,
           format('%s job runs in the last 24 h, %s failed, %s interrupted', count(*), count(*) FILTER (WHERE j.status = 'failed'),
                  count(*) FILTER (WHERE j.status = 'interrupted'))
    FROM learning.job_runs AS j WHERE j.started_at > now() - interval '24 hours'
    UNION ALL
    SELECT 'meta_learning_populated',
           (SELECT count(*) FROM learning.learning_regime_weights) > 0 AND (SELECT count(*) FROM learning.learning_edge_history) > 0
           AND (SELECT count(*) FROM learning.learning_latent_factors) > 0
           AND NOT EXISTS (SELECT 1 FROM learning.learning_lessons WHERE status = 'active' AND latent_factor_id IS NULL),
           format('regime weights %s, edge history %s, latent factors %s, active lessons without a factor %s',
                  (SELECT count(*) FROM learning.learning_regime_weights), (SELECT count(*) FROM learning.learning_edge_history),
                  (SELECT count(*) FROM learning.learning_latent_factors),
                  (SELECT count(*) FROM learning.learning_lessons WHERE status = 'active' AND latent_factor_id IS NULL))
    UNION ALL
    SELECT 'levers_within_bounds', count(*) FILTER (WHERE NOT learning.effect_within_bounds(l.effect)) = 0,
           format('%s lessons checked against roadmap 5.1 bounds', count(*))
    FROM learning.learning_lessons AS l
    UNION ALL
    -- issue 15: the open alerts (learning.evaluate_alerts); info alerts do not make it fail
    SELECT 'no_open_alerts', count(*) FILTER (WHERE a.severity IN ('critical', 'warning')) = 0,
           format('%s open alerts: %s critical, %s warning, %s info (learning.v_alerts)', count(*),
                  count(*) FILTER (WHERE a.severity = 'critical'), count(*) FILTER (WHERE a.severity = 'warning'),
                  count(*) FILTER (WHERE a.severity = 'info'))
    FROM learning.alerts AS a WHERE a.resolved_at IS NULL
$$;
COMMENT ON FUNCTION learning.validate() IS 'Health checks: one row per roadmap section-7 success criterion (check_name, ok, detail).';
REVOKE ALL ON FUNCTION learning.validate() FROM public;
GRANT EXECUTE ON FUNCTION learning.validate() TO pglearn_reader;  -- and so to pglearn_admin, a member
