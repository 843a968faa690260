/*
 * learning.learn_regime_weights(as_of timestamptz DEFAULT now()) -> integer
 *
 * v5.1 (roadmap 2.5): for each (pattern_key, action_category, regime_signature), over the stats rows of that
 * regime, the Pearson correlation (corr()) of each edge factor with delta_rr = avg_rr - rr_baseline:
 *   time_efficiency, field_coherence, recurrence (recurrence_score), variance (as coherence 1 / (1 + variance),
 *   so that a positive correlation means "low variance goes with edge").
 * target    = 1 + 0.5 * corr * confidence,  confidence = rows / (rows + regime_support_k)
 * new       = prev + clamp(target - prev, -learning_rate, +learning_rate), within [0.5, 1.5]
 * A regime with fewer than regime_min_rows rows (or an undefined correlation) keeps the neutral 1.0.
 * The stats rows are the cube's cells finished by learning.scope_stats(as_of). Upserts learning_regime_weights;
 * every later read of the finished stats (scope_stats: edge_raw) uses them. Returns the rows written.
 */
CREATE OR REPLACE FUNCTION learning.learn_regime_weights(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    t constant jsonb := pm_config() -> 'tunables';
    v_lr constant float := (t ->> 'learning_rate')::float;
    v_min_rows constant int := (t ->> 'regime_min_rows')::int;
    v_k constant float := (t ->> 'regime_support_k')::float;
    v_rows integer;
BEGIN
    PERFORM _check_as_of(learn_regime_weights.as_of);
    WITH obs AS (
        SELECT s.pattern_key, s.action_category, s.regime_signature,
               s.avg_rr - s.rr_baseline AS delta_rr,
               s.time_efficiency AS te, s.field_coherence AS fc,
               s.recurrence_score AS rec, 1 / (1 + s.variance) AS coh
        FROM learning.scope_stats(learn_regime_weights.as_of) AS s
        WHERE s.updated_at <= learn_regime_weights.as_of
    ),
    regime AS (
        SELECT pattern_key, action_category, regime_signature, count(*) AS rows,
               count(*)::float / (count(*) + v_k) AS confidence,
               -- a (numerically) constant factor has no correlation: guard corr() against rounding noise
               jsonb_build_object(
                   'time_efficiency', CASE WHEN stddev_pop(te) > 1e-9 THEN corr(te, delta_rr) END,
                   'field_coherence', CASE WHEN stddev_pop(fc) > 1e-9 THEN corr(fc, delta_rr) END,
                   'recurrence', CASE WHEN stddev_pop(rec) > 1e-9 THEN corr(rec, delta_rr) END,
                   'variance', CASE WHEN stddev_pop(coh) > 1e-9 THEN corr(coh, delta_rr) END) AS correlations
        FROM obs
        GROUP BY pattern_key, action_category, regime_signature
    ),
    stepped AS (
        SELECT r.pattern_key, r.action_category, r.regime_signature, r.rows, r.confidence,
               jsonb_object_agg(f.key, round(greatest(0.5, least(1.5,
                   coalesce((w.weights ->> f.key)::float, 1.0)
                   + greatest(-v_lr, least(v_lr,
                       CASE WHEN r.rows < v_min_rows OR jsonb_typeof(f.value) <> 'number' THEN 1.0
                            ELSE 1 + 0.5 * (f.value #>> '{}')::float * r.confidence END
                       - coalesce((w.weights ->> f.key)::float, 1.0)))))::numeric, 6)) AS weights
        FROM regime AS r
        CROSS JOIN LATERAL jsonb_each(r.correlations) AS f
        LEFT JOIN learning_regime_weights AS w
            ON w.pattern_key = r.pattern_key AND w.action_category = r.action_category AND w.regime_signature = r.regime_signature
        GROUP BY r.pattern_key, r.action_category, r.regime_signature, r.rows, r.confidence
    )
    INSERT INTO learning_regime_weights AS lw (pattern_key, action_category, regime_signature, weights, n_samples, confidence, updated_at)
    SELECT pattern_key, action_category, regime_signature, weights, rows, confidence, learn_regime_weights.as_of
    FROM stepped
    ON CONFLICT (pattern_key, action_category, regime_signature) DO UPDATE
    SET weights = excluded.weights, n_samples = excluded.n_samples, confidence = excluded.confidence, updated_at = excluded.updated_at
    WHERE lw.updated_at < excluded.updated_at;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.learn_regime_weights(timestamptz) IS
'v5.1: moves each regime''s edge-factor weights toward 1 + 0.5 * corr(factor, delta_rr) * confidence, at most learning_rate per run, within [0.5, 1.5].';
REVOKE ALL ON FUNCTION learning.learn_regime_weights(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.learn_regime_weights(timestamptz) TO pglearn_admin;
