/*
 * learning.override_cache_rows(generation bigint) -> TABLE (...)
 *
 * The overrides of a generation as pglearn.OverrideCache indexes them: per (pattern, category) in rank order
 * (most dims, higher strength, lower lesson id: the order of learning._matching_overrides), with the levers
 * resolve_overrides applies and its two "applied" documents (stored, or built by learning._override_docs for a
 * generation materialized before 0011.hot_path). Reads only (answers on a hot standby); no rows for an unknown
 * generation. Granted to pglearn_pm and pglearn_reader.
 */
CREATE OR REPLACE FUNCTION learning.override_cache_rows(generation bigint)
RETURNS TABLE (
    pattern_key text, action_category text, scope_values jsonb, lesson_id bigint, size_mult double precision,
    entry_aggression_mult double precision, exit_aggression_mult double precision, entry_delay_bars smallint,
    phase1_frac_mult double precision, trim_delay_mult double precision, trail_mult double precision,
    panic_trigger_mult double precision, signal_thresholds jsonb, strength_doc jsonb, execution_doc jsonb
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT r.pattern_key, r.action_category, r.scope_values, r.lesson_id, r.size_mult, r.entry_aggression_mult,
           r.exit_aggression_mult, r.entry_delay_bars, r.phase1_frac_mult, r.trim_delay_mult, r.trail_mult,
           r.panic_trigger_mult, r.signal_thresholds,
           coalesce(r.strength_doc, (learning._override_docs(r)).strength),
           CASE WHEN r.strength_doc IS NULL THEN (learning._override_docs(r)).execution ELSE r.execution_doc END
    FROM learning.runtime_override AS r
    WHERE r.generation = override_cache_rows.generation
    ORDER BY r.pattern_key, r.action_category, r.scope_dim_count DESC, r.lesson_strength DESC, r.lesson_id
$$;
COMMENT ON FUNCTION learning.override_cache_rows(bigint) IS
'For pglearn.OverrideCache: a generation''s overrides in rank order per (pattern, category), with levers and applied documents.';
REVOKE ALL ON FUNCTION learning.override_cache_rows(bigint) FROM public;
GRANT EXECUTE ON FUNCTION learning.override_cache_rows(bigint) TO pglearn_pm, pglearn_reader;
