/*
 * learning._lesson_window_edges(p_as_of timestamptz, p_first_close timestamptz, p_lessons jsonb)
 *     -> TABLE (pattern_key, action_category, scope_signature, edge_raw, n)
 *
 * Private, stage 8 of an epoch (learning.build_lessons, docs/levers.md): the edge over the trailing
 * tunables.edge_window_days of each lesson of p_lessons (a JSON array of {id, pattern_key, action_category,
 * scope_values, scope_values_hash}: the active and stale lessons), from the facts closed in the window, against
 * learning.category_baselines(p_as_of): the series the half-life fit reads (learning_edge_history). Only full
 * windows: nothing when the history's first close (p_first_close, over every trade) is later than the window's
 * start. Per pattern: on a sharded deployment each shard computes its own lessons' edges (p_first_close over all
 * shards) and the router writes them.
 */
CREATE OR REPLACE FUNCTION learning._lesson_window_edges(p_as_of timestamptz, p_first_close timestamptz, p_lessons jsonb)
RETURNS TABLE (pattern_key text, action_category text, scope_signature text, edge_raw float8, n integer)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT w.pattern_key, w.action_category, w.scope_values_hash,
           learning.edge_raw(w.avg_rr, w.var, w.n, w.b, w.te, w.fc, w.rec), w.n
    FROM (SELECT (learning.pm_config() #>> '{tunables,edge_window_days}')::int AS v_window,
                 (learning.pm_config() #>> '{tunables,ref_hold_hours}')::float AS v_h) AS t
    CROSS JOIN LATERAL (
        SELECT l.pattern_key, l.action_category, l.scope_values_hash, count(*)::int AS n, avg(f.rr) AS avg_rr,
               coalesce(var_samp(f.rr), 0) AS var, b.b,
               avg(learning._time_efficiency(f.rr, f.hold_hours, t.v_h)) AS te,
               CASE WHEN learning._vs_baseline(avg(f.rr), b.b) >= 0 THEN count(*) FILTER (WHERE f.rr >= b.b) ELSE count(*) FILTER (WHERE f.rr < b.b) END::float
               / count(*) AS fc,
               count(DISTINCT date_trunc('week', f.closed_at))::float / ceil(t.v_window / 7.0) AS rec
        FROM jsonb_to_recordset(p_lessons)
            AS l (id bigint, pattern_key text, action_category text, scope_values jsonb, scope_values_hash text)
        JOIN (SELECT cb.action_category, cb.baseline AS b FROM learning.category_baselines(p_as_of) AS cb) AS b
            ON b.action_category = l.action_category
        JOIN learning._trade_facts(p_as_of - make_interval(days => t.v_window), p_as_of) AS f
            ON f.pattern_key = l.pattern_key AND f.action_category = l.action_category AND f.scope @> l.scope_values
        -- only full windows: a window cut short by the start of the history would flatten the decay
        WHERE p_first_close <= p_as_of - make_interval(days => t.v_window)
        GROUP BY l.id, l.pattern_key, l.action_category, l.scope_values_hash, b.b
        HAVING count(*) >= 2
    ) AS w
$$;
COMMENT ON FUNCTION learning._lesson_window_edges(timestamptz, timestamptz, jsonb) IS
'Private, epoch stage 8: each given lesson''s edge over the trailing edge_window_days (the half-life series; per pattern).';
REVOKE ALL ON FUNCTION learning._lesson_window_edges(timestamptz, timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning._lesson_window_edges(timestamptz, timestamptz, jsonb) TO pglearn_admin;
